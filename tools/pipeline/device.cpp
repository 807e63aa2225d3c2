#include "tools/pipeline/device.h"

#include "nn/error.h"

#ifdef REPSCOPE_HAVE_CUDA
#include "cuda/backend.h"
#include "cuda/context.h"
#include "cuda/model_device.h"
#include "cuda/precision.h"
#include "cuda/runtime.h"
#include "cuda/transfer.h"
#endif

namespace repscope::pipeline {

ComputeDevice parse_compute_device(const std::string& device, const std::string& precision) {
  ComputeDevice d;
  if (device == "cpu") {
    check(precision == "exact" || precision == "f32", "--precision ", precision,
          ": only 'exact' runs on the CPU (tf32/fp16/bf16 are CUDA modes)");
    return d;
  }
  check(device.rfind("cuda", 0) == 0, "--device: '", device, "' is not one of cpu, cuda, cuda:N");
#ifdef REPSCOPE_HAVE_CUDA
  d.index = cuda::parse_cuda_device(device);  // throws on "cuda:x"
  const int count = cuda::device_count();
  check(count > 0, "--device ", device, ": no CUDA device (or driver) found on this machine");
  check(d.index < count, "--device ", device, ": only ", count, " CUDA device(s) present");
  d.device = Device::CUDA;
  d.name = str("cuda:", d.index);
  d.precision = std::string(cuda::precision_name(cuda::parse_precision(precision)));
  return d;
#else
  fail("--device ", device,
       ": this build of repscope has no CUDA support (configure with -DREPSCOPE_CUDA=ON on a "
       "machine with the CUDA toolkit); use --device cpu");
#endif
}

void prepare_device(const ComputeDevice& device, Model& model) {
  if (device.device == Device::CPU) return;
#ifdef REPSCOPE_HAVE_CUDA
  check(cuda::register_backend(), "--device ", device.name, ": no CUDA device found");
  cuda::set_device(device.index);
  cuda::set_precision(cuda::parse_precision(device.precision));
  cuda::move_parameters(model, Device::CUDA);
#else
  (void)model;
  fail("--device ", device.name, ": this build of repscope has no CUDA support");
#endif
}

Tensor to_compute_device(const ComputeDevice& device, const Tensor& batch) {
  if (device.device == Device::CPU) return batch;
#ifdef REPSCOPE_HAVE_CUDA
  return cuda::to_device(batch);
#else
  fail("--device ", device.name, ": this build of repscope has no CUDA support");
#endif
}

Tensor to_host(const Tensor& value) {
  if (value.device() == Device::CPU) return value;
#ifdef REPSCOPE_HAVE_CUDA
  return cuda::to_cpu(value);
#else
  fail("a ", device_name(value.device()), " tensor in a build without CUDA support");
#endif
}

}  // namespace repscope::pipeline
