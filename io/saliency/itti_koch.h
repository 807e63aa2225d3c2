// Itti–Koch–Niebur (1998) bottom-up saliency: "A model of saliency-based visual attention for
// rapid scene analysis", IEEE TPAMI 20(11). See docs/saliency.md for every choice the paper leaves
// open and where the defaults come from.
//
// Pipeline (all arithmetic in float64; maps are returned as float32):
//  1. r, g, b in [0, 1]; intensity I = (r + g + b) / 3.
//  2. Broadly tuned colour channels (1998): r, g, b are divided by I where I > color_threshold ·
//     max(I) (elsewhere they are 0); R = r − (g + b)/2, G = g − (r + b)/2, B = b − (r + g)/2,
//     Y = (r + g)/2 − |r − g|/2 − b, each clipped at 0. Opponency maps RG = R − G, BY = B − Y.
//  3. Gaussian pyramids σ = 0..levels−1 of I, RG and BY (pyr_down: 5-tap [1 4 6 4 1]/16 binomial,
//     reflect-101 border, output size ⌈n/2⌉, i.e. OpenCV's pyrDown used by the Python ports).
//  4. Orientation: at every level of the intensity pyramid, Gabor energy |I ⋆ g_even,θ| +
//     |I ⋆ g_odd,θ| for θ ∈ orientations (SaliencyToolbox's Gabor: period 7, σ 2.3333, 9×9,
//     zero-mean, unit L2 norm).
//  5. Centre–surround: F(c, s) = |F(c) ⊖ F(s)| for c ∈ centers, s = c + δ, δ ∈ deltas, where ⊖
//     interpolates level s to the size of level c (bilinear, half-pixel centres) and subtracts.
//  6. N(.): normalise to [0, M], multiply by (M − m̄)², m̄ = mean of the local maxima other than
//     the global one (local maximum: ≥ its 8 neighbours and ≥ local_max_threshold · M).
//  7. Conspicuity maps at map_level (⊕: each N(F(c, s)) brought to map_level by pyr_down and
//     added): Ī = ⊕N(I(c,s)), C̄ = ⊕[N(RG(c,s)) + N(BY(c,s))], Ō = Σ_θ N(⊕N(O(c,s,θ))).
//  8. S = (w_I N(Ī) + w_C N(C̄) + w_O N(Ō)) / (w_I + w_C + w_O), by default the plain mean.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/image.h"

namespace repscope::saliency {

// A single-channel map, row-major.
struct Map {
  int width = 0;
  int height = 0;
  std::vector<double> values;  // height * width

  Map() = default;
  Map(int w, int h, double fill = 0.0)
      : width(w),
        height(h),
        values(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}
  double& at(int x, int y) {
    return values[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)];
  }
  double at(int x, int y) const {
    return values[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)];
  }
  double max() const;
};

// Parameters; the defaults are the 1998 model's (pyramid, scales, N(.)) and the SaliencyToolbox's
// Gabor filters (the paper gives no filter constants).
struct IttiKochOptions {
  int levels = 9;                     // pyramid levels σ = 0 .. levels − 1
  std::vector<int> centers{2, 3, 4};  // centre scales c
  std::vector<int> deltas{3, 4};      // s = c + δ
  int map_level = 4;                  // scale of the conspicuity and saliency maps
  double color_threshold = 0.1;       // hue only where I > this · max I
  std::vector<double> orientations{0.0, 45.0, 90.0, 135.0};  // degrees, counter-clockwise
  double gabor_period = 7.0;                                 // carrier wavelength in pixels
  double gabor_sigma = 2.3333;       // Gaussian envelope std across the stripes
  double gabor_elongation = 1.0;     // envelope std along the stripes = sigma · this
  int gabor_size = 9;                // kernel side (odd)
  double norm_max = 1.0;             // M of N(.)
  double local_max_threshold = 0.1;  // local maxima below this · M are ignored
  double weight_intensity = 1.0;
  double weight_color = 1.0;
  double weight_orientation = 1.0;
};

// Checks the options; throws Error naming the bad field.
void validate(const IttiKochOptions& options);

// The three conspicuity maps Ī, C̄, Ō (before the final N(.) that S applies to them) and the
// saliency map S, all at options.map_level (about 1/16 of the image per side by default).
struct SaliencyMaps {
  Map intensity;    // Ī
  Map color;        // C̄
  Map orientation;  // Ō
  Map saliency;     // S
};

// Saliency of an 8-bit image (1 channel grey, 3 RGB or 4 RGBA; alpha is ignored). The image must
// be at least 2^map_level pixels on each side. TBB-parallel over feature maps; deterministic.
SaliencyMaps compute_saliency(const Image& image, const IttiKochOptions& options = {});

// ---- building blocks (exposed for tests and for callers composing their own variants) ----

// One pyramid step: 5-tap binomial blur with reflect-101 borders, keeping even rows and columns;
// the result is ⌈w/2⌉ × ⌈h/2⌉ (OpenCV cv::pyrDown).
Map pyr_down(const Map& src);
// Levels 0 .. n−1; level 0 is `src`.
std::vector<Map> gaussian_pyramid(const Map& src, int n);
// Bilinear resampling with half-pixel centres and clamped edges (OpenCV INTER_LINEAR, float).
Map resize_bilinear(const Map& src, int width, int height);
// Gabor kernel (size × size, row-major) for stripes at `theta_degrees` counter-clockwise from
// horizontal and phase `phase_degrees` (0 even, 90 odd); zero-mean and unit L2 norm.
std::vector<double> gabor_kernel(const IttiKochOptions& options, double theta_degrees,
                                 double phase_degrees);
// Correlation with a square odd-size kernel, reflect-101 borders (OpenCV filter2D).
Map filter2d(const Map& src, std::span<const double> kernel, int size);
// Pixels that are >= all their (in-image) 8 neighbours and >= threshold.
std::vector<double> local_maxima(const Map& map, double threshold);
// N(.): the map normalised to [0, M] (a constant map becomes 0) and multiplied by (M − m̄)².
Map normalize_map(const Map& map, const IttiKochOptions& options = {});
// Intensity and the 1998 opponency maps RG = R − G and BY = B − Y at full resolution.
struct ColorChannels {
  Map intensity, rg, by;
};
ColorChannels color_channels(const Image& image, double color_threshold);

// ---- helpers for writing and comparing maps ----

// The map as 8-bit grey (value / max · 255, rounded; an all-zero map stays black).
std::vector<std::uint8_t> to_u8(const Map& map);
// Cosine distance 1 − a·b / (‖a‖‖b‖) of two equal-size maps; 0 when both are all zero and 1 when
// only one is.
double cosine_distance(const Map& a, const Map& b);

}  // namespace repscope::saliency
