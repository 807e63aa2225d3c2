// torch.nn.MultiheadAttention (self-attention use, batch-first [N, L, E], no mask, eval) with its
// packed `in_proj_weight` [3E, E] / `in_proj_bias` [3E] and `out_proj.{weight,bias}`. The
// forward returns the attention output (element 0 of torch's tuple).
#pragma once

#include <string>

#include "nn/layers/param.h"

namespace repscope {

class MultiheadAttention {
 public:
  MultiheadAttention() = default;
  MultiheadAttention(int embed_dim, int num_heads);

  // Self-attention: query = key = value = x [N, L, E].
  Tensor forward(const Tensor& x) const;
  // in_proj_weight (xavier_uniform), in_proj_bias (0), out_proj.weight (torch Linear default),
  // out_proj.bias (0) — nn.MultiheadAttention._reset_parameters.
  void collect(const std::string& prefix, ParamList& out);

  int embed_dim = 0, num_heads = 1;
  Tensor in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias;
  Init in_proj_weight_init, out_proj_weight_init;
};

}  // namespace repscope
