#include "nn/gemm.h"

// GCC 12 reports false "may be used uninitialized" warnings inside its AVX-512 intrinsics when
// Eigen's GEMM kernels are inlined here (-march=native on AVX-512 machines).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>

#include <Eigen/Core>

#include "nn/parallel.h"

namespace repscope {
namespace {

using Stride = Eigen::OuterStride<>;
template <int Order>
using ConstMap =
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Order>, 0, Stride>;
using OutMap =
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Stride>;

// A row-major matrix stored transposed is a column-major map of the logical matrix.
template <int OrderA, int OrderB>
void gemm_eigen(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                const float* b, std::int64_t ldb, float* c, std::int64_t ldc, bool accumulate) {
  ConstMap<OrderA> ma(a, m, k, Stride(lda));
  ConstMap<OrderB> mb(b, k, n, Stride(ldb));
  OutMap mc(c, m, n, Stride(ldc));
  if (accumulate) {
    mc.noalias() += ma * mb;
  } else {
    mc.noalias() = ma * mb;
  }
}

// Output tile sizes for gemm_parallel: fixed by the problem shape alone (never by the thread
// count), so each element is computed by the same sequence of operations in every run.
constexpr std::int64_t kTileM = 192;
constexpr std::int64_t kTileN = 384;
// Below this many multiply-adds a product is not worth splitting.
constexpr std::int64_t kSplitThreshold = std::int64_t{1} << 18;

}  // namespace

void gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
          bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c, std::int64_t ldc,
          bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (std::int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    }
    return;
  }
  constexpr int R = Eigen::RowMajor;
  constexpr int C = Eigen::ColMajor;
  if (!trans_a && !trans_b) gemm_eigen<R, R>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  if (!trans_a && trans_b) gemm_eigen<R, C>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  if (trans_a && !trans_b) gemm_eigen<C, R>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  if (trans_a && trans_b) gemm_eigen<C, C>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

void gemm_parallel(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                   bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c,
                   std::int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (m * n * std::max<std::int64_t>(k, 1) <= kSplitThreshold) {
    gemm(m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc, accumulate);
    return;
  }
  const std::int64_t tiles_m = (m + kTileM - 1) / kTileM;
  const std::int64_t tiles_n = (n + kTileN - 1) / kTileN;
  parallel_for(0, tiles_m * tiles_n, 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t i0 = (t / tiles_n) * kTileM;
      const std::int64_t j0 = (t % tiles_n) * kTileN;
      const std::int64_t mi = std::min(kTileM, m - i0);
      const std::int64_t nj = std::min(kTileN, n - j0);
      const float* at = trans_a ? a + i0 : a + i0 * lda;
      const float* bt = trans_b ? b + j0 * ldb : b + j0;
      gemm(mi, nj, k, at, lda, trans_a, bt, ldb, trans_b, c + i0 * ldc + j0, ldc, accumulate);
    }
  });
}

}  // namespace repscope
