// The "cpu" backend: TBB-parallel kernels on the packed GEMM (nn/gemm.h). Every kernel is
// deterministic (the same bits for any thread count) and tested against nn/ops/reference.
// Inputs are already validated by nn/ops.cpp; the signatures match nn/ops.h.
#pragma once

#include "nn/tensor.h"

namespace repscope::ops::cpu {

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

// Row-wise kernels shared with attention: softmax of `rows` rows of length d, in place.
void softmax_rows(float* data, std::int64_t rows, std::int64_t d);

}  // namespace repscope::ops::cpu
