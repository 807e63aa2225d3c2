// Element-wise kernels: fixed chunks over the flat tensor, in parallel.
#include <algorithm>
#include <cmath>

#include "nn/ops/cpu/cpu.h"
#include "nn/ops/cpu/vector_math.h"
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

// GELU and QuickGELU in blocks: the argument of erf / exp for a block, the vector function on
// it, then the formula. Every value takes the same path wherever a block boundary falls.
template <typename Argument, typename VectorFn, typename Finish>
Tensor map_through(const Tensor& x, Argument argument, VectorFn vector_fn, Finish finish) {
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  parallel_for(0, x.numel(), kGrain, [&](std::int64_t b, std::int64_t e) {
    constexpr std::int64_t kBlock = 1024;
    float t[kBlock];
    for (std::int64_t s = b; s < e; s += kBlock) {
      const std::int64_t len = std::min(kBlock, e - s);
      for (std::int64_t i = 0; i < len; ++i) t[i] = argument(xp[s + i]);
      vector_fn(t, t, len);
      for (std::int64_t i = 0; i < len; ++i) yp[s + i] = finish(xp[s + i], t[i]);
    }
  });
  return out;
}

Tensor gelu(const Tensor& x) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
  return map_through(
      x, [](float v) { return v * kInvSqrt2; }, vector_erf,
      [](float v, float erf) { return 0.5f * v * (1.0f + erf); });
}

Tensor quick_gelu(const Tensor& x) {
  return map_through(
      x, [](float v) { return -1.702f * v; }, vector_exp,
      [](float v, float e) { return v / (1.0f + e); });
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
