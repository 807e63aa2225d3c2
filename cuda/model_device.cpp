#include "cuda/model_device.h"

#include "cuda/transfer.h"
#include "nn/error.h"

namespace repscope::cuda {

void move_parameters(Model& model, Device device) {
  for (Param& p : model.parameters()) {
    Tensor& t = *p.tensor;
    if (!t.defined() || t.device() == device) continue;
    t = device == Device::CUDA ? to_device(t) : to_cpu(t);
  }
  model.prepare();  // derived weights (folded BatchNorms) follow the parameters to the device
}

bool model_runs_on_cuda(const Model&) {
  // Every model of nn/models runs through nn/ops.h and the token kernels of nn/models/tokens.h,
  // both of which dispatch CUDA tensors to this backend once register_backend() ran.
  return true;
}

}  // namespace repscope::cuda
