// Shared helpers of the image / resize / preprocess tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/image.h"
#include "io/npy.h"
#include "nn/error.h"
#include "nn/tensor.h"
#include "tests/support/test_env.h"

namespace repscope::test {

// Position-weighted byte sum mod 2^64, the same as pixel_hash() in tests/python/ref_preprocess.py.
inline std::uint64_t pixel_hash(const std::uint8_t* data, std::size_t n) {
  std::uint64_t h = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t w = (i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) | 1ull;
    h += data[i] * w;
  }
  return h;
}
inline std::uint64_t pixel_hash(const Image& im) {
  return pixel_hash(im.pixels.data(), im.pixels.size());
}

// An HxWx3 (or HxW) uint8 NPY as an Image.
inline Image image_from_npy(const std::filesystem::path& path) {
  const Tensor t = read_npy(path);
  t.expect_dtype(DType::U8, path.string());
  check(t.ndim() == 3 || t.ndim() == 2, path.string(), ": expected HxWxC or HxW");
  Image im(static_cast<int>(t.dim(1)), static_cast<int>(t.dim(0)),
           t.ndim() == 3 ? static_cast<int>(t.dim(2)) : 1);
  const auto* p = t.data<std::uint8_t>();
  im.pixels.assign(p, p + t.numel());
  return im;
}

struct PixelDiff {
  int max_abs = 0;
  std::size_t differing = 0;
};
inline PixelDiff pixel_diff(const Image& a, const Image& b) {
  PixelDiff d;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) {
    const int x = std::abs(int{a.pixels[i]} - int{b.pixels[i]});
    if (x > 0) ++d.differing;
    if (x > d.max_abs) d.max_abs = x;
  }
  return d;
}

}  // namespace repscope::test
