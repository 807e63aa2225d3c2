// Caching device-memory allocator, one pool per device.
//
// cudaMalloc/cudaFree synchronise the device and cost tens of microseconds; a forward pass
// allocates hundreds of activations per batch, so freed blocks are cached and reused. Requests
// are rounded up to size classes (512 B steps below 1 MiB, 1 MiB steps below 64 MiB, 8 MiB
// steps above) and a freed block is reused only for the same class. Reuse is stream-ordered:
// all ops run on the device's one compute stream, so work queued after a block is freed runs
// after the work that used it. Code that reads a tensor on another stream (the TapDownloader's
// copy stream) keeps the tensor alive until that stream is done with it.
// When cudaMalloc fails the cache is emptied and the allocation retried once, then Error.
#pragma once

#include <cstddef>

#include "nn/tensor.h"

namespace repscope::cuda {

struct PoolStats {
  std::size_t bytes_in_use = 0;  // handed out, not yet released
  std::size_t bytes_cached = 0;  // released, kept for reuse
  std::size_t peak_in_use = 0;
  std::size_t device_allocs = 0;  // cudaMalloc calls
  std::size_t reuses = 0;         // requests served from the cache
};

// Size class of a request (what the pool actually reserves).
std::size_t pool_size_class(std::size_t bytes);

// A block of at least `bytes` on the current device (never nullptr; 0 bytes gives a small
// block). `what` names the op in the out-of-memory error.
void* device_allocate(std::size_t bytes, std::string_view what = "allocate");
// Returns a block to its device's cache. Never throws (called from Storage destructors).
void device_release(void* ptr) noexcept;

PoolStats pool_stats(int device);
// Frees every cached block of every device back to the driver.
void empty_cache();

// An uninitialised tensor on the current CUDA device, memory from the pool.
Tensor empty(Shape shape, DType dtype = DType::F32, std::string_view what = "allocate");
// Same shape/dtype as `like`, on the current device.
Tensor empty_like(const Tensor& like, std::string_view what = "allocate");

}  // namespace repscope::cuda
