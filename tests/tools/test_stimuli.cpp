// Synthetic stimuli: the folder layout, image format, determinism for a seed (and across thread
// counts), the fallback font, and argument errors.
#include <gtest/gtest.h>

#include <cmath>

#include "io/file_util.h"
#include "tests/support/test_env.h"
#include "tools/scramble.h"
#include "tools/stimuli/synth.h"
#include "tools/stimuli/text.h"

using namespace repscope;
namespace fs = std::filesystem;

namespace {

double stddev(const scramble::Image8& img) {
  double s = 0, s2 = 0;
  const double n = static_cast<double>(img.pixels.size());
  for (auto v : img.pixels) s += v, s2 += double(v) * v;
  return std::sqrt(std::max(0.0, s2 / n - (s / n) * (s / n)));
}

}  // namespace

TEST(Stimuli, LayoutAndFormat) {
  const auto out = test::scratch_dir() / "stim";
  auto r = test::run_cli("stimuli synth --out " + test::quote(out.string()) +
                         " --per-category 3 --seed 4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const auto& cat : stimuli::synth_categories()) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(out / cat))
      files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files,
              (std::vector<std::string>{cat + "_000.png", cat + "_001.png", cat + "_002.png"}))
        << cat;
    for (const auto& f : files) {
      const auto img = scramble::read_image(out / cat / f);
      EXPECT_EQ(img.width, 224);
      EXPECT_EQ(img.height, 224);
      ASSERT_EQ(img.channels, 3) << "grey rendered into RGB";
      for (std::size_t i = 0; i < img.pixels.size(); i += 3) {
        ASSERT_EQ(img.pixels[i], img.pixels[i + 1]);
        ASSERT_EQ(img.pixels[i], img.pixels[i + 2]);
      }
      EXPECT_GT(stddev(img), 8.0) << cat << "/" << f << " looks blank";
    }
  }
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(out)) ++entries;
  EXPECT_EQ(entries, 6u);
}

TEST(Stimuli, DeterministicForASeed) {
  stimuli::SynthOptions o;
  o.per_category = 2;
  o.size = 96;
  o.quiet = true;
  const auto root = test::scratch_dir();
  const auto a = root / "a", b = root / "b", c = root / "c";
  stimuli::write_synth_set(a, o);
  auto r =
      test::run_cli("stimuli synth --quiet --threads 1 --per-category 2 --size 96 --seed 1 --out " +
                    test::quote(b.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  o.seed = 2;
  stimuli::write_synth_set(c, o);
  int differ = 0;
  for (const auto& cat : stimuli::synth_categories()) {
    for (const char* f : {"_000.png", "_001.png"}) {
      const auto name = cat + f;
      EXPECT_EQ(read_text_file(a / cat / name), read_text_file(b / cat / name)) << name;
      differ += read_text_file(a / cat / name) != read_text_file(c / cat / name);
    }
  }
  EXPECT_EQ(differ, 12);
}

TEST(Stimuli, FallbackFontRendersWords) {
  const stimuli::FontSet none("/nonexistent/fonts");
  EXPECT_EQ(none.size(), 0u);
  const auto m = none.render(0, "house", 20);
  double ink = 0;
  for (float v : m.cover) ink += v;
  EXPECT_GT(m.width, 50);
  EXPECT_GT(ink, 100.0);
  stimuli::SynthOptions o;
  o.size = 64;
  o.font_dir = "/nonexistent/fonts";
  EXPECT_GT(stddev(stimuli::synth_image("words", 0, o, none)), 5.0);
  const stimuli::FontSet dejavu(stimuli::kDefaultFontDir);
  if (dejavu.size() == 0) GTEST_SKIP() << "fonts-dejavu-core not installed";
  EXPECT_GE(dejavu.size(), 4u);
}

TEST(Stimuli, BadArgumentsAreNamed) {
  const auto out = test::scratch_dir() / "s";
  auto r = test::run_cli("stimuli synth --out " + test::quote(out.string()) + " --per-category 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--per-category must be at least 1"), std::string::npos) << r.output;
  r = test::run_cli("stimuli synth --out " + test::quote(out.string()) + " --size 8");
  EXPECT_NE(r.output.find("--size must be between"), std::string::npos) << r.output;
  r = test::run_cli("stimuli make --out " + test::quote(out.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("expected the action 'synth'"), std::string::npos) << r.output;
  r = test::run_cli("stimuli synth");
  EXPECT_NE(r.output.find("--out is required"), std::string::npos) << r.output;
  r = test::run_cli("stimuli --help");
  EXPECT_NE(r.output.find("repscope stimuli synth --out stimuli"), std::string::npos) << r.output;
}

TEST(Stimuli, BlockScrambledVariant) {
  const auto out = test::scratch_dir() / "s";
  auto r = test::run_cli("stimuli synth --quiet --out " + test::quote(out.string()) +
                         " --per-category 1 --size 64 --scramble block --grid 4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out / "scrambled_words" / "scrambled_words_000.png"));
}
