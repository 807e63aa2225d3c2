#include "nn/layers/layer_norm.h"

#include "nn/ops.h"

namespace repscope {

Tensor LayerNorm::forward(const Tensor& x) const {
  return ops::layer_norm(x, weight, bias, eps);
}

void LayerNorm::collect(const std::string& prefix, ParamList& out) {
  out.push_back({prefix + "weight", &weight, {features}, Init::ones()});
  out.push_back({prefix + "bias", &bias, {features}, Init::zeros()});
}

}  // namespace repscope
