// Plain reference kernels: simple loops with double accumulation, written to be obviously
// correct rather than fast. Every fast kernel is tested against these
// (tests/nn/test_backend_ops.cpp). Inputs are already validated by nn/ops.cpp; the signatures match
// nn/ops.h.
#pragma once

#include "nn/tensor.h"

namespace repscope::ops::reference {

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups, const Tensor& residual, bool relu);
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, float eps);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x);
Tensor quick_gelu(const Tensor& x);
Tensor add(const Tensor& a, const Tensor& b);
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding);
Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding);
Tensor adaptive_avg_pool2d_1x1(const Tensor& x);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);
Tensor softmax_lastdim(const Tensor& x);
Tensor multi_head_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                            const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                            int num_heads);

Tensor to_blocked(const Tensor& x);
Tensor from_blocked(const Tensor& x);
Tensor conv2d_blocked(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
                      int padding, const Tensor& residual, bool relu);
Tensor avg_pool2d_blocked(const Tensor& x, int kernel, int stride, int padding);

}  // namespace repscope::ops::reference
