#include "nn/layers/linear.h"

#include <cmath>

#include "nn/ops.h"

namespace repscope {

Linear::Linear(int in, int out, bool b) : in_features(in), out_features(out), has_bias(b) {
  weight_init = Init::uniform(1.0 / std::sqrt(static_cast<double>(in)));
  bias_init = Init::uniform(1.0 / std::sqrt(static_cast<double>(in)));
}

Tensor Linear::forward(const Tensor& x) const {
  return ops::linear(x, weight, has_bias ? bias : Tensor{});
}

void Linear::collect(const std::string& prefix, ParamList& out) {
  out.push_back({prefix + "weight", &weight, {out_features, in_features}, weight_init});
  if (has_bias) out.push_back({prefix + "bias", &bias, {out_features}, bias_init});
}

}  // namespace repscope
