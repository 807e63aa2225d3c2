#include "nn/models/clip_resnet.h"

#include <cmath>
#include <utility>

#include "nn/error.h"
#include "nn/models/blocked_activation.h"
#include "nn/models/tokens.h"
#include "nn/ops.h"
#include "nn/parallel.h"

namespace repscope {

const std::vector<std::string>& clip_resnet_names() {
  static const std::vector<std::string> names = {"clip_rn50", "clip_rn101", "clip_rn50x4",
                                                 "clip_rn50x16", "clip_rn50x64"};
  return names;
}

ClipResNetConfig clip_resnet_config(const std::string& name) {
  if (name == "clip_rn50") return {name, {3, 4, 6, 3}, 64, 1024, 224};
  if (name == "clip_rn101") return {name, {3, 4, 23, 3}, 64, 512, 224};
  if (name == "clip_rn50x4") return {name, {4, 6, 10, 6}, 80, 640, 288};
  if (name == "clip_rn50x16") return {name, {6, 8, 18, 8}, 96, 768, 384};
  if (name == "clip_rn50x64") return {name, {3, 15, 36, 10}, 128, 1024, 448};
  fail("unknown CLIP ResNet '", name,
       "' (clip_rn50, clip_rn101, clip_rn50x4, clip_rn50x16, clip_rn50x64)");
}

namespace {

// torch's Conv2d default init (kaiming_uniform a=sqrt 5) = U(±1/sqrt(fan_in)); CLIP keeps it.
Conv2d make_conv(int in, int out, int k, int pad) {
  Conv2d c(in, out, k, /*stride=*/1, pad, /*bias=*/false);
  c.weight_init = Init::uniform(1.0 / std::sqrt(static_cast<double>(in) * k * k));
  return c;
}

int stem_size(int px) {
  return ((px + 2 - 3) / 2 + 1) / 2;
}  // conv1 stride 2, then avgpool 2

}  // namespace

ClipResNet::ClipResNet(ClipResNetConfig config) : config_(std::move(config)) {
  const int w = config_.width;
  check(w > 0 && w % 2 == 0 && (w * 32) % 64 == 0, "CLIP ResNet ", config_.name, ": bad width ", w);
  check(config_.input_size >= 32 && config_.input_size % 32 == 0, "CLIP ResNet ", config_.name,
        ": input size ", config_.input_size, " must be a multiple of 32");
  for (int b : config_.blocks)
    check(b >= 1, "CLIP ResNet ", config_.name, ": every stage needs a block");
  Conv2d conv1 = make_conv(3, w / 2, 3, 1);
  conv1.stride = 2;
  stem_[0] = ConvBn(conv1, BatchNorm2d(w / 2));
  stem_[1] = ConvBn(make_conv(w / 2, w / 2, 3, 1), BatchNorm2d(w / 2));
  stem_[2] = ConvBn(make_conv(w / 2, w, 3, 1), BatchNorm2d(w));
  int in = w;
  for (int s = 0; s < 4; ++s) {
    const int planes = w << s;
    for (int i = 0; i < config_.blocks[static_cast<std::size_t>(s)]; ++i) {
      Block b;
      b.stride = (s > 0 && i == 0) ? 2 : 1;
      b.c1 = ConvBn(make_conv(in, planes, 1, 0), BatchNorm2d(planes));
      b.c2 = ConvBn(make_conv(planes, planes, 3, 1), BatchNorm2d(planes));
      b.c3 = ConvBn(make_conv(planes, planes * 4, 1, 0), BatchNorm2d(planes * 4));
      if (b.stride > 1 || in != planes * 4) {
        b.has_downsample = true;
        b.down = ConvBn(make_conv(in, planes * 4, 1, 0), BatchNorm2d(planes * 4));
      }
      in = planes * 4;
      stages_[static_cast<std::size_t>(s)].push_back(std::move(b));
    }
  }
  const int e = w * 32;
  q_proj_ = Linear(e, e);
  k_proj_ = Linear(e, e);
  v_proj_ = Linear(e, e);
  c_proj_ = Linear(e, config_.embed_dim);
  // CLIP.initialize_parameters: attention-pool weights ~ N(0, in_features^-1/2).
  const Init attn_init = Init::normal(1.0 / std::sqrt(static_cast<double>(e)));
  for (Linear* l : {&q_proj_, &k_proj_, &v_proj_, &c_proj_}) l->weight_init = attn_init;
}

ParamList ClipResNet::parameters() {
  ParamList out;
  for (std::size_t i = 0; i < stem_.size(); ++i) {
    stem_[i].collect(str("conv", i + 1, "."), str("bn", i + 1, "."), out);
  }
  for (std::size_t s = 0; s < 4; ++s) {
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      Block& b = stages_[s][i];
      const std::string p = str("layer", s + 1, ".", i, ".");
      b.c1.collect(p + "conv1.", p + "bn1.", out);
      b.c2.collect(p + "conv2.", p + "bn2.", out);
      b.c3.collect(p + "conv3.", p + "bn3.", out);
      // CLIP.initialize_parameters zero-initialises every bn3.weight (residual branch off).
      for (Param& param : out) {
        if (param.name == p + "bn3.weight") param.init = Init::zeros();
      }
      if (b.has_downsample) {
        b.down.collect(p + "downsample.0.", p + "downsample.1.", out);
      }
    }
  }
  const std::int64_t e = config_.width * 32;
  const std::int64_t spatial = config_.input_size / 32;
  out.push_back({"attnpool.positional_embedding",
                 &positional_embedding_,
                 {spatial * spatial + 1, e},
                 Init::normal(1.0 / std::sqrt(static_cast<double>(e)))});
  q_proj_.collect("attnpool.q_proj.", out);
  k_proj_.collect("attnpool.k_proj.", out);
  v_proj_.collect("attnpool.v_proj.", out);
  c_proj_.collect("attnpool.c_proj.", out);
  return out;
}

void ClipResNet::prepare() {
  for (ConvBn& c : stem_) c.prepare();
  for (auto& stage : stages_) {
    for (Block& b : stage) {
      for (ConvBn* c : {&b.c1, &b.c2, &b.c3}) c->prepare();
      if (b.has_downsample) b.down.prepare();
    }
  }
}

std::vector<TapInfo> ClipResNet::taps() const {
  std::vector<TapInfo> t;
  auto module = [&](const std::string& name, Shape shape, const std::string& type, bool leaf,
                    bool block) {
    t.push_back({name, std::move(shape), type, leaf, block, name});
  };
  const std::int64_t w = config_.width;
  const std::int64_t s1 = (config_.input_size + 2 - 3) / 2 + 1;
  for (int i = 1; i <= 3; ++i) {
    const std::int64_t c = i == 3 ? w : w / 2;
    module(str("conv", i), {c, s1, s1}, "Conv2d", true, false);
    module(str("bn", i), {c, s1, s1}, "BatchNorm2d", true, false);
    module(str("relu", i), {c, s1, s1}, "ReLU", true, false);
  }
  std::int64_t hw = stem_size(config_.input_size);
  module("avgpool", {w, hw, hw}, "AvgPool2d", true, false);
  std::int64_t channels = w;
  for (std::size_t s = 0; s < 4; ++s) {
    const std::string stage = str("layer", s + 1);
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      const Block& b = stages_[s][i];
      const std::string p = str(stage, ".", i, ".");
      const std::int64_t planes = b.c1.conv.out_channels;
      const std::int64_t out_hw = hw / b.stride;
      module(p + "conv1", {planes, hw, hw}, "Conv2d", true, false);
      module(p + "bn1", {planes, hw, hw}, "BatchNorm2d", true, false);
      module(p + "relu1", {planes, hw, hw}, "ReLU", true, false);
      module(p + "conv2", {planes, hw, hw}, "Conv2d", true, false);
      module(p + "bn2", {planes, hw, hw}, "BatchNorm2d", true, false);
      module(p + "relu2", {planes, hw, hw}, "ReLU", true, false);
      module(p + "avgpool", {planes, out_hw, out_hw}, b.stride > 1 ? "AvgPool2d" : "Identity", true,
             false);
      const Shape out_shape{planes * 4, out_hw, out_hw};
      module(p + "conv3", out_shape, "Conv2d", true, false);
      module(p + "bn3", out_shape, "BatchNorm2d", true, false);
      if (b.has_downsample) {
        module(p + "downsample.-1", {channels, out_hw, out_hw}, "AvgPool2d", true, false);
        module(p + "downsample.0", out_shape, "Conv2d", true, false);
        module(p + "downsample.1", out_shape, "BatchNorm2d", true, false);
        module(p + "downsample", out_shape, "Sequential", false, false);
      }
      t.push_back({p + "add", out_shape, "add", true, false, ""});
      module(p + "relu3", out_shape, "ReLU", true, false);
      module(stage + "." + std::to_string(i), out_shape, "Bottleneck", false, true);
      hw = out_hw;
      channels = planes * 4;
    }
    module(stage, {channels, hw, hw}, "Sequential", false, true);
  }
  module("attnpool", {config_.embed_dim}, "AttentionPool2d", true, true);
  return t;
}

// `x` by value: see ResNet::run_block (the shortcut handed over, overwritten with the output).
Tensor ClipResNet::run_block(const Block& b, const std::string& p, Tensor x,
                             const TapContext& ctx) const {
  auto tap = [&](const char* leaf, const Tensor& v) { ctx.tap(p + leaf, v); };
  // Each conv + BN + ReLU, and conv3 + BN + shortcut add + ReLU, run as one fused conv when no
  // tap needs the values in between (ConvBn::forward_tail). The shortcut is computed before
  // conv3 so it can be fused; taps are delivered by name, so their order does not matter.
  Tensor out = b.c1.forward_tail(x, ctx, p + "conv1", {p + "bn1"}, Tensor{}, true);
  tap("relu1", out);
  out = b.c2.forward_tail(out, ctx, p + "conv2", {p + "bn2"}, Tensor{}, true);
  tap("relu2", out);
  if (b.stride > 1) out = ops::avg_pool2d(out, b.stride, b.stride);
  tap("avgpool", out);
  Tensor identity = std::move(x);
  if (b.has_downsample) {
    identity = ops::avg_pool2d(identity, b.stride, b.stride);
    tap("downsample.-1", identity);
    identity =
        b.down.forward(identity, ctx, p + "downsample.0", {p + "downsample.1", p + "downsample"});
  }
  if (!ctx.wants(p + "add")) {
    out = b.c3.forward_tail(out, ctx, p + "conv3", {p + "bn3"}, std::move(identity), true);
  } else {
    out = b.c3.forward_tail(out, ctx, p + "conv3", {p + "bn3"}, std::move(identity), false);
    tap("add", out);
    out = ops::relu(out);
  }
  tap("relu3", out);
  return out;
}

bool ClipResNet::blocked_block(const Block& b, const std::string& p, const TapContext& ctx) const {
  if (!ops::blocked_layout() || ctx.wants_under(p)) return false;
  for (const ConvBn* c : {&b.c1, &b.c2, &b.c3})
    if (!c->folded() || !c->blocked_capable()) return false;
  return !b.has_downsample || (b.down.folded() && b.down.blocked_capable());
}

bool ClipResNet::blocked_stem(const TapContext& ctx) const {
  if (!ops::blocked_layout()) return false;
  for (std::size_t i = 1; i < stem_.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    if (!stem_[i].folded() || !stem_[i].blocked_capable() || ctx.wants("conv" + n) ||
        ctx.wants("bn" + n) || ctx.wants("relu" + n)) {
      return false;
    }
  }
  return true;
}

Tensor ClipResNet::run_block_blocked(const Block& b, Tensor x) const {
  Tensor out = b.c1.forward_blocked(x, Tensor{}, true);
  out = b.c2.forward_blocked(out, Tensor{}, true);
  // A 1×1 average pool (stride 1) is the identity, as in run_block.
  if (b.stride > 1) out = ops::avg_pool2d_blocked(out, b.stride, b.stride);
  Tensor identity = std::move(x);
  if (b.has_downsample) {
    if (b.stride > 1) identity = ops::avg_pool2d_blocked(identity, b.stride, b.stride);
    identity = b.down.forward_blocked(identity, Tensor{}, false);
  }
  return b.c3.forward_blocked(out, std::move(identity), true);
}

// AttentionPool2d: tokens = [mean; HW positions] + positional_embedding, then multi-head
// attention with the mean token as the only query, projected by c_proj.
Tensor ClipResNet::attention_pool(const Tensor& x) const {
  const std::int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  check(positional_embedding_.dim(0) == hw + 1, "model ", name(), ": the attention pool expects a ",
        config_.input_size, "x", config_.input_size, " input (", positional_embedding_.dim(0) - 1,
        " positions), got a ", x.dim(2) * 32, "x", x.dim(3) * 32, " one");
  const Tensor tokens = attention_pool_tokens(x, positional_embedding_);
  const Tensor query = select_token(tokens, 0).reshape({n, 1, c});
  const Tensor weights[] = {q_proj_.weight, k_proj_.weight, v_proj_.weight};
  const Tensor biases[] = {q_proj_.bias, k_proj_.bias, v_proj_.bias};
  const Tensor in_proj_weight = concat0(weights, 3);
  const Tensor in_proj_bias = concat0(biases, 3);
  // c_proj is the attention's output projection, as in CLIP's F.multi_head_attention_forward call.
  const Tensor pooled =
      ops::multi_head_attention(query, tokens, tokens, in_proj_weight, in_proj_bias, c_proj_.weight,
                                c_proj_.bias, config_.heads());
  return pooled.reshape({n, pooled.dim(2)});
}

Tensor ClipResNet::forward(const Tensor& images, TapContext& ctx) const {
  check_loaded();
  check_input(images);
  // Stem conv2 and conv3 and the blocks run on the channel-blocked layout where they can
  // (blocked_stem, blocked_block).
  BlockedActivation act(images);
  const bool stem_blocked = blocked_stem(ctx);
  for (std::size_t i = 0; i < stem_.size(); ++i) {
    if (i > 0 && stem_blocked) {
      act.use_blocked(true);
      act.set(stem_[i].forward_blocked(act.get(), Tensor{}, true));
    } else {
      act.set(stem_[i].forward_tail(act.get(), ctx, str("conv", i + 1), {str("bn", i + 1)},
                                    Tensor{}, true));
    }
    const std::string relu = str("relu", i + 1);
    act.tap(ctx, {&relu});
  }
  act.set(act.blocked() ? ops::avg_pool2d_blocked(act.get(), 2, 2)
                        : ops::avg_pool2d(act.get(), 2, 2));
  const std::string stem_pool = "avgpool";
  act.tap(ctx, {&stem_pool});
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
  Tensor x = attention_pool(act.get());
  ctx.tap("attnpool", x);
  return x;
}

}  // namespace repscope
