// Moving tapped activations off the GPU without stalling it.
//
// enqueue() optionally reduces a tap on the GPU first (spatial mean of [N, C, H, W], token mean
// or class token of [N, L, E], fp16 output), records an event on the compute stream, and queues
// an asynchronous device->host copy into a pinned host buffer on a separate copy stream that
// waits for that event. The compute stream goes on with the next layers and the next batch while
// the copy runs; the device tensor is kept alive until its copy has finished. drain() hands the
// finished taps, as CPU tensors over the pinned buffers, to a sink (e.g. an NPY stream writer)
// in enqueue order. Pinned buffers are reused once the sink's tensors are released.
//
//   cuda::TapDownloader down({cuda::TapReduction::None, false});
//   TapContext ctx(selection, [&](const std::string& n, const Tensor& v) { down.enqueue(n, v); });
//   for (batch ...) { model.forward(batch_on_gpu, ctx); down.drain(write_tap, false); }
//   down.drain(write_tap, true);
#pragma once

#include <cuda_runtime.h>

#include <deque>
#include <string>

#include "nn/model.h"

namespace repscope::cuda {

enum class TapReduction {
  None,         // the whole tap
  SpatialMean,  // [N, C, H, W] -> [N, C]; other ranks: mean over dims 2.. (keeps [N, C])
  TokenMean,    // [N, L, E] -> [N, E]
  ClassToken,   // [N, L, E] -> [N, E] (token 0)
};

struct TapDownloadOptions {
  TapReduction reduction = TapReduction::None;
  bool f16 = false;  // deliver F16 (half the copy volume); values rounded to nearest even
};

// The reduction of one tap on the GPU (a new CUDA tensor; fp32).
Tensor reduce_tap(const Tensor& value, TapReduction reduction);

class TapDownloader {
 public:
  explicit TapDownloader(TapDownloadOptions options = {});
  ~TapDownloader();
  TapDownloader(const TapDownloader&) = delete;
  TapDownloader& operator=(const TapDownloader&) = delete;

  // Queues `value` (a CUDA tensor; a CPU tensor is delivered as is) under `name`.
  void enqueue(const std::string& name, const Tensor& value);
  // Delivers finished copies in enqueue order; with wait = true waits for all of them.
  void drain(const TapSink& sink, bool wait);
  std::size_t pending() const { return queue_.size(); }

 private:
  struct Item {
    std::string name;
    Tensor device_value;  // kept alive until the copy finished
    Tensor host_value;    // over a pinned buffer
    cudaEvent_t done = nullptr;
  };
  TapDownloadOptions options_;
  cudaStream_t copy_stream_ = nullptr;
  std::deque<Item> queue_;
};

}  // namespace repscope::cuda
