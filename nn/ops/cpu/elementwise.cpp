// Element-wise kernels: fixed chunks over the flat tensor, in parallel.
#include <cmath>

#include "nn/ops/cpu/cpu.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {
namespace {

constexpr std::int64_t kGrain = 1 << 14;

template <typename F>
Tensor map(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  parallel_for(0, x.numel(), kGrain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) yp[i] = f(xp[i]);
  });
  return out;
}

}  // namespace

Tensor relu(const Tensor& x) {
  // `v < 0 ? 0 : v` keeps NaN, as torch.relu does.
  return map(x, [](float v) { return v < 0.0f ? 0.0f : v; });
}

Tensor gelu(const Tensor& x) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
  return map(x, [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); });
}

Tensor quick_gelu(const Tensor& x) {
  return map(x, [](float v) { return v / (1.0f + std::exp(-1.702f * v)); });
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape());
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* yp = out.data<float>();
  parallel_for(0, a.numel(), kGrain, [&](std::int64_t s, std::int64_t e) {
    for (std::int64_t i = s; i < e; ++i) yp[i] = ap[i] + bp[i];
  });
  return out;
}

}  // namespace repscope::ops::cpu
