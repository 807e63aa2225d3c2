// Row reductions (LayerNorm, softmax, means), attention plumbing and statistics kernels
// (see kernels.h). Reductions use a fixed order (no atomics), so results are deterministic.
#include "cuda/kernels.h"

namespace repscope::cuda::kernels {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = 256;

inline unsigned blocks_for(std::int64_t n, int per_block = kThreads) {
  const std::int64_t b = (n + per_block - 1) / per_block;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 8 ? 65535 * 8 : b));
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// ---- means ---------------------------------------------------------------------------------

__global__ void row_mean_kernel(const float* __restrict__ x, float* __restrict__ y,
                                std::int64_t rows, std::int64_t inner) {
  const std::int64_t row = blockIdx.x * static_cast<std::int64_t>(kWarpsPerBlock) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= rows) return;
  const float* p = x + row * inner;
  float acc = 0.0f;
  for (std::int64_t i = lane; i < inner; i += kWarp) acc += p[i];
  acc = warp_sum(acc);
  if (lane == 0) y[row] = acc / static_cast<float>(inner);
}

__global__ void token_mean_kernel(const float* __restrict__ x, float* __restrict__ y,
                                  std::int64_t total, std::int64_t l, std::int64_t e) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t img = i / e, c = i % e;
    const float* p = x + img * l * e + c;
    float acc = 0.0f;
    for (std::int64_t t = 0; t < l; ++t) acc += p[t * e];
    y[i] = acc / static_cast<float>(l);
  }
}

// ---- LayerNorm -----------------------------------------------------------------------------

__global__ void layernorm_v1_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                    const float* __restrict__ b, float* __restrict__ y,
                                    std::int64_t rows, std::int64_t d, float eps) {
  const std::int64_t row = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (row >= rows) return;
  const float* p = x + row * d;
  float mean = 0.0f;
  for (std::int64_t i = 0; i < d; ++i) mean += p[i];
  mean /= static_cast<float>(d);
  float var = 0.0f;
  for (std::int64_t i = 0; i < d; ++i) {
    const float t = p[i] - mean;
    var += t * t;
  }
  var /= static_cast<float>(d);
  const float inv = rsqrtf(var + eps);
  float* q = y + row * d;
  for (std::int64_t i = 0; i < d; ++i) {
    q[i] = (p[i] - mean) * inv * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
  }
}

__global__ void layernorm_v2_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                    const float* __restrict__ b, float* __restrict__ y,
                                    std::int64_t rows, std::int64_t d, float eps) {
  const std::int64_t row = blockIdx.x * static_cast<std::int64_t>(kWarpsPerBlock) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= rows) return;
  const float* p = x + row * d;
  float sum = 0.0f;
  for (std::int64_t i = lane; i < d; i += kWarp) sum += p[i];
  const float mean = warp_sum(sum) / static_cast<float>(d);
  float sq = 0.0f;
  for (std::int64_t i = lane; i < d; i += kWarp) {
    const float t = p[i] - mean;
    sq += t * t;
  }
  const float inv = rsqrtf(warp_sum(sq) / static_cast<float>(d) + eps);
  float* q = y + row * d;
  for (std::int64_t i = lane; i < d; i += kWarp) {
    q[i] = (p[i] - mean) * inv * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
  }
}

// ---- softmax -------------------------------------------------------------------------------

__global__ void softmax_v1_kernel(const float* __restrict__ x, float* __restrict__ y,
                                  std::int64_t rows, std::int64_t d) {
  const std::int64_t row = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (row >= rows) return;
  const float* p = x + row * d;
  float m = -INFINITY;
  for (std::int64_t i = 0; i < d; ++i) m = fmaxf(m, p[i]);
  float s = 0.0f;
  for (std::int64_t i = 0; i < d; ++i) s += expf(p[i] - m);
  float* q = y + row * d;
  for (std::int64_t i = 0; i < d; ++i) q[i] = expf(p[i] - m) / s;
}

// May run in place (x == y): each lane reads an element before writing it.
__global__ void softmax_v2_kernel(const float* x, float* y,
                                  std::int64_t rows, std::int64_t d) {
  const std::int64_t row = blockIdx.x * static_cast<std::int64_t>(kWarpsPerBlock) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= rows) return;
  const float* p = x + row * d;
  // Online max and rescaled sum per lane, one read of the row.
  float m = -INFINITY, s = 0.0f;
  for (std::int64_t i = lane; i < d; i += kWarp) {
    const float v = p[i];
    if (v > m) {
      s = s * expf(m - v) + 1.0f;
      m = v;
    } else {
      s += expf(v - m);
    }
  }
  const float gm = warp_max(m);
  s = (m == -INFINITY) ? 0.0f : s * expf(m - gm);
  const float inv = 1.0f / warp_sum(s);
  float* q = y + row * d;
  for (std::int64_t i = lane; i < d; i += kWarp) q[i] = expf(p[i] - gm) * inv;
}

// ---- attention plumbing ----------------------------------------------------------------------

__global__ void split_heads_kernel(const float* __restrict__ src, std::int64_t src_stride,
                                   std::int64_t col_offset, float* __restrict__ dst,
                                   std::int64_t total, std::int64_t l, int heads, std::int64_t dh) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    // dst index i = ((img * heads + h) * l + t) * dh + c
    const std::int64_t c = i % dh;
    const std::int64_t t = (i / dh) % l;
    const std::int64_t h = (i / (dh * l)) % heads;
    const std::int64_t img = i / (dh * l * heads);
    dst[i] = src[(img * l + t) * src_stride + col_offset + h * dh + c];
  }
}

__global__ void merge_heads_kernel(const float* __restrict__ src, float* __restrict__ dst,
                                   std::int64_t total, std::int64_t l, int heads, std::int64_t dh) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    // dst index i = (img * l + t) * (heads * dh) + h * dh + c
    const std::int64_t c = i % dh;
    const std::int64_t h = (i / dh) % heads;
    const std::int64_t t = (i / (dh * heads)) % l;
    const std::int64_t img = i / (dh * heads * l);
    dst[i] = src[((img * heads + h) * l + t) * dh + c];
  }
}

// ---- statistics ----------------------------------------------------------------------------

__global__ void row_means_kernel(const float* __restrict__ x, double* __restrict__ means,
                                 std::int64_t p) {
  __shared__ double partial[kThreads];
  const float* row = x + static_cast<std::int64_t>(blockIdx.x) * p;
  double acc = 0.0;
  for (std::int64_t i = threadIdx.x; i < p; i += blockDim.x) acc += row[i];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (static_cast<int>(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) means[blockIdx.x] = partial[0] / static_cast<double>(p);
}

__global__ void tile_to_f64_kernel(const float* __restrict__ x, std::int64_t p, std::int64_t col0,
                                   std::int64_t cols, const double* __restrict__ sub,
                                   double* __restrict__ y, std::int64_t total) {
  for (std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       k < total; k += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = k / cols, j = k % cols;
    y[k] = static_cast<double>(x[i * p + col0 + j]) - (sub ? sub[i] : 0.0);
  }
}

__global__ void gram_to_rdm_kernel(const double* __restrict__ g, double* __restrict__ rdm,
                                   std::int64_t n, int metric, double p) {
  const std::int64_t total = n * n;
  for (std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       k < total; k += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = k / n, j = k % n;
    if (j <= i) continue;
    const double gii = g[i * n + i], gjj = g[j * n + j], gij = g[i * n + j];
    double d;
    if (metric == 0) {
      const double den = sqrt(gii * gjj);
      d = den > 0.0 ? 1.0 - gij / den : NAN;
    } else {
      const double sq = fmax(0.0, gii + gjj - 2.0 * gij);
      d = metric == 1 ? sqrt(sq) : (metric == 2 ? sq / p : sq);
    }
    rdm[i * n - i * (i + 1) / 2 + (j - i - 1)] = d;
  }
}

// One thread per unit: sums over images in image order (deterministic).
__global__ void category_moments_kernel(const float* __restrict__ x,
                                        const std::int32_t* __restrict__ labels,
                                        double* __restrict__ sum, double* __restrict__ sumsq,
                                        std::int64_t n, std::int64_t units, int cats) {
  const std::int64_t u = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (u >= units) return;
  for (int c = 0; c < cats; ++c) {
    sum[c * units + u] = 0.0;
    sumsq[c * units + u] = 0.0;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = labels[i];
    if (c < 0 || c >= cats) continue;
    const double v = x[i * units + u];
    sum[c * units + u] += v;
    sumsq[c * units + u] += v * v;
  }
}

}  // namespace

void row_mean(const float* x, float* y, std::int64_t rows, std::int64_t inner, cudaStream_t s) {
  if (rows == 0) return;
  row_mean_kernel<<<blocks_for(rows, kWarpsPerBlock), kWarpsPerBlock * kWarp, 0, s>>>(x, y, rows, inner);
}

void token_mean(const float* x, float* y, std::int64_t n, std::int64_t l, std::int64_t e,
                cudaStream_t s) {
  const std::int64_t total = n * e;
  if (total == 0) return;
  token_mean_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, y, total, l, e);
}

void layernorm_v1(const float* x, const float* w, const float* b, float* y, std::int64_t rows,
                  std::int64_t d, float eps, cudaStream_t s) {
  if (rows == 0) return;
  layernorm_v1_kernel<<<blocks_for(rows, 128), 128, 0, s>>>(x, w, b, y, rows, d, eps);
}

void layernorm_v2(const float* x, const float* w, const float* b, float* y, std::int64_t rows,
                  std::int64_t d, float eps, cudaStream_t s) {
  if (rows == 0) return;
  layernorm_v2_kernel<<<blocks_for(rows, kWarpsPerBlock), kWarpsPerBlock * kWarp, 0, s>>>(
      x, w, b, y, rows, d, eps);
}

void softmax_v1(const float* x, float* y, std::int64_t rows, std::int64_t d, cudaStream_t s) {
  if (rows == 0) return;
  softmax_v1_kernel<<<blocks_for(rows, 128), 128, 0, s>>>(x, y, rows, d);
}

void softmax_v2(const float* x, float* y, std::int64_t rows, std::int64_t d, cudaStream_t s) {
  if (rows == 0) return;
  softmax_v2_kernel<<<blocks_for(rows, kWarpsPerBlock), kWarpsPerBlock * kWarp, 0, s>>>(x, y, rows, d);
}

void split_heads(const float* src, std::int64_t src_stride, std::int64_t col_offset, float* dst,
                 std::int64_t n, std::int64_t l, int heads, std::int64_t dh, cudaStream_t s) {
  const std::int64_t total = n * heads * l * dh;
  if (total == 0) return;
  split_heads_kernel<<<blocks_for(total), kThreads, 0, s>>>(src, src_stride, col_offset, dst,
                                                            total, l, heads, dh);
}

void merge_heads(const float* src, float* dst, std::int64_t n, std::int64_t l, int heads,
                 std::int64_t dh, cudaStream_t s) {
  const std::int64_t total = n * heads * l * dh;
  if (total == 0) return;
  merge_heads_kernel<<<blocks_for(total), kThreads, 0, s>>>(src, dst, total, l, heads, dh);
}

void row_means(const float* x, double* means, std::int64_t n, std::int64_t p, cudaStream_t s) {
  if (n == 0) return;
  row_means_kernel<<<static_cast<unsigned>(n), kThreads, 0, s>>>(x, means, p);
}

void tile_to_f64(const float* x, std::int64_t p, std::int64_t col0, std::int64_t cols,
                 const double* sub, double* y, std::int64_t n, cudaStream_t s) {
  const std::int64_t total = n * cols;
  if (total == 0) return;
  tile_to_f64_kernel<<<blocks_for(total), kThreads, 0, s>>>(x, p, col0, cols, sub, y, total);
}

void gram_to_rdm(const double* g, double* rdm, std::int64_t n, int metric, double p,
                 cudaStream_t s) {
  if (n < 2) return;
  gram_to_rdm_kernel<<<blocks_for(n * n), kThreads, 0, s>>>(g, rdm, n, metric, p);
}

void category_moments(const float* x, const std::int32_t* labels, double* sum, double* sumsq,
                      std::int64_t n, std::int64_t units, int cats, cudaStream_t s) {
  if (units == 0) return;
  category_moments_kernel<<<blocks_for(units), kThreads, 0, s>>>(x, labels, sum, sumsq, n, units, cats);
}

}  // namespace repscope::cuda::kernels
