// Element-wise, pooling, conversion and token kernels (see kernels.h).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda/kernels.h"

namespace repscope::cuda::kernels {
namespace {

constexpr int kThreads = 256;

// Grid-stride launch size: enough blocks to fill the device, capped so huge tensors loop.
inline unsigned blocks_for(std::int64_t n) {
  const std::int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 8 ? 65535 * 8 : b));
}

template <typename F>
__global__ void map_kernel(const float* __restrict__ x, float* __restrict__ y, std::int64_t n, F f) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = f(x[i]);
  }
}

struct Relu {
  __device__ float operator()(float v) const { return v > 0.0f ? v : 0.0f; }
};
struct Gelu {
  __device__ float operator()(float v) const { return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); }
};
struct QuickGelu {
  __device__ float operator()(float v) const { return v / (1.0f + expf(-1.702f * v)); }
};

template <typename F>
void launch_map(const float* x, float* y, std::int64_t n, cudaStream_t s, F f) {
  if (n == 0) return;
  map_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n, f);
}

__global__ void add_kernel(const float* __restrict__ a, const float* __restrict__ b,
                           float* __restrict__ y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = a[i] + b[i];
  }
}

__global__ void batch_norm_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                  const float* __restrict__ b, const float* __restrict__ mean,
                                  const float* __restrict__ var, float eps, float* __restrict__ y,
                                  std::int64_t total, std::int64_t c, std::int64_t inner) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ch = (i / inner) % c;
    const float inv = 1.0f / sqrtf(var[ch] + eps);
    const float scale = (w ? w[ch] : 1.0f) * inv;
    y[i] = (x[i] - mean[ch]) * scale + (b ? b[ch] : 0.0f);
  }
}

__global__ void broadcast_rows_kernel(const float* __restrict__ bias, float* __restrict__ y,
                                      std::int64_t total, std::int64_t cols) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = bias[i % cols];
  }
}

__global__ void add_bias_rows_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                     std::int64_t total, std::int64_t cols) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] += bias[i % cols];
  }
}

__global__ void add_channel_bias_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                        std::int64_t total, std::int64_t c, std::int64_t inner) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] += bias[(i / inner) % c];
  }
}

template <bool kMax>
__global__ void pool_kernel(const float* __restrict__ x, float* __restrict__ y,
                            std::int64_t total, int h, int w, int oh, int ow, int k, int stride,
                            int pad) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const int ox = static_cast<int>(i % ow);
    const int oy = static_cast<int>((i / ow) % oh);
    const std::int64_t plane = i / (static_cast<std::int64_t>(ow) * oh);
    const float* p = x + plane * h * w;
    const int y0 = oy * stride - pad, x0 = ox * stride - pad;
    float acc = kMax ? -INFINITY : 0.0f;
    for (int dy = 0; dy < k; ++dy) {
      const int yy = y0 + dy;
      if (yy < 0 || yy >= h) continue;
      for (int dx = 0; dx < k; ++dx) {
        const int xx = x0 + dx;
        if (xx < 0 || xx >= w) continue;
        const float v = p[yy * w + xx];
        if (kMax) {
          // NaN propagates, as in torch's max_pool2d.
          if (v > acc || isnan(v)) acc = v;
        } else {
          acc += v;
        }
      }
    }
    y[i] = kMax ? acc : acc / static_cast<float>(k * k);
  }
}

__global__ void f32_to_f16_kernel(const float* x, __half* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = __float2half_rn(x[i]);
  }
}
__global__ void f32_to_bf16_kernel(const float* x, __nv_bfloat16* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = __float2bfloat16_rn(x[i]);
  }
}
__global__ void f16_to_f32_kernel(const __half* x, float* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = __half2float(x[i]);
  }
}
__global__ void bf16_to_f32_kernel(const __nv_bfloat16* x, float* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = __bfloat162float(x[i]);
  }
}
__global__ void f32_to_f64_kernel(const float* x, double* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    y[i] = static_cast<double>(x[i]);
  }
}

__global__ void select_token_kernel(const float* x, float* y, std::int64_t total, std::int64_t l,
                                    std::int64_t e, std::int64_t index) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t img = i / e, c = i % e;
    y[i] = x[(img * l + index) * e + c];
  }
}

// Output-major: consecutive threads write consecutive channels of one token.
__global__ void patches_to_tokens_kernel(const float* x, float* y, std::int64_t total,
                                         std::int64_t e, std::int64_t l) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t c = i % e, tok = (i / e) % l, img = i / (e * l);
    y[i] = x[(img * e + c) * l + tok];
  }
}

__global__ void prepend_class_token_kernel(const float* tokens, const float* cls,
                                           const float* pos, float* y, std::int64_t total,
                                           std::int64_t l, std::int64_t e) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t c = i % e, tok = (i / e) % (l + 1), img = i / (e * (l + 1));
    const float v = tok == 0 ? cls[c] : tokens[(img * l + tok - 1) * e + c];
    y[i] = pos ? v + pos[tok * e + c] : v;
  }
}

// One thread per (image, channel): the plane is summed in float64 in index order, so token 0 is
// bit-identical to the CPU loop; position writes are coalesced across neighbouring channels.
__global__ void attention_pool_tokens_kernel(const float* x, const float* pos, float* y,
                                             std::int64_t total, std::int64_t c, std::int64_t hw) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t img = i / c, ch = i % c;
    const float* plane = x + i * hw;
    float* row = y + img * (hw + 1) * c;
    double sum = 0.0;
    for (std::int64_t j = 0; j < hw; ++j) {
      const float v = plane[j];
      sum += v;
      row[(j + 1) * c + ch] = __fadd_rn(v, pos[(j + 1) * c + ch]);
    }
    row[ch] = __fadd_rn(static_cast<float>(sum / static_cast<double>(hw)), pos[ch]);
  }
}

}  // namespace

void relu(const float* x, float* y, std::int64_t n, cudaStream_t s) { launch_map(x, y, n, s, Relu{}); }
void gelu(const float* x, float* y, std::int64_t n, cudaStream_t s) { launch_map(x, y, n, s, Gelu{}); }
void quick_gelu(const float* x, float* y, std::int64_t n, cudaStream_t s) {
  launch_map(x, y, n, s, QuickGelu{});
}

void add(const float* a, const float* b, float* y, std::int64_t n, cudaStream_t s) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads, 0, s>>>(a, b, y, n);
}

void batch_norm(const float* x, const float* w, const float* b, const float* mean,
                const float* var, float eps, float* y, std::int64_t outer, std::int64_t c,
                std::int64_t inner, cudaStream_t s) {
  const std::int64_t total = outer * c * inner;
  if (total == 0) return;
  batch_norm_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, w, b, mean, var, eps, y, total, c,
                                                           inner);
}

void broadcast_rows(const float* bias, float* y, std::int64_t rows, std::int64_t cols,
                    cudaStream_t s) {
  const std::int64_t total = rows * cols;
  if (total == 0) return;
  broadcast_rows_kernel<<<blocks_for(total), kThreads, 0, s>>>(bias, y, total, cols);
}

void add_bias_rows(float* y, const float* bias, std::int64_t rows, std::int64_t cols,
                   cudaStream_t s) {
  const std::int64_t total = rows * cols;
  if (total == 0) return;
  add_bias_rows_kernel<<<blocks_for(total), kThreads, 0, s>>>(y, bias, total, cols);
}

void add_channel_bias(float* y, const float* bias, std::int64_t outer, std::int64_t c,
                      std::int64_t inner, cudaStream_t s) {
  const std::int64_t total = outer * c * inner;
  if (total == 0) return;
  add_channel_bias_kernel<<<blocks_for(total), kThreads, 0, s>>>(y, bias, total, c, inner);
}

void max_pool2d(const float* x, float* y, std::int64_t planes, int h, int w, int oh, int ow,
                int k, int stride, int pad, cudaStream_t s) {
  const std::int64_t total = planes * oh * ow;
  if (total == 0) return;
  pool_kernel<true><<<blocks_for(total), kThreads, 0, s>>>(x, y, total, h, w, oh, ow, k, stride, pad);
}

void avg_pool2d(const float* x, float* y, std::int64_t planes, int h, int w, int oh, int ow,
                int k, int stride, int pad, cudaStream_t s) {
  const std::int64_t total = planes * oh * ow;
  if (total == 0) return;
  pool_kernel<false><<<blocks_for(total), kThreads, 0, s>>>(x, y, total, h, w, oh, ow, k, stride, pad);
}

void f32_to_f16(const float* x, std::uint16_t* y, std::int64_t n, cudaStream_t s) {
  if (n == 0) return;
  f32_to_f16_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, reinterpret_cast<__half*>(y), n);
}
void f32_to_bf16(const float* x, std::uint16_t* y, std::int64_t n, cudaStream_t s) {
  if (n == 0) return;
  f32_to_bf16_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, reinterpret_cast<__nv_bfloat16*>(y), n);
}
void f16_to_f32(const std::uint16_t* x, float* y, std::int64_t n, cudaStream_t s) {
  if (n == 0) return;
  f16_to_f32_kernel<<<blocks_for(n), kThreads, 0, s>>>(reinterpret_cast<const __half*>(x), y, n);
}
void bf16_to_f32(const std::uint16_t* x, float* y, std::int64_t n, cudaStream_t s) {
  if (n == 0) return;
  bf16_to_f32_kernel<<<blocks_for(n), kThreads, 0, s>>>(
      reinterpret_cast<const __nv_bfloat16*>(x), y, n);
}
void f32_to_f64(const float* x, double* y, std::int64_t n, cudaStream_t s) {
  if (n == 0) return;
  f32_to_f64_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
}

void select_token(const float* x, float* y, std::int64_t n, std::int64_t l, std::int64_t e,
                  std::int64_t index, cudaStream_t s) {
  const std::int64_t total = n * e;
  if (total == 0) return;
  select_token_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, y, total, l, e, index);
}

void patches_to_tokens(const float* x, float* y, std::int64_t n, std::int64_t e, std::int64_t l,
                       cudaStream_t s) {
  const std::int64_t total = n * e * l;
  if (total == 0) return;
  patches_to_tokens_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, y, total, e, l);
}

void prepend_class_token(const float* tokens, const float* cls, const float* pos, float* y,
                         std::int64_t n, std::int64_t l, std::int64_t e, cudaStream_t s) {
  const std::int64_t total = n * (l + 1) * e;
  if (total == 0) return;
  prepend_class_token_kernel<<<blocks_for(total), kThreads, 0, s>>>(tokens, cls, pos, y, total, l, e);
}

void attention_pool_tokens(const float* x, const float* pos, float* y, std::int64_t n,
                           std::int64_t c, std::int64_t hw, cudaStream_t s) {
  const std::int64_t total = n * c;
  if (total == 0) return;
  attention_pool_tokens_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, pos, y, total, c, hw);
}

}  // namespace repscope::cuda::kernels
