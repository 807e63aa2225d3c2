#include "cuda/runtime.h"

#include <cuda_runtime.h>

#include "nn/error.h"

namespace repscope::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

std::string device_description(int device) {
  cudaDeviceProp prop{};
  const cudaError_t err = cudaGetDeviceProperties(&prop, device);
  check(err == cudaSuccess, "CUDA device ", device, ": ", cudaGetErrorString(err));
  return str(prop.name, " (sm_", prop.major, prop.minor, ", ", prop.totalGlobalMem >> 30, " GiB)");
}

}  // namespace repscope::cuda
