#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/file_util.h"
#include "io/npy.h"
#include "io/preprocess.h"
#include "nn/error.h"
#include "tests/io/test_image_util.h"
#include "tests/support/test_env.h"

using namespace repscope;
namespace fs = std::filesystem;

namespace {

Image numbered(int w, int h) {
  Image im(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) im.row(y)[x * 3 + c] = static_cast<std::uint8_t>(y * 16 + x);
  return im;
}

std::string error_of(const std::string& spec) {
  try {
    preprocess_preset(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Preprocess, NamedPresets) {
  const auto clip = preprocess_preset("clip");
  EXPECT_EQ(clip.resize, 224);
  EXPECT_EQ(clip.crop, 224);
  EXPECT_EQ(clip.interp, Resample::Bicubic);
  EXPECT_FLOAT_EQ(clip.mean[0], 0.48145466f);
  EXPECT_EQ(preprocess_preset("clip-336").crop, 336);
  EXPECT_EQ(preprocess_preset("imagenet").resize, 256);
  EXPECT_EQ(preprocess_preset("imagenet-v2").resize, 232);
  const auto timm = preprocess_preset("timm-vit");
  EXPECT_EQ(timm.resize, 248);
  EXPECT_EQ(timm.crop, 224);
  EXPECT_EQ(timm.std[2], 0.5f);
  for (const auto& n : preset_names()) EXPECT_NO_THROW(preprocess_preset(n)) << n;
}

TEST(Preprocess, CustomSpec) {
  const auto s =
      preprocess_preset("size=224,resize=256,interp=bicubic,mean=0.5:0.5:0.5,std=0.25:0.5:1");
  EXPECT_EQ(s.crop, 224);
  EXPECT_EQ(s.resize, 256);
  EXPECT_EQ(s.interp, Resample::Bicubic);
  EXPECT_EQ(s.mean[1], 0.5f);
  EXPECT_EQ(s.std[0], 0.25f);
  EXPECT_EQ(preprocess_preset("size=224,crop_pct=0.875").resize, 256);  // floor(224 / 0.875)
  EXPECT_EQ(preprocess_preset("size=224,crop_pct=0.9").resize, 248);
  EXPECT_EQ(preprocess_preset("size=100").resize, 100);
}

TEST(Preprocess, BadSpecsNameWhatIsWrong) {
  EXPECT_NE(error_of("clip-300").find("clip-300"), std::string::npos);
  EXPECT_NE(error_of("imagenet-v3").find("unknown preprocess preset 'imagenet-v3'"),
            std::string::npos);
  EXPECT_NE(error_of("size=224,foo=1").find("unknown key 'foo'"), std::string::npos);
  EXPECT_NE(error_of("size=22x").find("'size'"), std::string::npos);
  EXPECT_NE(error_of("size=-3").find("'size'"), std::string::npos);
  EXPECT_NE(error_of("resize=256").find("'size=N'"), std::string::npos);
  EXPECT_NE(error_of("size=224,mean=0.5:0.5").find("'mean'"), std::string::npos);
  EXPECT_NE(error_of("size=224,std=0:1:1").find("'std'"), std::string::npos);
  EXPECT_NE(error_of("size=224,interp=cubicle").find("cubicle"), std::string::npos);
  EXPECT_NE(error_of("size=224,crop_pct=1.5").find("crop_pct"), std::string::npos);
  EXPECT_NE(error_of("size=224,resize").find("'resize'"), std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
}

TEST(Preprocess, ShorterSideResizeUsesTorchvisionRounding) {
  // int(256 * 1024 / 768) = 341; int(224 * 517 / 333) = 347
  Image a(1024, 768);
  const Image b = resize_shorter_side(a, 256, Resample::Bilinear);
  EXPECT_EQ(b.width, 341);
  EXPECT_EQ(b.height, 256);
  const Image c = resize_shorter_side(Image(333, 517), 224, Resample::Bicubic);
  EXPECT_EQ(c.width, 224);
  EXPECT_EQ(c.height, 347);
}

TEST(Preprocess, CenterCropRoundsHalfToEvenAndPads) {
  // (7 - 4) / 2 = 1.5 -> 2;  (9 - 4) / 2 = 2.5 -> 2;  (11 - 4) / 2 = 3.5 -> 4
  EXPECT_EQ(center_crop(numbered(7, 4), 4, 4).row(0)[0], 2);
  EXPECT_EQ(center_crop(numbered(9, 4), 4, 4).row(0)[0], 2);
  EXPECT_EQ(center_crop(numbered(11, 4), 4, 4).row(0)[0], 4);
  EXPECT_EQ(center_crop(numbered(4, 11), 4, 4).row(0)[0], 4 * 16);
  // Larger than the image: zero padding, left/top (crop - size) // 2.
  const Image p = center_crop(numbered(2, 1), 3, 5);
  EXPECT_EQ(p.width, 5);
  EXPECT_EQ(p.height, 3);
  EXPECT_EQ(p.row(1)[3 * 1], 0);  // pixel (0,0) moved to (1,1)
  EXPECT_EQ(p.row(1)[3 * 2], 1);  // pixel (1,0) at (2,1)
  EXPECT_EQ(p.row(0)[3 * 1], 0);  // padding
}

TEST(Preprocess, NormalizesLikeToTensorAndNormalize) {
  Image a(2, 1);
  a.pixels = {0, 128, 255, 10, 20, 30};
  const Tensor t = preprocess(a, "size=1,resize=1,mean=0.5:0.25:0,std=0.5:2:1,interp=nearest");
  t.expect_shape({1, 3, 1, 1}, "t");
  EXPECT_EQ(t.at(0), (0.0f / 255.0f - 0.5f) / 0.5f);
}

TEST(Preprocess, BatchErrorsNameTheFile) {
  const auto dir = test::scratch_dir();
  std::ofstream(dir / "bad.png") << "nope";
  try {
    preprocess_files({dir / "bad.png"}, preprocess_preset("imagenet"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.png"), std::string::npos) << e.what();
  }
}

// Every preset's parameters against the real transform objects, and its cropped 8-bit image and
// normalized tensor against torchvision / CLIP / timm on generated images of odd sizes and modes.
TEST(PreprocessParity, OddImagesMatchTorchvisionClipAndTimm) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("ref_preprocess.py", "odd-presets " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // presets.json: {"clip": {"resize": 224, "crop": 224, "interp": "bicubic", "mean": [..], "std":
  // [..]}, ...}
  const std::string json = read_text_file(dir / "presets.json");
  for (const auto& name : preset_names()) {
    SCOPED_TRACE(name);
    const auto at = json.find("\"" + name + "\"");
    ASSERT_NE(at, std::string::npos);
    const auto spec = preprocess_preset(name);
    auto number_after = [&](const std::string& key, int skip = 0) {
      auto p = json.find("\"" + key + "\"", at);
      p = json.find_first_of("-0123456789", p + key.size() + 2);
      for (int i = 0; i < skip; ++i) p = json.find_first_of("-0123456789", json.find(',', p));
      return std::strtod(json.c_str() + p, nullptr);
    };
    EXPECT_EQ(spec.resize, static_cast<int>(number_after("resize")));
    EXPECT_EQ(spec.crop, static_cast<int>(number_after("crop")));
    const auto interp_at = json.find("\"interp\"", at);
    EXPECT_EQ(json.substr(json.find('"', interp_at + 9) + 1, resample_name(spec.interp).size()),
              resample_name(spec.interp));
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(spec.mean[static_cast<std::size_t>(c)],
                static_cast<float>(number_after("mean", c)));
      EXPECT_EQ(spec.std[static_cast<std::size_t>(c)], static_cast<float>(number_after("std", c)));
    }
  }

  const auto cases = test::read_lines(dir / "odd_preset_cases.txt");
  ASSERT_GT(cases.size(), 40u);
  double worst = 0;
  for (const auto& line : cases) {
    std::istringstream in(line);
    std::string file, preset, tag;
    in >> file >> preset >> tag;
    SCOPED_TRACE(tag);
    const PreprocessSpec spec = preprocess_preset(preset);
    const Image image = load_image(dir / file);
    Image ready = resize_shorter_side(image, spec.resize, spec.interp);
    ready = center_crop(ready, spec.crop, spec.crop);
    const Image want = test::image_from_npy(dir / (tag + ".crop.npy"));
    ASSERT_EQ(ready.width, want.width);
    ASSERT_EQ(ready.height, want.height);
    EXPECT_EQ(test::pixel_diff(ready, want).max_abs, 0);

    const Tensor ref = read_npy(dir / (tag + ".norm.npy"));
    const Tensor got = preprocess(image, spec);
    ASSERT_EQ(got.shape(), ref.shape());
    for (std::int64_t i = 0; i < got.numel(); ++i)
      worst = std::max(worst, double(std::fabs(got.at(i) - ref.at(i))));
  }
  EXPECT_LE(worst, 1e-6);
  std::printf("  %zu preset cases: cropped 8-bit identical, normalized max abs diff %.3g\n",
              cases.size(), worst);
}

TEST(PreprocessCli, WritesTheSameBatchAsTheLibrary) {
  const auto dir = test::scratch_dir();
  Image a(40, 30), b(17, 50);
  for (std::size_t i = 0; i < a.pixels.size(); ++i) a.pixels[i] = static_cast<std::uint8_t>(i * 7);
  for (std::size_t i = 0; i < b.pixels.size(); ++i) b.pixels[i] = static_cast<std::uint8_t>(i * 13);
  // Binary PPM: the simplest file the decoder reads.
  auto write_ppm = [](const fs::path& p, const Image& im) {
    std::ofstream f(p, std::ios::binary);
    f << "P6\n" << im.width << " " << im.height << "\n255\n";
    f.write(reinterpret_cast<const char*>(im.pixels.data()),
            static_cast<std::streamsize>(im.pixels.size()));
  };
  write_ppm(dir / "a.ppm", a);
  write_ppm(dir / "b.ppm", b);
  const std::string spec = "size=16,resize=20,interp=bicubic";
  const auto r = test::run_cli("preprocess --preset " + test::quote(spec) + " " +
                               test::quote((dir / "a.ppm").string()) + " " +
                               test::quote((dir / "b.ppm").string()) + " --out " +
                               test::quote((dir / "x.npy").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Tensor got = read_npy(dir / "x.npy");
  const Tensor want = preprocess_files({dir / "a.ppm", dir / "b.ppm"}, preprocess_preset(spec));
  ASSERT_EQ(got.shape(), (Shape{2, 3, 16, 16}));
  for (std::int64_t i = 0; i < got.numel(); ++i) ASSERT_EQ(got.at(i), want.at(i)) << i;

  const auto bad =
      test::run_cli("preprocess --preset clip-999 " + test::quote((dir / "a.ppm").string()) +
                    " --out " + test::quote((dir / "y.npy").string()));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("clip-999"), std::string::npos) << bad.output;
  const auto missing =
      test::run_cli("preprocess --preset clip " + test::quote((dir / "nope.jpg").string()) +
                    " --out " + test::quote((dir / "y.npy").string()));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("nope.jpg"), std::string::npos) << missing.output;
  EXPECT_FALSE(fs::exists(dir / "y.npy"));
}
