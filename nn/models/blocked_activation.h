// The activation a ResNet-style forward carries from block to block, in NCHW or in the
// channel-blocked layout (nn/ops.h): converted only when the layout a block runs in changes, and
// handed to taps in NCHW.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "nn/model.h"
#include "nn/ops.h"

namespace repscope {

class BlockedActivation {
 public:
  explicit BlockedActivation(Tensor x) : x_(std::move(x)) {}

  // Converts the activation to the blocked layout (true) or NCHW (false), if it is not already.
  void use_blocked(bool blocked) {
    if (blocked != blocked_) x_ = blocked ? ops::to_blocked(x_) : ops::from_blocked(x_);
    blocked_ = blocked;
  }
  bool blocked() const { return blocked_; }

  // The activation in its current layout, to run a layer on (take() moves it out, for a block
  // that may write its output over its input).
  const Tensor& get() const { return x_; }
  Tensor take() { return std::move(x_); }
  void set(Tensor x) { x_ = std::move(x); }

  // Hands the activation to every wanted tap of `names`, converted to NCHW once.
  void tap(const TapContext& ctx, std::initializer_list<const std::string*> names) const {
    Tensor plain;
    for (const std::string* name : names) {
      if (!name || !ctx.wants(*name)) continue;
      if (!plain.defined()) plain = blocked_ ? ops::from_blocked(x_) : x_;
      ctx.tap(*name, plain);
    }
  }

 private:
  Tensor x_;
  bool blocked_ = false;
};

}  // namespace repscope
