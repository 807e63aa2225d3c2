#include "tools/stimuli/synth.h"

#include <cstdio>

#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/progress.h"
#include "tools/stimuli/categories.h"

namespace repscope::stimuli {

namespace fs = std::filesystem;

const std::vector<std::string>& synth_categories() {
  static const std::vector<std::string> names = {"faces", "bodies",           "scenes",
                                                 "words", "scrambled_scenes", "scrambled_words"};
  return names;
}

namespace {

Canvas draw_category(const std::string& category, Rng& rng, int n, const FontSet& fonts) {
  if (category == "faces") return draw_face(rng, n);
  if (category == "bodies") return draw_body(rng, n);
  if (category == "scenes" || category == "scrambled_scenes") return draw_scene(rng, n);
  if (category == "words" || category == "scrambled_words") return draw_word(rng, n, fonts);
  fail("unknown stimulus category '", category, "'");
}

}  // namespace

scramble::Image8 synth_image(const std::string& category, int index, const SynthOptions& o,
                             const FontSet& fonts) {
  Rng rng(o.seed, hash_string(category), static_cast<std::uint64_t>(index));
  const int n = o.size;
  Canvas canvas = draw_category(category, rng, n, fonts);
  scramble::Image8 img{n, n, 3, canvas.to_rgb8()};
  if (category.starts_with("scrambled_")) {
    img = scramble::scramble_image(img, o.scramble_mode, o.scramble_grid, rng.next_u64());
  }
  return img;
}

std::int64_t write_synth_set(const fs::path& out, const SynthOptions& o) {
  check(o.per_category >= 1, "--per-category must be at least 1, got ", o.per_category);
  check(o.size >= 16 && o.size <= 4096, "--size must be between 16 and 4096 px, got ", o.size);
  if (o.scramble_mode == scramble::Mode::Block) {
    check(o.scramble_grid >= 1 && o.scramble_grid <= o.size,
          "--grid must be between 1 and --size, got ", o.scramble_grid);
  }
  const FontSet fonts(o.font_dir);
  const auto& cats = synth_categories();
  for (const auto& c : cats) fs::create_directories(out / c);
  const std::int64_t per = o.per_category, total = per * static_cast<std::int64_t>(cats.size());
  cli::Progress progress("stimuli", total, o.quiet);
  parallel_for(0, total, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const auto& cat = cats[static_cast<std::size_t>(i / per)];
      const int index = static_cast<int>(i % per);
      char name[64];
      std::snprintf(name, sizeof name, "_%03d.png", index);
      const auto img = synth_image(cat, index, o, fonts);
      scramble::write_image(out / cat / (cat + name), img);
      progress.advance();
    }
  });
  progress.finish();
  return total;
}

}  // namespace repscope::stimuli
