// Reference linear and matmul: dot products accumulated in double.
#include "nn/ops/kernel_util.h"
#include "nn/ops/reference/reference.h"

namespace repscope::ops::reference {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const std::int64_t rows = detail::leading_rows(x);
  const std::int64_t in = weight.dim(1), outf = weight.dim(0);
  Shape shape = x.shape();
  shape.back() = outf;
  Tensor out = Tensor::empty(shape);
  const float* xp = x.data<float>();
  const float* wp = weight.data<float>();
  const float* bp = detail::optional_data(bias);
  float* yp = out.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t o = 0; o < outf; ++o) {
      double acc = bp ? bp[o] : 0.0;
      for (std::int64_t k = 0; k < in; ++k)
        acc += static_cast<double>(xp[r * in + k]) * wp[o * in + k];
      yp[r * outf + o] = static_cast<float>(acc);
    }
  }
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t k_dim = b.dim(0), n_dim = b.dim(1);
  const std::int64_t rows = detail::leading_rows(a);
  Shape shape = a.shape();
  shape.back() = n_dim;
  Tensor out = Tensor::empty(shape);
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* yp = out.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t j = 0; j < n_dim; ++j) {
      double acc = 0.0;
      for (std::int64_t k = 0; k < k_dim; ++k)
        acc += static_cast<double>(ap[r * k_dim + k]) * bp[k * n_dim + j];
      yp[r * n_dim + j] = static_cast<float>(acc);
    }
  }
  return out;
}

}  // namespace repscope::ops::reference
