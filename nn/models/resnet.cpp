#include "nn/models/resnet.h"

#include <cmath>
#include <utility>

#include "nn/error.h"
#include "nn/models/blocked_activation.h"
#include "nn/ops.h"

namespace repscope {

ResNetConfig resnet_config(const std::string& name) {
  if (name == "resnet18") return {name, false, {2, 2, 2, 2}};
  if (name == "resnet34") return {name, false, {3, 4, 6, 3}};
  if (name == "resnet50") return {name, true, {3, 4, 6, 3}};
  if (name == "resnet101") return {name, true, {3, 4, 23, 3}};
  if (name == "resnet152") return {name, true, {3, 8, 36, 3}};
  fail("unknown ResNet '", name, "' (resnet18, resnet34, resnet50, resnet101, resnet152)");
}

namespace {

// torchvision initialises every conv with kaiming_normal_(mode="fan_out", nonlinearity="relu").
Conv2d make_conv(int in, int out, int k, int stride, int pad) {
  Conv2d c(in, out, k, stride, pad, /*bias=*/false);
  c.weight_init = Init::normal(std::sqrt(2.0 / (static_cast<double>(out) * k * k)));
  return c;
}

const char* relu_name(int call) {
  static const char* names[] = {"relu", "relu_1", "relu_2"};
  return names[call];
}

}  // namespace

ResNet::ResNet(ResNetConfig config) : config_(std::move(config)) {
  check(config_.input_size >= 32, "ResNet input size ", config_.input_size, " is too small");
  stem_ = ConvBn(make_conv(3, 64, 7, 2, 3), BatchNorm2d(64));
  const int expansion = config_.bottleneck ? 4 : 1;
  int in = 64;
  for (int s = 0; s < 4; ++s) {
    const int planes = 64 << s;
    for (int i = 0; i < config_.blocks[static_cast<std::size_t>(s)]; ++i) {
      const int stride = (s > 0 && i == 0) ? 2 : 1;
      Block b;
      if (config_.bottleneck) {
        b.c1 = ConvBn(make_conv(in, planes, 1, 1, 0), BatchNorm2d(planes));
        b.c2 = ConvBn(make_conv(planes, planes, 3, stride, 1), BatchNorm2d(planes));
        b.c3 = ConvBn(make_conv(planes, planes * 4, 1, 1, 0), BatchNorm2d(planes * 4));
      } else {
        b.c1 = ConvBn(make_conv(in, planes, 3, stride, 1), BatchNorm2d(planes));
        b.c2 = ConvBn(make_conv(planes, planes, 3, 1, 1), BatchNorm2d(planes));
      }
      if (stride != 1 || in != planes * expansion) {
        b.has_downsample = true;
        b.down = ConvBn(make_conv(in, planes * expansion, 1, stride, 0),
                        BatchNorm2d(planes * expansion));
      }
      in = planes * expansion;
      stages_[static_cast<std::size_t>(s)].push_back(std::move(b));
    }
  }
  if (config_.num_classes > 0) fc_ = Linear(512 * expansion, config_.num_classes);
}

ParamList ResNet::parameters() {
  ParamList out;
  stem_.collect("conv1.", "bn1.", out);
  for (std::size_t s = 0; s < 4; ++s) {
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      Block& b = stages_[s][i];
      const std::string p = str("layer", s + 1, ".", i, ".");
      b.c1.collect(p + "conv1.", p + "bn1.", out);
      b.c2.collect(p + "conv2.", p + "bn2.", out);
      if (config_.bottleneck) b.c3.collect(p + "conv3.", p + "bn3.", out);
      if (b.has_downsample) b.down.collect(p + "downsample.0.", p + "downsample.1.", out);
    }
  }
  if (config_.num_classes > 0) fc_.collect("fc.", out);
  return out;
}

void ResNet::prepare() {
  stem_.prepare();
  for (auto& stage : stages_) {
    for (Block& b : stage) {
      b.c1.prepare();
      b.c2.prepare();
      if (config_.bottleneck) b.c3.prepare();
      if (b.has_downsample) b.down.prepare();
    }
  }
}

std::vector<TapInfo> ResNet::taps() const {
  std::vector<TapInfo> t;
  // Leaf taps are named as fx names graph nodes; hook_name is set only on the call a forward
  // hook would keep (the last one of a reused module).
  auto leaf = [&](const std::string& name, Shape shape, const std::string& type,
                  const std::string& hook) {
    t.push_back({name, std::move(shape), type, true, false, hook});
  };
  const std::int64_t s0 = config_.input_size;
  const std::int64_t s1 = (s0 + 6 - 7) / 2 + 1;  // conv1
  const std::int64_t s2 = (s1 + 2 - 3) / 2 + 1;  // maxpool
  leaf("x", {3, s0, s0}, "input", "");
  leaf("conv1", {64, s1, s1}, "Conv2d", "conv1");
  leaf("bn1", {64, s1, s1}, "BatchNorm2d", "bn1");
  leaf("relu", {64, s1, s1}, "ReLU", "relu");
  leaf("maxpool", {64, s2, s2}, "MaxPool2d", "maxpool");
  std::int64_t hw = s2;
  std::int64_t channels = 64;
  for (std::size_t s = 0; s < 4; ++s) {
    const std::string stage = str("layer", s + 1);
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      const Block& b = stages_[s][i];
      const std::string p = str(stage, ".", i, ".");
      const std::int64_t in_hw = hw;
      const std::int64_t planes = b.c1.conv.out_channels;
      const int n_relu = config_.bottleneck ? 3 : 2;
      int relu_call = 0;
      auto relu = [&](Shape shape) {
        const bool last = relu_call == n_relu - 1;
        leaf(p + relu_name(relu_call++), std::move(shape), "ReLU", last ? p + "relu" : "");
      };
      if (config_.bottleneck) {
        const std::int64_t out_hw = b.c2.conv.out_size(static_cast<int>(in_hw));
        leaf(p + "conv1", {planes, in_hw, in_hw}, "Conv2d", p + "conv1");
        leaf(p + "bn1", {planes, in_hw, in_hw}, "BatchNorm2d", p + "bn1");
        relu({planes, in_hw, in_hw});
        leaf(p + "conv2", {planes, out_hw, out_hw}, "Conv2d", p + "conv2");
        leaf(p + "bn2", {planes, out_hw, out_hw}, "BatchNorm2d", p + "bn2");
        relu({planes, out_hw, out_hw});
        leaf(p + "conv3", {planes * 4, out_hw, out_hw}, "Conv2d", p + "conv3");
        leaf(p + "bn3", {planes * 4, out_hw, out_hw}, "BatchNorm2d", p + "bn3");
        hw = out_hw;
        channels = planes * 4;
      } else {
        const std::int64_t out_hw = b.c1.conv.out_size(static_cast<int>(in_hw));
        leaf(p + "conv1", {planes, out_hw, out_hw}, "Conv2d", p + "conv1");
        leaf(p + "bn1", {planes, out_hw, out_hw}, "BatchNorm2d", p + "bn1");
        relu({planes, out_hw, out_hw});
        leaf(p + "conv2", {planes, out_hw, out_hw}, "Conv2d", p + "conv2");
        leaf(p + "bn2", {planes, out_hw, out_hw}, "BatchNorm2d", p + "bn2");
        hw = out_hw;
        channels = planes;
      }
      const Shape out_shape{channels, hw, hw};
      if (b.has_downsample) {
        leaf(p + "downsample.0", out_shape, "Conv2d", p + "downsample.0");
        leaf(p + "downsample.1", out_shape, "BatchNorm2d", p + "downsample.1");
        t.push_back({p + "downsample", out_shape, "Sequential", false, false, p + "downsample"});
      }
      leaf(p + "add", out_shape, "add", "");
      relu(out_shape);
      t.push_back({stage + "." + std::to_string(i), out_shape,
                   config_.bottleneck ? "Bottleneck" : "BasicBlock", false, true,
                   stage + "." + std::to_string(i)});
    }
    t.push_back({stage, {channels, hw, hw}, "Sequential", false, true, stage});
  }
  leaf("avgpool", {channels, 1, 1}, "AdaptiveAvgPool2d", "avgpool");
  t.push_back({"flatten", {channels}, "flatten", true, true, ""});
  if (config_.num_classes > 0) {
    t.push_back({"fc", {config_.num_classes}, "Linear", true, true, "fc"});
  }
  return t;
}

// `x` is taken by value so that, moved in by forward(), the shortcut can be handed to the last
// conv as the only holder of the block's input (then overwritten with the block's output).
Tensor ResNet::run_block(const Block& b, const std::string& p, Tensor x,
                         const TapContext& ctx) const {
  auto tap = [&](const char* leaf, const Tensor& v) { ctx.tap(p + leaf, v); };
  // Each conv + BN + ReLU, and the last conv + BN + shortcut add + ReLU, run as one fused conv
  // when no tap needs the values in between (ConvBn::forward_tail).
  Tensor out = b.c1.forward_tail(x, ctx, p + "conv1", {p + "bn1"}, Tensor{}, true);
  tap("relu", out);
  const ConvBn& last = config_.bottleneck ? b.c3 : b.c2;
  if (config_.bottleneck) {
    out = b.c2.forward_tail(out, ctx, p + "conv2", {p + "bn2"}, Tensor{}, true);
    tap("relu_1", out);
  }
  // The shortcut; the block's input is released either way (a copy of it becomes the
  // shortcut, or it is no longer needed once downsampled).
  Tensor identity = b.has_downsample ? b.down.forward(x, ctx, p + "downsample.0",
                                                      {p + "downsample.1", p + "downsample"})
                                     : x;
  x = Tensor{};
  const char* last_conv = config_.bottleneck ? "conv3" : "conv2";
  const char* last_bn = config_.bottleneck ? "bn3" : "bn2";
  const int relu_call = config_.bottleneck ? 2 : 1;
  if (!ctx.wants(p + "add")) {
    out = last.forward_tail(out, ctx, p + last_conv, {p + last_bn}, std::move(identity), true);
  } else {
    out = last.forward_tail(out, ctx, p + last_conv, {p + last_bn}, std::move(identity), false);
    tap("add", out);
    out = ops::relu(out);
  }
  tap(relu_name(relu_call), out);
  return out;
}

bool ResNet::blocked_block(const Block& b, const std::string& p, const TapContext& ctx) const {
  if (!ops::blocked_layout()) return false;
  for (const ConvBn* c : {&b.c1, &b.c2, &b.c3, &b.down}) {
    if (c == &b.c3 && !config_.bottleneck) continue;
    if (c == &b.down && !b.has_downsample) continue;
    if (!c->folded() || !c->blocked_capable()) return false;
  }
  return !ctx.wants_under(p);
}

Tensor ResNet::run_block_blocked(const Block& b, Tensor x) const {
  Tensor out = b.c1.forward_blocked(x, Tensor{}, true);
  if (config_.bottleneck) out = b.c2.forward_blocked(out, Tensor{}, true);
  Tensor identity = b.has_downsample ? b.down.forward_blocked(x, Tensor{}, false) : x;
  x = Tensor{};
  return (config_.bottleneck ? b.c3 : b.c2).forward_blocked(out, std::move(identity), true);
}

Tensor ResNet::forward(const Tensor& images, TapContext& ctx) const {
  check_input(images);
  check_loaded();
  ctx.tap("x", images);
  Tensor x = stem_.forward_tail(images, ctx, "conv1", {"bn1"}, Tensor{}, true);
  ctx.tap("relu", x);
  x = ops::max_pool2d(x, 3, 2, 1);
  ctx.tap("maxpool", x);
  // The blocks run on the channel-blocked layout where they can (blocked_block).
  BlockedActivation act(std::move(x));
  for (std::size_t s = 0; s < 4; ++s) {
    const std::string stage = str("layer", s + 1);
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      const std::string block = stage + "." + std::to_string(i);
      const Block& b = stages_[s][i];
      act.use_blocked(blocked_block(b, block + ".", ctx));
      act.set(act.blocked() ? run_block_blocked(b, act.take())
                            : run_block(b, block + ".", act.take(), ctx));
      act.tap(ctx, {&block, i + 1 == stages_[s].size() ? &stage : nullptr});
    }
  }
  act.use_blocked(false);
  x = act.take();
  x = ops::adaptive_avg_pool2d_1x1(x);
  ctx.tap("avgpool", x);
  x = x.reshape({x.dim(0), x.dim(1)});
  ctx.tap("flatten", x);
  if (config_.num_classes > 0) {
    x = fc_.forward(x);
    ctx.tap("fc", x);
  }
  return x;
}

}  // namespace repscope
