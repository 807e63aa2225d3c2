#include <gtest/gtest.h>

#include "cuda/runtime.h"

TEST(CudaRuntime, DescribesDevicesOrSkips) {
  const int n = repscope::cuda::device_count();
  if (n == 0) GTEST_SKIP() << "no CUDA device: GPU tests skipped";
  EXPECT_FALSE(repscope::cuda::device_description(0).empty());
}
