// conv2d on the channel-blocked layout (nn/ops.h): a direct convolution, no im2col. The filters
// are repacked once per weight (kept with frozen weights) as [group of 64 output channels][input
// channel block][tap][16 input channels][64 output channels]. A task is a run of output
// positions (flattened over the batch) × one group; it tabulates each position's input offset,
// which taps fall inside the input and where its output goes, then runs the tile kernel
// (conv_blocked_kernel.h) over the run once per chunk of input channel blocks, the chunks
// chained through per-position partial sums, the last one finishing into the output with the
// bias, residual and ReLU. A chunk's filters fit in L1 next to the tiles' inputs (8 blocks of a
// 1×1 convolution, one of a 3×3: 128 and 144 products per partial sum, shorter than the GEMM's
// k blocks); each output value is summed in a fixed order that does not depend on the tiling or
// the thread count.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "nn/error.h"
#include "nn/gemm.h"
#include "nn/ops.h"
#include "nn/ops/cpu/conv_blocked_kernel.h"
#include "nn/ops/cpu/cpu.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {
namespace {

using namespace blocked;

constexpr int kGroupChannels = kTileFilters * kBlock;
// Output positions per task, at most (a multiple of the tile's 6); fewer when that leaves too
// few tasks for the threads.
constexpr std::int64_t kTaskPositions = 384;
// Taps × input channel blocks per chunk, at most: 32 KB of filters for a group of 64 output
// channels (16 blocks of a 1×1 convolution, 64 KB, ran at half the speed: read from L2).
constexpr std::int64_t kChunkTapBlocks = 8;

struct PackedFilters {
  GemmBuffer buffer;
  const float* data = nullptr;
  std::int64_t group_floats = 0;  // floats per group of 64 output channels (a full one)
};

std::shared_ptr<const PackedFilters> pack_filters(const Tensor& weight) {
  const std::int64_t o = weight.dim(0), c = weight.dim(1), taps = weight.dim(2) * weight.dim(3);
  const std::int64_t cb = c / kBlock, groups = (o + kGroupChannels - 1) / kGroupChannels;
  auto packed = std::make_shared<PackedFilters>();
  packed->group_floats = cb * taps * kBlock * kGroupChannels;
  float* out = packed->buffer.get(groups * packed->group_floats);
  packed->data = out;
  const float* wp = weight.data<float>();
  parallel_for(0, groups * cb, 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t g = t / cb, icb = t % cb;
      const std::int64_t o0 = g * kGroupChannels;
      const std::int64_t lanes = std::min<std::int64_t>(kGroupChannels, o - o0);
      float* dst = out + g * packed->group_floats + icb * taps * kBlock * lanes;
      for (std::int64_t tap = 0; tap < taps; ++tap)
        for (std::int64_t i = 0; i < kBlock; ++i)
          for (std::int64_t l = 0; l < lanes; ++l)
            dst[(tap * kBlock + i) * lanes + l] =
                wp[((o0 + l) * c + icb * kBlock + i) * taps + tap];
    }
  });
  return packed;
}

// Made once and kept with the weight when its storage is frozen (a folded ConvBn's).
std::shared_ptr<const PackedFilters> packed_filters(const Tensor& weight) {
  if (!weight.storage()->frozen()) return pack_filters(weight);
  const std::string key =
      str("conv2d_blocked.filters/", weight.offset(), "/", shape_str(weight.shape()));
  return std::static_pointer_cast<const PackedFilters>(weight.storage()->derived(
      key, [&] { return std::shared_ptr<const void>(pack_filters(weight)); }));
}

// Bit t (t = ky·kw + kx) set when window row ky (or column kx) of output row (column) `out`
// lies inside the input's `size` rows (columns).
std::vector<std::uint64_t> tap_masks(std::int64_t outs, std::int64_t size, std::int64_t kh,
                                     std::int64_t kw, int stride, int padding, bool rows) {
  std::vector<std::uint64_t> masks(static_cast<std::size_t>(outs), 0);
  for (std::int64_t i = 0; i < outs; ++i)
    for (std::int64_t t = 0; t < kh * kw; ++t) {
      const std::int64_t at = i * stride - padding + (rows ? t / kw : t % kw);
      if (at >= 0 && at < size) masks[static_cast<std::size_t>(i)] |= std::uint64_t{1} << t;
    }
  return masks;
}

}  // namespace

Tensor conv2d_blocked(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
                      int padding, const Tensor& residual, bool relu) {
  const std::int64_t n = x.dim(0), cb = x.dim(1), h = x.dim(2), w = x.dim(3);
  const std::int64_t o = weight.dim(0), ob = o / kBlock, kh = weight.dim(2), kw = weight.dim(3);
  const std::int64_t taps = kh * kw;
  const std::int64_t oh = detail::window_out(h, kh, stride, padding);
  const std::int64_t ow = detail::window_out(w, kw, stride, padding);
  const float* rp = detail::optional_data(residual);
  // A residual nobody else holds is overwritten: each tile reads its residual values just
  // before writing the outputs over them, and no other tile touches them.
  Tensor out = rp && residual.reusable() && residual.storage() != x.storage()
                   ? residual
                   : Tensor::empty({n, ob, oh, ow, kBlock});
  const std::int64_t total = n * oh * ow;
  if (total == 0) return out;

  const std::shared_ptr<const PackedFilters> filters = packed_filters(weight);
  const TileKernel kernel = gemm_isa() == GemmIsa::Avx512 && avx512_tile_kernel()
                                ? avx512_tile_kernel()
                                : generic_tile_kernel();
  const std::int64_t chunk = std::clamp<std::int64_t>(kChunkTapBlocks / taps, 1, cb);
  const std::int64_t groups = (ob + kTileFilters - 1) / kTileFilters;
  std::vector<std::int64_t> tap_offsets(static_cast<std::size_t>(taps));
  for (std::int64_t t = 0; t < taps; ++t)
    tap_offsets[static_cast<std::size_t>(t)] = (t / kw * w + t % kw) * kBlock;
  const std::vector<std::uint64_t> row_masks = tap_masks(oh, h, kh, kw, stride, padding, true);
  const std::vector<std::uint64_t> col_masks = tap_masks(ow, w, kh, kw, stride, padding, false);

  std::int64_t run = kTaskPositions;
  const std::int64_t want = 4 * static_cast<std::int64_t>(num_threads());
  while (run > 6 * kTilePositions && groups * ((total + run - 1) / run) < want) run /= 2;
  run = (run + kTilePositions - 1) / kTilePositions * kTilePositions;
  const std::int64_t runs = (total + run - 1) / run;

  const float* xp = x.data<float>();
  const float* bp = detail::optional_data(bias);
  float* yp = out.data<float>();
  const std::int64_t plane = oh * ow;
  parallel_for(0, runs * groups, 1, [&](std::int64_t t0, std::int64_t t1) {
    thread_local std::vector<Position> table;
    thread_local GemmBuffer partial_buffer;
    for (std::int64_t task = t0; task < t1; ++task) {
      const std::int64_t g = task % groups, q0 = task / groups * run;
      const std::int64_t q1 = std::min(total, q0 + run);
      const int f = static_cast<int>(std::min<std::int64_t>(kTileFilters, ob - g * kTileFilters));
      float* partials = partial_buffer.get(run * kGroupChannels);
      table.resize(static_cast<std::size_t>(q1 - q0));
      std::int64_t image = q0 / plane, oy = q0 % plane / ow, ox = q0 % ow;
      for (std::int64_t q = q0; q < q1; ++q) {
        Position& p = table[static_cast<std::size_t>(q - q0)];
        p.input =
            (image * cb * h * w + (oy * stride - padding) * w + ox * stride - padding) * kBlock;
        p.valid = row_masks[static_cast<std::size_t>(oy)] & col_masks[static_cast<std::size_t>(ox)];
        p.output = ((image * ob + g * kTileFilters) * plane + oy * ow + ox) * kBlock;
        p.partial = partials + (q - q0) * f * kBlock;
        if (++ox == ow) {
          ox = 0;
          if (++oy == oh) oy = 0, ++image;
        }
      }
      TileArgs a{};
      a.filters = f;
      a.x_block = h * w * kBlock;
      a.tap_offsets = tap_offsets.data();
      a.taps = static_cast<int>(taps);
      a.row_taps = static_cast<int>(kw);
      a.y = yp;
      a.y_block = plane * kBlock;
      a.bias = bp ? bp + g * kGroupChannels : nullptr;
      a.residual = rp;
      a.relu = relu;
      for (std::int64_t c0 = 0; c0 < cb; c0 += chunk) {
        const std::int64_t blocks = std::min(chunk, cb - c0);
        a.x = xp + c0 * a.x_block;
        a.blocks = static_cast<int>(blocks);
        a.w = filters->data + g * filters->group_floats + c0 * taps * kBlock * f * kBlock;
        a.accumulate = c0 > 0;
        a.last = c0 + blocks == cb;
        for (std::int64_t q = q0; q < q1; q += kTilePositions) {
          a.positions = table.data() + (q - q0);
          a.count = static_cast<int>(std::min<std::int64_t>(kTilePositions, q1 - q));
          a.next = q + kTilePositions < q1 ? a.positions + kTilePositions : nullptr;
          a.next_count = static_cast<int>(std::min<std::int64_t>(kTilePositions, q1 - q - a.count));
          kernel(a);
        }
      }
    }
  });
  return out;
}

}  // namespace repscope::ops::cpu
