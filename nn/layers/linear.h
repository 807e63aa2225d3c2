// torch.nn.Linear owning its weights: y = x W^T + b over the last dimension.
#pragma once

#include <string>

#include "nn/layers/param.h"

namespace repscope {

class Linear {
 public:
  Linear() = default;
  Linear(int in_features, int out_features, bool bias = true);

  Tensor forward(const Tensor& x) const;
  void collect(const std::string& prefix, ParamList& out);

  int in_features = 0, out_features = 0;
  bool has_bias = true;
  Tensor weight, bias;
  // Defaults are torch's: U(±1/sqrt(in_features)) for both.
  Init weight_init, bias_init;
};

}  // namespace repscope
