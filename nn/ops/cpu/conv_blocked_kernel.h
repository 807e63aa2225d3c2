// The tile kernels of conv2d_blocked (internal to nn/ops/cpu). A tile is up to 6 output
// positions × up to 4 output-channel blocks (64 channels) of a direct convolution on the
// channel-blocked layout: for every tap and input channel of a chunk of input channel blocks,
// the 6 positions' input values are broadcast and multiplied by the 4 filter vectors, 24
// accumulators in registers (the AVX-512 kernel; a portable one for other CPUs). Chunks are
// chained through per-position partial sums, like the GEMM's k blocks.
#pragma once

#include <cstdint>

namespace repscope::ops::cpu::blocked {

constexpr int kBlock = 16;         // channels per block (nn/ops.h kChannelBlock)
constexpr int kTilePositions = 6;  // positions per tile, at most
constexpr int kTileFilters = 4;    // output-channel blocks per tile, at most

struct Position {
  std::int64_t input;   // offset of input (n, iy0, ix0) in x's channel block 0 (iy0, ix0 may be
                        // outside the image: only valid taps are read)
  std::uint64_t valid;  // bit t: tap t reads inside the input, else zeros (≤ 64 taps: ops.cpp)
  std::int64_t output;  // offset of the position in the output's first block of the group
  float* partial;       // the position's partial sums, filters·16 floats
};

struct TileArgs {
  const Position* positions;
  int count;  // positions: 1..kTilePositions
  // The next tile's positions (null when none): the kernel prefetches their input (each kernel
  // row's first tap) while it computes, since a convolution streams its input through in more
  // streams (a line per position, block and row) than the hardware prefetcher follows; a 1×1
  // convolution ran 10-40% faster with it.
  const Position* next;
  int next_count;
  int filters;                      // output-channel blocks: 1..kTileFilters
  const float* x;                   // the input at the chunk's first channel block
  std::int64_t x_block;             // floats between input channel blocks
  int blocks;                       // input channel blocks in the chunk
  const std::int64_t* tap_offsets;  // per tap: offset of (ky, kx) from the position's input
  int taps;
  int row_taps;           // kw: taps per kernel row
  const float* w;         // [blocks][taps][16 in][filters·16 out]
  bool accumulate;        // add the partial sums of earlier chunks
  bool last;              // finish into y; else store the partial sums
  float* y;               // the output at the group's first channel block
  std::int64_t y_block;   // floats between output channel blocks
  const float* bias;      // the group's filters·16 biases, or null
  const float* residual;  // laid out as y (same offsets), or null
  bool relu;
};

using TileKernel = void (*)(const TileArgs&);

// 16 zeros, 64-byte aligned: what a tap outside the input reads.
extern const float kZeroBlock[kBlock];

TileKernel generic_tile_kernel();
TileKernel avx512_tile_kernel();  // null when not compiled in

}  // namespace repscope::ops::cpu::blocked
