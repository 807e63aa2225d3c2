#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "nn/parallel.h"

using namespace repscope;

TEST(Parallel, ForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 0}) {
    set_num_threads(threads);
    std::vector<std::atomic<int>> hits(10007);
    parallel_for(0, 10007, 13, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)]++;
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
  set_num_threads(0);
}

// The same float sum for any thread count: chunks are fixed, partials combine in order.
TEST(Parallel, ReduceIsBitIdenticalAcrossThreadCounts) {
  std::vector<float> v(100003);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i)) * 1e3f;
  auto sum = [&] {
    return parallel_reduce_chunks<float>(
        0, static_cast<std::int64_t>(v.size()), 1024, 0.0f,
        [&](std::int64_t b, std::int64_t e) {
          float s = 0;
          for (std::int64_t i = b; i < e; ++i) s += v[static_cast<std::size_t>(i)];
          return s;
        },
        [](float a, float b) { return a + b; });
  };
  set_num_threads(1);
  const float one = sum();
  set_num_threads(2);
  EXPECT_EQ(sum(), one);
  set_num_threads(8);
  EXPECT_EQ(sum(), one);
  set_num_threads(0);
}
