// nn/host_allocator.h: blocks are aligned, reused after being freed, and usable in full.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "nn/host_allocator.h"
#include "nn/tensor.h"

namespace repscope {
namespace {

TEST(HostAllocator, BlocksAreAlignedAndWritable) {
  for (std::size_t bytes :
       {std::size_t{0}, std::size_t{1}, std::size_t{100}, kHostCacheMinBytes - 1,
        kHostCacheMinBytes, kHostCacheMinBytes + 3, std::size_t{5} << 20}) {
    void* p = host_allocate(bytes, 64);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u) << bytes;
    std::memset(p, 0xAB, bytes);
    host_free(p, bytes);
  }
}

TEST(HostAllocator, FreedLargeBlockIsReusedForTheSameSize) {
  if (host_cache_limit() == 0) GTEST_SKIP() << "cache turned off by REPSCOPE_HOST_CACHE_MB=0";
  host_cache_trim();
  const std::size_t bytes = std::size_t{3} << 20;
  void* a = host_allocate(bytes, 64);
  host_free(a, bytes);
  void* b = host_allocate(bytes, 64);
  EXPECT_EQ(a, b);
  // A slightly smaller request may take the cached block too; a much smaller one may not.
  host_free(b, bytes);
  void* c = host_allocate(bytes - 4096, 64);
  EXPECT_EQ(c, a);
  host_free(c, bytes - 4096);
  void* d = host_allocate(bytes / 2, 64);
  EXPECT_NE(d, a);
  host_free(d, bytes / 2);
  EXPECT_GT(host_cache_trim(), 0u);
}

TEST(HostAllocator, TensorsUseIt) {
  if (host_cache_limit() == 0) GTEST_SKIP() << "cache turned off by REPSCOPE_HOST_CACHE_MB=0";
  host_cache_trim();
  const void* first = nullptr;
  {
    Tensor t = Tensor::zeros({512, 1024});
    first = t.raw_data();
  }
  Tensor again = Tensor::empty({512, 1024});
  EXPECT_EQ(again.raw_data(), first);
  Tensor zeros = Tensor::zeros({512, 1024});  // a reused block is still zeroed by zeros()
  for (std::int64_t i = 0; i < zeros.numel(); i += 997) ASSERT_EQ(zeros.at(i), 0.0f);
}

}  // namespace
}  // namespace repscope
