#include <algorithm>
#include <cmath>

#include "tools/stimuli/categories.h"

namespace repscope::stimuli {

const std::vector<const char*>& word_list() {
  static const std::vector<const char*> words = {
      "house",   "water",   "garden",  "paper",   "river",   "window",  "table",   "letter",
      "market",  "forest",  "bread",   "summer",  "winter",  "stone",   "music",   "school",
      "animal",  "number",  "street",  "bottle",  "planet",  "doctor",  "silver",  "pocket",
      "ticket",  "pencil",  "orange",  "yellow",  "purple",  "little",  "happy",   "simple",
      "mirror",  "candle",  "button",  "castle",  "island",  "bridge",  "flower",  "spring",
      "cloud",   "light",   "night",   "green",   "chair",   "plant",   "train",   "truck",
      "clock",   "money",   "horse",   "sound",   "voice",   "field",   "beach",   "coffee",
      "dinner",  "family",  "friend",  "letter",  "mother",  "father",  "sister",  "garage",
      "office",  "travel",  "winner",  "rabbit",  "monkey",  "kitten",  "lemon",   "melon",
      "grape",   "pepper",  "butter",  "cheese",  "salad",   "pizza",   "sugar",   "honey",
      "story",   "word",    "book",    "page",    "line",    "time",    "year",    "hand",
      "room",    "door",    "road",    "tree",    "bird",    "fish",    "ship",    "rain",
      "snow",    "wind",    "fire",    "moon",    "star",    "city",    "game",    "song",
      "milk",    "cake",    "lamp",    "desk",    "card",    "shoe",    "reading", "balance",
      "history", "weather", "kitchen", "morning", "evening", "picture", "science", "country"};
  return words;
}

Canvas draw_word(Rng& rng, int size, const FontSet& fonts) {
  const double s = size;
  const bool dark_on_light = rng.chance(0.8);
  const double bg = dark_on_light ? rng.uniform(0.55, 0.9) : rng.uniform(0.1, 0.35);
  const double ink = dark_on_light ? rng.uniform(0.0, 0.2) : rng.uniform(0.8, 1.0);
  Canvas c(size, size, bg);
  const auto& words = word_list();
  std::string word = words[rng.below(words.size())];
  const int style = rng.integer(0, 9);
  if (style == 0) {
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  } else if (style == 1) {
    word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  }
  const std::size_t font =
      static_cast<std::size_t>(rng.below(std::max<std::size_t>(1, fonts.size())));
  double cap = s * rng.uniform(0.1, 0.17);
  TextMask m = fonts.render(font, word, cap);
  // Shrink long words so they fit within 88% of the width.
  const double max_w = 0.88 * s;
  if (m.width > max_w) {
    cap *= max_w / m.width;
    m = fonts.render(font, word, cap);
  }
  const int x0 = static_cast<int>(
      std::lround((s - m.width) / 2 + rng.uniform(-0.5, 0.5) * std::max(0.0, max_w - m.width)));
  const int y0 =
      static_cast<int>(std::lround(s / 2 + cap / 2 - m.baseline + rng.normal() * 0.08 * s));
  c.paint_mask(m.cover, m.width, m.height, x0, y0, ink);
  c.add_noise(0.012, rng.next_u64());
  return c;
}

}  // namespace repscope::stimuli
