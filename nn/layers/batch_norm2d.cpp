#include "nn/layers/batch_norm2d.h"

#include "nn/ops.h"

namespace repscope {

Tensor BatchNorm2d::forward(const Tensor& x) const {
  return ops::batch_norm(x, weight, bias, running_mean, running_var, eps);
}

void BatchNorm2d::collect(const std::string& prefix, ParamList& out) {
  out.push_back({prefix + "weight", &weight, {channels}, Init::ones()});
  out.push_back({prefix + "bias", &bias, {channels}, Init::zeros()});
  out.push_back({prefix + "running_mean", &running_mean, {channels}, Init::zeros()});
  out.push_back({prefix + "running_var", &running_var, {channels}, Init::ones()});
}

}  // namespace repscope
