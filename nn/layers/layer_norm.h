// torch.nn.LayerNorm over the last dimension, owning weight and bias.
#pragma once

#include <string>

#include "nn/layers/param.h"

namespace repscope {

class LayerNorm {
 public:
  LayerNorm() = default;
  LayerNorm(int num_features, float epsilon) : features(num_features), eps(epsilon) {}

  Tensor forward(const Tensor& x) const;
  void collect(const std::string& prefix, ParamList& out);  // weight (1), bias (0)

  int features = 0;
  float eps = 1e-5f;
  Tensor weight, bias;
};

}  // namespace repscope
