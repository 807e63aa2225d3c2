// Single-precision matrix multiply on row-major matrices, the workhorse of conv2d, linear,
// matmul and attention. Backed by Eigen's blocked, vectorised GEMM (float accumulation, like
// the BLAS PyTorch calls).
#pragma once

#include <cstdint>

namespace repscope {

// C = op(A) · op(B), or C += op(A) · op(B) when `accumulate`.
// op(A) is m×k and op(B) is k×n; C is m×n. Matrices are row-major with leading dimensions
// (row pitch in elements) lda, ldb, ldc. With trans_a, A is stored k×m (element (i, p) of op(A)
// at a[p * lda + i]); likewise trans_b stores B as n×k — torch Linear's weight layout.
// Single-threaded: callers parallelise around it.
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
          bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c, std::int64_t ldc,
          bool accumulate = false);

// gemm split into output tiles whose sizes depend only on (m, n, k), run in parallel over the
// repscope thread pool. The result is bit-identical for every thread count.
void gemm_parallel(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                   bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c,
                   std::int64_t ldc, bool accumulate = false);

}  // namespace repscope
