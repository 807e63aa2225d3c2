// nn/ops.h: argument validation, then dispatch to the registered kernel for the tensors' device.
#include "nn/ops.h"

#include <atomic>
#include <cstdlib>
#include <initializer_list>
#include <string_view>

#include "nn/error.h"
#include "nn/gemm.h"
#include "nn/ops/kernel_util.h"
#include "nn/ops/registry.h"

namespace repscope::ops {
namespace {

// A required float32 input.
void expect_f32(const Tensor& t, std::string_view op, std::string_view name) {
  REPSCOPE_CHECK(t.defined(), "ops::", op, ": tensor '", name, "' is undefined");
  REPSCOPE_CHECK(t.dtype() == DType::F32, "ops::", op, ": tensor '", name, "' must be f32, got ",
                 dtype_name(t.dtype()));
}

void expect_ndim(const Tensor& t, int ndim, std::string_view op, std::string_view name) {
  REPSCOPE_CHECK(t.ndim() == ndim, "ops::", op, ": tensor '", name, "' must be ", ndim,
                 "-d, got shape ", shape_str(t.shape()));
}

// An optional 1-d parameter of length n (undefined is allowed).
void expect_optional_vector(const Tensor& t, std::int64_t n, std::string_view op,
                            std::string_view name) {
  if (!t.defined()) return;
  expect_f32(t, op, name);
  REPSCOPE_CHECK(t.ndim() == 1 && t.dim(0) == n, "ops::", op, ": tensor '", name,
                 "' must have shape [", n, "], got ", shape_str(t.shape()));
}

// Every defined tensor must share the first one's device; returns that device.
Device common_device(std::string_view op, std::initializer_list<const Tensor*> tensors) {
  Device device = Device::CPU;
  bool first = true;
  for (const Tensor* t : tensors) {
    if (!t->defined()) continue;
    if (first) {
      device = t->device();
      first = false;
    } else {
      REPSCOPE_CHECK(t->device() == device, "ops::", op, ": tensors are on different devices (",
                     device_name(device), " and ", device_name(t->device()), ")");
    }
  }
  return device;
}

void expect_window(std::string_view op, std::int64_t h, std::int64_t w, int kernel, int stride,
                   int padding, bool pad_at_most_half_kernel) {
  REPSCOPE_CHECK(kernel >= 1, "ops::", op, ": kernel must be >= 1, got ", kernel);
  REPSCOPE_CHECK(stride >= 1, "ops::", op, ": stride must be >= 1, got ", stride);
  REPSCOPE_CHECK(padding >= 0, "ops::", op, ": padding must be >= 0, got ", padding);
  if (pad_at_most_half_kernel) {
    REPSCOPE_CHECK(padding <= kernel / 2, "ops::", op, ": padding (", padding,
                   ") must be at most half the kernel (", kernel, ")");
  }
  REPSCOPE_CHECK(detail::window_out(h, kernel, stride, padding) >= 1 &&
                     detail::window_out(w, kernel, stride, padding) >= 1,
                 "ops::", op, ": input ", h, "x", w, " is too small for kernel ", kernel,
                 " with padding ", padding);
}

void expect_unary(const Tensor& x, std::string_view op) {
  expect_f32(x, op, "x");
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups, Tensor residual, bool relu) {
  constexpr std::string_view op = "conv2d";
  expect_f32(x, op, "x");
  expect_f32(weight, op, "weight");
  expect_ndim(x, 4, op, "x");
  expect_ndim(weight, 4, op, "weight");
  REPSCOPE_CHECK(groups >= 1, "ops::conv2d: groups must be >= 1, got ", groups);
  const std::int64_t c = x.dim(1);
  const std::int64_t o = weight.dim(0);
  REPSCOPE_CHECK(c % groups == 0 && o % groups == 0, "ops::conv2d: input channels (", c,
                 ") and output channels (", o, ") must both be divisible by groups (", groups, ")");
  REPSCOPE_CHECK(weight.dim(1) * groups == c, "ops::conv2d: weight ", shape_str(weight.shape()),
                 " expects ", weight.dim(1) * groups, " input channels (groups ", groups, "), x ",
                 shape_str(x.shape()), " has ", c);
  REPSCOPE_CHECK(c >= 1, "ops::conv2d: x ", shape_str(x.shape()), " has no input channels");
  REPSCOPE_CHECK(weight.dim(2) >= 1 && weight.dim(3) >= 1, "ops::conv2d: weight ",
                 shape_str(weight.shape()), " has an empty kernel");
  expect_optional_vector(bias, o, op, "bias");
  REPSCOPE_CHECK(stride >= 1, "ops::conv2d: stride must be >= 1, got ", stride);
  REPSCOPE_CHECK(padding >= 0, "ops::conv2d: padding must be >= 0, got ", padding);
  REPSCOPE_CHECK(detail::window_out(x.dim(2), weight.dim(2), stride, padding) >= 1 &&
                     detail::window_out(x.dim(3), weight.dim(3), stride, padding) >= 1,
                 "ops::conv2d: input ", shape_str(x.shape()), " is too small for kernel ",
                 weight.dim(2), "x", weight.dim(3), " with padding ", padding);
  if (residual.defined()) {
    expect_f32(residual, op, "residual");
    const Shape out{x.dim(0), weight.dim(0),
                    detail::window_out(x.dim(2), weight.dim(2), stride, padding),
                    detail::window_out(x.dim(3), weight.dim(3), stride, padding)};
    REPSCOPE_CHECK(residual.shape() == out, "ops::conv2d: residual ", shape_str(residual.shape()),
                   " must have the output's shape ", shape_str(out));
  }
  const Device d = common_device(op, {&x, &weight, &bias, &residual});
  return kernel_for<OpId::Conv2d>(d)(x, weight, bias, stride, padding, groups, residual, relu);
}

void prepare_conv2d_weight(const Tensor& weight, int groups) {
  if (!weight.defined() || weight.device() != Device::CPU || !weight.storage()->frozen() ||
      weight.ndim() != 4 || groups < 1) {
    return;
  }
  // The smallest input the weight accepts (one image, one output position): the backend
  // prepares the weight as on any call, and the product itself costs nothing.
  const Tensor x = Tensor::zeros({1, weight.dim(1) * groups, weight.dim(2), weight.dim(3)});
  conv2d(x, weight, Tensor{}, 1, 0, groups);
}

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, float eps) {
  constexpr std::string_view op = "batch_norm";
  expect_f32(x, op, "x");
  REPSCOPE_CHECK(x.ndim() >= 2, "ops::batch_norm: x must be [N, C, ...], got ",
                 shape_str(x.shape()));
  const std::int64_t c = x.dim(1);
  expect_f32(running_mean, op, "running_mean");
  expect_f32(running_var, op, "running_var");
  expect_optional_vector(running_mean, c, op, "running_mean");
  expect_optional_vector(running_var, c, op, "running_var");
  expect_optional_vector(weight, c, op, "weight");
  expect_optional_vector(bias, c, op, "bias");
  REPSCOPE_CHECK(eps >= 0.0f, "ops::batch_norm: eps must be >= 0, got ", eps);
  const Device d = common_device(op, {&x, &weight, &bias, &running_mean, &running_var});
  return kernel_for<OpId::BatchNorm>(d)(x, weight, bias, running_mean, running_var, eps);
}

Tensor relu(const Tensor& x) {
  expect_unary(x, "relu");
  return kernel_for<OpId::Relu>(x.device())(x);
}

Tensor gelu(const Tensor& x) {
  expect_unary(x, "gelu");
  return kernel_for<OpId::Gelu>(x.device())(x);
}

Tensor quick_gelu(const Tensor& x) {
  expect_unary(x, "quick_gelu");
  return kernel_for<OpId::QuickGelu>(x.device())(x);
}

Tensor add(const Tensor& a, const Tensor& b) {
  expect_f32(a, "add", "a");
  expect_f32(b, "add", "b");
  REPSCOPE_CHECK(a.shape() == b.shape(), "ops::add: shapes differ: a ", shape_str(a.shape()),
                 ", b ", shape_str(b.shape()));
  const Device d = common_device("add", {&a, &b});
  return kernel_for<OpId::Add>(d)(a, b);
}

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  expect_f32(x, "max_pool2d", "x");
  expect_ndim(x, 4, "max_pool2d", "x");
  expect_window("max_pool2d", x.dim(2), x.dim(3), kernel, stride, padding, true);
  return kernel_for<OpId::MaxPool2d>(x.device())(x, kernel, stride, padding);
}

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  expect_f32(x, "avg_pool2d", "x");
  expect_ndim(x, 4, "avg_pool2d", "x");
  expect_window("avg_pool2d", x.dim(2), x.dim(3), kernel, stride, padding, true);
  return kernel_for<OpId::AvgPool2d>(x.device())(x, kernel, stride, padding);
}

Tensor adaptive_avg_pool2d_1x1(const Tensor& x) {
  expect_f32(x, "adaptive_avg_pool2d_1x1", "x");
  expect_ndim(x, 4, "adaptive_avg_pool2d_1x1", "x");
  REPSCOPE_CHECK(x.dim(2) >= 1 && x.dim(3) >= 1, "ops::adaptive_avg_pool2d_1x1: x ",
                 shape_str(x.shape()), " has no spatial extent");
  return kernel_for<OpId::AdaptiveAvgPool2d1x1>(x.device())(x);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  constexpr std::string_view op = "linear";
  expect_f32(x, op, "x");
  expect_f32(weight, op, "weight");
  REPSCOPE_CHECK(x.ndim() >= 1, "ops::linear: x must be at least 1-d");
  expect_ndim(weight, 2, op, "weight");
  REPSCOPE_CHECK(x.dim(-1) == weight.dim(1), "ops::linear: x ", shape_str(x.shape()), " has ",
                 x.dim(-1), " features but weight ", shape_str(weight.shape()), " expects ",
                 weight.dim(1));
  expect_optional_vector(bias, weight.dim(0), op, "bias");
  const Device d = common_device(op, {&x, &weight, &bias});
  return kernel_for<OpId::Linear>(d)(x, weight, bias);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  expect_f32(a, "matmul", "a");
  expect_f32(b, "matmul", "b");
  REPSCOPE_CHECK(a.ndim() >= 1, "ops::matmul: a must be at least 1-d");
  expect_ndim(b, 2, "matmul", "b");
  REPSCOPE_CHECK(a.dim(-1) == b.dim(0), "ops::matmul: inner dims differ: a ", shape_str(a.shape()),
                 ", b ", shape_str(b.shape()));
  const Device d = common_device("matmul", {&a, &b});
  return kernel_for<OpId::Matmul>(d)(a, b);
}

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  expect_f32(x, "layer_norm", "x");
  REPSCOPE_CHECK(x.ndim() >= 1 && x.dim(-1) >= 1,
                 "ops::layer_norm: x must have a non-empty last dim, got ", shape_str(x.shape()));
  expect_optional_vector(weight, x.dim(-1), "layer_norm", "weight");
  expect_optional_vector(bias, x.dim(-1), "layer_norm", "bias");
  REPSCOPE_CHECK(eps >= 0.0f, "ops::layer_norm: eps must be >= 0, got ", eps);
  const Device d = common_device("layer_norm", {&x, &weight, &bias});
  return kernel_for<OpId::LayerNorm>(d)(x, weight, bias, eps);
}

Tensor softmax_lastdim(const Tensor& x) {
  expect_f32(x, "softmax_lastdim", "x");
  REPSCOPE_CHECK(x.ndim() >= 1 && x.dim(-1) >= 1,
                 "ops::softmax_lastdim: x must have a non-empty last dim, got ",
                 shape_str(x.shape()));
  return kernel_for<OpId::SoftmaxLastdim>(x.device())(x);
}

Tensor multi_head_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                            const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                            int num_heads) {
  constexpr std::string_view op = "multi_head_attention";
  expect_f32(query, op, "query");
  expect_f32(key, op, "key");
  expect_f32(value, op, "value");
  expect_f32(in_proj_weight, op, "in_proj_weight");
  expect_f32(out_proj_weight, op, "out_proj_weight");
  expect_ndim(query, 3, op, "query");
  expect_ndim(key, 3, op, "key");
  expect_ndim(value, 3, op, "value");
  const std::int64_t n = query.dim(0);
  const std::int64_t e = query.dim(2);
  REPSCOPE_CHECK(key.dim(0) == n && value.dim(0) == n,
                 "ops::multi_head_attention: batch sizes differ: query ", shape_str(query.shape()),
                 ", key ", shape_str(key.shape()), ", value ", shape_str(value.shape()));
  REPSCOPE_CHECK(key.dim(2) == e && value.dim(2) == e,
                 "ops::multi_head_attention: embedding dims differ: query ",
                 shape_str(query.shape()), ", key ", shape_str(key.shape()), ", value ",
                 shape_str(value.shape()));
  REPSCOPE_CHECK(key.dim(1) == value.dim(1) && key.dim(1) >= 1, "ops::multi_head_attention: key ",
                 shape_str(key.shape()), " and value ", shape_str(value.shape()),
                 " need the same non-zero length");
  REPSCOPE_CHECK(num_heads >= 1 && e % num_heads == 0, "ops::multi_head_attention: embedding dim ",
                 e, " is not divisible by num_heads ", num_heads);
  in_proj_weight.expect_shape({3 * e, e}, "multi_head_attention in_proj_weight");
  expect_ndim(out_proj_weight, 2, op, "out_proj_weight");
  REPSCOPE_CHECK(out_proj_weight.dim(1) == e && out_proj_weight.dim(0) >= 1,
                 "ops::multi_head_attention: out_proj_weight ", shape_str(out_proj_weight.shape()),
                 " must be [out, ", e, "] for the embedding dim ", e);
  expect_optional_vector(in_proj_bias, 3 * e, op, "in_proj_bias");
  expect_optional_vector(out_proj_bias, out_proj_weight.dim(0), op, "out_proj_bias");
  const Device d = common_device(
      op, {&query, &key, &value, &in_proj_weight, &in_proj_bias, &out_proj_weight, &out_proj_bias});
  return kernel_for<OpId::MultiHeadAttention>(d)(query, key, value, in_proj_weight, in_proj_bias,
                                                 out_proj_weight, out_proj_bias, num_heads);
}

// ---- channel-blocked layout --------------------------------------------------------------

namespace {

void expect_blocked(const Tensor& x, std::string_view op, std::string_view name) {
  expect_f32(x, op, name);
  REPSCOPE_CHECK(x.ndim() == 5 && x.dim(4) == kChannelBlock, "ops::", op, ": tensor '", name,
                 "' must be channel-blocked [N, C/", kChannelBlock, ", H, W, ", kChannelBlock,
                 "], got shape ", shape_str(x.shape()));
}

}  // namespace

Tensor to_blocked(const Tensor& x) {
  constexpr std::string_view op = "to_blocked";
  expect_f32(x, op, "x");
  expect_ndim(x, 4, op, "x");
  REPSCOPE_CHECK(x.dim(1) % kChannelBlock == 0, "ops::to_blocked: x ", shape_str(x.shape()),
                 " has ", x.dim(1), " channels, not a multiple of ", kChannelBlock);
  return kernel_for<OpId::ToBlocked>(x.device())(x);
}

Tensor from_blocked(const Tensor& x) {
  expect_blocked(x, "from_blocked", "x");
  return kernel_for<OpId::FromBlocked>(x.device())(x);
}

Tensor conv2d_blocked(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
                      int padding, Tensor residual, bool relu) {
  constexpr std::string_view op = "conv2d_blocked";
  expect_blocked(x, op, "x");
  expect_f32(weight, op, "weight");
  expect_ndim(weight, 4, op, "weight");
  const std::int64_t c = x.dim(1) * kChannelBlock, o = weight.dim(0);
  REPSCOPE_CHECK(weight.dim(1) == c, "ops::conv2d_blocked: weight ", shape_str(weight.shape()),
                 " expects ", weight.dim(1), " input channels, x ", shape_str(x.shape()), " has ",
                 c);
  REPSCOPE_CHECK(o >= 1 && o % kChannelBlock == 0, "ops::conv2d_blocked: weight ",
                 shape_str(weight.shape()), " has ", o, " output channels, not a multiple of ",
                 kChannelBlock);
  REPSCOPE_CHECK(weight.dim(2) >= 1 && weight.dim(3) >= 1 && weight.dim(2) * weight.dim(3) <= 64,
                 "ops::conv2d_blocked: weight ", shape_str(weight.shape()),
                 " must have a kernel of 1 to 64 taps");
  expect_optional_vector(bias, o, op, "bias");
  REPSCOPE_CHECK(stride >= 1, "ops::conv2d_blocked: stride must be >= 1, got ", stride);
  REPSCOPE_CHECK(padding >= 0, "ops::conv2d_blocked: padding must be >= 0, got ", padding);
  const std::int64_t oh = detail::window_out(x.dim(2), weight.dim(2), stride, padding);
  const std::int64_t ow = detail::window_out(x.dim(3), weight.dim(3), stride, padding);
  REPSCOPE_CHECK(oh >= 1 && ow >= 1, "ops::conv2d_blocked: input ", shape_str(x.shape()),
                 " is too small for kernel ", weight.dim(2), "x", weight.dim(3), " with padding ",
                 padding);
  if (residual.defined()) {
    expect_f32(residual, op, "residual");
    const Shape out{x.dim(0), o / kChannelBlock, oh, ow, kChannelBlock};
    REPSCOPE_CHECK(residual.shape() == out, "ops::conv2d_blocked: residual ",
                   shape_str(residual.shape()), " must have the output's shape ", shape_str(out));
  }
  const Device d = common_device(op, {&x, &weight, &bias, &residual});
  return kernel_for<OpId::Conv2dBlocked>(d)(x, weight, bias, stride, padding, residual, relu);
}

void prepare_conv2d_blocked_weight(const Tensor& weight) {
  if (!weight.defined() || weight.device() != Device::CPU || !weight.storage()->frozen() ||
      weight.ndim() != 4 || weight.dim(1) % kChannelBlock != 0) {
    return;
  }
  // As prepare_conv2d_weight: the smallest input, one output position.
  const Tensor x = Tensor::zeros(
      {1, weight.dim(1) / kChannelBlock, weight.dim(2), weight.dim(3), kChannelBlock});
  conv2d_blocked(x, weight, Tensor{}, 1, 0);
}

Tensor avg_pool2d_blocked(const Tensor& x, int kernel, int stride, int padding) {
  constexpr std::string_view op = "avg_pool2d_blocked";
  expect_blocked(x, op, "x");
  expect_window(op, x.dim(2), x.dim(3), kernel, stride, padding, true);
  return kernel_for<OpId::AvgPool2dBlocked>(x.device())(x, kernel, stride, padding);
}

namespace {

std::atomic<bool>& blocked_layout_switch() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("REPSCOPE_BLOCKED_LAYOUT");
    return !(env && std::string_view(env) == "0");
  }()};
  return on;
}

}  // namespace

bool blocked_layout() {
  const std::optional<Backend> forced = forced_backend();
  return blocked_layout_switch().load() && gemm_isa() == GemmIsa::Avx512 && !reference_forced() &&
         (!forced || *forced == Backend::Cpu);
}

void set_blocked_layout(bool enabled) {
  blocked_layout_switch().store(enabled);
}

}  // namespace repscope::ops
