// Error checks for CUDA runtime, cuBLAS and cuDNN calls. Each throws repscope::Error whose
// message names the repscope operation (`what`, e.g. "conv2d: cudnnConvolutionForward") and the
// library's own error name and text, so a failure on the GPU reads like any other repscope error.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string_view>

namespace repscope::cuda {

void check_cuda(cudaError_t err, std::string_view what);
void check_cublas(cublasStatus_t status, std::string_view what);
void check_cudnn(cudnnStatus_t status, std::string_view what);
// After a kernel launch: reports a bad launch configuration (cudaGetLastError) under `what`.
void check_launch(std::string_view what);

}  // namespace repscope::cuda
