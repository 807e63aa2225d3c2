// Image resampling with Pillow's semantics (`Image.resize(size, filter)` on an 8-bit image),
// bit-exact: separable convolution, horizontal pass then vertical pass, antialiased (the filter
// support grows with the downscale factor), coefficients in 22-bit fixed point, and each pass
// rounded and clipped to 8 bits. A pass is skipped when its dimension is unchanged, and the
// horizontal pass covers only the rows the vertical pass reads. NEAREST follows Pillow's own
// path (an affine nearest-neighbour scale), not the convolution.
#pragma once

#include <string>
#include <string_view>

#include "io/image.h"

namespace repscope {

// Pillow's resampling filters (Image.Resampling).
enum class Resample { Nearest, Box, Bilinear, Hamming, Bicubic, Lanczos };

// "nearest", "box", "bilinear", "hamming", "bicubic" or "lanczos" (also Pillow's upper-case
// names and "linear"/"cubic"/"antialias"). Throws Error naming `what` for anything else.
Resample parse_resample(std::string_view name, std::string_view what = "interpolation");
std::string_view resample_name(Resample filter);

// Resizes to width x height (both >= 1) with Pillow's algorithm; any number of channels.
// Row-parallel (TBB); the result does not depend on the thread count.
Image resize(const Image& src, int width, int height, Resample filter);

// The horizontal pass of 1- and 3-channel images runs on AVX2 where the CPU has it (the same
// bits: the sums are integer). Tests switch it off to compare with the plain loops; returns
// the previous setting. Not thread-safe against running resizes.
bool set_resize_simd(bool enabled);

}  // namespace repscope
