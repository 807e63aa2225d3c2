#include "tools/stimuli/canvas.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nn/error.h"
#include "tools/stimuli/rng.h"

namespace repscope::stimuli {

namespace {

// Distance from p to the segment ab.
double segment_distance(Vec2 p, Vec2 a, Vec2 b) {
  const Vec2 pa = p - a, ba = b - a;
  const double len2 = dot(ba, ba);
  const double t = len2 > 0 ? std::clamp(dot(pa, ba) / len2, 0.0, 1.0) : 0.0;
  const Vec2 d = pa - ba * t;
  return std::sqrt(dot(d, d));
}

// Signed distance to a simple polygon (negative inside), after Inigo Quilez's sdPolygon.
double polygon_distance(Vec2 p, const std::vector<Vec2>& v) {
  double d = dot(p - v[0], p - v[0]);
  double s = 1.0;
  for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i, ++i) {
    const Vec2 e = v[j] - v[i], w = p - v[i];
    const double t = std::clamp(dot(w, e) / std::max(dot(e, e), 1e-12), 0.0, 1.0);
    const Vec2 b = w - e * t;
    d = std::min(d, dot(b, b));
    const bool c1 = p.y >= v[i].y, c2 = p.y<v[j].y, c3 = e.x * w.y> e.y * w.x;
    if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) s = -s;
  }
  return s * std::sqrt(d);
}

// Approximate signed distance to an axis-aligned ellipse: the implicit function divided by its
// gradient's length (exact on the boundary, good within a few pixels of it, which is all AA needs).
double ellipse_distance(Vec2 q, double rx, double ry) {
  const double k = std::hypot(q.x / rx, q.y / ry);
  if (k < 1e-9) return -std::min(rx, ry);
  const double g = std::hypot(q.x / (rx * rx), q.y / (ry * ry)) / k;
  return (k - 1.0) / g;
}

}  // namespace

Canvas::Canvas(int width, int height, double background)
    : width_(width),
      height_(height),
      pixels_(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), background) {
  check(width > 0 && height > 0, "canvas size must be positive, got ", width, "x", height);
}

template <typename Sdf>
void Canvas::paint(double x0, double y0, double x1, double y1, Sdf sdf, double value,
                   double alpha) {
  const int ix0 = std::max(0, static_cast<int>(std::floor(x0 - 1))),
            iy0 = std::max(0, static_cast<int>(std::floor(y0 - 1)));
  const int ix1 = std::min(width_, static_cast<int>(std::ceil(x1 + 1))),
            iy1 = std::min(height_, static_cast<int>(std::ceil(y1 + 1)));
  for (int y = iy0; y < iy1; ++y) {
    for (int x = ix0; x < ix1; ++x) {
      const double d = sdf(Vec2{x + 0.5, y + 0.5});
      const double cover = std::clamp(0.5 - d, 0.0, 1.0) * alpha;
      if (cover > 0) {
        double& px = at(x, y);
        px += (value - px) * cover;
      }
    }
  }
}

void Canvas::fill_polygon(const std::vector<Vec2>& points, double value, double alpha) {
  if (points.size() < 3) return;
  double x0 = points[0].x, x1 = x0, y0 = points[0].y, y1 = y0;
  for (const auto& p : points) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  paint(
      x0, y0, x1, y1, [&](Vec2 p) { return polygon_distance(p, points); }, value, alpha);
}

void Canvas::fill_ellipse(Vec2 c, double rx, double ry, double angle, double value, double alpha) {
  const double r = std::max(rx, ry), cs = std::cos(angle), sn = std::sin(angle);
  paint(
      c.x - r, c.y - r, c.x + r, c.y + r,
      [&](Vec2 p) {
        const Vec2 d = p - c;
        return ellipse_distance({cs * d.x + sn * d.y, -sn * d.x + cs * d.y}, rx, ry);
      },
      value, alpha);
}

void Canvas::stroke_ellipse(Vec2 c, double rx, double ry, double angle, double width, double value,
                            double alpha) {
  const double r = std::max(rx, ry) + width, cs = std::cos(angle), sn = std::sin(angle);
  paint(
      c.x - r, c.y - r, c.x + r, c.y + r,
      [&](Vec2 p) {
        const Vec2 d = p - c;
        return std::abs(ellipse_distance({cs * d.x + sn * d.y, -sn * d.x + cs * d.y}, rx, ry)) -
               width / 2;
      },
      value, alpha);
}

void Canvas::stroke_polyline(const std::vector<Vec2>& points, double width, double value,
                             double alpha) {
  if (points.empty()) return;
  double x0 = points[0].x, x1 = x0, y0 = points[0].y, y1 = y0;
  for (const auto& p : points) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  const double h = width / 2;
  paint(
      x0 - h, y0 - h, x1 + h, y1 + h,
      [&](Vec2 p) {
        double d = std::numeric_limits<double>::max();
        if (points.size() == 1) d = std::sqrt(dot(p - points[0], p - points[0]));
        for (std::size_t i = 1; i < points.size(); ++i)
          d = std::min(d, segment_distance(p, points[i - 1], points[i]));
        return d - h;
      },
      value, alpha);
}

void Canvas::stroke_polygon(const std::vector<Vec2>& points, double width, double value,
                            double alpha) {
  if (points.empty()) return;
  std::vector<Vec2> closed = points;
  closed.push_back(points.front());
  stroke_polyline(closed, width, value, alpha);
}

void Canvas::paint_mask(const std::vector<float>& mask, int w, int h, int x0, int y0, double value,
                        double alpha) {
  for (int y = std::max(0, -y0); y < h && y + y0 < height_; ++y) {
    for (int x = std::max(0, -x0); x < w && x + x0 < width_; ++x) {
      const double cover = mask[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                                static_cast<std::size_t>(x)] *
                           alpha;
      double& px = at(x + x0, y + y0);
      px += (value - px) * cover;
    }
  }
}

void Canvas::vertical_gradient(double y0, double y1, double top, double bottom) {
  const int a = std::max(0, static_cast<int>(std::floor(y0))),
            b = std::min(height_, static_cast<int>(std::ceil(y1)));
  for (int y = a; y < b; ++y) {
    const double t = y1 > y0 ? std::clamp((y + 0.5 - y0) / (y1 - y0), 0.0, 1.0) : 0.0;
    const double v = top + (bottom - top) * t;
    for (int x = 0; x < width_; ++x) at(x, y) = v;
  }
}

void Canvas::add_noise(double sigma, std::uint64_t seed) {
  Rng rng(seed, 0x401AE);
  for (auto& p : pixels_) p += sigma * rng.normal();
}

std::vector<std::uint8_t> Canvas::to_rgb8() const {
  std::vector<std::uint8_t> out(pixels_.size() * 3);
  for (std::size_t i = 0; i < pixels_.size(); ++i) {
    const auto v = static_cast<std::uint8_t>(std::lround(std::clamp(pixels_[i], 0.0, 1.0) * 255.0));
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v;
  }
  return out;
}

}  // namespace repscope::stimuli
