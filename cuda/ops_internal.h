// Internal helpers of the CUDA op wrappers (not part of the public API).
#pragma once

#include <cublas_v2.h>

#include <string_view>

#include "nn/tensor.h"

namespace repscope::cuda::detail {

inline const float* in(const Tensor& t) {
  return t.defined() ? t.data<float>() : nullptr;
}
inline float* out(const Tensor& t) {
  return t.data<float>();
}

// Column-major C = alpha * op(A) * op(B) + beta * C on fp32 matrices, with the compute type of
// the current precision (exact: CUBLAS_COMPUTE_32F, tf32: _FAST_TF32, fp16: _FAST_16F, bf16:
// _FAST_16BF). `what` names the op in errors.
void gemm(cublasOperation_t ta, cublasOperation_t tb, std::int64_t m, std::int64_t n,
          std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,
          std::int64_t ldb, float beta, float* c, std::int64_t ldc, std::string_view what);
void gemm_strided_batched(cublasOperation_t ta, cublasOperation_t tb, std::int64_t m,
                          std::int64_t n, std::int64_t k, float alpha, const float* a,
                          std::int64_t lda, std::int64_t stride_a, const float* b, std::int64_t ldb,
                          std::int64_t stride_b, float beta, float* c, std::int64_t ldc,
                          std::int64_t stride_c, std::int64_t batch, std::string_view what);

// Row-major y[rows, out] = x[rows, in] @ w[out, in]^T (+ bias[out]); y preallocated.
void linear_rows(const float* x, const float* w, const float* bias, float* y, std::int64_t rows,
                 std::int64_t in_features, std::int64_t out_features, std::string_view what);

}  // namespace repscope::cuda::detail
