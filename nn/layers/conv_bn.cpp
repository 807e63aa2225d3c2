#include "nn/layers/conv_bn.h"

#include <cmath>
#include <utility>
#include <vector>

#include "nn/error.h"
#include "nn/ops.h"
#include "nn/ops/registry.h"
#include "nn/parallel.h"

namespace repscope {

namespace {

Tensor on_cpu(const Tensor& t) {
  if (t.device() == Device::CPU) return t;
  const ops::TransferFn fn = ops::transfer_to_cpu(t.device());
  check(fn != nullptr, "fold_batch_norm: no transfer from ", device_name(t.device()),
        " to the CPU is registered");
  return fn(t);
}

Tensor on_device(const Tensor& t, Device device) {
  if (device == Device::CPU) return t;
  const ops::TransferFn fn = ops::transfer_to(device);
  check(fn != nullptr, "fold_batch_norm: no transfer to ", device_name(device), " is registered");
  return fn(t);
}

void check_f32(const Tensor& t, const char* what, const Shape& shape) {
  check(t.defined(), "fold_batch_norm: ", what, " is not set");
  check(t.dtype() == DType::F32, "fold_batch_norm: ", what, " must be f32, got ",
        dtype_name(t.dtype()));
  t.expect_shape(shape, what);
}

}  // namespace

Conv2d fold_batch_norm(const Conv2d& conv, const BatchNorm2d& bn) {
  const std::int64_t out = conv.out_channels;
  check(bn.channels == out, "fold_batch_norm: BatchNorm has ", bn.channels,
        " channels, the convolution ", out, " outputs");
  check_f32(conv.weight, "conv weight",
            {out, conv.in_channels / conv.groups, conv.kernel, conv.kernel});
  if (conv.has_bias) check_f32(conv.bias, "conv bias", {out});
  check_f32(bn.weight, "BatchNorm weight", {out});
  check_f32(bn.bias, "BatchNorm bias", {out});
  check_f32(bn.running_mean, "BatchNorm running_mean", {out});
  check_f32(bn.running_var, "BatchNorm running_var", {out});

  const Device device = conv.weight.device();
  const Tensor w = on_cpu(conv.weight);
  const Tensor gamma = on_cpu(bn.weight), beta = on_cpu(bn.bias);
  const Tensor mean = on_cpu(bn.running_mean), var = on_cpu(bn.running_var);
  const Tensor conv_bias = conv.has_bias ? on_cpu(conv.bias) : Tensor{};

  Tensor folded_w = Tensor::empty(w.shape());
  Tensor folded_b = Tensor::empty({out});
  const std::int64_t per_channel = w.numel() / out;
  const float* wp = w.data<float>();
  float* fw = folded_w.data<float>();
  float* fb = folded_b.data<float>();
  parallel_for(0, out, 8, [&](std::int64_t o0, std::int64_t o1) {
    for (std::int64_t o = o0; o < o1; ++o) {
      // The same double-precision scale ops::batch_norm uses, so only the final float rounding
      // of w * s and the changed summation order differ from the unfolded pair.
      const double s = static_cast<double>(gamma.at(o)) /
                       std::sqrt(static_cast<double>(var.at(o)) + static_cast<double>(bn.eps));
      const double b = conv_bias.defined() ? conv_bias.at(o) : 0.0;
      fb[o] = static_cast<float>((b - mean.at(o)) * s + beta.at(o));
      const float* src = wp + o * per_channel;
      float* dst = fw + o * per_channel;
      for (std::int64_t i = 0; i < per_channel; ++i) {
        dst[i] = static_cast<float>(static_cast<double>(src[i]) * s);
      }
    }
  });

  Conv2d folded = conv;
  folded.has_bias = true;
  folded.weight = on_device(folded_w, device);
  folded.bias = on_device(folded_b, device);
  return folded;
}

void ConvBn::collect(const std::string& conv_prefix, const std::string& bn_prefix, ParamList& out) {
  conv.collect(conv_prefix, out);
  bn.collect(bn_prefix, out);
}

std::array<const Tensor*, 6> ConvBn::sources() const {
  static const Tensor none;
  return {&conv.weight,     conv.has_bias ? &conv.bias : &none,
          &bn.weight,       &bn.bias,
          &bn.running_mean, &bn.running_var};
}

void ConvBn::prepare() {
  prepared_ = false;
  folded_ = Conv2d{};
  const auto src = sources();
  for (std::size_t i = 0; i < src.size(); ++i) {
    const Tensor& t = *src[i];
    const bool optional = i == 1 && !conv.has_bias;
    if (optional) continue;
    if (!t.defined() || t.dtype() != DType::F32) return;
  }
  folded_ = fold_batch_norm(conv, bn);
  // Nothing outside this layer can reach the folded weights, so kernels may keep them packed,
  // and they are packed now rather than in the first batch.
  folded_.weight.storage()->freeze();
  if (blocked_capable() && ops::blocked_layout()) {
    ops::prepare_conv2d_blocked_weight(folded_.weight);
  } else {
    ops::prepare_conv2d_weight(folded_.weight, folded_.groups);
  }
  for (std::size_t i = 0; i < src.size(); ++i) {
    source_storage_[i] = src[i]->storage();
    source_offset_[i] = src[i]->offset();
  }
  prepared_ = true;
}

bool ConvBn::folded() const {
  if (!prepared_) return false;
  const auto src = sources();
  for (std::size_t i = 0; i < src.size(); ++i) {
    if (source_storage_[i].lock() != src[i]->storage() || source_offset_[i] != src[i]->offset()) {
      return false;
    }
  }
  return true;
}

Tensor ConvBn::forward(const Tensor& x, const TapContext& ctx, const std::string& conv_tap,
                       std::initializer_list<std::string> bn_taps) const {
  bool observed = ctx.wants(conv_tap);
  for (const std::string& t : bn_taps) observed = observed || ctx.wants(t);
  if (!observed && folded()) return folded_.forward(x);
  Tensor y = conv.forward(x);
  ctx.tap(conv_tap, y);
  y = bn.forward(y);
  for (const std::string& t : bn_taps) ctx.tap(t, y);
  return y;
}

Tensor ConvBn::forward_tail(const Tensor& x, const TapContext& ctx, const std::string& conv_tap,
                            std::initializer_list<std::string> bn_taps, Tensor residual,
                            bool relu) const {
  bool observed = ctx.wants(conv_tap);
  for (const std::string& t : bn_taps) observed = observed || ctx.wants(t);
  if (!observed && folded()) {
    return ops::conv2d(x, folded_.weight, folded_.bias, folded_.stride, folded_.padding,
                       folded_.groups, std::move(residual), relu);
  }
  Tensor y = forward(x, ctx, conv_tap, bn_taps);
  if (residual.defined()) y = ops::add(y, residual);
  if (relu) y = ops::relu(y);
  return y;
}

bool ConvBn::blocked_capable() const {
  return conv.groups == 1 && conv.in_channels % ops::kChannelBlock == 0 &&
         conv.out_channels % ops::kChannelBlock == 0 && conv.weight.defined() &&
         conv.weight.device() == Device::CPU;
}

Tensor ConvBn::forward_blocked(const Tensor& x, Tensor residual, bool relu) const {
  check(folded() && blocked_capable(),
        "ConvBn::forward_blocked: the layer is not folded or cannot run blocked");
  return ops::conv2d_blocked(x, folded_.weight, folded_.bias, folded_.stride, folded_.padding,
                             std::move(residual), relu);
}

Tensor ConvBn::forward_unfolded(const Tensor& x) const {
  return bn.forward(conv.forward(x));
}

}  // namespace repscope
