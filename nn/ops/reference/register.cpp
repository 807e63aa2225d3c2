#include "nn/ops/builtin.h"
#include "nn/ops/reference/reference.h"
#include "nn/ops/registry.h"

namespace repscope::ops::detail {

void register_reference_kernels() {
  constexpr Backend b = Backend::Reference;
  register_kernel<OpId::Conv2d>(b, &reference::conv2d);
  register_kernel<OpId::BatchNorm>(b, &reference::batch_norm);
  register_kernel<OpId::Relu>(b, &reference::relu);
  register_kernel<OpId::Gelu>(b, &reference::gelu);
  register_kernel<OpId::QuickGelu>(b, &reference::quick_gelu);
  register_kernel<OpId::Add>(b, &reference::add);
  register_kernel<OpId::MaxPool2d>(b, &reference::max_pool2d);
  register_kernel<OpId::AvgPool2d>(b, &reference::avg_pool2d);
  register_kernel<OpId::AdaptiveAvgPool2d1x1>(b, &reference::adaptive_avg_pool2d_1x1);
  register_kernel<OpId::Linear>(b, &reference::linear);
  register_kernel<OpId::Matmul>(b, &reference::matmul);
  register_kernel<OpId::LayerNorm>(b, &reference::layer_norm);
  register_kernel<OpId::SoftmaxLastdim>(b, &reference::softmax_lastdim);
  register_kernel<OpId::MultiHeadAttention>(b, &reference::multi_head_attention);
  register_kernel<OpId::ToBlocked>(b, &reference::to_blocked);
  register_kernel<OpId::FromBlocked>(b, &reference::from_blocked);
  register_kernel<OpId::Conv2dBlocked>(b, &reference::conv2d_blocked);
  register_kernel<OpId::AvgPool2dBlocked>(b, &reference::avg_pool2d_blocked);
}

}  // namespace repscope::ops::detail
