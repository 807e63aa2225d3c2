// CUDA runtime basics shared by every CUDA op: device discovery and error checking.
// Built only when the CUDA toolkit and cuDNN are found (REPSCOPE_CUDA=AUTO|ON).
#pragma once

#include <string>

namespace repscope::cuda {

// Number of usable CUDA devices (0 when no driver or GPU is present; never throws).
int device_count();
// "NVIDIA H100 80GB HBM3 (sm_90, 79 GiB)"; throws Error for a bad index.
std::string device_description(int device);

}  // namespace repscope::cuda
