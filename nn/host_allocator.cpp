#include "nn/host_allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "nn/error.h"

namespace repscope {
namespace {

constexpr std::size_t kPage = 4096;
// Under AddressSanitizer the cache is off by default, so a use after free still gets caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kDefaultLimitMb = 0;
#else
constexpr std::size_t kDefaultLimitMb = 2048;
#endif

struct Cache {
  std::mutex mutex;
  std::multimap<std::size_t, void*> free_blocks;  // block size -> block
  std::size_t cached_bytes = 0;
  std::size_t limit = 0;

  Cache() {
    limit = kDefaultLimitMb << 20;
    if (const char* env = std::getenv("REPSCOPE_HOST_CACHE_MB"); env && *env) {
      char* end = nullptr;
      const unsigned long long mb = std::strtoull(env, &end, 10);
      if (end && *end == '\0') limit = static_cast<std::size_t>(mb) << 20;
    }
  }

  std::size_t trim() {
    std::lock_guard lock(mutex);
    const std::size_t freed = cached_bytes;
    for (auto& [size, p] : free_blocks) std::free(p);
    free_blocks.clear();
    cached_bytes = 0;
    return freed;
  }
};

// Never destroyed: tensors held by static objects may be freed after every other static.
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

// Large blocks are page-sized and page-aligned, so any cached block fits any alignment asked.
std::size_t block_size(std::size_t bytes) {
  return (bytes + kPage - 1) / kPage * kPage;
}

}  // namespace

void* host_allocate(std::size_t bytes, std::size_t alignment) {
  if (bytes < kHostCacheMinBytes) {
    const std::size_t padded = (bytes + alignment - 1) / alignment * alignment;
    void* p = std::aligned_alloc(alignment, padded == 0 ? alignment : padded);
    if (p == nullptr)
      fail("out of memory allocating ", bytes,
           " bytes of host memory (a tensor or scratch buffer)");
    return p;
  }
  const std::size_t size = block_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    auto it = c.free_blocks.lower_bound(size);
    if (it != c.free_blocks.end() && it->first <= size + size / 4) {
      void* p = it->second;
      c.cached_bytes -= it->first;
      c.free_blocks.erase(it);
      return p;
    }
  }
  // A reused block may be up to 25% larger than its new request, and host_free then records
  // the smaller size: that only wastes the difference, it never hands out too small a block.
  void* p = std::aligned_alloc(kPage, size);
  if (p == nullptr)
    fail("out of memory allocating ", bytes, " bytes of host memory (a tensor or scratch buffer)");
  return p;
}

void host_free(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kHostCacheMinBytes) {
    std::free(p);
    return;
  }
  const std::size_t size = block_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    if (c.cached_bytes + size <= c.limit) {
      c.free_blocks.emplace(size, p);
      c.cached_bytes += size;
      return;
    }
  }
  std::free(p);
}

std::size_t host_cache_limit() {
  return cache().limit;
}

std::size_t host_cache_trim() {
  return cache().trim();
}

}  // namespace repscope
