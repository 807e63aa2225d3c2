// Op-level parity with PyTorch: tests/python/ref_ops.py runs each op in torch (conv2d,
// batch_norm, the activations, pooling, linear, matmul, layer_norm, softmax and
// nn.MultiheadAttention) on seeded random inputs; every registered CPU backend must match
// torch's output to max|a - b| / max|torch| <= 1e-5.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>

#include "io/safetensors.h"
#include "nn/ops.h"
#include "nn/ops/registry.h"
#include "tests/support/test_env.h"

namespace repscope::ops {
namespace {

constexpr double kTolerance = 1e-5;

Tensor run_case(const std::string& op, const std::vector<Tensor>& in, std::istringstream& args) {
  if (op == "conv2d") {
    int s = 0, p = 0, g = 1;
    args >> s >> p >> g;
    return conv2d(in[0], in[1], in[2], s, p, g);
  }
  if (op == "batch_norm") {
    float eps = 0;
    args >> eps;
    return batch_norm(in[0], in[1], in[2], in[3], in[4], eps);
  }
  if (op == "relu") return relu(in[0]);
  if (op == "gelu") return gelu(in[0]);
  if (op == "quick_gelu") return quick_gelu(in[0]);
  if (op == "add") return add(in[0], in[1]);
  if (op == "max_pool2d" || op == "avg_pool2d") {
    int k = 0, s = 0, p = 0;
    args >> k >> s >> p;
    return op == "max_pool2d" ? max_pool2d(in[0], k, s, p) : avg_pool2d(in[0], k, s, p);
  }
  if (op == "adaptive_avg_pool2d_1x1") return adaptive_avg_pool2d_1x1(in[0]);
  if (op == "linear") return linear(in[0], in[1], in[2]);
  if (op == "matmul") return matmul(in[0], in[1]);
  if (op == "layer_norm") {
    float eps = 0;
    args >> eps;
    return layer_norm(in[0], in[1], in[2], eps);
  }
  if (op == "softmax_lastdim") return softmax_lastdim(in[0]);
  if (op == "multi_head_attention") {
    int heads = 0;
    args >> heads;
    return multi_head_attention(in[0], in[1], in[2], in[3], in[4], in[5], in[6], heads);
  }
  ADD_FAILURE() << "unknown op " << op;
  return {};
}

TEST(OpsTorchParity, EveryCpuBackendMatchesTorch) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("ref_ops.py", test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const SafetensorsFile file = SafetensorsFile::open(dir / "ops.safetensors");
  ASSERT_FALSE(file.metadata().empty());
  for (const auto& [name, spec] : file.metadata()) {
    std::istringstream args(spec);
    std::string op;
    int n_inputs = 0;
    args >> op >> n_inputs;
    std::vector<Tensor> in;
    for (int i = 0; i < n_inputs; ++i) {
      const std::string key = name + ".in" + std::to_string(i);
      in.push_back(file.contains(key) ? file.tensor_f32(key).clone() : Tensor{});
    }
    const Tensor want = file.tensor_f32(name + ".out");
    const auto args_pos = args.tellg();
    for (Backend b : {Backend::Reference, Backend::Cpu}) {
      if (!has_kernel(OpId::Relu, b)) continue;
      ScopedBackend scope(b);
      args.clear();
      args.seekg(args_pos);
      const Tensor got = run_case(op, in, args);
      ASSERT_EQ(shape_str(got.shape()), shape_str(want.shape())) << name;
      double max_ref = 0, max_diff = 0;
      for (std::int64_t i = 0; i < want.numel(); ++i) {
        max_ref = std::max(max_ref, std::fabs(static_cast<double>(want.at(i))));
        max_diff = std::max(max_diff, std::fabs(static_cast<double>(want.at(i)) - got.at(i)));
      }
      const double rel = max_diff / std::max(max_ref, 1e-30);
      std::cout << "  " << name << " [" << backend_name(b) << "] rel err " << rel << "\n";
      EXPECT_LE(rel, kTolerance) << name << " on " << backend_name(b);
    }
  }
}

}  // namespace
}  // namespace repscope::ops
