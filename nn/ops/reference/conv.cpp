// Reference conv2d: the textbook seven-deep loop, accumulating in double.
#include "nn/ops/kernel_util.h"
#include "nn/ops/reference/reference.h"

namespace repscope::ops::reference {

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups, const Tensor& residual, bool relu) {
  const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const std::int64_t o = weight.dim(0), cg = weight.dim(1), kh = weight.dim(2), kw = weight.dim(3);
  const std::int64_t oh = detail::window_out(h, kh, stride, padding);
  const std::int64_t ow = detail::window_out(w, kw, stride, padding);
  const std::int64_t og = o / groups;
  Tensor out = Tensor::empty({n, o, oh, ow});
  const float* xp = x.data<float>();
  const float* wp = weight.data<float>();
  const float* bp = detail::optional_data(bias);
  const float* rp = detail::optional_data(residual);
  float* yp = out.data<float>();
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t oc = 0; oc < o; ++oc) {
      const std::int64_t first_c = (oc / og) * cg;
      for (std::int64_t y = 0; y < oh; ++y) {
        for (std::int64_t xo = 0; xo < ow; ++xo) {
          double acc = bp ? bp[oc] : 0.0;
          for (std::int64_t ic = 0; ic < cg; ++ic) {
            for (std::int64_t ky = 0; ky < kh; ++ky) {
              const std::int64_t iy = y * stride - padding + ky;
              if (iy < 0 || iy >= h) continue;
              for (std::int64_t kx = 0; kx < kw; ++kx) {
                const std::int64_t ix = xo * stride - padding + kx;
                if (ix < 0 || ix >= w) continue;
                acc += static_cast<double>(xp[((b * c + first_c + ic) * h + iy) * w + ix]) *
                       wp[((oc * cg + ic) * kh + ky) * kw + kx];
              }
            }
          }
          // The fused tail in float, as the separate add and relu ops compute it.
          const std::int64_t at = ((b * o + oc) * oh + y) * ow + xo;
          float v = static_cast<float>(acc);
          if (rp) v = v + rp[at];
          if (relu && v < 0.0f) v = 0.0f;
          yp[at] = v;
        }
      }
    }
  }
  return out;
}

}  // namespace repscope::ops::reference
