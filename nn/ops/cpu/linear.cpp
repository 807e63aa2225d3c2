// linear and matmul on the tiled parallel GEMM.
#include <algorithm>

#include "nn/gemm.h"
#include "nn/ops/cpu/cpu.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {
namespace {

// Adds bias[j] to every row of y [rows, n].
void add_row_bias(float* y, std::int64_t rows, std::int64_t n, const float* bias) {
  if (!bias) return;
  parallel_for(0, rows, std::max<std::int64_t>(1, 16384 / n),
               [&](std::int64_t r0, std::int64_t r1) {
                 for (std::int64_t r = r0; r < r1; ++r) {
                   for (std::int64_t j = 0; j < n; ++j) y[r * n + j] += bias[j];
                 }
               });
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const std::int64_t rows = detail::leading_rows(x);
  const std::int64_t in = weight.dim(1), outf = weight.dim(0);
  Shape shape = x.shape();
  shape.back() = outf;
  Tensor out = Tensor::empty(shape);
  float* yp = out.data<float>();
  gemm_parallel(rows, outf, in, x.data<float>(), in, false, weight.data<float>(), in, true, yp,
                outf);
  add_row_bias(yp, rows, outf, detail::optional_data(bias));
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t rows = detail::leading_rows(a);
  const std::int64_t k = b.dim(0), n = b.dim(1);
  Shape shape = a.shape();
  shape.back() = n;
  Tensor out = Tensor::empty(shape);
  gemm_parallel(rows, n, k, a.data<float>(), k, false, b.data<float>(), n, false, out.data<float>(),
                n);
  return out;
}

}  // namespace repscope::ops::cpu
