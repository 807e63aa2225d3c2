// Moving tensors between host and device memory (any dtype; the shape is kept).
#pragma once

#include "nn/tensor.h"

namespace repscope::cuda {

// Copy of a CPU tensor on the current CUDA device (returns `t` itself when already on CUDA).
Tensor to_device(const Tensor& t);
// Copy of a CUDA tensor in CPU memory (returns `t` itself when already on the CPU). Waits for
// the compute stream, so the values are final.
Tensor to_cpu(const Tensor& t);
// Copy on the same device (a new block).
Tensor device_clone(const Tensor& t);

}  // namespace repscope::cuda
