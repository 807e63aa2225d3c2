// BatchNorm folding (nn/layers/conv_bn.h): the folded convolution equals conv -> BatchNorm within
// float rounding on random weights with non-trivial statistics; models use it exactly when no
// tap observes a conv/bn pair and their folded weights are current (prepared, not stale).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nn/error.h"
#include "nn/layers/conv_bn.h"
#include "nn/models/clip_resnet.h"
#include "nn/models/resnet.h"
#include "nn/ops.h"
#include "weights/random_init.h"

namespace repscope {
namespace {

// max |a - b| / max |b|.
double relative_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < b.numel(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(a.at(i) - b.at(i))));
    scale = std::max(scale, static_cast<double>(std::fabs(b.at(i))));
  }
  return scale > 0 ? diff / scale : diff;
}

bool bit_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::equal(a.data<float>(), a.data<float>() + a.numel(), b.data<float>());
}

// U(lo, hi) of `shape`, seeded by `stream`.
Tensor uniform(const Shape& shape, double lo, double hi, std::uint64_t stream) {
  Tensor t = random_tensor(shape, Init::uniform((hi - lo) / 2), 7, stream);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] += static_cast<float>((hi + lo) / 2);
  return t;
}

// Trained-looking BatchNorm statistics (the ranges tests/python/model_ref_common.py uses).
void randomize_bn(BatchNorm2d& bn, std::uint64_t stream) {
  const Shape c{bn.channels};
  bn.weight = uniform(c, 0.5, 1.5, stream);
  bn.bias = uniform(c, -0.2, 0.2, stream + 1);
  bn.running_mean = uniform(c, -0.2, 0.2, stream + 2);
  bn.running_var = uniform(c, 0.5, 1.5, stream + 3);
}

// Every BatchNorm of a model (found by its running_var) gets non-trivial statistics.
void randomize_model_bns(Model& model) {
  ParamList params = model.parameters();
  std::uint64_t stream = 1000;
  for (const Param& p : params) {
    const std::string suffix = "running_var";
    if (p.name.size() < suffix.size() || p.name.substr(p.name.size() - suffix.size()) != suffix) {
      continue;
    }
    const std::string prefix = p.name.substr(0, p.name.size() - suffix.size());
    for (Param& q : params) {
      if (q.name == prefix + "weight") *q.tensor = uniform(q.shape, 0.5, 1.5, stream++);
      if (q.name == prefix + "bias") *q.tensor = uniform(q.shape, -0.2, 0.2, stream++);
      if (q.name == prefix + "running_mean") *q.tensor = uniform(q.shape, -0.2, 0.2, stream++);
      if (q.name == prefix + "running_var") *q.tensor = uniform(q.shape, 0.5, 1.5, stream++);
    }
  }
}

ConvBn make_conv_bn(int in, int out, int kernel, int stride, int pad, bool bias, int groups) {
  ConvBn cb(Conv2d(in, out, kernel, stride, pad, bias, groups), BatchNorm2d(out));
  cb.conv.weight = uniform({out, in / groups, kernel, kernel}, -0.3, 0.3, 1);
  if (bias) cb.conv.bias = uniform({out}, -0.3, 0.3, 2);
  randomize_bn(cb.bn, 10);
  return cb;
}

TEST(FoldBatchNorm, EqualsConvThenBatchNorm) {
  const Tensor x = uniform({2, 8, 13, 11}, -1, 1, 3);
  for (bool bias : {false, true}) {
    for (int groups : {1, 2}) {
      ConvBn cb = make_conv_bn(8, 12, 3, 2, 1, bias, groups);
      const Conv2d folded = fold_batch_norm(cb.conv, cb.bn);
      EXPECT_TRUE(folded.has_bias);
      const double err = relative_error(folded.forward(x), cb.forward_unfolded(x));
      EXPECT_LE(err, 1e-6) << "bias " << bias << " groups " << groups;
    }
  }
}

TEST(FoldBatchNorm, RejectsMismatchedLayers) {
  ConvBn cb = make_conv_bn(4, 6, 1, 1, 0, false, 1);
  BatchNorm2d other(5);
  randomize_bn(other, 20);
  try {
    fold_batch_norm(cb.conv, other);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("5 channels"), std::string::npos) << e.what();
  }
  cb.bn.running_var = Tensor{};
  try {
    fold_batch_norm(cb.conv, cb.bn);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("running_var"), std::string::npos) << e.what();
  }
}

TEST(ConvBn, FoldsOnlyWhenPreparedCurrentAndUnobserved) {
  ConvBn cb = make_conv_bn(6, 8, 3, 1, 1, false, 1);
  const Tensor x = uniform({1, 6, 9, 9}, -1, 1, 4);
  const Tensor exact = cb.forward_unfolded(x);
  TapContext none;
  EXPECT_FALSE(cb.folded()) << "never prepared";
  EXPECT_TRUE(bit_equal(cb.forward(x, none, "conv", {"bn"}), exact));

  cb.prepare();
  ASSERT_TRUE(cb.folded());
  const Tensor folded = cb.forward(x, none, "conv", {"bn"});
  EXPECT_FALSE(bit_equal(folded, exact)) << "the folded path rounds differently";
  EXPECT_LE(relative_error(folded, exact), 1e-6);

  // A selected conv or BatchNorm tap gets the exact unfolded values.
  for (const std::string wanted : {"conv", "bn", "bn_alias"}) {
    std::map<std::string, Tensor> got;
    TapContext ctx(TapSelection::of_names_unchecked({wanted}),
                   [&](const std::string& n, const Tensor& v) { got[n] = v; });
    const Tensor y = cb.forward(x, ctx, "conv", {"bn", "bn_alias"});
    EXPECT_TRUE(bit_equal(y, exact)) << wanted;
    ASSERT_EQ(got.size(), 1u) << wanted;
    EXPECT_TRUE(bit_equal(got.begin()->second, wanted == "conv" ? cb.conv.forward(x) : exact));
  }

  // Replacing any parameter (as a reload does) makes the fold stale until prepare() runs again.
  cb.bn.running_var = cb.bn.running_var.clone();
  EXPECT_FALSE(cb.folded());
  EXPECT_TRUE(bit_equal(cb.forward(x, none, "conv", {"bn"}), exact));
  cb.bn.running_var.data<float>()[0] = 4.0f;  // in place: prepare() is what picks it up
  cb.prepare();
  EXPECT_TRUE(cb.folded());
  EXPECT_LE(relative_error(cb.forward(x, none, "conv", {"bn"}), cb.forward_unfolded(x)), 1e-6);
  cb.conv.weight = uniform(cb.conv.weight.shape(), -0.3, 0.3, 99);
  EXPECT_FALSE(cb.folded());

  // prepare() on incomplete parameters leaves the layer unfolded instead of failing.
  cb.bn.bias = Tensor{};
  cb.prepare();
  EXPECT_FALSE(cb.folded());
}

// Runs `model` twice: every tap selected (nothing folded: the exact path the PyTorch parity
// tests check) and the `blocks` preset (folded); block outputs must agree within `tol`.
void expect_blocks_fold(Model& model, int size, double tol) {
  randomize_model_bns(model);
  const Tensor x = uniform({2, 3, size, size}, -2, 2, 5);
  const auto taps = model.taps();
  const auto exact = model.run(x, TapSelection::parse("all", taps));

  const auto unprepared = model.run(x, TapSelection::parse("blocks", taps));
  for (const auto& [name, value] : unprepared) {
    EXPECT_TRUE(bit_equal(value, exact.at(name))) << "unprepared model folded at " << name;
  }

  model.prepare();
  // Folded, in NCHW (conv2d) and, where the CPU runs it fast, on the channel-blocked layout
  // (conv2d_blocked): both within `tol` of the unfolded values.
  const bool blocked_before = ops::blocked_layout();
  ops::set_blocked_layout(false);
  const auto folded = model.run(x, TapSelection::parse("blocks", taps));
  // With the residual adds selected, each block's last conv fuses only the add and runs the ReLU
  // separately; without, it fuses both (ops::conv2d's fused tail): the same bits either way.
  const auto with_adds = model.run(x, TapSelection::parse("blocks,*.add", taps));
  ops::set_blocked_layout(true);
  const bool blocked = ops::blocked_layout();
  const auto folded_blocked = model.run(x, TapSelection::parse("blocks", taps));
  ops::set_blocked_layout(blocked_before);
  ASSERT_FALSE(folded.empty());
  for (const auto& [name, value] : folded) {
    EXPECT_TRUE(bit_equal(value, with_adds.at(name))) << "fused tail differs at " << name;
  }
  for (const auto* run : {&folded, &folded_blocked}) {
    double worst = 0;
    std::string worst_name;
    for (const auto& [name, value] : *run) {
      const double err = relative_error(value, exact.at(name));
      EXPECT_LE(err, tol) << name;
      if (err > worst) worst = err, worst_name = name;
    }
    const std::string last = TapSelection::parse("blocks", taps).names().back();
    EXPECT_FALSE(bit_equal(run->at(last), exact.at(last))) << "the folded path was not taken";
    std::printf(
        "[ %s ] %zu block taps, folded%s vs unfolded worst relative error %.3g (%s)\n",
        model.name().c_str(), run->size(),
        run == &folded ? "" : (blocked ? " (blocked layout)" : " (blocked layout off here)"), worst,
        worst_name.c_str());
  }
  if (blocked) {
    const std::string last = TapSelection::parse("blocks", taps).names().back();
    EXPECT_FALSE(bit_equal(folded_blocked.at(last), folded.at(last)))
        << "the blocked layout was not taken";
  }
}

TEST(ModelFolding, ResNet18) {
  ResNet model(resnet_config("resnet18"));
  random_init(model, 1);
  expect_blocks_fold(model, 96, 1e-5);
}

TEST(ModelFolding, ResNet50) {
  ResNet model(resnet_config("resnet50"));
  random_init(model, 2);
  expect_blocks_fold(model, 96, 1e-5);
}

TEST(ModelFolding, ClipRN50Reduced) {
  ClipResNet model({"clip_rn50", {1, 1, 2, 1}, 64, 1024, 64});
  random_init(model, 3);
  expect_blocks_fold(model, 64, 1e-5);
}

TEST(ModelFolding, RandomInitRefolds) {
  ResNet model(resnet_config("resnet18"));
  random_init(model, 4);
  const Tensor x = uniform({1, 3, 64, 64}, -2, 2, 6);
  const auto blocks = TapSelection::parse("blocks", model.taps());
  const Tensor first = model.run(x, blocks).at("fc");
  random_init(model, 5);  // new tensors: the folds of seed 4 must not be used
  const Tensor second = model.run(x, blocks).at("fc");
  const Tensor exact = model.run(x, TapSelection::parse("all", model.taps())).at("fc");
  EXPECT_LE(relative_error(second, exact), 1e-5);
  EXPECT_GT(relative_error(first, exact), 1e-2);
}

}  // namespace
}  // namespace repscope
