// Reference element-wise ops, in double.
#include <cmath>

#include "nn/ops/reference/reference.h"

namespace repscope::ops::reference {
namespace {

template <typename F>
Tensor map(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  for (std::int64_t i = 0; i < x.numel(); ++i)
    yp[i] = static_cast<float>(f(static_cast<double>(xp[i])));
  return out;
}

}  // namespace

Tensor relu(const Tensor& x) {
  // NaN stays NaN, as torch.relu.
  return map(x, [](double v) { return v < 0.0 ? 0.0 : v; });
}

Tensor gelu(const Tensor& x) {
  return map(x, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
}

Tensor quick_gelu(const Tensor& x) {
  return map(x, [](double v) { return v / (1.0 + std::exp(-1.702 * v)); });
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape());
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* yp = out.data<float>();
  for (std::int64_t i = 0; i < a.numel(); ++i) yp[i] = ap[i] + bp[i];
  return out;
}

}  // namespace repscope::ops::reference
