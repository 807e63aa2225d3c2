// All 528 fLoc JPEGs: decoded pixels and every preset's resized + cropped 8-bit image against
// Pillow / torchvision (per-image hashes written by one Python run), normalized batches against
// the real transforms on one image per folder, and the stb_image difference measurement.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/npy.h"
#include "io/preprocess.h"
#include "nn/parallel.h"
#include "tests/io/test_image_util.h"
#include "tests/support/test_env.h"

using namespace repscope;
namespace fs = std::filesystem;

TEST(FlocParity, DecodeAndEveryPresetMatchPillowOnAllImages) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  if (!fs::exists(test::floc_dir())) GTEST_SKIP() << "fLoc images missing";
  // REPSCOPE_FLOC_REF=<dir> reuses references written earlier by `ref_preprocess.py floc <dir>`.
  fs::path dir;
  if (const char* reuse = std::getenv("REPSCOPE_FLOC_REF"); reuse && *reuse) {
    dir = reuse;
  } else {
    dir = test::scratch_dir();
    const auto r =
        test::run_python("ref_preprocess.py", "floc " + test::quote(dir.string()) + " " +
                                                  test::quote(test::floc_dir().string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto files = test::read_lines(dir / "floc_files.txt");
  const auto presets = test::read_lines(dir / "floc_presets.txt");
  const auto subset_lines = test::read_lines(dir / "floc_subset.txt");
  ASSERT_EQ(files.size(), 528u);
  const Tensor hashes = read_npy(dir / "floc_hashes.npy");
  hashes.expect_shape({528, static_cast<std::int64_t>(1 + presets.size())}, "floc_hashes");
  const auto* want = reinterpret_cast<const std::uint64_t*>(hashes.raw_data());
  const std::size_t cols = 1 + presets.size();

  std::vector<PreprocessSpec> specs;
  for (const auto& p : presets) specs.push_back(preprocess_preset(p));

  // Per image: 0 = decode mismatch, then one flag per preset; plus stb statistics.
  std::vector<std::uint8_t> mismatch(files.size() * cols, 0);
  std::vector<std::size_t> stb_differing(files.size(), 0);
  std::vector<int> stb_max(files.size(), 0);
  parallel_for(0, static_cast<std::int64_t>(files.size()), 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const auto row = static_cast<std::size_t>(i) * cols;
      const Image image = load_image(files[static_cast<std::size_t>(i)]);
      if (have_libjpeg()) mismatch[row] = test::pixel_hash(image) != want[row];
      const auto d = test::pixel_diff(
          load_image(files[static_cast<std::size_t>(i)], {JpegBackend::Stb}), image);
      stb_differing[static_cast<std::size_t>(i)] = d.differing;
      stb_max[static_cast<std::size_t>(i)] = d.max_abs;
      for (std::size_t p = 0; p < specs.size(); ++p) {
        const Image ready =
            center_crop(resize_shorter_side(image, specs[p].resize, specs[p].interp), specs[p].crop,
                        specs[p].crop);
        mismatch[row + 1 + p] = test::pixel_hash(ready) != want[row + 1 + p];
      }
    }
  });
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (have_libjpeg()) {
      EXPECT_EQ(mismatch[i * cols], 0) << "decoded pixels differ from Pillow: " << files[i];
    }
    for (std::size_t p = 0; p < specs.size(); ++p) {
      EXPECT_EQ(mismatch[i * cols + 1 + p], 0)
          << presets[p] << " differs from torchvision: " << files[i];
    }
  }
  std::size_t differing = 0;
  int max_abs = 0, images_differing = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    differing += stb_differing[i];
    max_abs = std::max(max_abs, stb_max[i]);
    images_differing += stb_differing[i] > 0;
  }
  const double total = 528.0 * 1024 * 1024 * 3;
  std::printf(
      "  stb_image vs Pillow (libjpeg-turbo) on 528 fLoc JPEGs: max abs diff %d, %.4f%% of values "
      "differ, %d images have a difference\n",
      max_abs, 100.0 * static_cast<double>(differing) / total, images_differing);

  // Normalized tensors of one image per folder, through the batch API.
  std::vector<fs::path> subset;
  for (const auto& s : subset_lines) subset.push_back(files[std::stoul(s)]);
  for (std::size_t p = 0; p < specs.size(); ++p) {
    const Tensor ref = read_npy(dir / ("floc_norm_" + presets[p] + ".npy"));
    const Tensor got = preprocess_files(subset, specs[p]);
    ASSERT_EQ(got.shape(), ref.shape()) << presets[p];
    double worst = 0;
    for (std::int64_t i = 0; i < got.numel(); ++i)
      worst = std::max(worst, double(std::fabs(got.at(i) - ref.at(i))));
    EXPECT_LE(worst, 1e-6) << presets[p];
    std::printf("  %-12s normalized max abs diff vs reference transform: %.3g\n",
                presets[p].c_str(), worst);
  }
}

// Gray JPEGs (all of fLoc) may be decoded to one channel and resized once: the batch must be
// bit-identical to resizing the RGB conversion, which is what Pillow and the default decode do.
TEST(FlocGray, OneChannelPathGivesTheRgbPathsBits) {
  if (!fs::exists(test::floc_dir())) GTEST_SKIP() << "fLoc images missing";
  if (!have_libjpeg()) GTEST_SKIP() << "gray decoding needs libjpeg-turbo";
  const fs::path path = test::floc_dir() / "adult" / "adult-1.jpg";
  DecodeOptions gray_options;
  gray_options.keep_gray = true;
  const Image gray = load_image(path, gray_options);
  const Image rgb = load_image(path);
  ASSERT_EQ(gray.channels, 1);
  ASSERT_EQ(rgb.channels, 3);
  for (std::size_t i = 0; i < gray.pixels.size(); ++i) {
    ASSERT_EQ(rgb.pixels[3 * i], gray.pixels[i]);
    ASSERT_EQ(rgb.pixels[3 * i + 2], gray.pixels[i]);
  }
  for (const char* preset : {"imagenet", "clip"}) {
    const PreprocessSpec spec = preprocess_preset(preset);
    const Tensor batch = preprocess_files({path}, spec);  // the gray path
    const Tensor one = preprocess(rgb, spec);             // the RGB path
    ASSERT_EQ(batch.numel(), one.numel()) << preset;
    EXPECT_EQ(std::memcmp(batch.raw_data(), one.raw_data(), batch.numel() * sizeof(float)), 0)
        << preset;
  }
}
