// PNG writing (stb_image_write), always atomic: the file appears complete or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "nn/tensor.h"

namespace repscope {

// Encodes 8-bit interleaved pixels (row-major, `channels` = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)
// as PNG bytes. Throws Error on bad dimensions or a pixel buffer of the wrong size.
std::vector<std::uint8_t> encode_png(std::span<const std::uint8_t> pixels, int width, int height,
                                     int channels);

// Writes encode_png(...) to `path` atomically. Errors name the path.
void write_png(const std::filesystem::path& path, std::span<const std::uint8_t> pixels, int width,
               int height, int channels);

// Writes a U8 tensor of shape [H, W, C] (C in 1..4) or [H, W] (grey) as PNG.
void write_png(const std::filesystem::path& path, const Tensor& image);

}  // namespace repscope
