// Where `repscope extract` (and the pipelines built on it) runs the model: `--device cpu|cuda[:N]`
// and `--precision exact|tf32|fp16|bf16`. Keeps the CUDA library out of everything else: the
// functions below are the only place the pipeline touches it.
#pragma once

#include <string>

#include "nn/model.h"
#include "nn/tensor.h"

namespace repscope::pipeline {

// A parsed and prepared compute device.
struct ComputeDevice {
  Device device = Device::CPU;
  int index = 0;                  // CUDA device ordinal
  std::string name = "cpu";       // "cpu" or "cuda:N", for the manifest
  std::string precision = "f32";  // CPU: "f32"; CUDA: exact, tf32, fp16 or bf16
};

// Parses `device` ("cpu", "cuda", "cuda:N") and `precision` ("exact" default; tf32/fp16/bf16
// only on CUDA). Throws Error naming --device / --precision when the value is malformed, the build
// has no CUDA support or no CUDA device is present. Does not touch the GPU beyond detection.
ComputeDevice parse_compute_device(const std::string& device, const std::string& precision);

// Registers the CUDA backend, selects the device and precision, and moves `model`'s parameters
// there. No-op for the CPU.
void prepare_device(const ComputeDevice& device, Model& model);

// The batch on the compute device, and a tap value back on the CPU (values final).
Tensor to_compute_device(const ComputeDevice& device, const Tensor& batch);
Tensor to_host(const Tensor& value);

}  // namespace repscope::pipeline
