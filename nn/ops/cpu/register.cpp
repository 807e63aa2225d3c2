#include "nn/ops/builtin.h"
#include "nn/ops/cpu/cpu.h"
#include "nn/ops/registry.h"

namespace repscope::ops::detail {

void register_cpu_kernels() {
  constexpr Backend b = Backend::Cpu;
  register_kernel<OpId::Conv2d>(b, &cpu::conv2d);
  register_kernel<OpId::BatchNorm>(b, &cpu::batch_norm);
  register_kernel<OpId::Relu>(b, &cpu::relu);
  register_kernel<OpId::Gelu>(b, &cpu::gelu);
  register_kernel<OpId::QuickGelu>(b, &cpu::quick_gelu);
  register_kernel<OpId::Add>(b, &cpu::add);
  register_kernel<OpId::MaxPool2d>(b, &cpu::max_pool2d);
  register_kernel<OpId::AvgPool2d>(b, &cpu::avg_pool2d);
  register_kernel<OpId::AdaptiveAvgPool2d1x1>(b, &cpu::adaptive_avg_pool2d_1x1);
  register_kernel<OpId::Linear>(b, &cpu::linear);
  register_kernel<OpId::Matmul>(b, &cpu::matmul);
  register_kernel<OpId::LayerNorm>(b, &cpu::layer_norm);
  register_kernel<OpId::SoftmaxLastdim>(b, &cpu::softmax_lastdim);
  register_kernel<OpId::MultiHeadAttention>(b, &cpu::multi_head_attention);
  register_kernel<OpId::ToBlocked>(b, &cpu::to_blocked);
  register_kernel<OpId::FromBlocked>(b, &cpu::from_blocked);
  register_kernel<OpId::Conv2dBlocked>(b, &cpu::conv2d_blocked);
  register_kernel<OpId::AvgPool2dBlocked>(b, &cpu::avg_pool2d_blocked);
}

}  // namespace repscope::ops::detail
