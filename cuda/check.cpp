#include "cuda/check.h"

#include "nn/error.h"

namespace repscope::cuda {

void check_cuda(cudaError_t err, std::string_view what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call does not report it again
  fail("cuda: ", what, ": ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
}

void check_cublas(cublasStatus_t status, std::string_view what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  fail("cuda: ", what, ": cuBLAS ", cublasGetStatusName(status), " (",
       cublasGetStatusString(status), ")");
}

void check_cudnn(cudnnStatus_t status, std::string_view what) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  fail("cuda: ", what, ": cuDNN ", cudnnGetErrorString(status));
}

void check_launch(std::string_view what) {
  check_cuda(cudaGetLastError(), str(what, " (kernel launch)"));
}

}  // namespace repscope::cuda
