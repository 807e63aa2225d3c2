// The procedural stimulus set behind `repscope stimuli synth`: folder-per-category images a
// localizer can run on with nothing downloaded. Deterministic: an image depends only on
// (seed, category, index, size), never on thread count or on the other images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/scramble.h"
#include "tools/stimuli/text.h"

namespace repscope::stimuli {

struct SynthOptions {
  int per_category = 24;
  int size = 224;
  std::uint64_t seed = 1;
  scramble::Mode scramble_mode = scramble::Mode::Phase;
  int scramble_grid = 8;  // block mode only
  std::filesystem::path font_dir = kDefaultFontDir;
  bool quiet = false;
};

// faces, bodies, scenes, words, scrambled_scenes, scrambled_words (the folder names).
const std::vector<std::string>& synth_categories();

// One stimulus as RGB (grey replicated). The scrambled categories scramble a scene/word drawn
// from their own random stream, so they are not pixel-paired with the intact images.
scramble::Image8 synth_image(const std::string& category, int index, const SynthOptions& options,
                             const FontSet& fonts);

// Writes <out>/<category>/<category>_<NNN>.png for every category; returns the image count.
// Throws Error naming the argument for bad options.
std::int64_t write_synth_set(const std::filesystem::path& out, const SynthOptions& options);

}  // namespace repscope::stimuli
