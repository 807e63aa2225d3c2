// Itti–Koch saliency: parity with the NumPy/SciPy reference (tests/python/saliency_ref.py), the
// building blocks, and the properties the model must have (a lone bright item is the peak; a
// uniform brightness shift and a 90° rotation act as they should); the `repscope saliency` CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "io/image.h"
#include "io/image_write.h"
#include "io/npy.h"
#include "io/saliency/itti_koch.h"
#include "nn/error.h"
#include "tests/support/test_env.h"
#include "tools/stimuli/rng.h"

using namespace repscope;
using namespace repscope::saliency;
namespace fs = std::filesystem;

namespace {

// A colourful structured scene: two gratings, two coloured rectangles, a grey disc, noise.
Image scene(int w, int h, std::uint64_t seed) {
  Image img(w, h, 3);
  stimuli::Rng rng(seed);
  const int rx = rng.integer(0, w / 2), ry = rng.integer(0, h / 2);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double v[3] = {100 + 60 * std::sin(x / 13.0), 90 + 40 * std::cos(y / 9.0), 120};
      if (x >= rx && x < rx + w / 5 && y >= ry && y < ry + h / 4) v[0] = 230, v[1] = 40, v[2] = 30;
      if (x > 2 * w / 3 && y > 2 * h / 3) v[0] = 30, v[1] = 60, v[2] = 220;
      if ((x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) < w * h / 40)
        v[0] = v[1] = v[2] = 240;
      for (int c = 0; c < 3; ++c)
        img.row(y)[x * 3 + c] =
            static_cast<std::uint8_t>(std::clamp(v[c] + rng.normal() * 6, 0.0, 255.0));
    }
  return img;
}

// Grey texture within [40, 200] (so a +30 shift never clips).
Image grey_texture(int w, int h, std::uint64_t seed) {
  Image img(w, h, 3);
  stimuli::Rng rng(seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double v =
          110 + 40 * std::sin(x / 7.0 + y / 17.0) + 20 * std::cos(y / 5.0) + rng.normal() * 5;
      if (x > w / 4 && x < w / 2 && y > h / 3 && y < h / 2) v += 25;
      const auto u = static_cast<std::uint8_t>(std::clamp(v, 40.0, 200.0));
      for (int c = 0; c < 3; ++c) img.row(y)[x * 3 + c] = u;
    }
  return img;
}

Image rot90(const Image& src) {  // counter-clockwise: (x, y) -> (y, W-1-x)
  Image out(src.height, src.width, src.channels);
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x)
      for (int c = 0; c < src.channels; ++c)
        out.row(src.width - 1 - x)[y * src.channels + c] = src.row(y)[x * src.channels + c];
  return out;
}

Map rot90(const Map& src) {
  Map out(src.height, src.width);
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x) out.at(y, src.width - 1 - x) = src.at(x, y);
  return out;
}

double max_abs_diff(const Map& a, const Map& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  double d = 0;
  for (std::size_t i = 0; i < a.values.size() && i < b.values.size(); ++i)
    d = std::max(d, std::abs(a.values[i] - b.values[i]));
  return d;
}

std::array<int, 2> argmax(const Map& m) {
  const auto it = std::max_element(m.values.begin(), m.values.end());
  const auto i = static_cast<int>(it - m.values.begin());
  return {i % m.width, i / m.width};
}

void save(const fs::path& path, const Image& img) {
  write_png(path, img.pixels, img.width, img.height, img.channels);
}

}  // namespace

TEST(Saliency, PyrDownSizesAndConstants) {
  Map m(7, 5, 0.3);
  const Map d = pyr_down(m);
  EXPECT_EQ(d.width, 4);
  EXPECT_EQ(d.height, 3);
  for (double v : d.values) EXPECT_NEAR(v, 0.3, 1e-15);
  const auto pyr = gaussian_pyramid(Map(224, 224, 1.0), 9);
  const int sizes[9] = {224, 112, 56, 28, 14, 7, 4, 2, 1};
  for (int l = 0; l < 9; ++l) EXPECT_EQ(pyr[static_cast<std::size_t>(l)].width, sizes[l]);
}

TEST(Saliency, NormalizationOperator) {
  IttiKochOptions o;
  Map one(9, 9, 0.0);
  one.at(4, 4) = 2.0;  // a single peak: no other local maxima, factor (M - 0)^2 = 1
  const Map n1 = normalize_map(one, o);
  EXPECT_DOUBLE_EQ(n1.max(), 1.0);
  Map two = one;
  two.at(1, 1) = 2.0;  // two equal peaks: m̄ = M, the map is suppressed to 0
  EXPECT_DOUBLE_EQ(normalize_map(two, o).max(), 0.0);
  Map weak = one;
  weak.at(1, 1) = 1.0;  // a peak at half height: factor (1 - 0.5)^2
  EXPECT_NEAR(normalize_map(weak, o).max(), 0.25, 1e-15);
  EXPECT_DOUBLE_EQ(normalize_map(Map(5, 5, 3.0), o).max(), 0.0);  // constant -> 0
  // Local maxima: >= all 8 neighbours, at or above the threshold.
  Map lm(3, 3, 0.0);
  lm.at(0, 0) = 0.5;
  lm.at(2, 2) = 0.05;
  EXPECT_EQ(local_maxima(lm, 0.1).size(), 1u);
}

TEST(Saliency, GaborKernelsMatchReference) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const fs::path dir = test::scratch_dir();
  const auto r = test::run_python("saliency_ref.py", "gabor " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  IttiKochOptions o;
  for (int theta : {0, 45, 90, 135})
    for (int phase : {0, 90}) {
      const Tensor ref =
          read_npy(dir / ("gabor_" + std::to_string(theta) + "_" + std::to_string(phase) + ".npy"));
      const auto k = gabor_kernel(o, theta, phase);
      ASSERT_EQ(static_cast<std::size_t>(ref.numel()), k.size());
      double err = 0;
      for (std::size_t i = 0; i < k.size(); ++i)
        err = std::max(err, std::abs(k[i] - ref.data<double>()[i]));
      EXPECT_LT(err, 1e-12) << "theta " << theta << " phase " << phase;
    }
}

// Every map of three images (colour at two sizes, grey, odd size) against the NumPy reference.
TEST(Saliency, MatchesNumpyReference) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const fs::path dir = test::scratch_dir();
  std::vector<std::pair<std::string, Image>> images = {{"scene", scene(160, 120, 1)},
                                                       {"scene224", scene(224, 224, 2)},
                                                       {"grey", grey_texture(97, 129, 3)}};
  std::string args = "maps " + test::quote((dir / "ref").string());
  for (const auto& [name, img] : images) {
    save(dir / (name + ".png"), img);
    args += " " + test::quote((dir / (name + ".png")).string());
  }
  const auto r = test::run_python("saliency_ref.py", args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  double worst = 0;
  for (const auto& [name, img] : images) {
    const SaliencyMaps m = compute_saliency(img);
    const std::pair<const char*, const Map*> maps[] = {{"intensity", &m.intensity},
                                                       {"color", &m.color},
                                                       {"orientation", &m.orientation},
                                                       {"saliency", &m.saliency}};
    for (const auto& [what, map] : maps) {
      const Tensor ref = read_npy(dir / "ref" / (name + "_" + what + ".npy"));
      ASSERT_EQ(ref.dim(0), map->height) << name << " " << what;
      ASSERT_EQ(ref.dim(1), map->width) << name << " " << what;
      double err = 0, scale = 1e-300;
      for (std::size_t i = 0; i < map->values.size(); ++i) {
        err = std::max(err, std::abs(map->values[i] - ref.data<double>()[i]));
        scale = std::max(scale, std::abs(ref.data<double>()[i]));
      }
      EXPECT_LT(err / scale, 1e-9) << name << " " << what;
      worst = std::max(worst, err / scale);
    }
  }
  std::cout << "worst relative difference to the NumPy reference: " << worst << "\n";
}

// A single bright square on a uniform background is where the saliency map peaks.
TEST(Saliency, LoneBrightItemIsThePeak) {
  for (const auto& [cx, cy] : std::vector<std::array<int, 2>>{{176, 48}, {40, 200}, {128, 128}}) {
    Image img(256, 256, 3);
    std::fill(img.pixels.begin(), img.pixels.end(), std::uint8_t{90});
    for (int y = cy - 8; y < cy + 8; ++y)
      for (int x = cx - 8; x < cx + 8; ++x)
        for (int c = 0; c < 3; ++c) img.row(y)[x * 3 + c] = 240;
    const Map s = compute_saliency(img).saliency;
    ASSERT_EQ(s.width, 16);
    const auto [px, py] = argmax(s);
    // One map cell is 16 px: the peak's cell holds the item's centre (±1 cell for the square's
    // edges).
    EXPECT_LE(std::abs(px - cx / 16), 1) << cx << "," << cy;
    EXPECT_LE(std::abs(py - cy / 16), 1) << cx << "," << cy;
  }
}

// A red item among grey: colour carries it even at equal intensity.
TEST(Saliency, ColourSingletonIsThePeak) {
  Image img(128, 128, 3);
  std::fill(img.pixels.begin(), img.pixels.end(), std::uint8_t{120});
  for (int y = 90; y < 102; ++y)
    for (int x = 20; x < 32; ++x) {
      img.row(y)[x * 3 + 0] = 200;
      img.row(y)[x * 3 + 1] = 80;
      img.row(y)[x * 3 + 2] = 80;
    }
  const SaliencyMaps m = compute_saliency(img);
  EXPECT_GT(m.color.max(), 0.0);
  const auto [px, py] = argmax(m.saliency);
  EXPECT_LE(std::abs(px - 26 / 16), 1);
  EXPECT_LE(std::abs(py - 96 / 16), 1);
}

// Adding a constant to every channel: the intensity and orientation maps depend only on
// differences, and a grey image has no colour signal, so the map is unchanged up to rounding.
// For colour images the hue normalisation r/I changes with brightness: the change is bounded
// (measured here) but not zero.
TEST(Saliency, BrightnessShift) {
  const Image grey = grey_texture(200, 160, 5);
  Image brighter = grey;
  for (auto& p : brighter.pixels) p = static_cast<std::uint8_t>(p + 30);
  const Map a = compute_saliency(grey).saliency, b = compute_saliency(brighter).saliency;
  EXPECT_LT(max_abs_diff(a, b), 1e-9 * a.max());

  const Image colour = scene(200, 160, 6);
  Image shifted = colour;
  for (auto& p : shifted.pixels) p = static_cast<std::uint8_t>(std::min(255, p + 15));
  const double d =
      cosine_distance(compute_saliency(colour).saliency, compute_saliency(shifted).saliency);
  std::cout << "colour image, +15 grey levels: saliency cosine distance " << d << "\n";
  EXPECT_LT(d, 0.05);
}

// Rotating the image by 90° rotates the map. Exact (to rounding) when every pyramid level has an
// odd size (2^k·m + 1 px: pyrDown's even samples are then symmetric under a flip); otherwise the
// sampling grid shifts by half a pixel per level and the maps differ near edges (bound measured).
TEST(Saliency, RotationBy90Degrees) {
  const Image img = scene(257, 257, 7);
  const Map s = compute_saliency(img).saliency;
  const Map r = compute_saliency(rot90(img)).saliency;
  EXPECT_LT(max_abs_diff(rot90(s), r), 1e-9 * s.max());

  double worst = 0;
  for (std::uint64_t seed = 8; seed < 13; ++seed) {
    const Image even = scene(224, 224, seed);
    const Map se = compute_saliency(even).saliency, re = compute_saliency(rot90(even)).saliency;
    worst = std::max(worst, cosine_distance(rot90(se), re));
  }
  std::cout << "224 px, 5 scenes: worst cosine distance between the rotated map and the map of the "
               "rotated image "
            << worst << "\n";
  EXPECT_LT(worst, 0.15);
}

TEST(Saliency, RejectsBadInput) {
  EXPECT_THROW(compute_saliency(Image(8, 64, 3)), Error);  // smaller than 2^map_level
  IttiKochOptions o;
  o.centers = {6};
  EXPECT_THROW(compute_saliency(scene(64, 64, 1), o), Error);  // 6 + 3 is beyond 9 levels
  o = {};
  o.gabor_size = 8;
  EXPECT_THROW(validate(o), Error);
  try {
    compute_saliency(Image(20, 10, 3));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("20x10"), std::string::npos) << e.what();
  }
}

TEST(Saliency, Deterministic) {
  const Image img = scene(150, 100, 9);
  EXPECT_EQ(compute_saliency(img).saliency.values, compute_saliency(img).saliency.values);
}

TEST(SaliencyCli, WritesMapsAndStack) {
  const fs::path dir = test::scratch_dir();
  fs::create_directories(dir / "in" / "sub");
  save(dir / "in" / "a.png", scene(96, 64, 1));
  save(dir / "in" / "sub" / "b.png", scene(96, 64, 2));
  auto r = test::run_cli("saliency " + test::quote((dir / "in").string()) + " --out " +
                         test::quote((dir / "out").string()) + " --stack " +
                         test::quote((dir / "stack.npy").string()) + " --features " +
                         test::quote((dir / "features.npy").string()) + " --conspicuity --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Tensor a = read_npy(dir / "out" / "a.npy");
  EXPECT_EQ(a.dtype(), DType::F32);
  EXPECT_EQ(shape_str(a.shape()), shape_str(Shape{4, 6}));
  const Map ref = compute_saliency(scene(96, 64, 1)).saliency;
  for (std::size_t i = 0; i < ref.values.size(); ++i)
    EXPECT_FLOAT_EQ(a.data<float>()[i], static_cast<float>(ref.values[i]));
  EXPECT_TRUE(fs::exists(dir / "out" / "a.png"));
  EXPECT_TRUE(fs::exists(dir / "out" / "sub" / "b.npy"));
  EXPECT_TRUE(fs::exists(dir / "out" / "sub" / "b_orientation.npy"));
  const Tensor stack = read_npy(dir / "stack.npy");
  EXPECT_EQ(shape_str(stack.shape()), shape_str(Shape{2, 4, 6}));
  EXPECT_EQ(shape_str(read_npy(dir / "features.npy").shape()), shape_str(Shape{2, 24}));
  const Image png = load_image(dir / "out" / "a.png");
  EXPECT_EQ(png.width, 6);

  r = test::run_cli("saliency " + test::quote((dir / "in" / "a.png").string()) + " --out " +
                    test::quote((dir / "full").string()) + " --resolution image --no-png --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(shape_str(read_npy(dir / "full" / "a.npy").shape()), shape_str(Shape{64, 96}));
  EXPECT_FALSE(fs::exists(dir / "full" / "a.png"));

  r = test::run_cli("saliency " + test::quote((dir / "missing.png").string()) + " --out " +
                    test::quote((dir / "x").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing.png"), std::string::npos) << r.output;
  r = test::run_cli("saliency " + test::quote((dir / "in").string()) + " --out x --weights 1,2");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--weights"), std::string::npos) << r.output;
}
