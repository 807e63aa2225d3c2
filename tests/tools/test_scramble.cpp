// Scrambling: block mode permutes whole tiles; phase mode keeps the amplitude spectrum and the
// mean, shares one phase field across colour channels; both are deterministic for a seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>

#include "io/file_util.h"
#include "nn/error.h"
#include "tests/support/test_env.h"
#include "tools/scramble.h"
#include "tools/stimuli/rng.h"

using namespace repscope;
using namespace repscope::scramble;

namespace {

// A structured test image: gradients, a disc and texture, different per channel.
Image8 test_image(int w, int h, int channels) {
  Image8 img{w, h, channels, std::vector<std::uint8_t>(static_cast<std::size_t>(w * h * channels))};
  stimuli::Rng rng(3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const bool disc = (x - w / 3) * (x - w / 3) + (y - h / 2) * (y - h / 2) < w * h / 16;
      for (int c = 0; c < channels; ++c) {
        const double v = 40 + 120.0 * x / w + 50.0 * y / h * (c + 1) / channels + (disc ? 40 : 0) +
                         10 * rng.uniform();
        img.at(x, y, c) = static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
      }
    }
  }
  return img;
}

std::vector<double> plane(const Image8& img, int c) {
  std::vector<double> p;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) p.push_back(img.at(x, y, c));
  }
  return p;
}

}  // namespace

TEST(Fft, MatchesDirectDftOnOddSizes) {
  const int h = 6, w = 5;
  std::vector<std::complex<double>> a(h * w);
  stimuli::Rng rng(1);
  for (auto& z : a) z = {rng.normal(), rng.normal()};
  auto f = a;
  fft2d(f, h, w, false);
  for (int u = 0; u < h; ++u) {
    for (int v = 0; v < w; ++v) {
      std::complex<double> s = 0;
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x)
          s += a[y * w + x] * std::polar(1.0, -2 * M_PI * (double(u * y) / h + double(v * x) / w));
      }
      EXPECT_NEAR(std::abs(s - f[u * w + v]), 0.0, 1e-10);
    }
  }
  fft2d(f, h, w, true);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(std::abs(f[i] - a[i]), 0.0, 1e-12);
}

TEST(BlockScramble, PermutesWholeTiles) {
  const Image8 img = test_image(64, 48, 3);
  const Image8 out = block_scramble(img, 4, 7);
  EXPECT_NE(out.pixels, img.pixels);
  // Every output tile equals exactly one input tile, and each input tile is used once.
  std::vector<int> used(16, 0);
  for (int t = 0; t < 16; ++t) {
    int match = -1;
    for (int s = 0; s < 16 && match < 0; ++s) {
      bool same = true;
      for (int y = 0; y < 12 && same; ++y) {
        for (int x = 0; x < 16 && same; ++x) {
          for (int c = 0; c < 3; ++c)
            same = same && out.at(t % 4 * 16 + x, t / 4 * 12 + y, c) ==
                               img.at(s % 4 * 16 + x, s / 4 * 12 + y, c);
        }
      }
      if (same) match = s;
    }
    ASSERT_GE(match, 0) << "tile " << t;
    ++used[static_cast<std::size_t>(match)];
  }
  EXPECT_TRUE(std::all_of(used.begin(), used.end(), [](int u) { return u == 1; }));
  EXPECT_EQ(block_scramble(img, 4, 7).pixels, out.pixels);
  EXPECT_NE(block_scramble(img, 4, 8).pixels, out.pixels);
  EXPECT_EQ(block_scramble(img, 1, 7).pixels, img.pixels);
  EXPECT_THROW(block_scramble(img, 100, 7), Error);
  EXPECT_THROW(block_scramble(img, 0, 7), Error);
}

TEST(BlockScramble, CentredGridKeepsTheMargin) {
  const Image8 img = test_image(67, 50, 1);  // 67 = 8·8 + 3, 50 = 8·6 + 2
  const Image8 out = block_scramble(img, 8, 1);
  for (int y = 0; y < 50; ++y) {
    for (int x : {0, 65, 66}) EXPECT_EQ(out.at(x, y, 0), img.at(x, y, 0));
  }
  for (int x = 0; x < 67; ++x) EXPECT_EQ(out.at(x, 49, 0), img.at(x, 49, 0));
  auto a = img.pixels, b = out.pixels;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

TEST(PhaseScramble, KeepsAmplitudeSpectrumAndMean) {
  const Image8 img = test_image(60, 45, 3);
  const auto planes = phase_scramble_planes(img, 11);
  double max_rel = 0;
  for (int c = 0; c < 3; ++c) {
    const auto a0 = amplitude_spectrum(plane(img, c), 45, 60);
    const auto a1 = amplitude_spectrum(planes[static_cast<std::size_t>(c)], 45, 60);
    for (std::size_t i = 0; i < a0.size(); ++i)
      max_rel = std::max(max_rel, std::abs(a1[i] - a0[i]) / (a0[0] * 1e-6 + a0[i]));
  }
  EXPECT_LT(max_rel, 1e-9);
  // The 8-bit result: rounding and clipping change the spectrum only slightly.
  const Image8 out = phase_scramble(img, 11);
  const auto a0 = amplitude_spectrum(plane(img, 0), 45, 60),
             a1 = amplitude_spectrum(plane(out, 0), 45, 60);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a0.size(); ++i)
    num += (a1[i] - a0[i]) * (a1[i] - a0[i]), den += a0[i] * a0[i];
  EXPECT_LT(std::sqrt(num / den), 0.02);
  EXPECT_NEAR(a1[0] / a0[0], 1.0, 0.01);  // mean luminance kept
  // Scrambled: the pixels moved a lot.
  double diff = 0;
  for (std::size_t i = 0; i < img.pixels.size(); ++i)
    diff += std::abs(int(img.pixels[i]) - int(out.pixels[i]));
  EXPECT_GT(diff / img.pixels.size(), 10.0);
  EXPECT_EQ(phase_scramble(img, 11).pixels, out.pixels);
  EXPECT_NE(phase_scramble(img, 12).pixels, out.pixels);
}

TEST(PhaseScramble, SamePhaseFieldForEveryChannel) {
  Image8 grey = test_image(40, 40, 1), rgb{40, 40, 3, {}};
  for (auto v : grey.pixels) rgb.pixels.insert(rgb.pixels.end(), {v, v, v});
  const Image8 out = phase_scramble(rgb, 5), gout = phase_scramble(grey, 5);
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; ++x) {
      EXPECT_EQ(out.at(x, y, 0), out.at(x, y, 1));
      EXPECT_EQ(out.at(x, y, 0), out.at(x, y, 2));
      EXPECT_EQ(out.at(x, y, 0), gout.at(x, y, 0));
    }
  }
}

TEST(ScrambleCommand, PreservesFolderStructure) {
  const auto root = test::scratch_dir(), in = root / "in", out = root / "out";
  std::filesystem::create_directories(in / "faces" / "a");
  std::filesystem::create_directories(in / "words");
  const Image8 img = test_image(32, 32, 3);
  write_image(in / "faces" / "a" / "f1.png", img);
  write_image(in / "words" / "w1.png", img);
  write_text_file_atomic(in / "README.txt", "not an image");
  auto r = test::run_cli("scramble --in " + test::quote(in.string()) + " --out " +
                         test::quote(out.string()) + " --mode block --grid 4 --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote 2 images"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 non-image files skipped"), std::string::npos) << r.output;
  const Image8 f1 = read_image(out / "faces" / "a" / "f1.png"),
               w1 = read_image(out / "words" / "w1.png");
  EXPECT_EQ(f1.width, 32);
  EXPECT_EQ(f1.channels, 3);
  EXPECT_NE(f1.pixels, img.pixels);
  EXPECT_NE(f1.pixels, w1.pixels);  // streams keyed by relative path
  // Deterministic: a second run gives identical files.
  const auto out2 = root / "out2";
  ASSERT_EQ(
      test::run_cli("scramble --in " + test::quote(in.string()) + " --out " +
                    test::quote(out2.string()) + " --mode block --grid 4 --seed 3 --threads 1")
          .exit_code,
      0);
  EXPECT_EQ(read_text_file(out / "faces" / "a" / "f1.png"),
            read_text_file(out2 / "faces" / "a" / "f1.png"));
  // Phase mode too.
  ASSERT_EQ(test::run_cli("scramble --in " + test::quote(in.string()) + " --out " +
                          test::quote((root / "p").string()))
                .exit_code,
            0);
  EXPECT_TRUE(std::filesystem::exists(root / "p" / "words" / "w1.png"));
}

TEST(ScrambleCommand, BadArgumentsAreNamed) {
  const auto root = test::scratch_dir(), in = root / "in";
  std::filesystem::create_directories(in);
  write_image(in / "x.png", test_image(16, 16, 1));
  auto r = test::run_cli("scramble --in " + test::quote(in.string()) + " --out " +
                         test::quote((in / "sub").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("lies inside --in"), std::string::npos) << r.output;
  r = test::run_cli("scramble --in " + test::quote(in.string()) + " --out " +
                    test::quote((root / "o").string()) + " --mode swirl");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--mode: expected 'block' or 'phase', got 'swirl'"), std::string::npos)
      << r.output;
  write_text_file_atomic(in / "broken.png", "not a png");
  r = test::run_cli("scramble --in " + test::quote(in.string()) + " --out " +
                    test::quote((root / "o2").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("broken.png"), std::string::npos) << r.output;
  r = test::run_cli("scramble --help");
  EXPECT_NE(r.output.find("repscope scramble --in stimuli/scenes"), std::string::npos) << r.output;
}
