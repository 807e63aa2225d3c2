// Host memory for tensors. A forward pass frees and re-allocates blocks of the same sizes batch
// after batch; glibc serves blocks this large with fresh mmaps, whose page faults and zeroing
// cost ~15% of a ResNet-50 extraction. Freed large blocks are therefore kept and handed out
// again (best fit, at most 25% larger than asked), up to a byte limit.
#pragma once

#include <cstddef>

namespace repscope {

// A block of at least `bytes` bytes aligned to `alignment` (a power of two, at most 4096).
// Throws Error when out of memory.
void* host_allocate(std::size_t bytes, std::size_t alignment);
// Returns a block from host_allocate; `bytes` is the size that was asked for.
void host_free(void* p, std::size_t bytes) noexcept;

// Blocks below this size go straight to malloc/free (it caches those itself).
constexpr std::size_t kHostCacheMinBytes = std::size_t{1} << 18;
// Bytes kept at most: 2 GiB (0 under AddressSanitizer), or REPSCOPE_HOST_CACHE_MB at start-up
// (0 turns the cache off).
std::size_t host_cache_limit();
// Frees every cached block (e.g. between models); returns the bytes released.
std::size_t host_cache_trim();

}  // namespace repscope
