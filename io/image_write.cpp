#include "io/image_write.h"

#include <climits>

#include "io/file_util.h"
#include "nn/error.h"

// Static linkage keeps these stb symbols private to this file, so another translation unit may
// include its own stb implementation without clashes.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace repscope {

namespace {

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

std::vector<std::uint8_t> encode_png(std::span<const std::uint8_t> pixels, int width, int height,
                                     int channels) {
  check(width > 0 && height > 0, "PNG: image size must be positive, got ", width, "x", height);
  check(channels >= 1 && channels <= 4, "PNG: channels must be 1..4, got ", channels);
  check(static_cast<long long>(width) * channels <= INT_MAX / 2, "PNG: image too wide (", width,
        " px)");
  const auto expected = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                        static_cast<std::size_t>(channels);
  check(pixels.size() == expected, "PNG: pixel buffer has ", pixels.size(), " bytes, ", width, "x",
        height, "x", channels, " needs ", expected);
  std::vector<std::uint8_t> out;
  const int ok = stbi_write_png_to_func(append_bytes, &out, width, height, channels, pixels.data(),
                                        width * channels);
  check(ok != 0, "PNG: encoding a ", width, "x", height, "x", channels, " image failed");
  return out;
}

void write_png(const std::filesystem::path& path, std::span<const std::uint8_t> pixels, int width,
               int height, int channels) {
  std::vector<std::uint8_t> png;
  try {
    png = encode_png(pixels, width, height, channels);
  } catch (const Error& e) {
    fail(path.string(), ": ", e.what());
  }
  write_file_atomic(path, png);
}

void write_png(const std::filesystem::path& path, const Tensor& image) {
  check(image.dtype() == DType::U8, path.string(), ": PNG needs a U8 tensor, got ",
        dtype_name(image.dtype()));
  check(image.ndim() == 2 || image.ndim() == 3, path.string(),
        ": PNG needs an [H, W] or [H, W, C] tensor, got ", shape_str(image.shape()));
  const auto h = image.shape()[0], w = image.shape()[1];
  const auto c = image.ndim() == 3 ? image.shape()[2] : 1;
  check(h <= INT_MAX && w <= INT_MAX && c <= 4, path.string(), ": unsupported image shape ",
        shape_str(image.shape()));
  const auto* data = image.data<std::uint8_t>();
  write_png(path, std::span<const std::uint8_t>(data, static_cast<std::size_t>(image.numel())),
            static_cast<int>(w), static_cast<int>(h), static_cast<int>(c));
}

}  // namespace repscope
