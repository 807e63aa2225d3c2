// linear, matmul and multi_head_attention on cuBLAS.
//
// Row-major tensors are handed to column-major cuBLAS as their transposes: a row-major [M, K]
// buffer is a column-major K x M matrix, so y = x W^T (row-major) is computed as the
// column-major product y^T = W x^T, i.e. GEMM(op_T on W, op_N on x).
#include <cmath>
#include <limits>

#include "cuda/backend.h"
#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/kernels.h"
#include "cuda/memory_pool.h"
#include "cuda/ops_internal.h"
#include "cuda/precision.h"
#include "nn/error.h"

namespace repscope::cuda {
namespace detail {
namespace {

cublasComputeType_t compute_type() {
  switch (precision()) {
    case Precision::Exact:
      return CUBLAS_COMPUTE_32F;
    case Precision::Tf32:
      return CUBLAS_COMPUTE_32F_FAST_TF32;
    case Precision::Fp16:
      return CUBLAS_COMPUTE_32F_FAST_16F;
    case Precision::Bf16:
      return CUBLAS_COMPUTE_32F_FAST_16BF;
  }
  return CUBLAS_COMPUTE_32F;
}

int to_int(std::int64_t v, std::string_view what) {
  check(v >= 0 && v <= std::numeric_limits<int>::max(), "cuda: ", what, ": dimension ", v,
        " exceeds cuBLAS's 32-bit limit");
  return static_cast<int>(v);
}

cublasHandle_t handle_for_precision() {
  cublasHandle_t h = context().cublas;
  // Default math: with CUBLAS_COMPUTE_32F no tensor-core down-conversion happens, so exact mode
  // really is fp32; the fast modes ask for it through the compute type instead.
  check_cublas(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  return h;
}

}  // namespace

void gemm(cublasOperation_t ta, cublasOperation_t tb, std::int64_t m, std::int64_t n,
          std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,
          std::int64_t ldb, float beta, float* c, std::int64_t ldc, std::string_view what) {
  if (m == 0 || n == 0) return;
  check_cublas(cublasGemmEx(handle_for_precision(), ta, tb, to_int(m, what), to_int(n, what),
                            to_int(k, what), &alpha, a, CUDA_R_32F, to_int(lda, what), b,
                            CUDA_R_32F, to_int(ldb, what), &beta, c, CUDA_R_32F, to_int(ldc, what),
                            compute_type(), CUBLAS_GEMM_DEFAULT),
               str(what, ": cublasGemmEx"));
}

void gemm_strided_batched(cublasOperation_t ta, cublasOperation_t tb, std::int64_t m,
                          std::int64_t n, std::int64_t k, float alpha, const float* a,
                          std::int64_t lda, std::int64_t stride_a, const float* b, std::int64_t ldb,
                          std::int64_t stride_b, float beta, float* c, std::int64_t ldc,
                          std::int64_t stride_c, std::int64_t batch, std::string_view what) {
  if (m == 0 || n == 0 || batch == 0) return;
  check_cublas(cublasGemmStridedBatchedEx(
                   handle_for_precision(), ta, tb, to_int(m, what), to_int(n, what),
                   to_int(k, what), &alpha, a, CUDA_R_32F, to_int(lda, what), stride_a, b,
                   CUDA_R_32F, to_int(ldb, what), stride_b, &beta, c, CUDA_R_32F, to_int(ldc, what),
                   stride_c, to_int(batch, what), compute_type(), CUBLAS_GEMM_DEFAULT),
               str(what, ": cublasGemmStridedBatchedEx"));
}

void linear_rows(const float* x, const float* w, const float* bias, float* y, std::int64_t rows,
                 std::int64_t in_features, std::int64_t out_features, std::string_view what) {
  if (rows == 0 || out_features == 0) return;
  float beta = 0.0f;
  if (bias != nullptr) {
    kernels::broadcast_rows(bias, y, rows, out_features, stream());
    check_launch(what);
    beta = 1.0f;
  }
  if (in_features == 0) {
    if (bias == nullptr) {
      const auto bytes = static_cast<std::size_t>(rows * out_features) * sizeof(float);
      check_cuda(cudaMemsetAsync(y, 0, bytes, stream()), what);
    }
    return;
  }
  gemm(CUBLAS_OP_T, CUBLAS_OP_N, out_features, rows, in_features, 1.0f, w, in_features, x,
       in_features, beta, y, out_features, what);
}

}  // namespace detail

using detail::in;
using detail::out;

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const std::int64_t k = x.dim(-1), n = weight.dim(0);
  Shape shape = x.shape();
  shape.back() = n;
  Tensor y = empty(shape, DType::F32, "linear");
  std::int64_t rows = 1;
  for (int i = 0; i + 1 < x.ndim(); ++i) rows *= x.dim(i);
  detail::linear_rows(in(x), in(weight), in(bias), out(y), rows, k, n, "linear");
  return y;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t k = b.dim(0), n = b.dim(1);
  Shape shape = a.shape();
  shape.back() = n;
  Tensor y = empty(shape, DType::F32, "matmul");
  const std::int64_t m = n == 0 ? 0 : y.numel() / n;
  if (m == 0 || n == 0) return y;
  if (k == 0) {
    check_cuda(cudaMemsetAsync(out(y), 0, y.nbytes(), stream()), "matmul");
    return y;
  }
  // Row-major y[m, n] = a[m, k] b[k, n]  <=>  column-major y^T = b^T a^T.
  detail::gemm(CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, 1.0f, in(b), n, in(a), k, 0.0f, out(y), n,
               "matmul");
  return y;
}

Tensor multi_head_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                            const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                            int num_heads) {
  constexpr std::string_view what = "multi_head_attention";
  const std::int64_t n = query.dim(0), lq = query.dim(1), lk = key.dim(1), e = query.dim(2);
  const std::int64_t h = num_heads, dh = e / h;
  cudaStream_t s = stream();
  const float* w = in(in_proj_weight);
  const float* bias = in(in_proj_bias);
  auto bias_at = [&](std::int64_t part) { return bias ? bias + part * e : nullptr; };

  Tensor q = empty({n, h, lq, dh}, DType::F32, what);
  Tensor k = empty({n, h, lk, dh}, DType::F32, what);
  Tensor v = empty({n, h, lk, dh}, DType::F32, what);
  const bool self = query.storage() == key.storage() && query.offset() == key.offset() &&
                    key.storage() == value.storage() && key.offset() == value.offset() &&
                    query.shape() == key.shape() && key.shape() == value.shape();
  if (self) {
    // One GEMM for q, k and v together: [n*l, 3e].
    Tensor qkv = empty({n, lq, 3 * e}, DType::F32, what);
    detail::linear_rows(in(query), w, bias, out(qkv), n * lq, e, 3 * e, what);
    kernels::split_heads(in(qkv), 3 * e, 0, out(q), n, lq, num_heads, dh, s);
    kernels::split_heads(in(qkv), 3 * e, e, out(k), n, lk, num_heads, dh, s);
    kernels::split_heads(in(qkv), 3 * e, 2 * e, out(v), n, lk, num_heads, dh, s);
  } else {
    Tensor proj_q = empty({n, lq, e}, DType::F32, what);
    Tensor proj_k = empty({n, lk, e}, DType::F32, what);
    Tensor proj_v = empty({n, lk, e}, DType::F32, what);
    detail::linear_rows(in(query), w, bias_at(0), out(proj_q), n * lq, e, e, what);
    detail::linear_rows(in(key), w + e * e, bias_at(1), out(proj_k), n * lk, e, e, what);
    detail::linear_rows(in(value), w + 2 * e * e, bias_at(2), out(proj_v), n * lk, e, e, what);
    kernels::split_heads(in(proj_q), e, 0, out(q), n, lq, num_heads, dh, s);
    kernels::split_heads(in(proj_k), e, 0, out(k), n, lk, num_heads, dh, s);
    kernels::split_heads(in(proj_v), e, 0, out(v), n, lk, num_heads, dh, s);
  }
  check_launch(what);

  // scores[b] (row-major [lq, lk]) = q[b] k[b]^T / sqrt(dh); column-major: scores^T = k q^T.
  Tensor scores = empty({n * h, lq, lk}, DType::F32, what);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  detail::gemm_strided_batched(CUBLAS_OP_T, CUBLAS_OP_N, lk, lq, dh, scale, in(k), dh, lk * dh,
                               in(q), dh, lq * dh, 0.0f, out(scores), lk, lq * lk, n * h, what);
  kernels::softmax_v2(in(scores), out(scores), n * h * lq, lk, s);
  check_launch(what);
  // ctx[b] (row-major [lq, dh]) = p[b] v[b]; column-major: ctx^T = v^T p^T.
  Tensor ctx = empty({n, h, lq, dh}, DType::F32, what);
  detail::gemm_strided_batched(CUBLAS_OP_N, CUBLAS_OP_N, dh, lq, lk, 1.0f, in(v), dh, lk * dh,
                               in(scores), lk, lq * lk, 0.0f, out(ctx), dh, lq * dh, n * h, what);
  Tensor merged = empty({n, lq, e}, DType::F32, what);
  kernels::merge_heads(in(ctx), out(merged), n, lq, num_heads, dh, s);
  check_launch(what);
  const std::int64_t width = out_proj_weight.dim(0);
  Tensor y = empty({n, lq, width}, DType::F32, what);
  detail::linear_rows(in(merged), in(out_proj_weight), in(out_proj_bias), out(y), n * lq, e, width,
                      what);
  return y;
}

}  // namespace repscope::cuda
