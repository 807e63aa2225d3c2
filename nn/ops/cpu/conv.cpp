// conv2d as im2col + GEMM on packed panels (nn/gemm.h). The weights are the GEMM's A operand,
// packed per call (per group), or once when frozen (packed_weights below); the columns of B are the
// N·OH·OW output positions of the whole batch, which each task gathers straight into packed B
// panels (im2col and packing in one pass) for a tile of columns — or, for a 1×1 stride-1 conv's
// tile, reads in place — then multiplies by every row panel of the weights. The bias (and the
// ReLU) is added in the GEMM's epilogue. Tiles are runs of the batch's columns cut wherever they
// fall; the GEMM writes them straight into [N, O, P], across image boundaries
// (GemmColumnImages) when an image has at least a panel's worth of positions, except tiles that
// add a residual (a block's shortcut) or cross images of a smaller map: those go through a tile
// buffer that a streaming pass finishes into the output. How columns and rows are split never
// changes an output element's arithmetic (see nn/gemm.h), so results do not depend on the
// thread count.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "nn/error.h"
#include "nn/gemm.h"
#include "nn/ops/cpu/cpu.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {
namespace {

struct ConvGeometry {
  std::int64_t n, c, h, w;      // input
  std::int64_t o, cg, og;       // output channels, channels per group (in, out)
  std::int64_t kh, kw, oh, ow;  // kernel, output size
  std::int64_t stride, padding;
  std::int64_t positions() const { return oh * ow; }
  std::int64_t depth() const { return cg * kh * kw; }  // GEMM K
};

// The non-1×1 case of im2col_panels. The input rows the tile reads (for the channels of rows
// [d0, d1)) are first copied into a zero-padded window, so every patch element is a plain load
// at (channel, ky, kx) base + a per-column offset: one table of column offsets per tile, then
// each row of the pack is a branch-free gather. (Cutting the columns into runs that each read
// one input row cost ~40 cycles of set-up per run, and on 7×7 maps a run is 7 values.)
void im2col_gather(const ConvGeometry& g, const float* x, std::int64_t group, std::int64_t col0,
                   std::int64_t cols, int nr, std::int64_t d0, std::int64_t d1,
                   std::int64_t panel_stride, float* out) {
  const std::int64_t p = g.positions();
  const std::int64_t taps = g.kh * g.kw;
  const std::int64_t image0 = col0 / p, image1 = (col0 + cols - 1) / p;
  // Output rows the tile covers in image i: from the first column's row in the first image, to
  // the last column's row in the last one, every row in between.
  const std::int64_t first_oy = col0 % p / g.ow, last_oy = (col0 + cols - 1) % p / g.ow;
  auto oy_from = [&](std::int64_t i) { return i == image0 ? first_oy : std::int64_t{0}; };
  auto oy_to = [&](std::int64_t i) { return i == image1 ? last_oy : g.oh - 1; };
  const std::int64_t ic0 = d0 / taps, ic1 = (d1 - 1) / taps + 1;  // channels of the rows
  // Window: [images][channels][rows][wp]; image i's rows start at input row
  // oy_from(i)·stride − padding, its columns at −padding.
  const std::int64_t wp = g.w + 2 * g.padding;
  std::int64_t window_rows = 0;
  for (std::int64_t i = image0; i <= image1; ++i)
    window_rows = std::max(window_rows, (oy_to(i) - oy_from(i)) * g.stride + g.kh);
  const std::int64_t channel_stride = window_rows * wp;
  const std::int64_t image_stride = (ic1 - ic0) * channel_stride;
  thread_local std::vector<float> window;
  thread_local std::vector<std::int64_t> offsets;
  window.resize(static_cast<std::size_t>((image1 - image0 + 1) * image_stride + 8));
  offsets.resize(static_cast<std::size_t>(cols));
  const std::int64_t plane_size = g.h * g.w;
  float* win = window.data();
  for (std::int64_t im = image0; im <= image1; ++im) {
    const std::int64_t iy_first = oy_from(im) * g.stride - g.padding;
    const std::int64_t rows = (oy_to(im) - oy_from(im)) * g.stride + g.kh;
    for (std::int64_t ic = ic0; ic < ic1; ++ic) {
      const float* plane = x + (im * g.c + group * g.cg + ic) * plane_size;
      float* dst = win + (im - image0) * image_stride + (ic - ic0) * channel_stride;
      for (std::int64_t r = 0; r < rows; ++r, dst += wp) {
        const std::int64_t iy = iy_first + r;
        if (iy < 0 || iy >= g.h) {
          std::fill(dst, dst + wp, 0.0f);
          continue;
        }
        std::fill(dst, dst + g.padding, 0.0f);
        std::copy(plane + iy * g.w, plane + (iy + 1) * g.w, dst + g.padding);
        std::fill(dst + g.padding + g.w, dst + wp, 0.0f);
      }
    }
  }
  for (std::int64_t j = 0; j < cols; ++j) {
    const std::int64_t column = col0 + j;
    const std::int64_t image = column / p, pos = column % p;
    const std::int64_t oy = pos / g.ow, ox = pos % g.ow;
    offsets[static_cast<std::size_t>(j)] =
        (image - image0) * image_stride + (oy - oy_from(image)) * g.stride * wp + ox * g.stride;
  }
  const std::int64_t tail = cols % nr;
  const std::int64_t* off = offsets.data();
  // With stride 1, neighbouring columns of one output row read neighbouring window values: the
  // columns form runs (within a panel) copied 8 values at a time (with stride 2, runs read
  // every other value). A stride-1 copy may run up to 7 values past its run, into lanes a later
  // run or the next row of the panel writes anyway, so the last row of the pack copies
  // exactly; the window has 8 values of slack for it.
  struct Run {
    std::int64_t dst, src, length;
  };
  thread_local std::vector<Run> runs;
  runs.clear();
  if (g.stride <= 2) {
    for (std::int64_t j = 0; j < cols;) {
      std::int64_t e = j + 1;
      while (e < cols && e % nr != 0 && off[e] == off[e - 1] + g.stride) ++e;
      runs.push_back({j / nr * panel_stride + j % nr, off[j], e - j});
      j = e;
    }
  }
  std::int64_t ic = ic0, ky = d0 % taps / g.kw, kx = d0 % g.kw;
  for (std::int64_t d = d0; d < d1; ++d) {
    const float* base = win + (ic - ic0) * channel_stride + ky * wp + kx;
    float* row = out + (d - d0) * nr;
    if (g.stride == 2) {
      // Every other window value: a constant stride the compiler vectorises.
      for (const Run& r : runs) {
        float* __restrict dst = row + r.dst;
        const float* src = base + r.src;
        for (std::int64_t l = 0; l < r.length; ++l) dst[l] = src[2 * l];
      }
    } else if (g.stride != 1) {
      for (std::int64_t j0 = 0; j0 < cols; j0 += nr) {
        float* __restrict dst = row + j0 / nr * panel_stride;
        const std::int64_t count = std::min<std::int64_t>(nr, cols - j0);
        for (std::int64_t l = 0; l < count; ++l) dst[l] = base[off[j0 + l]];
      }
    } else if (d + 1 < d1) {
      for (const Run& r : runs) {
        float* dst = row + r.dst;
        const float* src = base + r.src;
        for (std::int64_t l = 0; l < r.length; l += 8) std::memcpy(dst + l, src + l, 32);
      }
    } else {
      for (const Run& r : runs) std::copy(base + r.src, base + r.src + r.length, row + r.dst);
    }
    if (tail) {
      float* dst = row + cols / nr * panel_stride;
      std::fill(dst + tail, dst + nr, 0.0f);
    }
    if (++kx == g.kw) {
      kx = 0;
      if (++ky == g.kh) ky = 0, ++ic;
    }
  }
}

// Writes rows [d0, d1) of the input patches of output columns [col0, col0 + cols) of `group`
// as packed B panels (nr columns per panel, panel_stride floats apart, row d at (d - d0) · nr in
// its panel; columns past `cols` zero). A column is image * OH*OW + output position; a row is
// (input channel, ky, kx). A 1×1 stride-1 conv reads its columns straight from the input (each
// image's positions are contiguous), row by row so every input row is read sequentially across
// the whole tile (panel by panel would read a few cache lines from each of hundreds of rows,
// which no prefetcher follows); any other conv goes through im2col_gather's padded window.
void im2col_panels(const ConvGeometry& g, const float* x, std::int64_t group, std::int64_t col0,
                   std::int64_t cols, int nr, std::int64_t d0, std::int64_t d1,
                   std::int64_t panel_stride, float* out) {
  if (g.kh != 1 || g.kw != 1 || g.stride != 1 || g.padding != 0) {
    im2col_gather(g, x, group, col0, cols, nr, d0, d1, panel_stride, out);
    return;
  }
  struct Run {
    std::int64_t dst;     // offset in the pack of the run's first lane in row 0
    std::int64_t length;  // lanes
    std::int64_t src;     // offset of the run's first position in the group's first channel
  };
  const std::int64_t p = g.positions();
  const std::int64_t plane_size = g.h * g.w;
  thread_local std::vector<Run> runs;
  runs.clear();
  for (std::int64_t j0 = 0; j0 < cols; j0 += nr) {
    const std::int64_t count = std::min<std::int64_t>(nr, cols - j0);
    for (std::int64_t lane = 0; lane < count;) {
      const std::int64_t column = col0 + j0 + lane;
      const std::int64_t image = column / p, pos = column % p;
      const std::int64_t length = std::min(count - lane, p - pos);
      runs.push_back(
          {j0 / nr * panel_stride + lane, length, (image * g.c + group * g.cg) * plane_size + pos});
      lane += length;
    }
  }
  const std::int64_t tail = cols % nr;  // the last panel's unused lanes
  float* tail_dst = out + cols / nr * panel_stride + tail;
  // As in im2col_gather: copies of 8 values may run past a run into lanes written later, except
  // in the pack's last row, and may not read past the end of the input.
  const std::int64_t input_size = g.n * g.c * plane_size;
  for (std::int64_t d = d0; d < d1; ++d) {
    const std::int64_t channel = d * plane_size;
    float* row = out + (d - d0) * nr;
    for (const Run& r : runs) {
      const float* src = x + channel + r.src;
      float* dst = row + r.dst;
      if (d + 1 < d1 && channel + r.src + (r.length + 7) / 8 * 8 <= input_size) {
        for (std::int64_t l = 0; l < r.length; l += 8) std::memcpy(dst + l, src + l, 32);
      } else {
        std::copy(src, src + r.length, dst);
      }
    }
    if (tail) std::fill(tail_dst + (d - d0) * nr, tail_dst + (d - d0) * nr + nr - tail, 0.0f);
  }
}

// Depthwise convolution (one input and one output channel per group): a direct loop per plane.
Tensor depthwise(const ConvGeometry& g, const Tensor& x, const Tensor& weight, const float* bias) {
  Tensor out = Tensor::empty({g.n, g.o, g.oh, g.ow});
  const float* xp = x.data<float>();
  const float* wp = weight.data<float>();
  float* yp = out.data<float>();
  parallel_for(0, g.n * g.o, 1, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t pl = p0; pl < p1; ++pl) {
      const std::int64_t ch = pl % g.o;
      const float* plane = xp + pl * g.h * g.w;
      const float* k = wp + ch * g.kh * g.kw;
      float* dst = yp + pl * g.oh * g.ow;
      for (std::int64_t y = 0; y < g.oh; ++y) {
        for (std::int64_t xo = 0; xo < g.ow; ++xo) {
          float acc = 0.0f;
          for (std::int64_t ky = 0; ky < g.kh; ++ky) {
            const std::int64_t iy = y * g.stride - g.padding + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (std::int64_t kx = 0; kx < g.kw; ++kx) {
              const std::int64_t ix = xo * g.stride - g.padding + kx;
              if (ix >= 0 && ix < g.w) acc += plane[iy * g.w + ix] * k[ky * g.kw + kx];
            }
          }
          dst[y * g.ow + xo] = acc + (bias ? bias[ch] : 0.0f);
        }
      }
    }
  });
  return out;
}

// Every group's weights [og, depth] as A panels of the active GEMM kernel.
struct PackedWeights {
  GemmBuffer buffer;
  const float* data = nullptr;
};

std::shared_ptr<const PackedWeights> pack_weights(const ConvGeometry& g, const Tensor& weight,
                                                  std::int64_t groups) {
  const GemmPanels panels = gemm_panels();
  const std::int64_t depth = g.depth();
  const std::int64_t a_floats = panels.a_floats(g.og, depth);
  const std::int64_t a_panels = (g.og + panels.mr - 1) / panels.mr;
  auto packed = std::make_shared<PackedWeights>();
  float* out = packed->buffer.get(a_floats * groups);
  packed->data = out;
  const float* wp = weight.data<float>();
  parallel_for(0, groups * a_panels, 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t gr = t / a_panels, ip = t % a_panels;
      gemm_pack_a_panels(g.og, depth, wp + gr * g.og * depth, depth, false, out + gr * a_floats, ip,
                         ip + 1);
    }
  });
  return packed;
}

// The packed weights: made once and kept with the weights when their storage is frozen (a
// folded ConvBn's private weights, nn/tensor.h), else made for this call. Keyed by the kernel,
// which tests may switch between calls.
std::shared_ptr<const PackedWeights> packed_weights(const ConvGeometry& g, const Tensor& weight,
                                                    std::int64_t groups) {
  if (!weight.storage()->frozen()) return pack_weights(g, weight, groups);
  const std::string key = str("conv2d.weights/", gemm_isa_name(gemm_isa()), "/", weight.offset(),
                              "/", shape_str(weight.shape()), "/", groups);
  return std::static_pointer_cast<const PackedWeights>(weight.storage()->derived(
      key, [&] { return std::shared_ptr<const void>(pack_weights(g, weight, groups)); }));
}

// Columns per task, about: enough to reuse each packed weight panel over many columns, few
// enough that a k block of the B panels (kc × columns) stays in L2 next to the weights' block.
constexpr std::int64_t kTileColumns = 480;

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups, const Tensor& residual, bool relu) {
  ConvGeometry g{};
  g.n = x.dim(0), g.c = x.dim(1), g.h = x.dim(2), g.w = x.dim(3);
  g.o = weight.dim(0), g.cg = weight.dim(1), g.og = g.o / groups;
  g.kh = weight.dim(2), g.kw = weight.dim(3);
  g.stride = stride, g.padding = padding;
  g.oh = detail::window_out(g.h, g.kh, stride, padding);
  g.ow = detail::window_out(g.w, g.kw, stride, padding);
  const float* bp = detail::optional_data(bias);
  if (g.n == 0 || g.o == 0) return Tensor::empty({g.n, g.o, g.oh, g.ow});
  const float* rp = detail::optional_data(residual);
  if (g.cg == 1 && g.og == 1 && groups > 1) {
    Tensor out = depthwise(g, x, weight, bp);
    if (rp || relu) {
      float* yp = out.data<float>();
      parallel_for(0, out.numel(), 1 << 14, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) {
          float v = rp ? yp[i] + rp[i] : yp[i];
          yp[i] = relu && v < 0.0f ? 0.0f : v;
        }
      });
    }
    return out;
  }

  const GemmPanels panels = gemm_panels();
  const std::int64_t p = g.positions();
  const std::int64_t depth = g.depth();

  const std::int64_t a_floats = panels.a_floats(g.og, depth);
  const std::int64_t a_panels = (g.og + panels.mr - 1) / panels.mr;
  const std::shared_ptr<const PackedWeights> packed = packed_weights(g, weight, groups);
  const float* a_packed = packed->data;

  // Column tiles: pieces of the batch's N·OH·OW columns of whole panels (so only the very last
  // panel can be partial), cut wherever they fall, image boundaries included; about
  // kTileColumns wide, the width chosen so the tiles share out evenly over the threads (7 tiles
  // on 2 threads leave one thread idle for a seventh of the layer: ResNet-50's 14×14 stage).
  const std::int64_t total_panels = (g.n * p + panels.nr - 1) / panels.nr;
  const std::int64_t threads = std::max(1, num_threads());
  const std::int64_t base_tiles =
      (total_panels * panels.nr + kTileColumns - 1) / kTileColumns;  // at kTileColumns wide
  std::int64_t tile_panels = (total_panels + base_tiles - 1) / base_tiles, best_load = -1;
  for (std::int64_t t = base_tiles; t <= 2 * base_tiles; ++t) {
    const std::int64_t per_tile = (total_panels + t - 1) / t;
    const std::int64_t tiles = (total_panels + per_tile - 1) / per_tile;
    const std::int64_t load = (tiles + threads - 1) / threads * per_tile;  // the busiest thread
    if (best_load < 0 || load < best_load) best_load = load, tile_panels = per_tile;
  }
  const std::int64_t tile_cols = tile_panels * panels.nr;
  const std::int64_t n_col_tiles = (g.n * p + tile_cols - 1) / tile_cols;
  // Split the rows too when there are too few column tiles to keep every thread busy (each row
  // group gathers its own copy of the columns).
  const std::int64_t col_tasks = groups * n_col_tiles;
  const std::int64_t want = 3 * static_cast<std::int64_t>(num_threads());
  const std::int64_t row_groups =
      col_tasks >= want ? 1 : std::min(a_panels, (want + col_tasks - 1) / col_tasks);
  const std::int64_t panels_per_group = (a_panels + row_groups - 1) / row_groups;

  // A residual nobody else holds is overwritten with the result: every residual tile goes
  // through the streaming pass below, which reads each residual value just before writing the
  // output value over it (and x, a different storage, is never written).
  Tensor out = rp && residual.reusable() && residual.storage() != x.storage()
                   ? residual
                   : Tensor::empty({g.n, g.o, g.oh, g.ow});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  auto column_tile = [&](std::int64_t ct, std::int64_t& col0, std::int64_t& cols) {
    col0 = ct * tile_cols;
    cols = std::min(tile_cols, g.n * p - col0);
  };
  // `mapped`: an image has at least a panel's worth of positions, so a GEMM can run across
  // image boundaries (GemmColumnImages). A 1×1 stride-1 conv's B is the input itself (channel
  // rows of contiguous positions): when mapped, or for a tile of whole panels inside one image,
  // it is read in place (gemm_packed_a_slice) instead of copied into packed panels.
  const bool mapped = p >= panels.nr;
  const bool pointwise = g.kh == 1 && g.kw == 1 && g.stride == 1 && g.padding == 0;
  auto in_place = [&](std::int64_t col0, std::int64_t cols) {
    return pointwise && (mapped || (cols % panels.nr == 0 && cols <= p - col0 % p));
  };
  // With the rows split, gather every column tile once up front (they are few and small), in
  // pieces of rows so that every thread helps even when there is a single tile.
  const std::int64_t tile_floats = panels.b_floats(depth, tile_cols);
  GemmBuffer shared_buffer;
  float* shared_b = nullptr;
  if (row_groups > 1) {
    shared_b = shared_buffer.get(col_tasks * tile_floats);
    constexpr std::int64_t kGatherRows = 64;
    const std::int64_t pieces = (depth + kGatherRows - 1) / kGatherRows;
    parallel_for(0, col_tasks * pieces, 1, [&](std::int64_t t0, std::int64_t t1) {
      for (std::int64_t t = t0; t < t1; ++t) {
        const std::int64_t c = t / pieces, d0 = t % pieces * kGatherRows;
        const std::int64_t d1 = std::min(depth, d0 + kGatherRows);
        std::int64_t col0 = 0, cols = 0;
        column_tile(c % n_col_tiles, col0, cols);
        if (in_place(col0, cols)) continue;
        im2col_panels(g, xp, c / n_col_tiles, col0, cols, panels.nr, d0, d1, panels.nr * depth,
                      shared_b + c * tile_floats + d0 * panels.nr);
      }
    });
  }
  const std::int64_t tasks = col_tasks * row_groups;
  parallel_for(0, tasks, 1, [&](std::int64_t t0, std::int64_t t1) {
    thread_local GemmBuffer b_buffer, tile_buffer;
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t group = t / (n_col_tiles * row_groups);
      const std::int64_t ct = (t / row_groups) % n_col_tiles;
      const std::int64_t rg = t % row_groups;
      const std::int64_t r0 = rg * panels_per_group * panels.mr;
      if (r0 >= g.og) continue;
      const std::int64_t rows = std::min(panels_per_group * panels.mr, g.og - r0);
      std::int64_t col0 = 0, cols = 0;
      column_tile(ct, col0, cols);
      const std::int64_t oc0 = group * g.og + r0;
      const float* a_rows = a_packed + group * a_floats + r0 * depth;
      const std::int64_t a_stride = panels.mr * depth;
      const std::int64_t image = col0 / p, pos = col0 % p;
      // The GEMM writes C straight into the output rows (pitch p), across images when mapped,
      // unless the tile adds a residual or crosses images of a small map: then into a
      // [rows, cols] tile that a streaming pass finishes into the output. Adding the residual
      // there rather than in the kernel's epilogue makes ResNet-50's layer1 conv3 1.6× faster
      // (measured in one process, interleaved): read in long runs per row, the residual
      // streams from memory, while the epilogue's short reads of hundreds of rows at once
      // (no prefetcher follows that many streams, and prefetching them by hand did not help)
      // stalled the kernel.
      const bool direct = !rp && (mapped || cols <= p - pos);
      const GemmColumnImages images{p, pos, direct ? g.o * p : p, p, g.c * p};
      const GemmColumnImages* across = mapped ? &images : nullptr;
      GemmEpilogue epilogue;
      epilogue.row_bias = bp ? bp + group * g.og : nullptr;
      epilogue.relu = direct && relu;
      float* c = direct ? yp + (image * g.o + oc0) * p + pos : tile_buffer.get(rows * cols);
      const std::int64_t ldc = direct ? p : cols;
      if (in_place(col0, cols)) {
        gemm_packed_a_slice(rows, cols, depth, a_rows, a_stride,
                            xp + (image * g.c + group * g.cg) * p + pos, p, c, ldc, false, epilogue,
                            r0, 0, across);
      } else if (shared_b) {
        gemm_packed_slice(rows, cols, depth, a_rows, a_stride,
                          shared_b + (group * n_col_tiles + ct) * tile_floats, panels.nr * depth, c,
                          ldc, false, epilogue, r0, 0, across);
      } else {
        // One k block at a time: its columns are gathered into a buffer that stays in L2 and
        // used at once (the k blocks of gemm_packed, so the result has the same bits).
        const std::int64_t kb = gemm_k_block();
        float* b_block = b_buffer.get(panels.b_floats(std::min(kb, depth), cols));
        for (std::int64_t d0 = 0; d0 < depth; d0 += kb) {
          const std::int64_t d1 = std::min(depth, d0 + kb);
          im2col_panels(g, xp, group, col0, cols, panels.nr, d0, d1, panels.nr * (d1 - d0),
                        b_block);
          gemm_packed_slice(rows, cols, d1 - d0, a_rows + d0 * panels.mr, a_stride, b_block,
                            panels.nr * (d1 - d0), c, ldc, d0 > 0,
                            d1 == depth ? epilogue : GemmEpilogue{}, r0, 0, across);
        }
      }
      if (!direct) {
        for (std::int64_t j = 0; j < cols;) {
          const std::int64_t at_image = (col0 + j) / p, at_pos = (col0 + j) % p;
          const std::int64_t length = std::min(cols - j, p - at_pos);
          for (std::int64_t r = 0; r < rows; ++r) {
            const float* src = c + r * cols + j;
            const std::int64_t at = (at_image * g.o + oc0 + r) * p + at_pos;
            float* dst = yp + at;
            // One loop per case, so each vectorises (NaN passes the ReLU, as in torch).
            if (rp && relu) {
              const float* res = rp + at;
              for (std::int64_t s = 0; s < length; ++s) {
                const float v = src[s] + res[s];
                dst[s] = v < 0.0f ? 0.0f : v;
              }
            } else if (rp) {
              const float* res = rp + at;
              for (std::int64_t s = 0; s < length; ++s) dst[s] = src[s] + res[s];
            } else if (relu) {
              for (std::int64_t s = 0; s < length; ++s) dst[s] = src[s] < 0.0f ? 0.0f : src[s];
            } else {
              std::copy(src, src + length, dst);
            }
          }
          j += length;
        }
      }
    }
  });
  return out;
}

}  // namespace repscope::ops::cpu
