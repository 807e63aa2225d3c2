// Reference normalisations and softmax, in double.
#include <cmath>

#include "nn/ops/kernel_util.h"
#include "nn/ops/reference/reference.h"

namespace repscope::ops::reference {

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, float eps) {
  const std::int64_t n = x.dim(0), c = x.dim(1);
  const std::int64_t inner = x.numel() / (n * c == 0 ? 1 : n * c);
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  const float* wp = detail::optional_data(weight);
  const float* bp = detail::optional_data(bias);
  const float* mp = running_mean.data<float>();
  const float* vp = running_var.data<float>();
  float* yp = out.data<float>();
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t ch = 0; ch < c; ++ch) {
      const double inv = 1.0 / std::sqrt(static_cast<double>(vp[ch]) + static_cast<double>(eps));
      const double g = wp ? wp[ch] : 1.0;
      const double beta = bp ? bp[ch] : 0.0;
      const std::int64_t base = (b * c + ch) * inner;
      for (std::int64_t i = 0; i < inner; ++i) {
        yp[base + i] =
            static_cast<float>((xp[base + i] - static_cast<double>(mp[ch])) * inv * g + beta);
      }
    }
  }
  return out;
}

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  const std::int64_t d = x.dim(-1), rows = detail::leading_rows(x);
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  const float* wp = detail::optional_data(weight);
  const float* bp = detail::optional_data(bias);
  float* yp = out.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = xp + r * d;
    double mean = 0.0;
    for (std::int64_t i = 0; i < d; ++i) mean += row[i];
    mean /= static_cast<double>(d);
    double var = 0.0;
    for (std::int64_t i = 0; i < d; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= static_cast<double>(d);
    const double inv = 1.0 / std::sqrt(var + static_cast<double>(eps));
    for (std::int64_t i = 0; i < d; ++i) {
      const double v = (row[i] - mean) * inv * (wp ? wp[i] : 1.0) + (bp ? bp[i] : 0.0);
      yp[r * d + i] = static_cast<float>(v);
    }
  }
  return out;
}

Tensor softmax_lastdim(const Tensor& x) {
  const std::int64_t d = x.dim(-1), rows = detail::leading_rows(x);
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = xp + r * d;
    double mx = row[0];
    for (std::int64_t i = 1; i < d; ++i) mx = row[i] > mx ? row[i] : mx;
    double sum = 0.0;
    for (std::int64_t i = 0; i < d; ++i) sum += std::exp(row[i] - mx);
    for (std::int64_t i = 0; i < d; ++i)
      yp[r * d + i] = static_cast<float>(std::exp(row[i] - mx) / sum);
  }
  return out;
}

}  // namespace repscope::ops::reference
