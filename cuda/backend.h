// The CUDA backend of the op registry (nn/ops/registry.h) and its kernels as functions.
//
// repscope::cuda::register_backend() must be called explicitly (static initialisers in a static
// library are dropped by the linker): the CLI calls it for `--device cuda[:N]`, tests call it at
// start-up. It registers a CUDA kernel for every op under ops::Backend::Cuda and the CPU<->CUDA
// transfer functions, then nn/ops.h dispatches CUDA tensors to them.
#pragma once

#include "nn/tensor.h"

namespace repscope::cuda {

// Registers every CUDA kernel and the transfer functions when a CUDA device is present and
// returns true; with no device (or no driver) registers nothing and returns false. Idempotent.
bool register_backend();
// True once register_backend() registered the kernels.
bool backend_registered();

// The kernels, callable directly on CUDA tensors (arguments as in nn/ops.h, already validated
// there; calling these directly skips that validation).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups, const Tensor& residual, bool relu);
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, float eps);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x);
Tensor quick_gelu(const Tensor& x);
Tensor add(const Tensor& a, const Tensor& b);
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding);
Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding);
Tensor adaptive_avg_pool2d_1x1(const Tensor& x);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);
Tensor softmax_lastdim(const Tensor& x);
Tensor multi_head_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                            const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                            int num_heads);

// Token plumbing of the vision transformers on CUDA tensors (same contracts as
// nn/models/tokens.h), for models whose forward pass runs on the GPU.
Tensor patches_to_tokens(const Tensor& x);
Tensor prepend_class_token(const Tensor& tokens, const Tensor& class_token, const Tensor& pos);
Tensor select_token(const Tensor& x, std::int64_t index = 0);
// CLIP attention-pool tokens [N, C, H, W] -> [N, 1 + HW, C] and torch.cat(parts, 0), as
// nn/models/tokens.h (register_backend() installs all five there as the CUDA token kernels).
Tensor attention_pool_tokens(const Tensor& x, const Tensor& pos);
Tensor concat0(const Tensor* parts, std::size_t count);

}  // namespace repscope::cuda
