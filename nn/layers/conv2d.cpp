#include "nn/layers/conv2d.h"

#include <cmath>

#include "nn/ops.h"

namespace repscope {

Conv2d::Conv2d(int in, int out, int k, int s, int p, bool b, int g)
    : in_channels(in), out_channels(out), kernel(k), stride(s), padding(p), groups(g), has_bias(b) {
  const double fan_in = static_cast<double>(in / g) * k * k;
  weight_init = Init::uniform(1.0 / std::sqrt(fan_in));
  bias_init = Init::uniform(1.0 / std::sqrt(fan_in));
}

Tensor Conv2d::forward(const Tensor& x) const {
  return ops::conv2d(x, weight, has_bias ? bias : Tensor{}, stride, padding, groups);
}

void Conv2d::collect(const std::string& prefix, ParamList& out) {
  out.push_back({prefix + "weight",
                 &weight,
                 {out_channels, in_channels / groups, kernel, kernel},
                 weight_init});
  if (has_bias) out.push_back({prefix + "bias", &bias, {out_channels}, bias_init});
}

}  // namespace repscope
