// Reference multi-head attention: projections, per-head scaled dot products and softmax, all in
// double, following torch.nn.functional.multi_head_attention_forward step by step.
#include <cmath>
#include <vector>

#include "nn/ops/kernel_util.h"
#include "nn/ops/reference/reference.h"

namespace repscope::ops::reference {
namespace {

// rows [L, E] of `x` times rows [row0, row0+E) of w [*, E]^T plus bias -> [L, E] in double.
std::vector<double> project(const float* x, std::int64_t len, std::int64_t e, const float* w,
                            const float* b, std::int64_t row0) {
  std::vector<double> out(static_cast<std::size_t>(len * e));
  for (std::int64_t t = 0; t < len; ++t) {
    for (std::int64_t o = 0; o < e; ++o) {
      double acc = b ? b[row0 + o] : 0.0;
      for (std::int64_t k = 0; k < e; ++k)
        acc += static_cast<double>(x[t * e + k]) * w[(row0 + o) * e + k];
      out[static_cast<std::size_t>(t * e + o)] = acc;
    }
  }
  return out;
}

}  // namespace

Tensor multi_head_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                            const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                            int num_heads) {
  const std::int64_t n = query.dim(0), lq = query.dim(1), e = query.dim(2), lk = key.dim(1);
  const std::int64_t hd = e / num_heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  const float* wi = in_proj_weight.data<float>();
  const float* bi = detail::optional_data(in_proj_bias);
  const float* wo = out_proj_weight.data<float>();
  const float* bo = detail::optional_data(out_proj_bias);
  const std::int64_t width = out_proj_weight.dim(0);
  Tensor out = Tensor::empty({n, lq, width});
  float* yp = out.data<float>();
  std::vector<double> scores(static_cast<std::size_t>(lk));
  std::vector<double> context(static_cast<std::size_t>(lq * e));
  for (std::int64_t b = 0; b < n; ++b) {
    const auto q = project(query.data<float>() + b * lq * e, lq, e, wi, bi, 0);
    const auto k = project(key.data<float>() + b * lk * e, lk, e, wi, bi, e);
    const auto v = project(value.data<float>() + b * lk * e, lk, e, wi, bi, 2 * e);
    for (std::int64_t h = 0; h < num_heads; ++h) {
      for (std::int64_t i = 0; i < lq; ++i) {
        double mx = -INFINITY;
        for (std::int64_t j = 0; j < lk; ++j) {
          double s = 0.0;
          for (std::int64_t d = 0; d < hd; ++d) {
            s += q[static_cast<std::size_t>(i * e + h * hd + d)] *
                 k[static_cast<std::size_t>(j * e + h * hd + d)];
          }
          scores[static_cast<std::size_t>(j)] = s * scale;
          mx = std::max(mx, s * scale);
        }
        double sum = 0.0;
        for (double& s : scores) sum += (s = std::exp(s - mx));
        for (std::int64_t d = 0; d < hd; ++d) {
          double acc = 0.0;
          for (std::int64_t j = 0; j < lk; ++j) {
            acc += scores[static_cast<std::size_t>(j)] *
                   v[static_cast<std::size_t>(j * e + h * hd + d)];
          }
          context[static_cast<std::size_t>(i * e + h * hd + d)] = acc / sum;
        }
      }
    }
    for (std::int64_t i = 0; i < lq; ++i) {
      for (std::int64_t o = 0; o < width; ++o) {
        double acc = bo ? bo[o] : 0.0;
        for (std::int64_t d = 0; d < e; ++d)
          acc += context[static_cast<std::size_t>(i * e + d)] * wo[o * e + d];
        yp[(b * lq + i) * width + o] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

}  // namespace repscope::ops::reference
