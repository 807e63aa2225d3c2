// Itti–Koch–Niebur saliency. Everything is plain float64 on small maps; the only parallelism is
// over the seven feature channels (I, RG, BY, four orientations), each computed independently
// and combined in a fixed order, so results do not depend on the thread count.
#include "io/saliency/itti_koch.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

#include "nn/error.h"
#include "nn/parallel.h"

namespace repscope::saliency {
namespace {

// A map whose range is below this counts as constant: inputs are in [0, 1] (hue-normalised
// channels in [0, 3]), so genuine contrast is many orders larger, while rounding in the pyramid
// leaves ~1e-16 differences on a uniform image that min–max normalisation would blow up.
constexpr double kConstantRange = 1e-10;

// OpenCV's borderInterpolate for BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba).
int reflect101(int p, int n) {
  if (n == 1) return 0;
  while (p < 0 || p >= n) p = p < 0 ? -p : 2 * (n - 1) - p;
  return p;
}

std::size_t idx(int x, int y, int w) {
  return static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x);
}

// Brings a feature map computed at pyramid level `from` to level `to`.
Map to_level(Map map, int from, int to, int width, int height) {
  for (int l = from; l < to; ++l) map = pyr_down(map);
  if (from > to) map = resize_bilinear(map, width, height);
  return map;
}

void add_into(Map& acc, const Map& m) {
  for (std::size_t i = 0; i < acc.values.size(); ++i) acc.values[i] += m.values[i];
}

// Centre–surround feature maps of one pyramid, each normalised by N(.), brought to map_level and
// summed (the across-scale addition ⊕).
// `width` × `height` is the size of pyramid level map_level.
Map center_surround_sum(const std::vector<Map>& pyr, const IttiKochOptions& o, int width,
                        int height) {
  Map acc(width, height);
  for (int c : o.centers) {
    const Map& center = pyr[static_cast<std::size_t>(c)];
    for (int d : o.deltas) {
      const Map surround =
          resize_bilinear(pyr[static_cast<std::size_t>(c + d)], center.width, center.height);
      Map diff(center.width, center.height);
      for (std::size_t i = 0; i < diff.values.size(); ++i)
        diff.values[i] = std::abs(center.values[i] - surround.values[i]);
      add_into(acc, to_level(normalize_map(diff, o), c, o.map_level, width, height));
    }
  }
  return acc;
}

}  // namespace

double Map::max() const {
  double m = 0.0;
  bool first = true;
  for (double v : values) {
    if (first || v > m) m = v;
    first = false;
  }
  return m;
}

void validate(const IttiKochOptions& o) {
  check(o.levels >= 2 && o.levels <= 16, "saliency option levels: must be in 2..16, got ",
        o.levels);
  check(!o.centers.empty(), "saliency option centers: empty");
  check(!o.deltas.empty(), "saliency option deltas: empty");
  for (int c : o.centers) {
    check(c >= 0, "saliency option centers: negative scale ", c);
    for (int d : o.deltas) {
      check(d >= 1, "saliency option deltas: must be >= 1, got ", d);
      check(c + d < o.levels, "saliency options: surround scale ", c, " + ", d,
            " is beyond the pyramid's ", o.levels, " levels");
    }
  }
  check(o.map_level >= 0 && o.map_level < o.levels, "saliency option map_level: must be in 0..",
        o.levels - 1, ", got ", o.map_level);
  check(o.color_threshold >= 0.0 && o.color_threshold < 1.0,
        "saliency option color_threshold: must be in [0, 1), got ", o.color_threshold);
  check(!o.orientations.empty(), "saliency option orientations: empty");
  check(o.gabor_period > 0.0, "saliency option gabor_period: must be > 0");
  check(o.gabor_sigma > 0.0, "saliency option gabor_sigma: must be > 0");
  check(o.gabor_elongation > 0.0, "saliency option gabor_elongation: must be > 0");
  check(o.gabor_size >= 3 && o.gabor_size % 2 == 1 && o.gabor_size <= 63,
        "saliency option gabor_size: must be odd, 3..63, got ", o.gabor_size);
  check(o.norm_max > 0.0, "saliency option norm_max: must be > 0");
  check(o.local_max_threshold >= 0.0 && o.local_max_threshold <= 1.0,
        "saliency option local_max_threshold: must be in [0, 1]");
  check(o.weight_intensity >= 0.0 && o.weight_color >= 0.0 && o.weight_orientation >= 0.0 &&
            o.weight_intensity + o.weight_color + o.weight_orientation > 0.0,
        "saliency option weights: must be >= 0 and not all 0");
}

Map pyr_down(const Map& src) {
  check(src.width >= 1 && src.height >= 1, "pyr_down: empty map");
  static constexpr double w[5] = {1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16};
  const int ow = (src.width + 1) / 2, oh = (src.height + 1) / 2;
  // Horizontal pass on every row, keeping even columns; then vertical on even rows.
  Map rows(ow, src.height);
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < ow; ++x) {
      double s = 0.0;
      for (int k = 0; k < 5; ++k) s += w[k] * src.at(reflect101(2 * x + k - 2, src.width), y);
      rows.at(x, y) = s;
    }
  Map out(ow, oh);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      double s = 0.0;
      for (int k = 0; k < 5; ++k) s += w[k] * rows.at(x, reflect101(2 * y + k - 2, src.height));
      out.at(x, y) = s;
    }
  return out;
}

std::vector<Map> gaussian_pyramid(const Map& src, int n) {
  std::vector<Map> pyr;
  pyr.reserve(static_cast<std::size_t>(n));
  pyr.push_back(src);
  for (int l = 1; l < n; ++l) pyr.push_back(pyr.back().width == 0 ? Map() : pyr_down(pyr.back()));
  return pyr;
}

Map resize_bilinear(const Map& src, int width, int height) {
  check(src.width >= 1 && src.height >= 1 && width >= 1 && height >= 1,
        "resize_bilinear: empty map or target size");
  if (width == src.width && height == src.height) return src;
  struct Tap {
    int i0, i1;
    double f;
  };
  auto taps = [](int n_src, int n_dst) {
    std::vector<Tap> t(static_cast<std::size_t>(n_dst));
    const double scale = static_cast<double>(n_src) / n_dst;
    for (int d = 0; d < n_dst; ++d) {
      const double pos = (d + 0.5) * scale - 0.5;
      int i = static_cast<int>(std::floor(pos));
      double f = pos - i;
      if (i < 0) i = 0, f = 0.0;
      if (i >= n_src - 1) i = n_src - 1, f = 0.0;
      t[static_cast<std::size_t>(d)] = {i, std::min(i + 1, n_src - 1), f};
    }
    return t;
  };
  const auto tx = taps(src.width, width), ty = taps(src.height, height);
  Map out(width, height);
  for (int y = 0; y < height; ++y) {
    const Tap& a = ty[static_cast<std::size_t>(y)];
    for (int x = 0; x < width; ++x) {
      const Tap& b = tx[static_cast<std::size_t>(x)];
      const double top = src.at(b.i0, a.i0) * (1.0 - b.f) + src.at(b.i1, a.i0) * b.f;
      const double bottom = src.at(b.i0, a.i1) * (1.0 - b.f) + src.at(b.i1, a.i1) * b.f;
      out.at(x, y) = top * (1.0 - a.f) + bottom * a.f;
    }
  }
  return out;
}

std::vector<double> gabor_kernel(const IttiKochOptions& o, double theta_degrees,
                                 double phase_degrees) {
  const int half = o.gabor_size / 2;
  const double th = theta_degrees * std::numbers::pi / 180.0;
  const double psi = phase_degrees * std::numbers::pi / 180.0;
  // Screen coordinates (x right, y down). u runs across the stripes (the carrier's direction),
  // v along them: stripes at θ counter-clockwise from horizontal have their normal at θ + 90°.
  const double su = std::sin(th), cu = std::cos(th);
  const double sig_u = o.gabor_sigma, sig_v = o.gabor_sigma * o.gabor_elongation;
  const std::size_t n = static_cast<std::size_t>(o.gabor_size);
  std::vector<double> k(n * n);
  for (int y = -half; y <= half; ++y)
    for (int x = -half; x <= half; ++x) {
      const double u = x * su + y * cu;
      const double v = x * cu - y * su;
      k[idx(x + half, y + half, o.gabor_size)] =
          std::cos(2.0 * std::numbers::pi * u / o.gabor_period + psi) *
          std::exp(-u * u / (2 * sig_u * sig_u) - v * v / (2 * sig_v * sig_v));
    }
  double mean = 0.0;
  for (double v : k) mean += v;
  mean /= static_cast<double>(k.size());
  double norm = 0.0;
  for (double& v : k) {
    v -= mean;
    norm += v * v;
  }
  norm = std::sqrt(norm);
  for (double& v : k) v /= norm;
  return k;
}

Map filter2d(const Map& src, std::span<const double> kernel, int size) {
  check(size % 2 == 1 &&
            kernel.size() == static_cast<std::size_t>(size) * static_cast<std::size_t>(size),
        "filter2d: kernel must be size × size with an odd size");
  const int half = size / 2;
  Map out(src.width, src.height);
  std::vector<int> xs(static_cast<std::size_t>(size)), ys(static_cast<std::size_t>(size));
  for (int y = 0; y < src.height; ++y) {
    for (int j = 0; j < size; ++j)
      ys[static_cast<std::size_t>(j)] = reflect101(y + j - half, src.height);
    for (int x = 0; x < src.width; ++x) {
      for (int i = 0; i < size; ++i)
        xs[static_cast<std::size_t>(i)] = reflect101(x + i - half, src.width);
      double s = 0.0;
      for (int j = 0; j < size; ++j)
        for (int i = 0; i < size; ++i)
          s += kernel[idx(i, j, size)] *
               src.at(xs[static_cast<std::size_t>(i)], ys[static_cast<std::size_t>(j)]);
      out.at(x, y) = s;
    }
  }
  return out;
}

std::vector<double> local_maxima(const Map& m, double threshold) {
  std::vector<double> out;
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x) {
      const double v = m.at(x, y);
      if (v < threshold) continue;
      bool is_max = true;
      for (int dy = -1; dy <= 1 && is_max; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = x + dx, ny = y + dy;
          if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= m.width || ny >= m.height) continue;
          if (m.at(nx, ny) > v) {
            is_max = false;
            break;
          }
        }
      if (is_max) out.push_back(v);
    }
  return out;
}

Map normalize_map(const Map& map, const IttiKochOptions& o) {
  Map out(map.width, map.height);
  if (map.values.empty()) return out;
  const auto [lo_it, hi_it] = std::minmax_element(map.values.begin(), map.values.end());
  const double lo = *lo_it, hi = *hi_it;
  if (!(hi - lo > kConstantRange)) return out;  // constant (or NaN): nothing stands out
  const double M = o.norm_max;
  for (std::size_t i = 0; i < out.values.size(); ++i)
    out.values[i] = (map.values[i] - lo) / (hi - lo) * M;
  std::vector<double> peaks = local_maxima(out, o.local_max_threshold * M);
  // The global maximum is a local maximum too; leave out one instance of it.
  const auto top = std::max_element(peaks.begin(), peaks.end());
  if (top != peaks.end()) peaks.erase(top);
  double mean = 0.0;
  for (double p : peaks) mean += p;
  if (!peaks.empty()) mean /= static_cast<double>(peaks.size());
  const double factor = (M - mean) * (M - mean);
  for (double& v : out.values) v *= factor;
  return out;
}

ColorChannels color_channels(const Image& image, double color_threshold) {
  check(image.channels >= 1 && image.channels <= 4, "saliency: unsupported channel count ",
        image.channels);
  const int w = image.width, h = image.height, ch = image.channels;
  ColorChannels c{Map(w, h), Map(w, h), Map(w, h)};
  std::vector<double> r(c.intensity.values.size()), g(r.size()), b(r.size());
  double max_i = 0.0;
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row = image.row(y);
    for (int x = 0; x < w; ++x) {
      const std::uint8_t* p = row + static_cast<std::size_t>(x) * static_cast<std::size_t>(ch);
      const std::size_t i = idx(x, y, w);
      const bool colour = ch >= 3;
      r[i] = p[0] / 255.0;
      g[i] = (colour ? p[1] : p[0]) / 255.0;
      b[i] = (colour ? p[2] : p[0]) / 255.0;
      c.intensity.values[i] = (r[i] + g[i] + b[i]) / 3.0;
      max_i = std::max(max_i, c.intensity.values[i]);
    }
  }
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double I = c.intensity.values[i];
    if (!(I > color_threshold * max_i) || I <= 0.0) continue;  // no hue at low luminance
    const double rn = r[i] / I, gn = g[i] / I, bn = b[i] / I;
    const double R = std::max(0.0, rn - (gn + bn) / 2);
    const double G = std::max(0.0, gn - (rn + bn) / 2);
    const double B = std::max(0.0, bn - (rn + gn) / 2);
    const double Y = std::max(0.0, (rn + gn) / 2 - std::abs(rn - gn) / 2 - bn);
    c.rg.values[i] = R - G;
    c.by.values[i] = B - Y;
  }
  return c;
}

SaliencyMaps compute_saliency(const Image& image, const IttiKochOptions& o) {
  validate(o);
  const int min_side = 1 << o.map_level;
  check(!image.empty(), "saliency: empty image");
  check(image.width >= min_side && image.height >= min_side, "saliency: image is ", image.width,
        "x", image.height, ", smaller than the ", min_side, " px per side that map_level ",
        o.map_level, " needs");
  check(
      image.pixels.size() == static_cast<std::size_t>(image.width) * image.height * image.channels,
      "saliency: pixel buffer does not match ", image.width, "x", image.height, "x",
      image.channels);

  const ColorChannels cc = color_channels(image, o.color_threshold);
  const std::vector<Map> pyr_i = gaussian_pyramid(cc.intensity, o.levels);
  const Map& target = pyr_i[static_cast<std::size_t>(o.map_level)];

  std::set<int> used_levels;
  for (int c : o.centers)
    for (int d : o.deltas) used_levels.insert(c), used_levels.insert(c + d);

  // Jobs: 0 intensity, 1 RG, 2 BY, 3.. orientations. Each writes its own slot.
  const std::int64_t n_jobs = 3 + static_cast<std::int64_t>(o.orientations.size());
  std::vector<Map> parts(static_cast<std::size_t>(n_jobs));
  parallel_for(0, n_jobs, 1, [&](std::int64_t j0, std::int64_t j1) {
    for (std::int64_t j = j0; j < j1; ++j) {
      Map& part = parts[static_cast<std::size_t>(j)];
      if (j == 0) {
        part = center_surround_sum(pyr_i, o, target.width, target.height);
      } else if (j <= 2) {
        part = center_surround_sum(gaussian_pyramid(j == 1 ? cc.rg : cc.by, o.levels), o,
                                   target.width, target.height);
      } else {
        const double theta = o.orientations[static_cast<std::size_t>(j - 3)];
        const auto even = gabor_kernel(o, theta, 0.0), odd = gabor_kernel(o, theta, 90.0);
        std::vector<Map> pyr_o(pyr_i.size());
        for (int l : used_levels) {
          const Map& level = pyr_i[static_cast<std::size_t>(l)];
          const Map e = filter2d(level, even, o.gabor_size),
                    od = filter2d(level, odd, o.gabor_size);
          Map energy(level.width, level.height);
          for (std::size_t i = 0; i < energy.values.size(); ++i)
            energy.values[i] = std::abs(e.values[i]) + std::abs(od.values[i]);
          pyr_o[static_cast<std::size_t>(l)] = std::move(energy);
        }
        part = normalize_map(center_surround_sum(pyr_o, o, target.width, target.height), o);
      }
    }
  });

  SaliencyMaps out;
  out.intensity = std::move(parts[0]);
  out.color = std::move(parts[1]);
  add_into(out.color, parts[2]);
  out.orientation = Map(target.width, target.height);
  for (std::size_t j = 3; j < parts.size(); ++j) add_into(out.orientation, parts[j]);

  const double wsum = o.weight_intensity + o.weight_color + o.weight_orientation;
  out.saliency = Map(target.width, target.height);
  const Map ni = normalize_map(out.intensity, o), nc = normalize_map(out.color, o),
            no = normalize_map(out.orientation, o);
  for (std::size_t i = 0; i < out.saliency.values.size(); ++i)
    out.saliency.values[i] = (o.weight_intensity * ni.values[i] + o.weight_color * nc.values[i] +
                              o.weight_orientation * no.values[i]) /
                             wsum;
  return out;
}

std::vector<std::uint8_t> to_u8(const Map& map) {
  std::vector<std::uint8_t> out(map.values.size(), 0);
  const double mx = map.max();
  if (!(mx > 0.0)) return out;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] =
        static_cast<std::uint8_t>(std::clamp(std::lround(map.values[i] / mx * 255.0), 0L, 255L));
  return out;
}

double cosine_distance(const Map& a, const Map& b) {
  check(a.width == b.width && a.height == b.height, "cosine_distance: maps of different sizes ",
        a.width, "x", a.height, " and ", b.width, "x", b.height);
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    ab += a.values[i] * b.values[i];
    aa += a.values[i] * a.values[i];
    bb += b.values[i] * b.values[i];
  }
  if (aa == 0.0 && bb == 0.0) return 0.0;
  if (aa == 0.0 || bb == 0.0) return 1.0;
  return 1.0 - ab / std::sqrt(aa * bb);
}

}  // namespace repscope::saliency
