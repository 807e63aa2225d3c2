// Pooling kernels, parallel over the N·C planes.
#include <algorithm>
#include <limits>
#include <vector>

#include "nn/ops/cpu/cpu.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {
namespace {

// A pooling's geometry: N·C planes of h×w in, oh×ow out.
struct PoolShape {
  std::int64_t planes, h, w, oh, ow;
  PoolShape(const Tensor& x, int kernel, int stride, int padding)
      : planes(x.dim(0) * x.dim(1)),
        h(x.dim(2)),
        w(x.dim(3)),
        oh(detail::window_out(h, kernel, stride, padding)),
        ow(detail::window_out(w, kernel, stride, padding)) {}
};

// acc[xo] += in[xo * STRIDE + offset] for xo in [lo, hi); STRIDE fixed so the loop vectorises.
template <int STRIDE>
void add_window_column(float* acc, const float* in, std::int64_t offset, std::int64_t lo,
                       std::int64_t hi, std::int64_t stride) {
  const std::int64_t s = STRIDE > 0 ? STRIDE : stride;
  for (std::int64_t xo = lo; xo < hi; ++xo) acc[xo] += in[xo * s + offset];
}

}  // namespace

// Separable: per output row, the max over its window's input rows (element by element along
// the row, which vectorises), then over each window's columns. NaN wins every comparison on both
// passes, so a window with a NaN gives NaN, as in torch. Written without branches: on real
// activations `v > best` is a coin flip; the branchy version was 5% of a ResNet-50 run.
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  const auto [planes, h, w, oh, ow] = PoolShape(x, kernel, stride, padding);
  Tensor out = Tensor::empty({x.dim(0), x.dim(1), oh, ow});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  auto take = [](float best, float v) {
    const float larger = v > best ? v : best;
    return v != v ? v : larger;
  };
  parallel_for(0, planes, 1, [&](std::int64_t p0, std::int64_t p1) {
    thread_local std::vector<float> column_max;  // [w]: one output row's max over window rows
    column_max.resize(static_cast<std::size_t>(w));
    float* m = column_max.data();
    for (std::int64_t pl = p0; pl < p1; ++pl) {
      const float* plane = xp + pl * h * w;
      float* dst = yp + pl * oh * ow;
      for (std::int64_t yo = 0; yo < oh; ++yo) {
        const std::int64_t y0 = yo * stride - padding;
        const std::int64_t ya = std::max<std::int64_t>(y0, 0);
        const std::int64_t yb = std::min<std::int64_t>(y0 + kernel, h);
        std::fill(m, m + w, -std::numeric_limits<float>::infinity());
        for (std::int64_t y = ya; y < yb; ++y) {
          const float* in = plane + y * w;
          for (std::int64_t xx = 0; xx < w; ++xx) m[xx] = take(m[xx], in[xx]);
        }
        float* out_row = dst + yo * ow;
        for (std::int64_t xo = 0; xo < ow; ++xo) {
          const std::int64_t x0 = xo * stride - padding;
          const std::int64_t xa = std::max<std::int64_t>(x0, 0);
          const std::int64_t xb = std::min<std::int64_t>(x0 + kernel, w);
          float best = -std::numeric_limits<float>::infinity();
          for (std::int64_t xx = xa; xx < xb; ++xx) best = take(best, m[xx]);
          out_row[xo] = best;
        }
      }
    }
  });
  return out;
}

// count_include_pad=True: the divisor is always kernel², padded zeros included. Each window is
// summed rows outer, columns inner, from 0 (torch's order, so the same bits), but for a whole
// output row at a time: per (window row, window column), one pass over the output positions
// where that input column exists.
Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  const auto [planes, h, w, oh, ow] = PoolShape(x, kernel, stride, padding);
  Tensor out = Tensor::empty({x.dim(0), x.dim(1), oh, ow});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  const float inv = 1.0f / static_cast<float>(kernel * kernel);
  auto add = stride == 1   ? add_window_column<1>
             : stride == 2 ? add_window_column<2>
                           : add_window_column<0>;
  parallel_for(0, planes, 1, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t pl = p0; pl < p1; ++pl) {
      const float* plane = xp + pl * h * w;
      float* dst = yp + pl * oh * ow;
      for (std::int64_t yo = 0; yo < oh; ++yo) {
        const std::int64_t y0 = yo * stride - padding;
        const std::int64_t ya = std::max<std::int64_t>(y0, 0);
        const std::int64_t yb = std::min<std::int64_t>(y0 + kernel, h);
        float* acc = dst + yo * ow;
        std::fill(acc, acc + ow, 0.0f);
        for (std::int64_t y = ya; y < yb; ++y) {
          const float* in = plane + y * w;
          for (std::int64_t kx = 0; kx < kernel; ++kx) {
            // Output positions whose window column kx is inside the row: 0 <= xo·s - p + kx < w.
            const std::int64_t offset = kx - padding;
            const std::int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
            const std::int64_t hi = std::clamp<std::int64_t>(
                w - 1 - offset < 0 ? 0 : (w - 1 - offset) / stride + 1, lo, ow);
            add(acc, in, offset, std::min(lo, ow), hi, stride);
          }
        }
        for (std::int64_t xo = 0; xo < ow; ++xo) acc[xo] *= inv;
      }
    }
  });
  return out;
}

Tensor adaptive_avg_pool2d_1x1(const Tensor& x) {
  const std::int64_t planes = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
  Tensor out = Tensor::empty({x.dim(0), x.dim(1), 1, 1});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  parallel_for(0, planes, 16, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t pl = p0; pl < p1; ++pl) {
      // Double accumulation: a 56x56 plane summed in float would drift from torch's result.
      double sum = 0.0;
      for (std::int64_t i = 0; i < hw; ++i) sum += xp[pl * hw + i];
      yp[pl] = static_cast<float>(sum / static_cast<double>(hw));
    }
  });
  return out;
}

}  // namespace repscope::ops::cpu
