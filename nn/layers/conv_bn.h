// A Conv2d followed by an eval-mode BatchNorm2d, with the BatchNorm folded into the convolution
// when no tap observes the intermediate values (as ONNX Runtime and oneDNN do):
//   w' = w * s,  b' = (b - mean) * s + beta,  s = gamma / sqrt(var + eps)   (per output channel)
// so the pair runs as one ops::conv2d(x, w', b') instead of a convolution and two extra passes
// over memory. Folding changes rounding only (about 1e-6 relative); see docs/models.md.
#pragma once

#include <array>
#include <initializer_list>
#include <memory>
#include <string>

#include "nn/layers/batch_norm2d.h"
#include "nn/layers/conv2d.h"
#include "nn/model.h"

namespace repscope {

// The convolution computing bn(conv(x)) in one pass. The fold is done in double precision on the
// CPU (the parameters may live on any device; the result is put on theirs). Throws Error naming
// the tensors when their shapes or dtypes do not fit together or a tensor is undefined.
Conv2d fold_batch_norm(const Conv2d& conv, const BatchNorm2d& bn);

class ConvBn {
 public:
  ConvBn() = default;
  ConvBn(Conv2d conv_layer, BatchNorm2d bn_layer)
      : conv(std::move(conv_layer)), bn(std::move(bn_layer)) {}

  // Appends the conv's parameters under `conv_prefix` and the BatchNorm's under `bn_prefix`
  // ("layer1.0.conv1.", "layer1.0.bn1.").
  void collect(const std::string& conv_prefix, const std::string& bn_prefix, ParamList& out);

  // Builds the folded convolution from the parameters as they are now (call after every load)
  // and packs it for the kernel the models will run it with: conv2d_blocked's when
  // blocked_capable() and that kernel is fast here (ops::blocked_layout), else
  // conv2d's (the other is packed on first use). Leaves the layer unfolded when a parameter is
  // not set or not float32.
  void prepare();
  // True when prepare() ran on exactly the parameter tensors the layer holds now: a parameter
  // replaced since (a reload, a move to another device, a test assigning a tensor) makes the
  // folded weights stale, and forward() then runs unfolded. Values changed in place through
  // data() are not detected; call prepare() after doing that.
  bool folded() const;

  // bn(conv(x)). Taps the conv output as `conv_tap` and the BatchNorm output under each of
  // `bn_taps` (a module and a container holding only it share the value). Runs the folded
  // convolution when folded() and ctx wants none of these taps; else conv and bn separately.
  Tensor forward(const Tensor& x, const TapContext& ctx, const std::string& conv_tap,
                 std::initializer_list<std::string> bn_taps) const;
  // relu?(bn(conv(x)) + residual): forward() followed by a block's tail (residual undefined =
  // none). On the folded path the add and ReLU run inside the convolution (ops::conv2d's fused
  // tail, the same bits as the separate ops). Pass a residual only when no tap wants the sum
  // before the ReLU; the result is what the ReLU (or add) tap sees. A residual moved in that
  // nothing else holds may be overwritten with the result (see ops::conv2d).
  Tensor forward_tail(const Tensor& x, const TapContext& ctx, const std::string& conv_tap,
                      std::initializer_list<std::string> bn_taps, Tensor residual, bool relu) const;
  // True when the folded convolution can also run on the channel-blocked layout (nn/ops.h):
  // groups 1, input and output channels multiples of 16, weights on the CPU.
  bool blocked_capable() const;
  // forward_tail on channel-blocked tensors, with no taps (ops::conv2d_blocked). Requires
  // folded() and blocked_capable().
  Tensor forward_blocked(const Tensor& x, Tensor residual, bool relu) const;
  // bn(conv(x)) through the two separate ops, whatever the fold state (the reference path).
  Tensor forward_unfolded(const Tensor& x) const;

  Conv2d conv;
  BatchNorm2d bn;

 private:
  // The six source tensors, in a fixed order (conv bias undefined when the conv has none).
  std::array<const Tensor*, 6> sources() const;

  Conv2d folded_;
  // What folded_ was computed from: weak references, so a source freed and its address reused
  // by a new tensor can never look current.
  std::array<std::weak_ptr<Storage>, 6> source_storage_;
  std::array<std::size_t, 6> source_offset_{};
  bool prepared_ = false;
};

}  // namespace repscope
