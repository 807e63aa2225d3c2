// The neural-network operators every model is built from.
//
// All ops take float32, contiguous tensors (CPU, or CUDA once that backend is registered) and
// return new tensors; inputs are never modified. Each function validates its arguments (throwing
// repscope::Error that names the op and the offending tensor or argument), then dispatches to the
// best kernel registered for the tensors' device: on the CPU the fast "cpu" kernel when one is
// registered, else the plain reference kernel. ops::force_reference (nn/ops/registry.h) switches
// every op to the reference kernels, for debugging. Numerics follow PyTorch's CPU kernels closely
// (float accumulation in blocked GEMMs, exact erf GELU, two-pass LayerNorm statistics).
#pragma once

#include "nn/tensor.h"

namespace repscope::ops {

// 2-d convolution, as torch.nn.functional.conv2d with square stride/padding and dilation 1.
// x [N, C, H, W], weight [O, C/groups, kh, kw]; bias [O] or undefined (Tensor{}) = no bias.
// Returns [N, O, (H + 2p - kh)/s + 1, (W + 2p - kw)/s + 1].
// Fused tail (a ResNet block's end): with `residual` (the output's shape) and/or `relu`, returns
// relu(conv2d(...) + residual) with exactly the bits of the separate conv2d, add and relu ops.
// A residual handed over with std::move that nothing else uses (Tensor::reusable) may be
// overwritten with the result, which the CPU backend does: a block's shortcut is dead after
// its add, and writing over it saves a block-sized allocation and a third of that pass's memory
// traffic.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups = 1, Tensor residual = Tensor{}, bool relu = false);
// Does now, for a frozen CPU weight (Storage::freeze), what the first conv2d with it would do
// (the cpu backend packs it for its GEMM), so that preparing a model, not its first batch,
// pays for it. Nothing for other weights.
void prepare_conv2d_weight(const Tensor& weight, int groups = 1);

// Inference BatchNorm over channel dim 1 of [N, C, ...]:
// (x - mean) / sqrt(var + eps) * weight + bias, with weight/bias/mean/var of shape [C].
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, float eps);

Tensor relu(const Tensor& x);
// Exact erf GELU, as torch.nn.GELU(): 0.5 x (1 + erf(x / sqrt 2)).
Tensor gelu(const Tensor& x);
// x * sigmoid(1.702 x), CLIP's QuickGELU.
Tensor quick_gelu(const Tensor& x);
// Element-wise a + b; the shapes must be equal (no broadcasting).
Tensor add(const Tensor& a, const Tensor& b);

// torch.nn.functional.max_pool2d(x, kernel, stride, padding) with dilation 1, ceil_mode=False.
// Padding counts as -inf. x [N, C, H, W].
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding);
// torch.nn.functional.avg_pool2d with count_include_pad=True, ceil_mode=False: every window
// is divided by kernel*kernel, padded zeros included.
Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding = 0);
// Global average: [N, C, H, W] -> [N, C, 1, 1] (torch adaptive_avg_pool2d(x, 1)).
Tensor adaptive_avg_pool2d_1x1(const Tensor& x);

// torch.nn.functional.linear: x [..., in] @ weight^T + bias; weight [out, in] (torch Linear
// layout), bias [out] or undefined. Returns [..., out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// a [..., M, K] @ b [K, N] -> [..., M, N] (CLIP's `x @ proj`; a may also be 1-d [K]).
Tensor matmul(const Tensor& a, const Tensor& b);

// LayerNorm over the last dim: (x - mean) / sqrt(var + eps) * weight + bias, biased variance.
// weight and bias are [last dim]; either may be undefined (= 1 and 0).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);
// Numerically stable softmax over the last dim.
Tensor softmax_lastdim(const Tensor& x);

// torch.nn.MultiheadAttention forward (batch_first layout [N, L, E]; need_weights=False; no mask;
// no dropout): query [N, Lq, E], key/value [N, Lk, E]; in_proj_weight [3E, E], in_proj_bias [3E]
// (q, k, v stacked; the bias may be undefined), out_proj_weight [O, E], out_proj_bias [O] (may be
// undefined). O is E in nn.MultiheadAttention; CLIP's attention pool passes its c_proj [D, E]
// here, as torch's functional form allows. E must be divisible by num_heads. Returns [N, Lq, O].
Tensor multi_head_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                            const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                            int num_heads);

// ---- Channel-blocked layout: the CPU's direct convolution ---------------------------------
//
// [N, C, H, W] stored as [N, C/16, H, W, 16]: channel c of position (h, w) at
// [n][c / 16][h][w][c % 16], so the 16 channels of a block at one position are one vector. A
// direct convolution on this layout reads every input value in place (no im2col copies) and
// keeps a register tile of 6 positions × 64 output channels; ResNets run their blocks in it on
// CPUs where that kernel is fast (blocked_layout()). C must be a multiple of
// kChannelBlock. CPU only: the CUDA backend has no blocked kernels (models stay NCHW there).
inline constexpr int kChannelBlock = 16;
// [N, C, H, W] -> [N, C/16, H, W, 16] and back.
Tensor to_blocked(const Tensor& x);
Tensor from_blocked(const Tensor& x);
// conv2d (groups 1) on blocked tensors: x [N, C/16, H, W, 16], weight [O, C, kh, kw] (torch
// layout, O a multiple of 16), bias [O] or undefined; returns [N, O/16, OH, OW, 16]. The fused
// tail as conv2d's: relu(conv + residual) with the bits of the separate add and relu ops (which
// take blocked tensors as they are); a reusable residual may be overwritten with the result.
Tensor conv2d_blocked(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
                      int padding, Tensor residual = Tensor{}, bool relu = false);
// prepare_conv2d_weight's counterpart: packs a frozen CPU weight for conv2d_blocked now.
void prepare_conv2d_blocked_weight(const Tensor& weight);
// avg_pool2d on a blocked tensor (count_include_pad=True, as avg_pool2d).
Tensor avg_pool2d_blocked(const Tensor& x, int kernel, int stride, int padding = 0);
// Whether models run their convolutions on the channel-blocked layout: when the CPU backend's
// conv2d_blocked runs its AVX-512 kernel (the GEMM kernel in use, nn/gemm.h, is AVX-512; on other
// CPUs it is a portable loop, correct but slower than conv2d) and the layout is not switched
// off: set_blocked_layout(false), or REPSCOPE_BLOCKED_LAYOUT=0 in the environment at start-up
// (to compare the two paths; the numbers differ only by rounding).
bool blocked_layout();
void set_blocked_layout(bool enabled);

}  // namespace repscope::ops
