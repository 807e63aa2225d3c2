// Image scrambling for control stimuli: block scrambling (an N×N grid of tiles shuffled) and
// Fourier phase scrambling (amplitude spectrum kept, phase randomised; one random phase field
// shared by all colour channels so colours stay coherent). Deterministic for a seed.
#pragma once

#include <complex>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace repscope::scramble {

// 8-bit interleaved pixels, row-major; channels 1 (grey), 3 (RGB) or 4 (RGBA).
struct Image8 {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
  std::uint8_t& at(int x, int y, int c) {
    return pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                   static_cast<std::size_t>(x)) *
                      static_cast<std::size_t>(channels) +
                  static_cast<std::size_t>(c)];
  }
  std::uint8_t at(int x, int y, int c) const { return const_cast<Image8*>(this)->at(x, y, c); }
};

enum class Mode { Block, Phase };
// "block" or "phase"; throws Error naming `what` otherwise.
Mode parse_mode(std::string_view text, std::string_view what = "--mode");

// Shuffles a grid×grid arrangement of equal tiles of size floor(W/grid)×floor(H/grid). When the
// size is not a multiple of `grid` the grid is centred and the thin margin (< grid px) stays in
// place. Throws Error if grid < 1 or a tile would be smaller than 1 px.
Image8 block_scramble(const Image8& image, int grid, std::uint64_t seed);

// Phase scrambling in double precision, before rounding: returns channel planes [C][H·W] whose
// 2-D amplitude spectrum equals the input's (to rounding error). The random phase is the phase of
// the FFT of white noise (so the result is real), with the DC term's phase fixed at 0 (mean kept);
// it is added to each channel's own phase. Alpha (channel 4) is copied unchanged.
std::vector<std::vector<double>> phase_scramble_planes(const Image8& image, std::uint64_t seed);
// phase_scramble_planes rounded and clipped to 0..255.
Image8 phase_scramble(const Image8& image, std::uint64_t seed);

Image8 scramble_image(const Image8& image, Mode mode, int grid, std::uint64_t seed);

// In-place 2-D DFT of a row-major h×w array (any sizes; Eigen's kissfft is mixed radix). The
// inverse is scaled by 1/(h·w), so inverse(forward(x)) == x.
void fft2d(std::vector<std::complex<double>>& data, int h, int w, bool inverse);
// |DFT| of one real plane.
std::vector<double> amplitude_spectrum(const std::vector<double>& plane, int h, int w);

// Decodes an image file (PNG, JPEG, BMP, GIF, TGA, PNM via stb_image) keeping grey images grey
// (1 channel) and colour as RGB or RGBA. Throws Error naming the file.
Image8 read_image(const std::filesystem::path& path);
// Writes a PNG atomically.
void write_image(const std::filesystem::path& path, const Image8& image);

struct DirectoryOptions {
  Mode mode = Mode::Phase;
  int grid = 8;
  std::uint64_t seed = 0;
  bool quiet = false;
};
struct DirectoryResult {
  std::int64_t images = 0;   // scrambled and written
  std::int64_t skipped = 0;  // files that are not images (by extension)
};
// Scrambles every image under `in` (recursively) into the same relative path under `out`, with
// the extension changed to .png. Each image's random stream is keyed by (seed, relative path), so
// results do not depend on order or thread count. `out` must not be `in` or lie inside it.
DirectoryResult scramble_directory(const std::filesystem::path& in,
                                   const std::filesystem::path& out,
                                   const DirectoryOptions& options);

// True for the file extensions read_image understands (case-insensitive).
bool has_image_extension(const std::filesystem::path& path);

}  // namespace repscope::scramble
