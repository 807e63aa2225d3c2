// Shared pieces of the CLIP parity tests: running tests/python/ref_clip.py and comparing taps.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "nn/tensor.h"
#include "tests/support/test_env.h"

namespace repscope::test {

// Two real fLoc images (a face and a house), as the acceptance criteria ask.
inline std::string clip_test_images() {
  return quote((floc_dir() / "adult" / "adult-1.jpg").string()) + " " +
         quote((floc_dir() / "house" / "house-1.jpg").string());
}

// Runs ref_clip.py into `dir`; `extra` adds --depth / --schemes / --f16-exact / --no-taps.
inline void run_ref_clip(const std::filesystem::path& dir, const std::string& arch,
                         const std::string& extra) {
  const auto r = run_python("ref_clip.py", "--arch " + arch + " --out " + quote(dir.string()) +
                                               " --images " + clip_test_images() + " " + extra);
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

// max|ours - ref| / max|ref|; shapes must match.
inline double relative_error(const Tensor& ours, const Tensor& ref) {
  EXPECT_EQ(ours.numel(), ref.numel());
  if (ours.numel() != ref.numel()) return INFINITY;
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(ours.at(i) - ref.at(i))));
    scale = std::max(scale, static_cast<double>(std::fabs(ref.at(i))));
  }
  return scale > 0 ? diff / scale : diff;
}

}  // namespace repscope::test
