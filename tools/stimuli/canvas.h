// A greyscale float canvas with anti-aliased drawing primitives of our own. Every shape is drawn
// from its signed distance field: a pixel's coverage is clamp(0.5 − d, 0, 1) where d is the
// distance (in pixels) from the pixel centre to the shape's edge, which gives ~1 px anti-aliasing
// without supersampling.
#pragma once

#include <cstdint>
#include <vector>

namespace repscope::stimuli {

struct Vec2 {
  double x = 0, y = 0;
};
inline Vec2 operator+(Vec2 a, Vec2 b) {
  return {a.x + b.x, a.y + b.y};
}
inline Vec2 operator-(Vec2 a, Vec2 b) {
  return {a.x - b.x, a.y - b.y};
}
inline Vec2 operator*(Vec2 a, double s) {
  return {a.x * s, a.y * s};
}
inline double dot(Vec2 a, Vec2 b) {
  return a.x * b.x + a.y * b.y;
}

class Canvas {
 public:
  // Pixels hold luminance in [0, 1]; pixel (x, y) covers [x, x+1) × [y, y+1).
  Canvas(int width, int height, double background);

  int width() const { return width_; }
  int height() const { return height_; }
  double& at(int x, int y) {
    return pixels_[static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
                   static_cast<std::size_t>(x)];
  }
  double at(int x, int y) const {
    return pixels_[static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
                   static_cast<std::size_t>(x)];
  }

  // Filled shapes. `alpha` scales the coverage (translucent paint).
  void fill_polygon(const std::vector<Vec2>& points, double value, double alpha = 1.0);
  // Ellipse with radii (rx, ry) rotated by `angle` radians about its centre.
  void fill_ellipse(Vec2 centre, double rx, double ry, double angle, double value,
                    double alpha = 1.0);
  void stroke_ellipse(Vec2 centre, double rx, double ry, double angle, double width, double value,
                      double alpha = 1.0);
  // A round-capped stroke through the points; joints are painted once (no darker overlaps).
  void stroke_polyline(const std::vector<Vec2>& points, double width, double value,
                       double alpha = 1.0);
  void stroke_polygon(const std::vector<Vec2>& points, double width, double value,
                      double alpha = 1.0);
  void line(Vec2 a, Vec2 b, double width, double value, double alpha = 1.0) {
    stroke_polyline({a, b}, width, value, alpha);
  }
  // Paints `value` through a coverage mask (w×h, values in [0, 1]) placed with its top-left at (x0,
  // y0).
  void paint_mask(const std::vector<float>& mask, int w, int h, int x0, int y0, double value,
                  double alpha = 1.0);
  // Vertical linear gradient over the rows [y0, y1): top value → bottom value.
  void vertical_gradient(double y0, double y1, double top, double bottom);
  // Adds Gaussian pixel noise of the given standard deviation (texture, film grain).
  void add_noise(double sigma, std::uint64_t seed);

  // Clipped, rounded 8-bit RGB (grey replicated into three channels), row-major.
  std::vector<std::uint8_t> to_rgb8() const;

 private:
  template <typename Sdf>
  void paint(double x0, double y0, double x1, double y1, Sdf sdf, double value, double alpha);

  int width_, height_;
  std::vector<double> pixels_;
};

}  // namespace repscope::stimuli
