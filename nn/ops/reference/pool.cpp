// Reference pooling: one window at a time.
#include <limits>

#include "nn/ops/kernel_util.h"
#include "nn/ops/reference/reference.h"

namespace repscope::ops::reference {
namespace {

// Calls f(plane, y, x, window-reduction) for every output; `reduce` sees the in-bounds
// input values of a window and the count of all its cells (padding included).
template <typename Reduce>
Tensor pool(const Tensor& x, int kernel, int stride, int padding, Reduce reduce) {
  const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const std::int64_t oh = detail::window_out(h, kernel, stride, padding);
  const std::int64_t ow = detail::window_out(w, kernel, stride, padding);
  Tensor out = Tensor::empty({n, c, oh, ow});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  for (std::int64_t p = 0; p < n * c; ++p) {
    const float* plane = xp + p * h * w;
    for (std::int64_t y = 0; y < oh; ++y) {
      for (std::int64_t xo = 0; xo < ow; ++xo) {
        yp[(p * oh + y) * ow + xo] =
            reduce(plane, h, w, y * stride - padding, xo * stride - padding);
      }
    }
  }
  return out;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  return pool(x, kernel, stride, padding,
              [kernel](const float* plane, std::int64_t h, std::int64_t w, std::int64_t y0,
                       std::int64_t x0) {
                float best = -std::numeric_limits<float>::infinity();
                for (std::int64_t y = y0; y < y0 + kernel; ++y) {
                  for (std::int64_t xx = x0; xx < x0 + kernel; ++xx) {
                    if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                    const float v = plane[y * w + xx];
                    // NaN wins, as in torch.
                    if (v > best || v != v) best = v;
                    if (best != best) return best;
                  }
                }
                return best;
              });
}

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  return pool(x, kernel, stride, padding,
              [kernel](const float* plane, std::int64_t h, std::int64_t w, std::int64_t y0,
                       std::int64_t x0) {
                double sum = 0.0;
                for (std::int64_t y = y0; y < y0 + kernel; ++y) {
                  for (std::int64_t xx = x0; xx < x0 + kernel; ++xx) {
                    if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                    sum += plane[y * w + xx];
                  }
                }
                // count_include_pad=True: the divisor is the whole (clipped-to-padded-input)
                // window.
                return static_cast<float>(sum / (static_cast<double>(kernel) * kernel));
              });
}

Tensor adaptive_avg_pool2d_1x1(const Tensor& x) {
  const std::int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  Tensor out = Tensor::empty({n, c, 1, 1});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  for (std::int64_t p = 0; p < n * c; ++p) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < hw; ++i) sum += xp[p * hw + i];
    yp[p] = static_cast<float>(sum / static_cast<double>(hw));
  }
  return out;
}

}  // namespace repscope::ops::reference
