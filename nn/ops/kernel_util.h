// Internal helpers shared by the op kernels (not part of the public API).
#pragma once

#include <cstdint>

#include "nn/tensor.h"

namespace repscope::ops::detail {

// Output size of a convolution/pooling window sweep (floor mode, dilation 1).
inline std::int64_t window_out(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                               std::int64_t padding) {
  return (in + 2 * padding - kernel) / stride + 1;
}

// Pointer to a tensor's float data, or nullptr for an undefined (optional) tensor.
inline const float* optional_data(const Tensor& t) {
  return t.defined() ? t.data<float>() : nullptr;
}

// Product of all dims but the last ("rows" of a [..., D] tensor).
inline std::int64_t leading_rows(const Tensor& t) {
  return t.ndim() == 0 ? 1 : t.numel() / t.dim(-1);
}

}  // namespace repscope::ops::detail
