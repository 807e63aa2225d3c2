#include "cuda/backend.h"

#include <atomic>
#include <mutex>

#include "cuda/runtime.h"
#include "cuda/transfer.h"
#include "nn/models/tokens.h"
#include "nn/ops/registry.h"

namespace repscope::cuda {
namespace {

std::atomic<bool> g_registered{false};

Tensor transfer_to_device(const Tensor& t) {
  return to_device(t);
}
Tensor transfer_to_host(const Tensor& t) {
  return to_cpu(t);
}

void register_all() {
  using ops::Backend;
  using ops::OpId;
  ops::register_kernel<OpId::Conv2d>(Backend::Cuda, &conv2d);
  ops::register_kernel<OpId::BatchNorm>(Backend::Cuda, &batch_norm);
  ops::register_kernel<OpId::Relu>(Backend::Cuda, &relu);
  ops::register_kernel<OpId::Gelu>(Backend::Cuda, &gelu);
  ops::register_kernel<OpId::QuickGelu>(Backend::Cuda, &quick_gelu);
  ops::register_kernel<OpId::Add>(Backend::Cuda, &add);
  ops::register_kernel<OpId::MaxPool2d>(Backend::Cuda, &max_pool2d);
  ops::register_kernel<OpId::AvgPool2d>(Backend::Cuda, &avg_pool2d);
  ops::register_kernel<OpId::AdaptiveAvgPool2d1x1>(Backend::Cuda, &adaptive_avg_pool2d_1x1);
  ops::register_kernel<OpId::Linear>(Backend::Cuda, &linear);
  ops::register_kernel<OpId::Matmul>(Backend::Cuda, &matmul);
  ops::register_kernel<OpId::LayerNorm>(Backend::Cuda, &layer_norm);
  ops::register_kernel<OpId::SoftmaxLastdim>(Backend::Cuda, &softmax_lastdim);
  ops::register_kernel<OpId::MultiHeadAttention>(Backend::Cuda, &multi_head_attention);
  ops::register_transfer(Device::CUDA, &transfer_to_device, &transfer_to_host);
  TokenKernels tokens;
  tokens.patches_to_tokens = &patches_to_tokens;
  tokens.prepend_class_token = &prepend_class_token;
  tokens.select_token = &select_token;
  tokens.attention_pool_tokens = &attention_pool_tokens;
  tokens.concat0 = &concat0;
  register_token_kernels(Device::CUDA, tokens);
  // Every op but the CPU-only ones of the channel-blocked layout (ops::op_cpu_only).
  static_assert(ops::kOpCount == 18, "a new op needs its CUDA kernel registered here");
}

}  // namespace

bool register_backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (device_count() == 0) return;
    register_all();
    g_registered.store(true);
  });
  return g_registered.load();
}

bool backend_registered() {
  return g_registered.load();
}

}  // namespace repscope::cuda
