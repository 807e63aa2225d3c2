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

template <typename Window>
Tensor pool(const Tensor& x, int kernel, int stride, int padding, Window window) {
  const auto [planes, h, w, oh, ow] = PoolShape(x, kernel, stride, padding);
  Tensor out = Tensor::empty({x.dim(0), x.dim(1), oh, ow});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  parallel_for(0, planes, 1, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t pl = p0; pl < p1; ++pl) {
      const float* plane = xp + pl * h * w;
      float* dst = yp + pl * oh * ow;
      for (std::int64_t y = 0; y < oh; ++y) {
        const std::int64_t y0 = y * stride - padding;
        const std::int64_t ya = std::max<std::int64_t>(y0, 0),
                           yb = std::min<std::int64_t>(y0 + kernel, h);
        for (std::int64_t xo = 0; xo < ow; ++xo) {
          const std::int64_t x0 = xo * stride - padding;
          const std::int64_t xa = std::max<std::int64_t>(x0, 0),
                             xb = std::min<std::int64_t>(x0 + kernel, w);
          dst[y * ow + xo] = window(plane, w, ya, yb, xa, xb);
        }
      }
    }
  });
  return out;
}

}  // namespace

// Separable: per output row, the max over its window's input rows (element by element along
// the row, which vectorises), then over each window's columns. NaN wins every comparison on both
// passes, so a window with a NaN gives NaN, as in torch. Written without branches: on real
// activations `v > best` is a coin flip, and mispredicted branches made this pass 20x slower.
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

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  // count_include_pad=True: the divisor is always kernel², padded zeros included.
  const float inv = 1.0f / static_cast<float>(kernel * kernel);
  return pool(x, kernel, stride, padding,
              [inv](const float* plane, std::int64_t w, std::int64_t ya, std::int64_t yb,
                    std::int64_t xa, std::int64_t xb) {
                float sum = 0.0f;
                for (std::int64_t y = ya; y < yb; ++y) {
                  for (std::int64_t xx = xa; xx < xb; ++xx) sum += plane[y * w + xx];
                }
                return sum * inv;
              });
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
