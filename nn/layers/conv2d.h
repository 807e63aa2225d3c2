// torch.nn.Conv2d (square kernel, stride and padding; dilation 1) owning its weights.
#pragma once

#include <string>

#include "nn/layers/param.h"

namespace repscope {

class Conv2d {
 public:
  Conv2d() = default;
  Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, bool bias,
         int groups = 1);

  // x [N, in, H, W] -> [N, out, H', W'].
  Tensor forward(const Tensor& x) const;
  // Output spatial size for an input of `size` pixels.
  int out_size(int size) const { return (size + 2 * padding - kernel) / stride + 1; }
  // Appends `<prefix>weight` (and `<prefix>bias`) to `out`.
  void collect(const std::string& prefix, ParamList& out);

  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, padding = 0, groups = 1;
  bool has_bias = false;
  Tensor weight, bias;
  // Defaults are torch's reset_parameters(): kaiming_uniform(a=sqrt 5) = U(±1/sqrt(fan_in)).
  Init weight_init, bias_init;
};

}  // namespace repscope
