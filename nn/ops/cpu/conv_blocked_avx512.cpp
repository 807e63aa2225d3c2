// The AVX-512 tile kernel of conv2d_blocked: 6 positions × 4 output-channel blocks in 24 zmm
// accumulators; per input channel, 4 filter vectors are loaded and each position's input value
// broadcast against them. Compiled for AVX-512 through a target pragma on this file only (as
// nn/gemm/kernel_avx512.cpp); conv_blocked.cpp calls it only when the GEMM's AVX-512 kernel is
// in use, which requires the CPU to report avx512f.
#include "nn/ops/cpu/conv_blocked_kernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define REPSCOPE_BLOCKED_AVX512 1
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#endif

namespace repscope::ops::cpu::blocked {

#if defined(REPSCOPE_BLOCKED_AVX512)
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
namespace {

template <int P, int F>
void tile(const TileArgs& a) {
  __m512 acc[P][F];
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) {
#pragma GCC unroll 4
    for (int f = 0; f < F; ++f) acc[j][f] = _mm512_setzero_ps();
  }
  const Position* pos = a.positions;
  for (int c = 0; c < a.blocks; ++c) {
    const float* xc = a.x + c * a.x_block;
    if (a.next) {
      for (int t = 0; t < a.taps; t += a.row_taps)
        for (int j = 0; j < a.next_count; ++j) {
          if (a.next[j].valid >> t & 1)
            _mm_prefetch(reinterpret_cast<const char*>(xc + (a.next[j].input + a.tap_offsets[t])),
                         _MM_HINT_T0);
        }
    }
    for (int t = 0; t < a.taps; ++t) {
      const float* in[P];
      const std::int64_t off = a.tap_offsets[t];
#pragma GCC unroll 6
      for (int j = 0; j < P; ++j)
        in[j] = (pos[j].valid >> t & 1) ? xc + (pos[j].input + off) : kZeroBlock;
      const float* wt = a.w + (static_cast<std::int64_t>(c) * a.taps + t) * kBlock * F * kBlock;
#pragma GCC unroll 2
      for (int i = 0; i < kBlock; ++i) {
        __m512 wv[F];
#pragma GCC unroll 4
        for (int f = 0; f < F; ++f) wv[f] = _mm512_loadu_ps(wt + (i * F + f) * kBlock);
#pragma GCC unroll 6
        for (int j = 0; j < P; ++j) {
          const __m512 v = _mm512_set1_ps(in[j][i]);
#pragma GCC unroll 4
          for (int f = 0; f < F; ++f) acc[j][f] = _mm512_fmadd_ps(v, wv[f], acc[j][f]);
        }
      }
    }
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) {
#pragma GCC unroll 4
    for (int f = 0; f < F; ++f) {
      __m512 v = acc[j][f];
      float* partial = pos[j].partial + f * kBlock;
      if (a.accumulate) v = _mm512_add_ps(_mm512_loadu_ps(partial), v);
      if (!a.last) {
        _mm512_storeu_ps(partial, v);
        continue;
      }
      // The order of the separate bias, add and relu ops (NaN passes the ReLU, as in torch).
      if (a.bias) v = _mm512_add_ps(v, _mm512_loadu_ps(a.bias + f * kBlock));
      const std::int64_t at = pos[j].output + f * a.y_block;
      if (a.residual) v = _mm512_add_ps(v, _mm512_loadu_ps(a.residual + at));
      if (a.relu) v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, zero);
      _mm512_storeu_ps(a.y + at, v);
    }
  }
}

template <int P>
void tile_filters(const TileArgs& a) {
  switch (a.filters) {
    case 4:
      return tile<P, 4>(a);
    case 3:
      return tile<P, 3>(a);
    case 2:
      return tile<P, 2>(a);
    default:
      return tile<P, 1>(a);
  }
}

void avx512_tile(const TileArgs& a) {
  switch (a.count) {
    case 6:
      return tile_filters<6>(a);
    case 5:
      return tile_filters<5>(a);
    case 4:
      return tile_filters<4>(a);
    case 3:
      return tile_filters<3>(a);
    case 2:
      return tile_filters<2>(a);
    default:
      return tile_filters<1>(a);
  }
}

}  // namespace
#pragma GCC pop_options

TileKernel avx512_tile_kernel() {
  return &avx512_tile;
}
#else
TileKernel avx512_tile_kernel() {
  return nullptr;
}
#endif

}  // namespace repscope::ops::cpu::blocked
