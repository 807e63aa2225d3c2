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
}

bool model_runs_on_cuda(const Model& model) {
  return model.scheme() == "torchvision" && model.name().rfind("resnet", 0) == 0;
}

}  // namespace repscope::cuda
