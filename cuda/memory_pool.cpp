#include "cuda/memory_pool.h"

#include <array>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cuda/check.h"
#include "cuda/context.h"
#include "nn/error.h"

namespace repscope::cuda {
namespace {

constexpr int kMaxDevices = 64;
constexpr std::size_t kMiB = std::size_t{1} << 20;

struct Block {
  int device;
  std::size_t size;  // the size class
};

struct Pool {
  std::mutex mutex;
  std::unordered_map<void*, Block> live;                                    // handed out
  std::array<std::map<std::size_t, std::vector<void*>>, kMaxDevices> free;  // per device
  std::array<PoolStats, kMaxDevices> stats{};
};

// Leaked on purpose: tensors may be released during static destruction.
Pool& pool() {
  static auto* p = new Pool;
  return *p;
}

std::size_t round_up(std::size_t n, std::size_t step) {
  return (n + step - 1) / step * step;
}

// Frees the cached blocks of `device` (caller holds the mutex).
void free_cached_locked(Pool& p, int device) {
  auto& lists = p.free[static_cast<std::size_t>(device)];
  int previous = 0;
  cudaGetDevice(&previous);
  cudaSetDevice(device);
  for (auto& [size, blocks] : lists) {
    for (void* b : blocks) cudaFree(b);
    p.stats[static_cast<std::size_t>(device)].bytes_cached -= size * blocks.size();
  }
  lists.clear();
  cudaSetDevice(previous);
}

}  // namespace

std::size_t pool_size_class(std::size_t bytes) {
  if (bytes == 0) return 512;
  if (bytes < kMiB) return round_up(bytes, 512);
  if (bytes < 64 * kMiB) return round_up(bytes, kMiB);
  return round_up(bytes, 8 * kMiB);
}

void* device_allocate(std::size_t bytes, std::string_view what) {
  const int device = current_device();
  check(device >= 0 && device < kMaxDevices, "CUDA device index ", device, " out of range");
  const std::size_t size = pool_size_class(bytes);
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  PoolStats& st = p.stats[static_cast<std::size_t>(device)];
  auto& lists = p.free[static_cast<std::size_t>(device)];
  void* ptr = nullptr;
  if (auto it = lists.find(size); it != lists.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
    st.bytes_cached -= size;
    ++st.reuses;
  } else {
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      free_cached_locked(p, device);
      err = cudaMalloc(&ptr, size);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      fail("cuda: ", what, ": cannot allocate ", bytes, " bytes on device ", device, " (",
           cudaGetErrorString(err), "; ", st.bytes_in_use / kMiB, " MiB in use by repscope)");
    }
    ++st.device_allocs;
  }
  p.live.emplace(ptr, Block{device, size});
  st.bytes_in_use += size;
  if (st.bytes_in_use > st.peak_in_use) st.peak_in_use = st.bytes_in_use;
  return ptr;
}

void device_release(void* ptr) noexcept {
  if (ptr == nullptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  auto it = p.live.find(ptr);
  if (it == p.live.end()) return;  // not ours: never happens for pool tensors
  const Block b = it->second;
  p.live.erase(it);
  PoolStats& st = p.stats[static_cast<std::size_t>(b.device)];
  st.bytes_in_use -= b.size;
  st.bytes_cached += b.size;
  p.free[static_cast<std::size_t>(b.device)][b.size].push_back(ptr);
}

PoolStats pool_stats(int device) {
  check(device >= 0 && device < kMaxDevices, "CUDA device index ", device, " out of range");
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  return p.stats[static_cast<std::size_t>(device)];
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (int d = 0; d < kMaxDevices; ++d) {
    if (!p.free[static_cast<std::size_t>(d)].empty()) free_cached_locked(p, d);
  }
}

Tensor empty(Shape shape, DType dtype, std::string_view what) {
  const auto bytes = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  void* ptr = device_allocate(bytes, what);
  auto storage = Storage::adopt(ptr, bytes, Device::CUDA, [](void* q) { device_release(q); });
  return Tensor::view_of(std::move(storage), 0, std::move(shape), dtype);
}

Tensor empty_like(const Tensor& like, std::string_view what) {
  return empty(like.shape(), like.dtype(), what);
}

}  // namespace repscope::cuda
