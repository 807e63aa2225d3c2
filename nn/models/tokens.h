// Token plumbing shared by the vision transformers (torchvision, timm, CLIP): patch-grid to token
// sequence, class-token prepending with positional embeddings, and class-token selection.
#pragma once

#include "nn/tensor.h"

namespace repscope {

// [N, E, gh, gw] (a patch conv's output) -> [N, gh*gw, E]  (torch: x.flatten(2).transpose(1, 2)).
Tensor patches_to_tokens(const Tensor& x);
// [N, L, E] -> [N, 1 + L, E] with `class_token` (E values, any shape) first, then + `pos`
// ([1, 1 + L, E] or [1 + L, E]); `pos` may be undefined (no positional embedding).
Tensor prepend_class_token(const Tensor& tokens, const Tensor& class_token, const Tensor& pos);
// [N, L, E] -> [N, E] (token `index`, torch x[:, index]).
Tensor select_token(const Tensor& x, std::int64_t index = 0);

}  // namespace repscope
