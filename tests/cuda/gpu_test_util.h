// Shared helpers of the GPU tests: skipping without a device, random tensors, error measures.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "cuda/backend.h"
#include "nn/tensor.h"

// Skips the current test when no CUDA device is usable (registers the backend otherwise).
#define REPSCOPE_REQUIRE_GPU_OR_SKIP()                                                       \
  do {                                                                                       \
    if (!::repscope::cuda::register_backend())                                               \
      GTEST_SKIP()                                                                           \
          << "no CUDA device: GPU test skipped (run scripts/gpu-check.sh on a GPU machine)"; \
  } while (0)

namespace repscope::test {

inline Tensor random_tensor(Shape shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::empty(std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// max |a - b| / max |ref| (inf on a shape mismatch or NaN).
inline double relative_error(const Tensor& ref, const Tensor& got) {
  if (ref.shape() != got.shape()) return INFINITY;
  double max_ref = 0.0, max_diff = 0.0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref.at(i))));
    const double d = std::fabs(static_cast<double>(ref.at(i)) - got.at(i));
    max_diff = std::isnan(d) ? INFINITY : std::max(max_diff, d);
  }
  return max_ref == 0.0 ? max_diff : max_diff / max_ref;
}

}  // namespace repscope::test
