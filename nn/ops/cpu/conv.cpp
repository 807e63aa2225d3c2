// conv2d as im2col + GEMM, tiled over (group, output rows, column tile) where the columns are
// the N·OH·OW output positions of the whole batch. Tiles bound the im2col buffer (about 2 MB per
// task, whatever the batch size) and their sizes depend on the shapes only, so results do not
// depend on the thread count. Small spatial maps (ResNet's last stages) share one GEMM across
// images, which keeps the packed weights in use longer.
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
  std::int64_t n, c, h, w;       // input
  std::int64_t o, cg, og;        // output channels, channels per group (in, out)
  std::int64_t kh, kw, oh, ow;   // kernel, output size
  std::int64_t stride, padding;
  std::int64_t positions() const { return oh * ow; }
  std::int64_t depth() const { return cg * kh * kw; }  // GEMM K
};

// Fills col[depth, cols] with the input patches of output columns [col0, col0 + cols) of
// group g (a column = image * OH*OW + output position).
void im2col(const ConvGeometry& g, const float* x, std::int64_t group, std::int64_t col0, std::int64_t cols,
            float* col) {
  const std::int64_t p = g.positions();
  for (std::int64_t ic = 0; ic < g.cg; ++ic) {
    for (std::int64_t ky = 0; ky < g.kh; ++ky) {
      for (std::int64_t kx = 0; kx < g.kw; ++kx) {
        float* row = col + ((ic * g.kh + ky) * g.kw + kx) * cols;
        std::int64_t image = col0 / p;
        std::int64_t pos = col0 % p;
        for (std::int64_t j = 0; j < cols;) {
          const float* plane = x + (image * g.c + group * g.cg + ic) * g.h * g.w;
          const std::int64_t oy = pos / g.ow;
          const std::int64_t iy = oy * g.stride - g.padding + ky;
          // One output row segment at a time: the input row is fixed along it.
          const std::int64_t seg = std::min(cols - j, g.ow - pos % g.ow);
          std::int64_t ox = pos % g.ow;
          if (iy < 0 || iy >= g.h) {
            std::fill(row + j, row + j + seg, 0.0f);
          } else {
            const float* in_row = plane + iy * g.w;
            for (std::int64_t s = 0; s < seg; ++s, ++ox) {
              const std::int64_t ix = ox * g.stride - g.padding + kx;
              row[j + s] = (ix >= 0 && ix < g.w) ? in_row[ix] : 0.0f;
            }
          }
          j += seg;
          pos += seg;
          if (pos == p) {
            pos = 0;
            ++image;
          }
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

constexpr std::int64_t kColBufferFloats = std::int64_t{1} << 19;  // 2 MB of im2col per task
constexpr std::int64_t kRowTile = 256;                            // output channels per task

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding, int groups) {
  ConvGeometry g{};
  g.n = x.dim(0), g.c = x.dim(1), g.h = x.dim(2), g.w = x.dim(3);
  g.o = weight.dim(0), g.cg = weight.dim(1), g.og = g.o / groups;
  g.kh = weight.dim(2), g.kw = weight.dim(3);
  g.stride = stride, g.padding = padding;
  g.oh = detail::window_out(g.h, g.kh, stride, padding);
  g.ow = detail::window_out(g.w, g.kw, stride, padding);
  const float* bp = detail::optional_data(bias);
  if (g.cg == 1 && g.og == 1 && groups > 1) return depthwise(g, x, weight, bp);

  const std::int64_t p = g.positions();
  const std::int64_t total_cols = g.n * p;
  const std::int64_t depth = g.depth();
  const std::int64_t col_tile =
      std::min(total_cols, std::max<std::int64_t>(64, (kColBufferFloats / depth) / 16 * 16));
  const std::int64_t n_col_tiles = (total_cols + col_tile - 1) / col_tile;
  const std::int64_t row_tile = std::min(g.og, kRowTile);
  const std::int64_t n_row_tiles = (g.og + row_tile - 1) / row_tile;
  // A 1x1, stride-1, unpadded convolution reads its GEMM operand straight from x per image.
  const bool direct = g.kh == 1 && g.kw == 1 && stride == 1 && padding == 0;

  Tensor out = Tensor::empty({g.n, g.o, g.oh, g.ow});
  const float* xp = x.data<float>();
  const float* wp = weight.data<float>();
  float* yp = out.data<float>();
  const std::int64_t tasks = groups * n_col_tiles * n_row_tiles;
  parallel_for(0, tasks, 1, [&](std::int64_t t0, std::int64_t t1) {
    thread_local std::vector<float> col;
    thread_local std::vector<float> tile;
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t group = t / (n_col_tiles * n_row_tiles);
      const std::int64_t ct = (t / n_row_tiles) % n_col_tiles;
      const std::int64_t rt = t % n_row_tiles;
      const std::int64_t col0 = ct * col_tile;
      const std::int64_t cols = std::min(col_tile, total_cols - col0);
      const std::int64_t r0 = rt * row_tile;
      const std::int64_t rows = std::min(row_tile, g.og - r0);
      const std::int64_t oc0 = group * g.og + r0;
      const float* w_rows = wp + oc0 * depth;

      if (direct && col0 / p == (col0 + cols - 1) / p) {
        // Columns within one image: GEMM straight from x into the output.
        const std::int64_t image = col0 / p, pos = col0 % p;
        const float* src = xp + (image * g.c + group * g.cg) * p + pos;
        float* dst = yp + (image * g.o + oc0) * p + pos;
        gemm(rows, cols, depth, w_rows, depth, false, src, p, false, dst, p);
        if (bp) {
          for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t j = 0; j < cols; ++j) dst[r * p + j] += bp[oc0 + r];
          }
        }
        continue;
      }
      col.resize(static_cast<std::size_t>(depth * cols));
      tile.resize(static_cast<std::size_t>(rows * cols));
      im2col(g, xp, group, col0, cols, col.data());
      gemm(rows, cols, depth, w_rows, depth, false, col.data(), cols, false, tile.data(), cols);
      // Scatter the [rows, cols] tile into [N, O, P], adding the bias.
      for (std::int64_t r = 0; r < rows; ++r) {
        const float b = bp ? bp[oc0 + r] : 0.0f;
        const float* src = tile.data() + r * cols;
        std::int64_t image = col0 / p, pos = col0 % p;
        for (std::int64_t j = 0; j < cols;) {
          const std::int64_t seg = std::min(cols - j, p - pos);
          float* dst = yp + (image * g.o + oc0 + r) * p + pos;
          for (std::int64_t s = 0; s < seg; ++s) dst[s] = src[j + s] + b;
          j += seg;
          pos = 0;
          ++image;
        }
      }
    }
  });
  return out;
}

}  // namespace repscope::ops::cpu
