// Decoding to 8-bit RGB. JPEGs go through libjpeg-turbo with Pillow's decoder settings when
// available; everything else through stb_image, with Pillow's conversions where they differ
// from stb's (16-bit grayscale PNGs).
#include "io/image.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "io/file_util.h"
#include "nn/error.h"

#define STBI_NO_PSD
#define STBI_NO_HDR
#define STBI_NO_PIC
#define STBI_NO_LINEAR
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#include <stb_image.h>
#pragma GCC diagnostic pop

#ifdef REPSCOPE_HAVE_LIBJPEG
#include <jerror.h>
#include <jpeglib.h>
#endif

namespace repscope {

Image::Image(int w, int h, int c) : width(w), height(h), channels(c) {
  check(w >= 0 && h >= 0 && c >= 1, "image: invalid size ", w, "x", h, "x", c);
  pixels.assign(
      static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * static_cast<std::size_t>(c), 0);
}

bool have_libjpeg() {
#ifdef REPSCOPE_HAVE_LIBJPEG
  return true;
#else
  return false;
#endif
}

namespace {

[[maybe_unused]] bool is_jpeg(std::span<const std::uint8_t> b) {
  return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

// Pillow's cmyk2rgb (Convert.c): out = clip(nk - nk * c / 255) with its rounded MULDIV255.
[[maybe_unused]] inline std::uint8_t cmyk_channel(int c, int nk) {
  const int tmp = c * nk + 128;
  const int v = nk - (((tmp >> 8) + tmp) >> 8);
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

#ifdef REPSCOPE_HAVE_LIBJPEG

struct JpegErrorManager {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (corrupt-data notices) are tolerated as Pillow tolerates them, except a premature end
// of file: Pillow refuses truncated images ("image file is truncated"), so do we.
void jpeg_emit_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (level < 0) {
    cinfo->err->num_warnings++;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
  }
}

struct JpegState {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  Image image;
  std::vector<std::uint8_t> row;
  bool keep_gray = false;
};

// Returns false with state.err.message set on a libjpeg error. Nothing with a destructor is
// created between setjmp and a possible longjmp; all state lives in `state`.
bool run_libjpeg(std::span<const std::uint8_t> bytes, JpegState& state) {
  jpeg_decompress_struct& cinfo = state.cinfo;
  cinfo.err = jpeg_std_error(&state.err.mgr);
  state.err.mgr.error_exit = jpeg_error_exit;
  state.err.mgr.emit_message = jpeg_emit_message;
  state.err.truncated = false;
  if (setjmp(state.err.jump)) {
    jpeg_destroy_decompress(&cinfo);  // safe on the zero-initialised struct too
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  // Pillow's JpegDecode.c: out_color_space from the raw mode (L, RGB or CMYK by component count),
  // jpeg_color_space as libjpeg detected it, and libjpeg's defaults otherwise (JDCT_ISLOW, fancy
  // upsampling, block smoothing); no scaling, no draft mode.
  const int components = cinfo.num_components;
  if (components == 1) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (components == 3) {
    cinfo.out_color_space = JCS_RGB;
  } else if (components == 4) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    std::snprintf(state.err.message, sizeof state.err.message,
                  "unsupported JPEG with %d components", components);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_start_decompress(&cinfo);
  const int w = static_cast<int>(cinfo.output_width);
  const int h = static_cast<int>(cinfo.output_height);
  const int n = cinfo.output_components;
  const int channels = n == 1 && state.keep_gray ? 1 : 3;
  state.image.width = w;
  state.image.height = h;
  state.image.channels = channels;
  state.image.pixels.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) *
                            static_cast<std::size_t>(channels));
  state.row.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(n));
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    JSAMPROW rows[1] = {state.row.data()};
    jpeg_read_scanlines(&cinfo, rows, 1);
    std::uint8_t* out = state.image.row(y);
    const std::uint8_t* in = state.row.data();
    if (channels == 1) {
      std::memcpy(out, in, static_cast<std::size_t>(w));
    } else if (n == 1) {
      for (int x = 0; x < w; ++x) out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x];
    } else if (n == 3) {
      std::memcpy(out, in, static_cast<std::size_t>(w) * 3);
    } else {
      // Pillow reads 4-component JPEGs as "CMYK;I" (Adobe-inverted), then cmyk2rgb.
      for (int x = 0; x < w; ++x) {
        const int nk = in[4 * x + 3];  // 255 - (255 - K)
        for (int b = 0; b < 3; ++b) out[3 * x + b] = cmyk_channel(255 - in[4 * x + b], nk);
      }
    }
  }
  if (state.err.truncated) {
    std::snprintf(state.err.message, sizeof state.err.message, "image file is truncated");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Image decode_jpeg_libjpeg(std::span<const std::uint8_t> bytes, const std::string& name,
                          bool keep_gray) {
  auto state = std::make_unique<JpegState>();
  state->keep_gray = keep_gray;
  if (!run_libjpeg(bytes, *state))
    fail("image '", name, "': cannot decode JPEG: ", state->err.message);
  return std::move(state->image);
}

#endif  // REPSCOPE_HAVE_LIBJPEG

// What Pillow shows where the first GIF frame is transparent or does not reach: the palette
// colour of the frame's transparent index (Pillow fills frame 0 with that index), or of index 0
// when there is none. stb_image leaves those pixels black with alpha 0 instead.
struct GifFill {
  bool found = false;
  std::uint8_t rgb[3] = {0, 0, 0};
};

GifFill gif_fill_colour(std::span<const std::uint8_t> b) {
  GifFill fill;
  if (b.size() < 13 || std::memcmp(b.data(), "GIF8", 4) != 0) return fill;
  std::size_t pos = 13;
  const std::uint8_t* palette = nullptr;
  std::size_t palette_entries = 0;
  if (b[10] & 0x80) {
    palette_entries = std::size_t{1} << ((b[10] & 7) + 1);
    palette = b.data() + pos;
    pos += 3 * palette_entries;
  }
  int transparent = -1;
  while (pos < b.size()) {
    const std::uint8_t tag = b[pos++];
    if (tag == 0x21 && pos < b.size()) {  // extension: label, then sub-blocks
      const std::uint8_t label = b[pos++];
      if (label == 0xF9 && pos + 5 <= b.size() && b[pos] == 4 && (b[pos + 1] & 1)) {
        transparent = b[pos + 4];
      }
      while (pos < b.size() && b[pos] != 0) pos += std::size_t{b[pos]} + 1;
      ++pos;
    } else if (tag == 0x2C && pos + 9 <= b.size()) {  // first image descriptor
      const std::uint8_t packed = b[pos + 8];
      if (packed & 0x80) {
        palette_entries = std::size_t{1} << ((packed & 7) + 1);
        palette = b.data() + pos + 9;
      }
      break;
    } else {
      return fill;
    }
  }
  if (palette == nullptr || pos > b.size()) return fill;
  const std::size_t index = transparent >= 0 ? static_cast<std::size_t>(transparent) : 0;
  fill.found = true;
  if (index < palette_entries && palette + 3 * (index + 1) <= b.data() + b.size()) {
    std::memcpy(fill.rgb, palette + 3 * index, 3);
  }
  return fill;
}

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

Image decode_stb(std::span<const std::uint8_t> bytes, const std::string& name) {
  check(bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), "image '", name,
        "': file too large");
  const auto* data = bytes.data();
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &comp)) {
    fail("image '", name, "': not a readable image (", stbi_failure_reason(),
         "; supported: JPEG, PNG, BMP, TGA, GIF, PNM)");
  }
  Image image;
  if (comp == 1 && stbi_is_16_bit_from_memory(data, len)) {
    // Pillow opens 16-bit gray PNGs as mode "I"; convert("RGB") clips to [0, 255] (i2rgb).
    std::unique_ptr<stbi_us, StbFree> px(stbi_load_16_from_memory(data, len, &w, &h, &comp, 1));
    if (!px) fail("image '", name, "': cannot decode (", stbi_failure_reason(), ")");
    image = Image(w, h, 3);
    const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t v = px.get()[i] > 255 ? 255 : static_cast<std::uint8_t>(px.get()[i]);
      image.pixels[3 * i] = image.pixels[3 * i + 1] = image.pixels[3 * i + 2] = v;
    }
    return image;
  }
  if (len >= 4 && std::memcmp(data, "GIF8", 4) == 0) {
    // Decode as RGBA to see which pixels the first frame leaves transparent or uncovered.
    std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &w, &h, &comp, 4));
    if (!px) fail("image '", name, "': cannot decode (", stbi_failure_reason(), ")");
    const GifFill fill = gif_fill_colour(bytes);
    image = Image(w, h, 3);
    const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    for (std::size_t i = 0; i < n; ++i) {
      const stbi_uc* p = px.get() + 4 * i;
      const bool hole = p[3] == 0 && fill.found;
      for (int c = 0; c < 3; ++c) image.pixels[3 * i + c] = hole ? fill.rgb[c] : p[c];
    }
    return image;
  }
  // 8-bit request: stb replicates gray, expands palettes, drops alpha without compositing and
  // keeps the high byte of other 16-bit PNGs, all as Pillow's convert("RGB").
  std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &w, &h, &comp, 3));
  if (!px) fail("image '", name, "': cannot decode (", stbi_failure_reason(), ")");
  image.width = w;
  image.height = h;
  image.channels = 3;
  image.pixels.assign(px.get(),
                      px.get() + static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
  return image;
}

}  // namespace

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const DecodeOptions& options) {
  check(!bytes.empty(), "image '", name, "': file is empty");
#ifdef REPSCOPE_HAVE_LIBJPEG
  if (options.jpeg == JpegBackend::Auto && is_jpeg(bytes))
    return decode_jpeg_libjpeg(bytes, name, options.keep_gray);
#else
  (void)options;
#endif
  return decode_stb(bytes, name);
}

Image load_image(const std::filesystem::path& path, const DecodeOptions& options) {
  const auto file = MappedFile::open(path, /*populate=*/true);  // its errors name the path
  return decode_image(file->bytes(), path.string(), options);
}

}  // namespace repscope
