// AVX2 + FMA micro-kernel: a 6 × 16 tile of C in 12 ymm accumulators (two loads of B and six
// broadcasts of A per k step). For x86-64 CPUs without AVX-512; compiled through a target
// pragma on this file's functions only.
#include "nn/gemm/kernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define REPSCOPE_GEMM_AVX2 1
#include <immintrin.h>
#endif

namespace repscope::gemm_detail {

#if defined(REPSCOPE_GEMM_AVX2)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

void kernel_avx2(const TileArgs& t) {
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  const float* a = t.a;
  const float* b = t.b;
  if (t.a_lda) {  // A read in place: one pointer per row
    const float* rows[kMr];
    for (int r = 0; r < kMr; ++r) rows[r] = t.a + r * t.a_lda;
    for (std::int64_t p = 0; p < t.kc; ++p) {
      const __m256 b0 = _mm256_loadu_ps(b);
      const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
      for (int r = 0; r < kMr; ++r) {
        const __m256 ar = _mm256_broadcast_ss(rows[r] + p);
        acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
      }
      b += t.b_step;
    }
  } else {
    for (std::int64_t p = 0; p < t.kc; ++p) {
      const __m256 b0 = _mm256_loadu_ps(b);
      const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
      for (int r = 0; r < kMr; ++r) {
        const __m256 ar = _mm256_broadcast_ss(a + r);
        acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
      }
      a += kMr;
      b += t.b_step;
    }
  }

  const GemmEpilogue* e = t.epilogue;
  if (t.cols == kNr && t.split == kNr) {
    const __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < t.rows; ++r) {
      float* c = t.c + r * t.ldc;
      const float* residual = t.residual ? t.residual + r * e->residual_ld : nullptr;
      for (int v = 0; v < 2; ++v) {
        __m256 x = acc[r][v];
        if (t.accumulate) x = _mm256_add_ps(_mm256_loadu_ps(c + 8 * v), x);
        if (e) {
          if (e->row_bias) x = _mm256_add_ps(x, _mm256_set1_ps(e->row_bias[t.row0 + r]));
          if (e->col_bias) x = _mm256_add_ps(x, _mm256_loadu_ps(e->col_bias + t.col0 + 8 * v));
          if (residual) x = _mm256_add_ps(x, _mm256_loadu_ps(residual + 8 * v));
          if (e->relu) x = _mm256_max_ps(zero, x);  // NaN stays NaN (second operand)
        }
        _mm256_storeu_ps(c + 8 * v, x);
      }
    }
    return;
  }
  // Edge tile (or one straddling two images): finish through memory, one value at a time.
  alignas(32) float tile[kMr][kNr];
  for (int r = 0; r < kMr; ++r) {
    _mm256_store_ps(tile[r], acc[r][0]);
    _mm256_store_ps(tile[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < t.rows; ++r) {
    for (int j = 0; j < t.cols; ++j) {
      float* c = c_at(t, r, j);
      float v = t.accumulate ? *c + tile[r][j] : tile[r][j];
      if (e) v = apply_epilogue(v, t, r, j);
      *c = v;
    }
  }
}

}  // namespace
#pragma GCC pop_options

bool avx2_kernel(KernelInfo& out) {
  out = {GemmIsa::Avx2, kMr, kNr, kernel_avx2};
  return true;
}

#else
bool avx2_kernel(KernelInfo&) {
  return false;
}
#endif

}  // namespace repscope::gemm_detail
