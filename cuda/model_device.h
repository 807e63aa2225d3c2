// Moving a model's weights between the CPU and a CUDA device, without changing nn/models.
//
// Walks Model::parameters() (every parameter and buffer the weights file provides) and replaces
// each tensor by its copy on `device`. A model whose forward pass only calls nn/ops.h runs on
// the GPU afterwards when its input is a CUDA tensor. See docs/cuda.md for which models do.
#pragma once

#include "nn/model.h"

namespace repscope::cuda {

// Moves every parameter to the current CUDA device (Device::CUDA) or back (Device::CPU).
void move_parameters(Model& model, Device device);

// True when `model`'s forward pass runs entirely through device-dispatching code (nn/ops.h and
// nn/models/tokens.h): today every model of nn/models (ResNets, ViTs, CLIP ResNets and ViTs).
bool model_runs_on_cuda(const Model& model);

}  // namespace repscope::cuda
