// conv2d as im2col + GEMM on packed panels (nn/gemm.h). The weights are the GEMM's A operand,
// packed once per call (per group); the columns of B are the N·OH·OW output positions of the
// whole batch, which each task gathers straight into packed B panels (im2col and packing in one
// pass) for a tile of columns, then multiplies by every row panel of the weights. The bias is
// added in the GEMM's epilogue. Tiles are pieces of one image's output positions when a feature
// map is large, else runs of whole images (their results are scattered into [N, O, P]
// afterwards). How columns and rows are split never changes an output element's arithmetic
// (see nn/gemm.h), so results do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <vector>

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

// Writes the input patches of output columns [col0, col0 + cols) of `group` as packed B panels
// (nr columns per panel, depth rows; columns past `cols` zero). A column is image * OH*OW +
// output position; a row is (input channel, ky, kx).
void im2col_panels(const ConvGeometry& g, const float* x, std::int64_t group, std::int64_t col0,
                   std::int64_t cols, int nr, float* out) {
  const std::int64_t p = g.positions();
  const std::int64_t depth = g.depth();
  const std::int64_t panels = (cols + nr - 1) / nr;
  const std::int64_t panel_stride = depth * nr;
  for (std::int64_t ic = 0; ic < g.cg; ++ic) {
    for (std::int64_t ky = 0; ky < g.kh; ++ky) {
      for (std::int64_t kx = 0; kx < g.kw; ++kx) {
        const std::int64_t d = (ic * g.kh + ky) * g.kw + kx;
        float* row = out + d * nr;  // row d of panel 0
        std::int64_t image = col0 / p;
        std::int64_t pos = col0 % p;
        for (std::int64_t j = 0; j < cols;) {
          const float* plane = x + (image * g.c + group * g.cg + ic) * g.h * g.w;
          const std::int64_t oy = pos / g.ow;
          std::int64_t ox = pos % g.ow;
          const std::int64_t iy = oy * g.stride - g.padding + ky;
          // One output row segment at a time (the input row is fixed along it), cut at panel ends.
          std::int64_t seg = std::min(cols - j, g.ow - ox);
          const float* in_row = (iy < 0 || iy >= g.h) ? nullptr : plane + iy * g.w;
          pos += seg;
          while (seg > 0) {
            const std::int64_t lane = j % nr;
            const std::int64_t run = std::min(seg, nr - lane);
            float* dst = row + (j / nr) * panel_stride + lane;
            if (!in_row) {
              std::fill(dst, dst + run, 0.0f);
            } else {
              const std::int64_t ix0 = ox * g.stride - g.padding + kx;
              // Lanes [lo, hi) read inside the row; the others are padding.
              const std::int64_t lo =
                  std::min(run, ix0 >= 0 ? 0 : (-ix0 + g.stride - 1) / g.stride);
              const std::int64_t hi = std::clamp<std::int64_t>(
                  ix0 >= g.w ? 0 : (g.w - 1 - ix0) / g.stride + 1, lo, run);
              std::fill(dst, dst + lo, 0.0f);
              if (g.stride == 1) {
                const float* src = in_row + ix0;
                for (std::int64_t s = lo; s < hi; ++s)
                  dst[s] = src[s];  // short runs: no memcpy call
              } else {
                const float* src = in_row + ix0;
                for (std::int64_t s = lo; s < hi; ++s) dst[s] = src[s * g.stride];
              }
              std::fill(dst + hi, dst + run, 0.0f);
            }
            j += run;
            ox += run;
            seg -= run;
          }
          if (pos == p) {
            pos = 0;
            ++image;
          }
        }
        // Zero the unused lanes of the last panel.
        const std::int64_t tail = panels * nr - cols;
        if (tail > 0) {
          float* dst = row + (panels - 1) * panel_stride + (nr - tail);
          std::fill(dst, dst + tail, 0.0f);
        }
      }
    }
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

// Columns per task: enough to reuse each packed weight panel over many columns, few enough
// that a k block of the B panels (kc × columns) stays in L2 next to the weights' block.
constexpr std::int64_t kTileColumns = 480;

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups) {
  ConvGeometry g{};
  g.n = x.dim(0), g.c = x.dim(1), g.h = x.dim(2), g.w = x.dim(3);
  g.o = weight.dim(0), g.cg = weight.dim(1), g.og = g.o / groups;
  g.kh = weight.dim(2), g.kw = weight.dim(3);
  g.stride = stride, g.padding = padding;
  g.oh = detail::window_out(g.h, g.kh, stride, padding);
  g.ow = detail::window_out(g.w, g.kw, stride, padding);
  const float* bp = detail::optional_data(bias);
  if (g.n == 0 || g.o == 0) return Tensor::empty({g.n, g.o, g.oh, g.ow});
  if (g.cg == 1 && g.og == 1 && groups > 1) return depthwise(g, x, weight, bp);

  const GemmPanels panels = gemm_panels();
  const std::int64_t p = g.positions();
  const std::int64_t depth = g.depth();

  // Pack every group's weights [og, depth] as A panels.
  const std::int64_t a_floats = panels.a_floats(g.og, depth);
  GemmBuffer a_buffer;
  float* a_packed = a_buffer.get(a_floats * groups);
  const float* wp = weight.data<float>();
  const std::int64_t a_panels = (g.og + panels.mr - 1) / panels.mr;
  parallel_for(0, groups, 1, [&](std::int64_t g0, std::int64_t g1) {
    for (std::int64_t gr = g0; gr < g1; ++gr) {
      gemm_pack_a(g.og, depth, wp + gr * g.og * depth, depth, false, a_packed + gr * a_floats);
    }
  });

  // Column tiles: pieces of one image (a multiple of nr columns) or runs of whole images.
  const std::int64_t target = std::max<std::int64_t>(kTileColumns / panels.nr, 1) * panels.nr;
  std::int64_t tile_cols = 0, images_per_tile = 1, tiles_per_image = 1;
  if (p >= target) {
    tiles_per_image = (p + target - 1) / target;
    tile_cols = (p + tiles_per_image - 1) / tiles_per_image;
    tile_cols = (tile_cols + panels.nr - 1) / panels.nr * panels.nr;
    tiles_per_image = (p + tile_cols - 1) / tile_cols;
  } else {
    images_per_tile = std::min(g.n, std::max<std::int64_t>(1, target / p));
    tile_cols = images_per_tile * p;
  }
  const std::int64_t n_col_tiles =
      p >= target ? g.n * tiles_per_image : (g.n + images_per_tile - 1) / images_per_tile;
  // Split the rows too when there are too few column tiles to keep every thread busy (each row
  // group gathers its own copy of the columns).
  const std::int64_t col_tasks = groups * n_col_tiles;
  const std::int64_t want = 3 * static_cast<std::int64_t>(num_threads());
  const std::int64_t row_groups =
      col_tasks >= want ? 1 : std::min(a_panels, (want + col_tasks - 1) / col_tasks);
  const std::int64_t panels_per_group = (a_panels + row_groups - 1) / row_groups;

  Tensor out = Tensor::empty({g.n, g.o, g.oh, g.ow});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  auto column_tile = [&](std::int64_t ct, std::int64_t& col0, std::int64_t& cols) {
    if (p >= target) {
      const std::int64_t image = ct / tiles_per_image, piece = ct % tiles_per_image;
      const std::int64_t pos = piece * tile_cols;
      col0 = image * p + pos;
      cols = std::min(tile_cols, p - pos);
    } else {
      col0 = ct * tile_cols;
      cols = std::min(tile_cols, g.n * p - col0);
    }
  };
  // With the rows split, gather every column tile once up front (they are few and small).
  const std::int64_t tile_floats = panels.b_floats(depth, tile_cols);
  GemmBuffer shared_buffer;
  float* shared_b = nullptr;
  if (row_groups > 1) {
    shared_b = shared_buffer.get(col_tasks * tile_floats);
    parallel_for(0, col_tasks, 1, [&](std::int64_t c0, std::int64_t c1) {
      for (std::int64_t c = c0; c < c1; ++c) {
        std::int64_t col0 = 0, cols = 0;
        column_tile(c % n_col_tiles, col0, cols);
        im2col_panels(g, xp, c / n_col_tiles, col0, cols, panels.nr, shared_b + c * tile_floats);
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
      float* b_packed = nullptr;
      if (shared_b) {
        b_packed = shared_b + (group * n_col_tiles + ct) * tile_floats;
      } else {
        b_packed = b_buffer.get(panels.b_floats(depth, cols));
        im2col_panels(g, xp, group, col0, cols, panels.nr, b_packed);
      }

      const std::int64_t oc0 = group * g.og + r0;
      const float* a_rows = a_packed + group * a_floats + r0 * depth;
      GemmEpilogue epilogue;
      epilogue.row_bias = bp ? bp + group * g.og : nullptr;
      const std::int64_t image = col0 / p, pos = col0 % p;
      if (cols <= p - pos) {
        // Within one image the GEMM writes straight into the output rows (pitch p).
        float* dst = yp + (image * g.o + oc0) * p + pos;
        gemm_packed(rows, cols, depth, a_rows, b_packed, dst, p, false, epilogue, r0, 0);
      } else {
        float* tile = tile_buffer.get(rows * cols);
        gemm_packed(rows, cols, depth, a_rows, b_packed, tile, cols, false, epilogue, r0, 0);
        // Scatter the [rows, whole images] tile into [N, O, P].
        for (std::int64_t j = 0; j < cols; j += p) {
          for (std::int64_t r = 0; r < rows; ++r) {
            const float* src = tile + r * cols + j;
            std::copy(src, src + p, yp + ((image + j / p) * g.o + oc0 + r) * p);
          }
        }
      }
    }
  });
  return out;
}

}  // namespace repscope::ops::cpu
