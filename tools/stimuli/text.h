// Word rendering for the synthetic stimuli: TrueType fonts through stb_truetype (Debian's
// fonts-dejavu-core), with a built-in fallback (stb_easy_font's stroke glyphs drawn by our
// anti-aliased rasteriser) when no font file is found, so the tool never depends on one.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace repscope::stimuli {

struct TextMask {
  int width = 0, height = 0;
  int baseline = 0;          // row of the baseline within the mask
  std::vector<float> cover;  // width×height coverage in [0, 1]
};

class FontSet {
 public:
  // The DejaVu faces found in `dir` (sans, serif, bold, mono, …). A missing directory or missing
  // files just give fewer (or no) fonts.
  explicit FontSet(const std::filesystem::path& dir);
  ~FontSet();
  FontSet(const FontSet&) = delete;
  FontSet& operator=(const FontSet&) = delete;

  // Number of TrueType fonts loaded; 0 means every render uses the built-in fallback.
  std::size_t size() const;
  std::vector<std::string> names() const;

  // Renders `text` (ASCII) so that its cap height is about `cap_height` pixels, with font
  // `index % size()` (or the fallback when size() == 0).
  TextMask render(std::size_t index, std::string_view text, double cap_height) const;

 private:
  struct Font;
  std::vector<std::unique_ptr<Font>> fonts_;
};

// The fallback alone (also used by tests): stb_easy_font glyphs scaled to `cap_height`.
TextMask render_fallback_text(std::string_view text, double cap_height);

// Debian's DejaVu folder (fonts-dejavu-core).
inline const char* kDefaultFontDir = "/usr/share/fonts/truetype/dejavu";

}  // namespace repscope::stimuli
