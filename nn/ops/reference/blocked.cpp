// Reference kernels of the channel-blocked layout: the layout changes as plain loops, and the
// blocked ops as their NCHW reference ops between layout changes.
#include "nn/ops.h"
#include "nn/ops/reference/reference.h"

namespace repscope::ops::reference {

Tensor to_blocked(const Tensor& x) {
  const std::int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  Tensor out = Tensor::empty({n, c / kChannelBlock, x.dim(2), x.dim(3), kChannelBlock});
  const float* src = x.data<float>();
  float* dst = out.data<float>();
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t q = 0; q < hw; ++q)
        dst[((i * (c / kChannelBlock) + ch / kChannelBlock) * hw + q) * kChannelBlock +
            ch % kChannelBlock] = src[(i * c + ch) * hw + q];
  return out;
}

Tensor from_blocked(const Tensor& x) {
  const std::int64_t n = x.dim(0), c = x.dim(1) * kChannelBlock, hw = x.dim(2) * x.dim(3);
  Tensor out = Tensor::empty({n, c, x.dim(2), x.dim(3)});
  const float* src = x.data<float>();
  float* dst = out.data<float>();
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t q = 0; q < hw; ++q)
        dst[(i * c + ch) * hw + q] =
            src[((i * (c / kChannelBlock) + ch / kChannelBlock) * hw + q) * kChannelBlock +
                ch % kChannelBlock];
  return out;
}

Tensor conv2d_blocked(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
                      int padding, const Tensor& residual, bool relu) {
  return to_blocked(conv2d(from_blocked(x), weight, bias, stride, padding, 1,
                           residual.defined() ? from_blocked(residual) : Tensor{}, relu));
}

Tensor avg_pool2d_blocked(const Tensor& x, int kernel, int stride, int padding) {
  return to_blocked(avg_pool2d(from_blocked(x), kernel, stride, padding));
}

}  // namespace repscope::ops::reference
