// AVX-512 micro-kernel: an 8 × 48 tile of C in 24 zmm accumulators; per k step three vector
// loads of B and eight broadcasts of A feed 24 FMAs. Compiled for AVX-512 through a target
// pragma on this file's functions only, so a portable build still runs elsewhere; the
// dispatcher calls it only when the CPU reports avx512f.
#include "nn/gemm/kernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define REPSCOPE_GEMM_AVX512 1
// GCC 12 reports false "may be used uninitialized" warnings inside its AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#endif

namespace repscope::gemm_detail {

#if defined(REPSCOPE_GEMM_AVX512)
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
namespace {

constexpr int kMr = 8;
constexpr int kVecs = 3;  // zmm vectors per row of the tile
constexpr int kNr = kVecs * 16;

inline __mmask16 lane_mask(int lanes) {
  return lanes >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : static_cast<__mmask16>((1u << (lanes < 0 ? 0 : lanes)) - 1u);
}

// One k step: three vectors of B times eight broadcasts of A, row r's value a_value(r).
template <typename AValue>
inline void step_with(AValue a_value, const float* b, std::int64_t b_step,
                      __m512 (&acc)[kMr][kVecs]) {
  const __m512 b0 = _mm512_loadu_ps(b);
  const __m512 b1 = _mm512_loadu_ps(b + 16);
  const __m512 b2 = _mm512_loadu_ps(b + 32);
  _mm_prefetch(reinterpret_cast<const char*>(b + 8 * b_step), _MM_HINT_T0);
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) {
    const __m512 ar = _mm512_set1_ps(a_value(r));
    acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
    acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    acc[r][2] = _mm512_fmadd_ps(ar, b2, acc[r][2]);
  }
}

// A step of a packed A panel (its MR values of the step side by side).
inline void step(const float* a, const float* b, std::int64_t b_step, __m512 (&acc)[kMr][kVecs]) {
  step_with([a](int r) { return a[r]; }, b, b_step, acc);
}

void kernel_avx512(const TileArgs& t) {
  __m512 acc[kMr][kVecs];
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) {
#pragma GCC unroll 3
    for (int v = 0; v < kVecs; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  const float* a = t.a;
  const float* b = t.b;
  const std::int64_t bs = t.b_step;
  if (t.a_lda) {
    // A read in place: eight row pointers, each read a float per step (a line every 16 steps).
    // The driver gives no next_a here; next_b as in the packed case.
    const float* rows[kMr];
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) rows[r] = t.a + r * t.a_lda;
    const char* nb = reinterpret_cast<const char*>(t.next_b ? t.next_b : t.b);
    const std::int64_t nb_step = t.next_b ? bs * 4 : 0;
#pragma GCC unroll 2
    for (std::int64_t p = 0; p < t.kc; ++p) {
      if (t.next_b) {
        _mm_prefetch(nb, _MM_HINT_T1);
        _mm_prefetch(nb + 64, _MM_HINT_T1);
        _mm_prefetch(nb + 128, _MM_HINT_T1);
        _mm_prefetch(nb + 191, _MM_HINT_T1);
        nb += nb_step;
      }
      step_with([&rows, p](int r) { return rows[r][p]; }, b, bs, acc);
      b += bs;
    }
  } else if (t.next_b || t.next_a) {
    // The next B panel's lines of this step into L2 (four: read in place, its 192 bytes need
    // not be line-aligned), the next A panel's line (two steps of it) into L1; a null pointer
    // prefetches the current panel, advanced by zero.
    const char* nb = reinterpret_cast<const char*>(t.next_b ? t.next_b : t.b);
    const char* na = reinterpret_cast<const char*>(t.next_a ? t.next_a : t.a);
    const std::int64_t nb_step = t.next_b ? bs * 4 : 0, na_step = t.next_a ? 2 * kMr * 4 : 0;
    std::int64_t p = 0;
    for (; p + 2 <= t.kc; p += 2) {
      _mm_prefetch(nb, _MM_HINT_T1);
      _mm_prefetch(nb + 64, _MM_HINT_T1);
      _mm_prefetch(nb + 128, _MM_HINT_T1);
      _mm_prefetch(nb + 191, _MM_HINT_T1);
      _mm_prefetch(nb + nb_step, _MM_HINT_T1);
      _mm_prefetch(nb + nb_step + 64, _MM_HINT_T1);
      _mm_prefetch(nb + nb_step + 128, _MM_HINT_T1);
      _mm_prefetch(nb + nb_step + 191, _MM_HINT_T1);
      _mm_prefetch(na, _MM_HINT_T0);
      nb += 2 * nb_step;
      na += na_step;
      step(a, b, bs, acc);
      step(a + kMr, b + bs, bs, acc);
      a += 2 * kMr;
      b += 2 * bs;
    }
    if (p < t.kc) step(a, b, bs, acc);
  } else {
#pragma GCC unroll 4
    for (std::int64_t p = 0; p < t.kc; ++p) {
      step(a, b, bs, acc);
      a += kMr;
      b += bs;
    }
  }

  const GemmEpilogue* e = t.epilogue;
  const __m512 zero = _mm512_setzero_ps();
  // Lanes of each vector in this image (lo) and, for a tile straddling two, in the next (hi).
  __mmask16 lo[kVecs], hi[kVecs];
  const int split = t.split < t.cols ? t.split : t.cols;
#pragma GCC unroll 3
  for (int v = 0; v < kVecs; ++v) {
    lo[v] = lane_mask(split - 16 * v);
    hi[v] = static_cast<__mmask16>(lane_mask(t.cols - 16 * v) & ~lo[v]);
  }
  auto load = [&](const float* p, std::int64_t jump, int v) {
    __m512 x = _mm512_maskz_loadu_ps(lo[v], p + 16 * v);
    if (hi[v]) x = _mm512_mask_loadu_ps(x, hi[v], p + jump + 16 * v);
    return x;
  };
  __m512 col_bias[kVecs];
  if (e && e->col_bias) {
#pragma GCC unroll 3
    for (int v = 0; v < kVecs; ++v)
      col_bias[v] = _mm512_maskz_loadu_ps(static_cast<__mmask16>(lo[v] | hi[v]),
                                          e->col_bias + t.col0 + 16 * v);
  }
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) {
    if (r >= t.rows) break;
    float* c = t.c + r * t.ldc;
    const float* residual = t.residual ? t.residual + r * e->residual_ld : nullptr;
#pragma GCC unroll 3
    for (int v = 0; v < kVecs; ++v) {
      __m512 x = acc[r][v];
      if (t.accumulate) x = _mm512_add_ps(load(c, t.c_jump, v), x);
      if (e) {
        if (e->row_bias) x = _mm512_add_ps(x, _mm512_set1_ps(e->row_bias[t.row0 + r]));
        if (e->col_bias) x = _mm512_add_ps(x, col_bias[v]);
        if (residual) x = _mm512_add_ps(x, load(residual, t.residual_jump, v));
        // max(0, x) returns x when x is NaN (the second operand), like torch.relu.
        if (e->relu) x = _mm512_max_ps(zero, x);
      }
      _mm512_mask_storeu_ps(c + 16 * v, lo[v], x);
      if (hi[v]) _mm512_mask_storeu_ps(c + t.c_jump + 16 * v, hi[v], x);
    }
  }
}

// Transposes a 16 × 16 block in registers: r[i] holds row i on entry, column i on exit.
inline void transpose16(__m512 (&r)[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {  // 32-bit interleave of row pairs
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // 64-bit interleave: a 4 × 4 transpose in every 128-bit lane
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // r[4g + q], lane L, now holds rows 4g..4g+3 of column 4L + q: gather the lanes of the four
  // row groups g.
  for (int q = 0; q < 4; ++q) {
    t[q] = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x44);      // g0 L0 L1, g1 L0 L1
    t[q + 4] = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xEE);  // g0 L2 L3, g1 L2 L3
    t[q + 8] = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x44);
    t[q + 12] = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xEE);
  }
  for (int q = 0; q < 4; ++q) {
    r[q] = _mm512_shuffle_f32x4(t[q], t[q + 8], 0x88);            // column q
    r[4 + q] = _mm512_shuffle_f32x4(t[q], t[q + 8], 0xDD);        // column 4 + q
    r[8 + q] = _mm512_shuffle_f32x4(t[q + 4], t[q + 12], 0x88);   // column 8 + q
    r[12 + q] = _mm512_shuffle_f32x4(t[q + 4], t[q + 12], 0xDD);  // column 12 + q
  }
}

// The panel in 16 × 16 blocks: 16 rows of w (masked past `cols`, and past k in the last block)
// transposed in registers into 16 panel rows of 16 lanes. The plain loop moves one value per
// load and store; this is ~4× fewer instructions (a ViT's linear layers pack their weights on
// every call).
void pack_transposed_avx512(const float* w, std::int64_t ldw, std::int64_t k, int cols,
                            float* panel) {
  __m512 r[16];
  for (int g = 0; g < kVecs; ++g) {
    const int rows = cols - 16 * g;  // rows of w in this column group of the panel
    for (std::int64_t p = 0; p < k; p += 16) {
      const int steps = static_cast<int>(k - p < 16 ? k - p : 16);
      const __mmask16 step_mask = lane_mask(steps);
      for (int i = 0; i < 16; ++i) {
        r[i] = i < rows ? _mm512_maskz_loadu_ps(step_mask, w + (16 * g + i) * ldw + p)
                        : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int i = 0; i < steps; ++i) _mm512_storeu_ps(panel + (p + i) * kNr + 16 * g, r[i]);
    }
  }
}

}  // namespace
#pragma GCC pop_options

bool avx512_kernel(KernelInfo& out) {
  out = {GemmIsa::Avx512, kMr, kNr, kernel_avx512, pack_transposed_avx512};
  return true;
}

#else
bool avx512_kernel(KernelInfo&) {
  return false;
}
#endif

}  // namespace repscope::gemm_detail
