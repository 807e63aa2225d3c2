#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <sstream>

#include "io/resize.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "tests/io/test_image_util.h"
#include "tests/support/test_env.h"

using namespace repscope;

namespace {
Image ramp(int w, int h, int c = 3) {
  Image im(w, h, c);
  for (std::size_t i = 0; i < im.pixels.size(); ++i)
    im.pixels[i] = static_cast<std::uint8_t>((i * 37) % 251);
  return im;
}
}  // namespace

TEST(Resize, ParsesFilterNamesAndRejectsOthers) {
  EXPECT_EQ(parse_resample("bicubic"), Resample::Bicubic);
  EXPECT_EQ(parse_resample("BILINEAR"), Resample::Bilinear);
  EXPECT_EQ(parse_resample("antialias"), Resample::Lanczos);
  EXPECT_EQ(resample_name(Resample::Hamming), "hamming");
  try {
    parse_resample("bicubc", "--interp");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--interp"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("bicubc"), std::string::npos);
  }
}

TEST(Resize, SameSizeIsACopyAndBadSizesThrow) {
  const Image a = ramp(5, 4);
  EXPECT_EQ(resize(a, 5, 4, Resample::Lanczos).pixels, a.pixels);
  EXPECT_THROW(resize(a, 0, 4, Resample::Bilinear), Error);
  EXPECT_THROW(resize(Image(), 3, 3, Resample::Bilinear), Error);
}

TEST(Resize, ConstantImageStaysConstant) {
  Image a(37, 11, 3);
  std::fill(a.pixels.begin(), a.pixels.end(), 200);
  for (Resample f : {Resample::Nearest, Resample::Box, Resample::Bilinear, Resample::Hamming,
                     Resample::Bicubic, Resample::Lanczos}) {
    const Image b = resize(a, 101, 5, f);
    for (auto v : b.pixels) ASSERT_EQ(v, 200) << resample_name(f);
  }
}

TEST(Resize, ResultDoesNotDependOnThreadCount) {
  const Image a = ramp(301, 203);
  set_num_threads(1);
  const Image one = resize(a, 97, 411, Resample::Lanczos);
  set_num_threads(0);
  const Image all = resize(a, 97, 411, Resample::Lanczos);
  EXPECT_EQ(one.pixels, all.pixels);
}

// The AVX2 horizontal pass (1 and 3 channels) against the plain loops: every filter, down- and
// up-scaling (few and many taps, pixels at the right edge whose steps would read past the
// buffer), random bytes with extremes so that the clipping is exercised.
TEST(Resize, SimdHorizontalPassEqualsPlainLoops) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> byte(0, 255);
  const bool before = set_resize_simd(true);
  for (int channels : {1, 3, 4}) {
    for (auto [w, h, ow, oh] : {std::array<int, 4>{301, 7, 67, 7},
                                {1000, 9, 224, 5},
                                {13, 4, 40, 4},
                                {9, 3, 1, 3},
                                {640, 480, 256, 192}}) {
      Image a(w, h, channels);
      for (auto& v : a.pixels)
        v = static_cast<std::uint8_t>(byte(rng) < 128 ? byte(rng) % 2 * 255 : byte(rng));
      for (Resample f : {Resample::Box, Resample::Bilinear, Resample::Hamming, Resample::Bicubic,
                         Resample::Lanczos}) {
        set_resize_simd(true);
        const Image fast = resize(a, ow, oh, f);
        set_resize_simd(false);
        const Image plain = resize(a, ow, oh, f);
        EXPECT_EQ(fast.pixels, plain.pixels) << channels << " channels " << w << "x" << h << " -> "
                                             << ow << "x" << oh << " " << resample_name(f);
      }
    }
  }
  set_resize_simd(before);
}

// Every Pillow filter, up- and down-scaling, non-square and degenerate sizes, on random RGB.
TEST(ResizeParity, AllFiltersMatchPillowExactly) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("ref_preprocess.py", "resize " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto cases = test::read_lines(dir / "resize_cases.txt");
  ASSERT_GT(cases.size(), 300u);
  std::map<int, Image> sources;
  int checked = 0;
  for (const auto& line : cases) {
    std::istringstream in(line);
    int src = 0, w = 0, h = 0;
    std::string filter, tag;
    in >> src >> w >> h >> filter >> tag;
    if (!sources.count(src))
      sources[src] = test::image_from_npy(dir / ("src" + std::to_string(src) + ".npy"));
    const Image want = test::image_from_npy(dir / (tag + ".npy"));
    const Image got = resize(sources[src], w, h, parse_resample(filter));
    ASSERT_EQ(got.width, want.width) << tag;
    ASSERT_EQ(got.height, want.height) << tag;
    const auto d = test::pixel_diff(got, want);
    EXPECT_EQ(d.max_abs, 0) << tag << ": " << d.differing << " bytes differ";
    ++checked;
  }
  std::printf("  %d resize cases identical to Pillow\n", checked);
}
