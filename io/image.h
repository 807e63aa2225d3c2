// Image decoding: JPEG, PNG, BMP, TGA, GIF (first frame) and PNM files become 8-bit RGB pixels,
// exactly as Pillow's `Image.open(path).convert("RGB")` gives them.
//
// Conversions follow Pillow 9.4 (checked against the real package):
// - grayscale is replicated into R, G and B; palette images are looked up in their palette;
// - alpha is dropped, never composited onto a background (RGBA -> RGB keeps R, G, B);
// - 16-bit PNGs: RGB/RGBA/gray+alpha keep the high byte (Pillow unpacks them with ";16B" raw
//   modes), but 16-bit *gray* PNGs open as 32-bit mode "I" and convert("RGB") clips each value
//   to [0, 255] (so 300 -> 255, not 300 >> 8 = 1);
// - CMYK JPEGs are taken as Adobe-inverted and converted with Pillow's cmyk2rgb.
// JPEGs decode through libjpeg-turbo with Pillow's settings (islow IDCT, fancy upsampling, no
// draft mode) when repscope was built with it (have_libjpeg()); every other format, and JPEGs
// without libjpeg, decode through stb_image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace repscope {

// An 8-bit image, interleaved channels (HWC), rows top to bottom, no padding.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<std::uint8_t> pixels;  // height * width * channels bytes

  Image() = default;
  // Zero-filled image of the given size.
  Image(int width, int height, int channels = 3);

  std::uint8_t* row(int y) { return pixels.data() + static_cast<std::size_t>(y) * row_bytes(); }
  const std::uint8_t* row(int y) const {
    return pixels.data() + static_cast<std::size_t>(y) * row_bytes();
  }
  std::size_t row_bytes() const { return static_cast<std::size_t>(width) * channels; }
  bool empty() const { return width == 0 || height == 0; }
};

// Which JPEG decoder to use.
enum class JpegBackend {
  Auto,  // libjpeg-turbo when built with it (Pillow-exact), else stb_image
  Stb,   // stb_image always (differs from Pillow by about one grey level on a few pixels)
};

struct DecodeOptions {
  JpegBackend jpeg = JpegBackend::Auto;
  // Grayscale JPEGs come back with 1 channel instead of 3 equal ones (libjpeg-turbo only).
  // Preprocessing uses it to resize a gray image once instead of three times: Pillow resizes
  // each channel of convert("RGB") alike, so the result is the same.
  bool keep_gray = false;
};

// True when JPEGs decode through libjpeg-turbo (REPSCOPE_HAVE_LIBJPEG).
bool have_libjpeg();

// Decodes an encoded image held in memory to 8-bit RGB. `name` (usually the file path) is
// used in error messages. Throws Error for unknown formats and corrupt or truncated data.
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const DecodeOptions& options = {});

// Reads and decodes a file to 8-bit RGB. Throws Error naming the path when it cannot.
Image load_image(const std::filesystem::path& path, const DecodeOptions& options = {});

}  // namespace repscope
