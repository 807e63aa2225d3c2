#include "nn/layers/multihead_attention.h"

#include <cmath>

#include "nn/error.h"
#include "nn/ops.h"

namespace repscope {

MultiheadAttention::MultiheadAttention(int e, int h) : embed_dim(e), num_heads(h) {
  check(h > 0 && e % h == 0, "MultiheadAttention: embed_dim ", e, " is not divisible by ", h,
        " heads");
  // xavier_uniform on [3E, E]: bound = sqrt(6 / (fan_in + fan_out)).
  in_proj_weight_init = Init::uniform(std::sqrt(6.0 / (static_cast<double>(e) + 3.0 * e)));
  out_proj_weight_init = Init::uniform(1.0 / std::sqrt(static_cast<double>(e)));
}

Tensor MultiheadAttention::forward(const Tensor& x) const {
  return ops::multi_head_attention(x, x, x, in_proj_weight, in_proj_bias, out_proj_weight,
                                   out_proj_bias, num_heads);
}

void MultiheadAttention::collect(const std::string& prefix, ParamList& out) {
  const std::int64_t e = embed_dim;
  out.push_back({prefix + "in_proj_weight", &in_proj_weight, {3 * e, e}, in_proj_weight_init});
  out.push_back({prefix + "in_proj_bias", &in_proj_bias, {3 * e}, Init::zeros()});
  out.push_back({prefix + "out_proj.weight", &out_proj_weight, {e, e}, out_proj_weight_init});
  out.push_back({prefix + "out_proj.bias", &out_proj_bias, {e}, Init::zeros()});
}

}  // namespace repscope
