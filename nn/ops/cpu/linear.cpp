// linear and matmul on the parallel GEMM; linear's bias is added in the GEMM epilogue.
#include <algorithm>

#include "nn/gemm.h"
#include "nn/ops/cpu/cpu.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const std::int64_t rows = detail::leading_rows(x);
  const std::int64_t in = weight.dim(1), outf = weight.dim(0);
  Shape shape = x.shape();
  shape.back() = outf;
  Tensor out = Tensor::empty(shape);
  float* yp = out.data<float>();
  GemmEpilogue epilogue;
  epilogue.col_bias = detail::optional_data(bias);
  gemm_parallel(rows, outf, in, x.data<float>(), in, false, weight.data<float>(), in, true, yp,
                outf, false, epilogue);
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
