#include "cuda/transfer.h"

#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/memory_pool.h"
#include "nn/error.h"

namespace repscope::cuda {

Tensor to_device(const Tensor& t) {
  if (!t.defined() || t.device() == Device::CUDA) return t;
  Tensor out = empty(t.shape(), t.dtype(), "to_device");
  if (t.nbytes() == 0) return out;
  check_cuda(
      cudaMemcpyAsync(out.raw_data(), t.raw_data(), t.nbytes(), cudaMemcpyHostToDevice, stream()),
      "to_device: copy host to device");
  // Pageable host memory: the copy is staged, and the source may be freed once this returns.
  synchronize("to_device");
  return out;
}

Tensor to_cpu(const Tensor& t) {
  if (!t.defined() || t.device() == Device::CPU) return t;
  Tensor out = Tensor::empty(t.shape(), t.dtype());
  if (t.nbytes() == 0) return out;
  check_cuda(
      cudaMemcpyAsync(out.raw_data(), t.raw_data(), t.nbytes(), cudaMemcpyDeviceToHost, stream()),
      "to_cpu: copy device to host");
  synchronize("to_cpu");
  return out;
}

Tensor device_clone(const Tensor& t) {
  check(t.device() == Device::CUDA, "device_clone: tensor is not on CUDA");
  Tensor out = empty_like(t, "device_clone");
  if (t.nbytes() == 0) return out;
  check_cuda(
      cudaMemcpyAsync(out.raw_data(), t.raw_data(), t.nbytes(), cudaMemcpyDeviceToDevice, stream()),
      "device_clone");
  return out;
}

}  // namespace repscope::cuda
