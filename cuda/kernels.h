// Launchers of repscope's own CUDA kernels, on raw device pointers (this header is shared by
// nvcc at C++17 and the C++20 op wrappers, so it includes no repscope tensor headers).
// Every launcher enqueues on `stream` and returns at once; shapes are validated by the callers.
// Several versions of a kernel are numbered llm.c-style (v1 simple, v2 faster) and every
// version is checked against the CPU reference in tests/cuda.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace repscope::cuda::kernels {

// ---- element-wise (fp32) ------------------------------------------------------------------
void relu(const float* x, float* y, std::int64_t n, cudaStream_t s);
void gelu(const float* x, float* y, std::int64_t n, cudaStream_t s);        // erff form
void quick_gelu(const float* x, float* y, std::int64_t n, cudaStream_t s);  // x*sigmoid(1.702x)
void add(const float* a, const float* b, float* y, std::int64_t n, cudaStream_t s);
// y = (x - mean[c]) / sqrt(var[c] + eps) * w[c] + b[c] over x [outer, c, inner]; w, b may be null.
void batch_norm(const float* x, const float* w, const float* b, const float* mean, const float* var,
                float eps, float* y, std::int64_t outer, std::int64_t c, std::int64_t inner,
                cudaStream_t s);
// y[r, j] = bias[j] for r < rows, j < cols.
void broadcast_rows(const float* bias, float* y, std::int64_t rows, std::int64_t cols,
                    cudaStream_t s);
// y[o, ch, i] += bias[ch] over y [outer, c, inner] (conv bias).
void add_channel_bias(float* y, const float* bias, std::int64_t outer, std::int64_t c,
                      std::int64_t inner, cudaStream_t s);
// y[r, j] += bias[j].
void add_bias_rows(float* y, const float* bias, std::int64_t rows, std::int64_t cols,
                   cudaStream_t s);

// ---- pooling (NCHW) ------------------------------------------------------------------------
void max_pool2d(const float* x, float* y, std::int64_t planes, int h, int w, int oh, int ow, int k,
                int stride, int pad, cudaStream_t s);
// count_include_pad=True: every window divided by k*k.
void avg_pool2d(const float* x, float* y, std::int64_t planes, int h, int w, int oh, int ow, int k,
                int stride, int pad, cudaStream_t s);
// y[r] = mean(x[r, 0:inner]) (adaptive 1x1 average pool; spatial mean of a tap). One warp per
// row, fp32 accumulation in a fixed order.
void row_mean(const float* x, float* y, std::int64_t rows, std::int64_t inner, cudaStream_t s);
// y[n, e] = mean over l of x[n, l, e] (token mean of [N, L, E]).
void token_mean(const float* x, float* y, std::int64_t n, std::int64_t l, std::int64_t e,
                cudaStream_t s);

// ---- normalisation ---------------------------------------------------------------------------
// LayerNorm over the last dim d of [rows, d]; w, b may be null. Two-pass statistics (mean, then
// the mean of squared deviations), fp32.
// v1: one thread per row (simple, slow). v2: one warp per row with shuffle reductions.
void layernorm_v1(const float* x, const float* w, const float* b, float* y, std::int64_t rows,
                  std::int64_t d, float eps, cudaStream_t s);
void layernorm_v2(const float* x, const float* w, const float* b, float* y, std::int64_t rows,
                  std::int64_t d, float eps, cudaStream_t s);
// Softmax over the last dim d of [rows, d], max-subtracted.
// v1: one thread per row. v2: one warp per row (online max/sum in one read, then one write pass).
void softmax_v1(const float* x, float* y, std::int64_t rows, std::int64_t d, cudaStream_t s);
void softmax_v2(const float* x, float* y, std::int64_t rows, std::int64_t d, cudaStream_t s);

// ---- attention plumbing ----------------------------------------------------------------------
// src rows of [n, l, src_stride] with head h's columns at col_offset + h*dh ->
// dst [n, heads, l, dh].
void split_heads(const float* src, std::int64_t src_stride, std::int64_t col_offset, float* dst,
                 std::int64_t n, std::int64_t l, int heads, std::int64_t dh, cudaStream_t s);
// [n, heads, l, dh] -> [n, l, heads*dh].
void merge_heads(const float* src, float* dst, std::int64_t n, std::int64_t l, int heads,
                 std::int64_t dh, cudaStream_t s);

// ---- conversions -----------------------------------------------------------------------------
// Raw 16-bit storage; round-to-nearest-even.
void f32_to_f16(const float* x, std::uint16_t* y, std::int64_t n, cudaStream_t s);
void f32_to_bf16(const float* x, std::uint16_t* y, std::int64_t n, cudaStream_t s);
void f16_to_f32(const std::uint16_t* x, float* y, std::int64_t n, cudaStream_t s);
void bf16_to_f32(const std::uint16_t* x, float* y, std::int64_t n, cudaStream_t s);
void f32_to_f64(const float* x, double* y, std::int64_t n, cudaStream_t s);

// ---- tokens ------------------------------------------------------------------------------------
// y[n, e] = x[n, index, e] for x [n, l, e].
void select_token(const float* x, float* y, std::int64_t n, std::int64_t l, std::int64_t e,
                  std::int64_t index, cudaStream_t s);
// [n, e, l] (a patch grid flattened) -> [n, l, e].
void patches_to_tokens(const float* x, float* y, std::int64_t n, std::int64_t e, std::int64_t l,
                       cudaStream_t s);
// y [n, l+1, e]: row 0 = cls, rows 1.. = tokens; + pos [(l+1), e] when pos is not null.
void prepend_class_token(const float* tokens, const float* cls, const float* pos, float* y,
                         std::int64_t n, std::int64_t l, std::int64_t e, cudaStream_t s);
// CLIP attention-pool tokens: x [n, c, hw] -> y [n, hw+1, c]; y[:, 0] = mean over hw (float64
// sum in index order, as the CPU loop) + pos[0], y[:, 1+j] = x[:, :, j] + pos[1+j].
void attention_pool_tokens(const float* x, const float* pos, float* y, std::int64_t n,
                           std::int64_t c, std::int64_t hw, cudaStream_t s);

// ---- statistics (float64) --------------------------------------------------------------------
// means[i] = mean of row i of x [n, p] (fp32 in, float64 sum in a fixed order; one block a row).
void row_means(const float* x, double* means, std::int64_t n, std::int64_t p, cudaStream_t s);
// y [n, cols] (float64, row-major) = x[:, col0 : col0 + cols] - sub[row] (sub may be null).
void tile_to_f64(const float* x, std::int64_t p, std::int64_t col0, std::int64_t cols,
                 const double* sub, double* y, std::int64_t n, cudaStream_t s);
// Distances from a Gram matrix g [n, n] (double, full) into the upper-triangle vector rdm
// (length n(n-1)/2, squareform order). metric: 0 correlation/cosine (1 - g_ij/sqrt(g_ii g_jj),
// rows already centred for correlation), 1 euclidean (sqrt(max(0, g_ii + g_jj - 2 g_ij))),
// 2 squared euclidean divided by p (rsatoolbox "euclidean"), 3 squared euclidean.
void gram_to_rdm(const double* g, double* rdm, std::int64_t n, int metric, double p,
                 cudaStream_t s);
// Per-category sums and sums of squares of every unit: x [n, units] (fp32), labels [n] in
// [0, cats) or < 0 (ignored); sum/sumsq [cats, units] (double, overwritten).
void category_moments(const float* x, const std::int32_t* labels, double* sum, double* sumsq,
                      std::int64_t n, std::int64_t units, int cats, cudaStream_t s);

}  // namespace repscope::cuda::kernels
