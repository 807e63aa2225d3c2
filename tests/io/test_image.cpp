#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/file_util.h"
#include "io/image.h"
#include "nn/error.h"
#include "tests/io/test_image_util.h"
#include "tests/support/test_env.h"

using namespace repscope;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string read_bytes(const fs::path& p) {
  return read_text_file(p);
}

// Expects load_image(path) to throw an Error whose message names the file.
void expect_error_naming(const fs::path& path, const std::string& also = "") {
  try {
    load_image(path);
    FAIL() << "no error for " << path;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    if (!also.empty()) {
      EXPECT_NE(msg.find(also), std::string::npos) << msg;
    }
  }
}

fs::path first_floc_jpeg() {
  for (const auto& e : fs::recursive_directory_iterator(test::floc_dir()))
    if (e.path().extension() == ".jpg") return e.path();
  return {};
}

}  // namespace

TEST(ImageDecode, BadFilesGiveErrorsNamingTheFile) {
  const auto dir = test::scratch_dir();
  expect_error_naming(dir / "missing.png");
  write_bytes(dir / "empty.jpg", "");
  expect_error_naming(dir / "empty.jpg", "empty");
  write_bytes(dir / "text.png", "this is not an image at all");
  expect_error_naming(dir / "text.png");
  write_bytes(dir / "fake.jpg", std::string("\xFF\xD8\xFF\xE0garbage", 11));
  expect_error_naming(dir / "fake.jpg");
  write_bytes(dir / "fakepng.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  expect_error_naming(dir / "fakepng.png");
  expect_error_naming(dir);  // a directory
}

TEST(ImageDecode, TruncatedJpegIsAnErrorWithEitherDecoder) {
  const fs::path src = first_floc_jpeg();
  if (src.empty()) GTEST_SKIP() << "fLoc images missing";
  const auto dir = test::scratch_dir();
  const std::string bytes = read_bytes(src);
  write_bytes(dir / "cut.jpg", bytes.substr(0, bytes.size() / 2));
  expect_error_naming(dir / "cut.jpg", have_libjpeg() ? "truncated" : "");
  const auto cut = read_bytes(dir / "cut.jpg");
  EXPECT_THROW(decode_image({reinterpret_cast<const std::uint8_t*>(cut.data()), cut.size()}, "cut",
                            {JpegBackend::Stb}),
               Error);
}

TEST(ImageDecode, GrayJpegBecomesReplicatedRgbWithBothDecoders) {
  const fs::path src = first_floc_jpeg();
  if (src.empty()) GTEST_SKIP() << "fLoc images missing";
  const Image a = load_image(src);
  const Image b = load_image(src, {JpegBackend::Stb});
  ASSERT_EQ(a.width, 1024);
  ASSERT_EQ(a.height, 1024);
  ASSERT_EQ(a.channels, 3);
  ASSERT_EQ(b.width, a.width);
  for (std::size_t i = 0; i < a.pixels.size(); i += 3) {
    ASSERT_EQ(a.pixels[i], a.pixels[i + 1]);
    ASSERT_EQ(a.pixels[i], a.pixels[i + 2]);
  }
  EXPECT_LE(test::pixel_diff(a, b).max_abs, 2);
}

// Generated PNG/BMP/TGA/GIF/PNM/JPEG files of odd sizes and modes against
// Pillow's Image.open(p).convert("RGB"). Writes the references the preprocess test reuses.
TEST(ImageDecode, OddFilesMatchPillowConvertRgb) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("ref_preprocess.py", "odd " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto names = test::read_lines(dir / "odd_files.txt");
  ASSERT_GE(names.size(), 20u);
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const fs::path path = dir / name;
    const std::string base = path.stem().string() + "_" + path.extension().string().substr(1);
    const Image want = test::image_from_npy(dir / (base + ".rgb.npy"));
    const Image got = load_image(path);
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    ASSERT_EQ(got.channels, 3);
    const auto d = test::pixel_diff(got, want);
    const bool jpeg = path.extension() == ".jpg";
    if (!jpeg || have_libjpeg()) {
      EXPECT_EQ(d.max_abs, 0) << d.differing << " bytes differ";
    }
    if (jpeg) {
      const Image stb = load_image(path, {JpegBackend::Stb});
      const auto ds = test::pixel_diff(stb, want);
      std::printf(
          "  stb vs Pillow on %-26s max %d, %.4f%% of bytes differ\n", name.c_str(), ds.max_abs,
          100.0 * static_cast<double>(ds.differing) / static_cast<double>(want.pixels.size()));
    }
  }
}
