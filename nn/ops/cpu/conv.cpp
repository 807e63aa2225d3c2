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
  std::int64_t n, c, h, w;      // input
  std::int64_t o, cg, og;       // output channels, channels per group (in, out)
  std::int64_t kh, kw, oh, ow;  // kernel, output size
  std::int64_t stride, padding;
  std::int64_t positions() const { return oh * ow; }
  std::int64_t depth() const { return cg * kh * kw; }  // GEMM K
};

// Fills col[depth, cols] with the input patches of output columns [col0, col0 + cols) of
// group g (a column = image * OH*OW + output position).
void im2col(const ConvGeometry& g, const float* x, std::int64_t group, std::int64_t col0,
            std::int64_t cols, float* col) {
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

  // Column tiles: pieces of one image's output positions when a feature map is large, else
  // runs of whole images, so a tile never straddles an image boundary.
  const std::int64_t p = g.positions();
  const std::int64_t depth = g.depth();
  const std::int64_t target = std::max<std::int64_t>(64, (kColBufferFloats / depth) / 16 * 16);
  std::int64_t tile_cols = 0, images_per_tile = 1, tiles_per_image = 1;
  if (p >= target) {
    tiles_per_image = (p + target - 1) / target;
    tile_cols = (p + tiles_per_image - 1) / tiles_per_image;
  } else {
    images_per_tile = std::min(g.n, std::max<std::int64_t>(1, target / p));
    tile_cols = images_per_tile * p;
  }
  const std::int64_t n_col_tiles =
      p >= target ? g.n * tiles_per_image : (g.n + images_per_tile - 1) / images_per_tile;
  const std::int64_t row_tile = std::min(g.og, kRowTile);
  const std::int64_t n_row_tiles = (g.og + row_tile - 1) / row_tile;
  // A 1x1, stride-1, unpadded convolution reads its GEMM operand straight from x.
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
      std::int64_t col0 = 0, cols = 0;
      if (p >= target) {
        const std::int64_t image = ct / tiles_per_image, piece = ct % tiles_per_image;
        const std::int64_t pos = piece * tile_cols;
        col0 = image * p + pos;
        cols = std::min(tile_cols, p - pos);
      } else {
        col0 = ct * tile_cols;
        cols = std::min(tile_cols, g.n * p - col0);
      }
      const std::int64_t image = col0 / p, pos = col0 % p;
      const bool one_image = cols <= p - pos;
      const std::int64_t r0 = rt * row_tile;
      const std::int64_t rows = std::min(row_tile, g.og - r0);
      const std::int64_t oc0 = group * g.og + r0;
      const float* w_rows = wp + oc0 * depth;

      // Within one image the GEMM writes straight into the output rows (pitch p).
      float* dst = yp + (image * g.o + oc0) * p + pos;
      if (direct && one_image) {
        const float* src = xp + (image * g.c + group * g.cg) * p + pos;
        gemm(rows, cols, depth, w_rows, depth, false, src, p, false, dst, p);
      } else {
        col.resize(static_cast<std::size_t>(depth * cols));
        im2col(g, xp, group, col0, cols, col.data());
        if (one_image) {
          gemm(rows, cols, depth, w_rows, depth, false, col.data(), cols, false, dst, p);
        } else {
          tile.resize(static_cast<std::size_t>(rows * cols));
          gemm(rows, cols, depth, w_rows, depth, false, col.data(), cols, false, tile.data(), cols);
          // Scatter the [rows, whole images] tile into [N, O, P].
          for (std::int64_t j = 0; j < cols; j += p) {
            for (std::int64_t r = 0; r < rows; ++r) {
              const float* src = tile.data() + r * cols + j;
              std::copy(src, src + p, yp + ((image + j / p) * g.o + oc0 + r) * p);
            }
          }
        }
      }
      if (bp) {
        for (std::int64_t j = 0; j < cols; j += std::min(cols, p)) {
          for (std::int64_t r = 0; r < rows; ++r) {
            float* row = yp + ((col0 + j) / p * g.o + oc0 + r) * p + (col0 + j) % p;
            const float b = bp[oc0 + r];
            for (std::int64_t s = 0; s < std::min(cols, p); ++s) row[s] += b;
          }
        }
      }
    }
  });
  return out;
}

}  // namespace repscope::ops::cpu
