// The channel-blocked layout's data movement on the CPU (nn/ops.h): the layout changes and the
// average pool. conv2d_blocked is in conv_blocked.cpp.
#include <algorithm>

#include "nn/ops.h"
#include "nn/ops/cpu/cpu.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {
namespace {

constexpr std::int64_t kB = kChannelBlock;
// Positions per pass of a layout change: 16 rows of this many values stay in L1 together.
constexpr std::int64_t kRun = 256;

// Runs copy(src block, dst block, q0, q1) over runs of kRun positions of every channel block of
// the batch, in parallel: both layouts keep a block's 16 channels of all positions together.
template <typename Copy>
void for_each_run(std::int64_t blocks, std::int64_t hw, const float* src, float* dst, Copy copy) {
  const std::int64_t runs = (hw + kRun - 1) / kRun;
  parallel_for(0, blocks * runs, 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t block = t / runs, q0 = t % runs * kRun;
      copy(src + block * kB * hw, dst + block * kB * hw, q0, std::min(hw, q0 + kRun));
    }
  });
}

}  // namespace

Tensor to_blocked(const Tensor& x) {
  const std::int64_t n = x.dim(0), cb = x.dim(1) / kB, hw = x.dim(2) * x.dim(3);
  Tensor out = Tensor::empty({n, cb, x.dim(2), x.dim(3), kB});
  for_each_run(n * cb, hw, x.data<float>(), out.data<float>(),
               [hw](const float* s, float* d, std::int64_t q0, std::int64_t q1) {
                 for (std::int64_t q = q0; q < q1; ++q)
                   for (std::int64_t l = 0; l < kB; ++l) d[q * kB + l] = s[l * hw + q];
               });
  return out;
}

Tensor from_blocked(const Tensor& x) {
  const std::int64_t n = x.dim(0), cb = x.dim(1), hw = x.dim(2) * x.dim(3);
  Tensor out = Tensor::empty({n, cb * kB, x.dim(2), x.dim(3)});
  for_each_run(n * cb, hw, x.data<float>(), out.data<float>(),
               [hw](const float* s, float* d, std::int64_t q0, std::int64_t q1) {
                 for (std::int64_t l = 0; l < kB; ++l)
                   for (std::int64_t q = q0; q < q1; ++q) d[l * hw + q] = s[q * kB + l];
               });
  return out;
}

// As avg_pool2d's CPU kernel, per output value: the window's values summed row by row, column
// by column (padding skipped), then scaled by 1/(kernel²) — the same bits.
Tensor avg_pool2d_blocked(const Tensor& x, int kernel, int stride, int padding) {
  const std::int64_t n = x.dim(0), cb = x.dim(1), h = x.dim(2), w = x.dim(3);
  const std::int64_t oh = detail::window_out(h, kernel, stride, padding);
  const std::int64_t ow = detail::window_out(w, kernel, stride, padding);
  Tensor out = Tensor::empty({n, cb, oh, ow, kB});
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  const float inv = 1.0f / static_cast<float>(kernel * kernel);
  parallel_for(0, n * cb * oh, 1, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t block = r / oh, yo = r % oh;
      const float* plane = xp + block * h * w * kB;
      const std::int64_t y0 = yo * stride - padding;
      for (std::int64_t xo = 0; xo < ow; ++xo) {
        const std::int64_t x0 = xo * stride - padding;
        float acc[kB] = {};
        for (std::int64_t y = std::max<std::int64_t>(y0, 0); y < std::min(y0 + kernel, h); ++y)
          for (std::int64_t xx = std::max<std::int64_t>(x0, 0); xx < std::min(x0 + kernel, w);
               ++xx) {
            const float* v = plane + (y * w + xx) * kB;
            for (std::int64_t l = 0; l < kB; ++l) acc[l] += v[l];
          }
        float* dst = yp + ((block * oh + yo) * ow + xo) * kB;
        for (std::int64_t l = 0; l < kB; ++l) dst[l] = acc[l] * inv;
      }
    }
  });
  return out;
}

}  // namespace repscope::ops::cpu
