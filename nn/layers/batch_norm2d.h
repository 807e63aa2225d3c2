// torch.nn.BatchNorm2d in eval mode (running statistics), owning its weights and buffers.
#pragma once

#include <string>

#include "nn/layers/param.h"

namespace repscope {

class BatchNorm2d {
 public:
  BatchNorm2d() = default;
  explicit BatchNorm2d(int num_channels, float epsilon = 1e-5f)
      : channels(num_channels), eps(epsilon) {}

  Tensor forward(const Tensor& x) const;
  // Appends weight, bias, running_mean, running_var (torch init: 1, 0, 0, 1).
  void collect(const std::string& prefix, ParamList& out);

  int channels = 0;
  float eps = 1e-5f;
  Tensor weight, bias, running_mean, running_var;
};

}  // namespace repscope
