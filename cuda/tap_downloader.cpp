#include "cuda/tap_downloader.h"

#include <map>
#include <mutex>
#include <vector>

#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/kernels.h"
#include "cuda/memory_pool.h"
#include "nn/error.h"

namespace repscope::cuda {
namespace {

// Pinned host buffers by size class, reused once a delivered tensor is released.
struct PinnedPool {
  std::mutex mutex;
  std::map<std::size_t, std::vector<void*>> free;
};
PinnedPool& pinned_pool() {
  static auto* p = new PinnedPool;  // leaked: buffers may be released during exit
  return *p;
}

Tensor pinned_empty(const Shape& shape, DType dtype) {
  const auto bytes = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  const std::size_t size = pool_size_class(bytes);
  void* ptr = nullptr;
  {
    PinnedPool& p = pinned_pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    if (auto it = p.free.find(size); it != p.free.end() && !it->second.empty()) {
      ptr = it->second.back();
      it->second.pop_back();
    }
  }
  if (ptr == nullptr) check_cuda(cudaMallocHost(&ptr, size), "tap download: pinned buffer");
  auto storage = Storage::adopt(ptr, bytes, Device::CPU, [size](void* q) {
    PinnedPool& p = pinned_pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    p.free[size].push_back(q);
  });
  return Tensor::view_of(std::move(storage), 0, shape, dtype);
}

}  // namespace

Tensor reduce_tap(const Tensor& value, TapReduction reduction) {
  check(value.device() == Device::CUDA && value.dtype() == DType::F32,
        "reduce_tap: expected an f32 CUDA tensor");
  cudaStream_t s = stream();
  switch (reduction) {
    case TapReduction::None:
      return value;
    case TapReduction::SpatialMean: {
      check(value.ndim() >= 2, "reduce_tap: spatial mean needs [N, C, ...], got ",
            shape_str(value.shape()));
      const std::int64_t n = value.dim(0), c = value.dim(1);
      if (value.ndim() == 2) return value;
      Tensor y = empty({n, c}, DType::F32, "reduce_tap");
      const std::int64_t inner = n * c == 0 ? 0 : value.numel() / (n * c);
      kernels::row_mean(value.data<float>(), y.data<float>(), n * c, inner, s);
      check_launch("reduce_tap");
      return y;
    }
    case TapReduction::TokenMean:
    case TapReduction::ClassToken: {
      check(value.ndim() == 3, "reduce_tap: token reductions need [N, L, E], got ",
            shape_str(value.shape()));
      const std::int64_t n = value.dim(0), l = value.dim(1), e = value.dim(2);
      Tensor y = empty({n, e}, DType::F32, "reduce_tap");
      if (reduction == TapReduction::TokenMean) {
        kernels::token_mean(value.data<float>(), y.data<float>(), n, l, e, s);
      } else {
        kernels::select_token(value.data<float>(), y.data<float>(), n, l, e, 0, s);
      }
      check_launch("reduce_tap");
      return y;
    }
  }
  return value;
}

TapDownloader::TapDownloader(TapDownloadOptions options) : options_(options) {
  check_cuda(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking),
             "tap download: create copy stream");
}

TapDownloader::~TapDownloader() {
  for (Item& it : queue_) {
    cudaEventSynchronize(it.done);
    cudaEventDestroy(it.done);
  }
  queue_.clear();
  cudaStreamDestroy(copy_stream_);
}

void TapDownloader::enqueue(const std::string& name, const Tensor& value) {
  Item item;
  item.name = name;
  if (value.device() == Device::CPU) {
    item.host_value = value;
    queue_.push_back(std::move(item));
    return;
  }
  Tensor v = reduce_tap(value, options_.reduction);
  if (options_.f16) {
    Tensor h = empty(v.shape(), DType::F16, "tap download");
    kernels::f32_to_f16(v.data<float>(), static_cast<std::uint16_t*>(h.raw_data()), v.numel(),
                        stream());
    check_launch("tap download: f16");
    v = h;
  }
  item.device_value = v;
  item.host_value = pinned_empty(v.shape(), v.dtype());
  cudaEvent_t ready = nullptr;
  check_cuda(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "tap download: event");
  check_cuda(cudaEventRecord(ready, stream()), "tap download: record");
  check_cuda(cudaStreamWaitEvent(copy_stream_, ready, 0), "tap download: wait");
  cudaEventDestroy(ready);  // destroyed after the wait is enqueued: allowed, completes normally
  if (v.nbytes() > 0) {
    check_cuda(cudaMemcpyAsync(item.host_value.raw_data(), v.raw_data(), v.nbytes(),
                               cudaMemcpyDeviceToHost, copy_stream_),
               str("tap download of '", name, "'"));
  }
  check_cuda(cudaEventCreateWithFlags(&item.done, cudaEventDisableTiming), "tap download: event");
  check_cuda(cudaEventRecord(item.done, copy_stream_), "tap download: record");
  queue_.push_back(std::move(item));
}

void TapDownloader::drain(const TapSink& sink, bool wait) {
  while (!queue_.empty()) {
    Item& it = queue_.front();
    if (it.done != nullptr) {
      if (!wait) {
        const cudaError_t q = cudaEventQuery(it.done);
        if (q == cudaErrorNotReady) return;
        check_cuda(q, str("tap download of '", it.name, "'"));
      } else {
        check_cuda(cudaEventSynchronize(it.done), str("tap download of '", it.name, "'"));
      }
      cudaEventDestroy(it.done);
      it.done = nullptr;
    }
    // Copy finished: the device tensor may go back to the pool.
    Item done = std::move(it);
    queue_.pop_front();
    done.device_value = Tensor{};
    sink(done.name, done.host_value);
  }
}

}  // namespace repscope::cuda
