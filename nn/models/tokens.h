// Token plumbing shared by the vision transformers (torchvision, timm, CLIP) and CLIP's attention
// pool: patch-grid to token sequence, class-token prepending with positional embeddings,
// class-token selection, attention-pool tokens and stacking along dim 0.
//
// Each function runs on the device of its input: CPU tensors take the loops in tokens.cpp, tensors
// on another device the kernels a backend registered with register_token_kernels (the cuda/
// library does so in cuda::register_backend(); nn does not link it). A device without registered
// kernels gives an Error naming the function.
#pragma once

#include <cstdint>

#include "nn/tensor.h"

namespace repscope {

// [N, E, gh, gw] (a patch conv's output) -> [N, gh*gw, E]  (torch: x.flatten(2).transpose(1, 2)).
Tensor patches_to_tokens(const Tensor& x);
// [N, L, E] -> [N, 1 + L, E] with `class_token` (E values, any shape) first, then + `pos`
// ([1, 1 + L, E] or [1 + L, E]); `pos` may be undefined (no positional embedding).
Tensor prepend_class_token(const Tensor& tokens, const Tensor& class_token, const Tensor& pos);
// [N, L, E] -> [N, E] (token `index`, torch x[:, index]).
Tensor select_token(const Tensor& x, std::int64_t index = 0);
// CLIP AttentionPool2d input: x [N, C, H, W] -> [N, 1 + H*W, C]; token 0 is the spatial mean of
// each channel (float64 sum, rounded once), tokens 1.. the positions; `pos` [1 + H*W, C] added.
Tensor attention_pool_tokens(const Tensor& x, const Tensor& pos);
// Stacks `count` float32 tensors of equal trailing shape along dim 0 (torch.cat(parts, 0)).
Tensor concat0(const Tensor* parts, std::size_t count);

// Kernels of the functions above for one non-CPU device (same contracts; inputs already
// validated and on that device).
struct TokenKernels {
  Tensor (*patches_to_tokens)(const Tensor&) = nullptr;
  Tensor (*prepend_class_token)(const Tensor&, const Tensor&, const Tensor&) = nullptr;
  Tensor (*select_token)(const Tensor&, std::int64_t) = nullptr;
  Tensor (*attention_pool_tokens)(const Tensor&, const Tensor&) = nullptr;
  Tensor (*concat0)(const Tensor*, std::size_t) = nullptr;
};
// Registers (or replaces) the token kernels of `device` (not Device::CPU). Meant for start-up.
void register_token_kernels(Device device, const TokenKernels& kernels);

}  // namespace repscope
