// The portable tile kernel of conv2d_blocked: the AVX-512 kernel's arithmetic in plain loops, in
// the same order per output value (the compiler may or may not fuse its multiply-adds, so the
// bits may differ in the last place), for CPUs without AVX-512.
#include <algorithm>

#include "nn/ops/cpu/conv_blocked_kernel.h"

namespace repscope::ops::cpu::blocked {

alignas(64) const float kZeroBlock[kBlock] = {};

namespace {

void generic_tile(const TileArgs& a) {
  const int lanes = a.filters * kBlock;
  float acc[kTilePositions][kTileFilters * kBlock] = {};
  for (int c = 0; c < a.blocks; ++c) {
    for (int t = 0; t < a.taps; ++t) {
      const float* wt = a.w + (static_cast<std::int64_t>(c) * a.taps + t) * kBlock * lanes;
      for (int j = 0; j < a.count; ++j) {
        const Position& p = a.positions[j];
        const float* in =
            (p.valid >> t & 1) ? a.x + (c * a.x_block + p.input + a.tap_offsets[t]) : kZeroBlock;
        for (int i = 0; i < kBlock; ++i) {
          const float v = in[i];
          for (int l = 0; l < lanes; ++l) acc[j][l] = v * wt[i * lanes + l] + acc[j][l];
        }
      }
    }
  }
  for (int j = 0; j < a.count; ++j) {
    const Position& p = a.positions[j];
    for (int f = 0; f < a.filters; ++f) {
      for (int l = 0; l < kBlock; ++l) {
        float v = acc[j][f * kBlock + l];
        if (a.accumulate) v = p.partial[f * kBlock + l] + v;
        if (!a.last) {
          p.partial[f * kBlock + l] = v;
          continue;
        }
        if (a.bias) v = v + a.bias[f * kBlock + l];
        const std::int64_t at = p.output + f * a.y_block + l;
        if (a.residual) v = v + a.residual[at];
        if (a.relu && v < 0.0f) v = 0.0f;
        a.y[at] = v;
      }
    }
  }
}

}  // namespace

TileKernel generic_tile_kernel() {
  return &generic_tile;
}

}  // namespace repscope::ops::cpu::blocked
