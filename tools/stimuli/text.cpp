#include "tools/stimuli/text.h"

#include <algorithm>
#include <cmath>

#include "io/file_util.h"
#include "nn/error.h"
#include "tools/stimuli/canvas.h"

#define STBTT_STATIC
#define STB_TRUETYPE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wconversion"
#endif
#include <stb_easy_font.h>
#include <stb_truetype.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace repscope::stimuli {

struct FontSet::Font {
  std::string name;
  std::vector<unsigned char> data;
  stbtt_fontinfo info{};
};

FontSet::FontSet(const std::filesystem::path& dir) {
  static const char* const kFaces[] = {"DejaVuSans.ttf",        "DejaVuSerif.ttf",
                                       "DejaVuSans-Bold.ttf",   "DejaVuSansMono.ttf",
                                       "DejaVuSerif-Bold.ttf",  "DejaVuSansCondensed.ttf",
                                       "DejaVuSans-Oblique.ttf"};
  for (const char* face : kFaces) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(dir / face, ec)) continue;
    auto font = std::make_unique<Font>();
    font->name = face;
    const std::string bytes = read_text_file(dir / face);
    font->data.assign(bytes.begin(), bytes.end());
    if (font->data.size() < 12) continue;
    const int offset = stbtt_GetFontOffsetForIndex(font->data.data(), 0);
    if (offset < 0 || stbtt_InitFont(&font->info, font->data.data(), offset) == 0)
      continue;  // not a usable TTF
    fonts_.push_back(std::move(font));
  }
}

FontSet::~FontSet() = default;

std::size_t FontSet::size() const {
  return fonts_.size();
}

std::vector<std::string> FontSet::names() const {
  std::vector<std::string> out;
  for (const auto& f : fonts_) out.push_back(f->name);
  return out;
}

TextMask FontSet::render(std::size_t index, std::string_view text, double cap_height) const {
  if (fonts_.empty()) return render_fallback_text(text, cap_height);
  const stbtt_fontinfo& info = fonts_[index % fonts_.size()]->info;
  // Scale so that the height of 'H' is cap_height.
  int hx0 = 0, hy0 = 0, hx1 = 0, hy1 = 0;
  stbtt_GetCodepointBox(&info, 'H', &hx0, &hy0, &hx1, &hy1);
  const float scale = static_cast<float>(cap_height / std::max(1, hy1 - hy0));
  int ascent = 0, descent = 0, gap = 0;
  stbtt_GetFontVMetrics(&info, &ascent, &descent, &gap);
  const int pad = 2;
  const int baseline = pad + static_cast<int>(std::ceil(ascent * scale));
  double width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    int adv = 0, lsb = 0;
    stbtt_GetCodepointHMetrics(&info, static_cast<unsigned char>(text[i]), &adv, &lsb);
    width += adv * scale;
    if (i + 1 < text.size()) {
      width += scale * stbtt_GetCodepointKernAdvance(&info, static_cast<unsigned char>(text[i]),
                                                     static_cast<unsigned char>(text[i + 1]));
    }
  }
  TextMask m;
  m.width = static_cast<int>(std::ceil(width)) + 2 * pad;
  m.height = baseline + static_cast<int>(std::ceil(-descent * scale)) + pad;
  m.baseline = baseline;
  m.cover.assign(static_cast<std::size_t>(m.width) * static_cast<std::size_t>(m.height), 0.0f);
  double pen = pad;
  std::vector<unsigned char> glyph;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int cp = static_cast<unsigned char>(text[i]);
    const int ix = static_cast<int>(std::floor(pen));
    const float shift = static_cast<float>(pen - ix);
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    stbtt_GetCodepointBitmapBoxSubpixel(&info, cp, scale, scale, shift, 0, &x0, &y0, &x1, &y1);
    const int gw = x1 - x0, gh = y1 - y0;
    if (gw > 0 && gh > 0) {
      glyph.assign(static_cast<std::size_t>(gw) * static_cast<std::size_t>(gh), 0);
      stbtt_MakeCodepointBitmapSubpixel(&info, glyph.data(), gw, gh, gw, scale, scale, shift, 0,
                                        cp);
      for (int y = 0; y < gh; ++y) {
        const int my = baseline + y0 + y;
        if (my < 0 || my >= m.height) continue;
        for (int x = 0; x < gw; ++x) {
          const int mx = ix + x0 + x;
          if (mx < 0 || mx >= m.width) continue;
          float& c = m.cover[static_cast<std::size_t>(my) * static_cast<std::size_t>(m.width) +
                             static_cast<std::size_t>(mx)];
          c = std::min(1.0f, c + glyph[static_cast<std::size_t>(y) * static_cast<std::size_t>(gw) +
                                       static_cast<std::size_t>(x)] /
                                     255.0f);
        }
      }
    }
    int adv = 0, lsb = 0;
    stbtt_GetCodepointHMetrics(&info, cp, &adv, &lsb);
    pen += adv * scale;
    if (i + 1 < text.size()) {
      pen +=
          scale * stbtt_GetCodepointKernAdvance(&info, cp, static_cast<unsigned char>(text[i + 1]));
    }
  }
  return m;
}

TextMask render_fallback_text(std::string_view text, double cap_height) {
  // stb_easy_font draws each glyph as axis-aligned quads on a grid where capitals are 7 units tall.
  std::string s(text);
  std::vector<char> buffer(s.size() * 64 * 16 + 1024);
  const int quads =
      stb_easy_font_print(0, 0, s.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
  const double scale = cap_height / 7.0;
  const int pad = 2;
  const int units_w = stb_easy_font_width(s.data());
  TextMask m;
  m.width = static_cast<int>(std::ceil(units_w * scale)) + 2 * pad;
  m.baseline = pad + static_cast<int>(std::ceil(7 * scale));
  m.height = m.baseline + static_cast<int>(std::ceil(3 * scale)) + pad;  // room for descenders
  Canvas canvas(std::max(1, m.width), m.height, 0.0);
  for (int q = 0; q < quads; ++q) {
    std::vector<Vec2> poly;
    for (int v = 0; v < 4; ++v) {
      float xy[2];
      std::copy_n(buffer.data() + (q * 4 + v) * 16, sizeof xy, reinterpret_cast<char*>(xy));
      poly.push_back({pad + xy[0] * scale, pad + xy[1] * scale});
    }
    canvas.fill_polygon(poly, 1.0);
  }
  m.cover.resize(static_cast<std::size_t>(m.width) * static_cast<std::size_t>(m.height));
  for (int y = 0; y < m.height; ++y) {
    for (int x = 0; x < m.width; ++x) {
      m.cover[static_cast<std::size_t>(y) * static_cast<std::size_t>(m.width) +
              static_cast<std::size_t>(x)] = static_cast<float>(canvas.at(x, y));
    }
  }
  return m;
}

}  // namespace repscope::stimuli
