// Per-device CUDA state: one compute stream, one cuBLAS and one cuDNN handle bound to it.
//
// Every CUDA op of repscope enqueues its work on the current device's compute stream, so ops
// run in program order without host synchronisation and the memory pool may reuse a freed
// block at once (stream-ordered reuse). One host thread is expected to drive a device at a time
// (cuBLAS/cuDNN handles are not safe for concurrent use from several threads).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string_view>

namespace repscope::cuda {

struct DeviceContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
  int sm_count = 0;
};

// Selects the device for this host thread; throws Error naming the index when out of range.
void set_device(int device);
// The device this host thread uses (cudaGetDevice).
int current_device();
// The context of the current device, created on first use and kept until the process exits.
DeviceContext& context();
// Shorthand for context().stream.
cudaStream_t stream();
// Waits for all work queued on the current device's compute stream; errors name `what`.
void synchronize(std::string_view what = "synchronize");

// Parses "cuda" (device 0) or "cuda:N"; throws Error naming the text otherwise.
int parse_cuda_device(std::string_view text);

}  // namespace repscope::cuda
