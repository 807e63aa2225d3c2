#include <cmath>

#include "tools/stimuli/categories.h"

namespace repscope::stimuli {

namespace {

// A rigid transform in face coordinates: units of the head's horizontal radius, origin at the
// head's centre, rotated by the head tilt.
struct FaceFrame {
  Vec2 centre;
  double unit, cs, sn;
  Vec2 operator()(double x, double y) const {
    return {centre.x + unit * (cs * x - sn * y), centre.y + unit * (sn * x + cs * y)};
  }
};

}  // namespace

Canvas draw_face(Rng& rng, int size) {
  const double s = size;
  const double bg = rng.uniform(0.35, 0.7);
  Canvas c(size, size, bg);
  // Skin differs from the background by at least 0.15 so the head always reads as a figure.
  double skin = rng.uniform(0.45, 0.9);
  if (std::abs(skin - bg) < 0.15) skin = bg > 0.55 ? bg - 0.2 : bg + 0.2;
  const double dark = rng.uniform(0.05, 0.2);
  const double rx = s * rng.uniform(0.22, 0.28), aspect = rng.uniform(1.18, 1.38);
  const double tilt = rng.uniform(-0.18, 0.18);
  const FaceFrame f{{s * (0.5 + 0.04 * rng.normal()), s * (0.52 + 0.03 * rng.normal())},
                    rx,
                    std::cos(tilt),
                    std::sin(tilt)};
  const double ry = aspect;  // head radii in face units: 1 × aspect
  const double stroke = std::max(1.0, s / 160);

  // Hair behind the head (seen as a cap above the forehead), ears beside it.
  if (rng.chance(0.75)) {
    const double hair = rng.uniform(0.05, 0.3);
    c.fill_ellipse(f(0, -0.12 * ry), rx * 1.08, rx * ry * rng.uniform(0.98, 1.06), tilt, hair);
  }
  for (int side : {-1, 1}) {
    c.fill_ellipse(f(side * 0.98, -0.02), rx * 0.16, rx * 0.26, tilt, skin);
    c.stroke_ellipse(f(side * 0.98, -0.02), rx * 0.16, rx * 0.26, tilt, stroke, dark, 0.6);
  }
  c.fill_ellipse(f(0, 0), rx, rx * ry, tilt, skin);
  c.stroke_ellipse(f(0, 0), rx, rx * ry, tilt, stroke * 1.2, dark, 0.8);

  // Eyes: white, iris/pupil with a shared gaze direction, brows above.
  const double eye_y = rng.uniform(-0.3, -0.1) * ry, eye_dx = rng.uniform(0.36, 0.46);
  const double eye_w = rng.uniform(0.15, 0.21), eye_h = eye_w * rng.uniform(0.45, 0.7);
  const Vec2 gaze{rng.uniform(-0.35, 0.35), rng.uniform(-0.2, 0.2)};
  const double brow_lift = rng.uniform(0.12, 0.24), brow_tilt = rng.uniform(-0.1, 0.12);
  for (int side : {-1, 1}) {
    const Vec2 e = f(side * eye_dx, eye_y);
    c.fill_ellipse(e, rx * eye_w, rx * eye_h, tilt, std::min(1.0, skin + 0.25));
    c.stroke_ellipse(e, rx * eye_w, rx * eye_h, tilt, stroke, dark, 0.7);
    const double iris = eye_h * 0.95;
    c.fill_ellipse(f(side * eye_dx + gaze.x * eye_w * 0.5, eye_y + gaze.y * eye_h * 0.4), rx * iris,
                   rx * iris, 0, dark);
    const double bx = side * eye_dx, by = eye_y - eye_h - brow_lift;
    c.line(f(bx - side * eye_w * 1.1, by + side * 0 + brow_tilt * 0.5),
           f(bx + side * eye_w * 1.1, by - brow_tilt * 0.5), stroke * rng.uniform(2.0, 3.5), dark);
  }

  // Nose: a ridge line and a small base.
  const double nose_y = eye_y + rng.uniform(0.42, 0.55) * ry, nose_w = rng.uniform(0.1, 0.18);
  const double ridge_x = rng.uniform(-0.04, 0.04);
  c.stroke_polyline(
      {f(ridge_x, eye_y + 0.1), f(ridge_x + nose_w * 0.5, nose_y), f(-nose_w * 0.3, nose_y + 0.04)},
      stroke * 1.5, dark, 0.75);

  // Mouth: a parabola whose curvature sets the expression; sometimes open.
  const double mouth_y = nose_y + rng.uniform(0.22, 0.32) * ry, mw = rng.uniform(0.25, 0.4);
  const double curve = rng.uniform(-0.08, 0.16);
  std::vector<Vec2> mouth;
  for (int i = 0; i <= 16; ++i) {
    const double t = -1.0 + i / 8.0;
    mouth.push_back(f(t * mw, mouth_y + curve * (1 - t * t)));
  }
  if (rng.chance(0.3)) {
    std::vector<Vec2> open = mouth;
    const double depth = rng.uniform(0.08, 0.16);
    for (int i = 16; i >= 0; --i) {
      const double t = -1.0 + i / 8.0;
      open.push_back(f(t * mw, mouth_y + (curve + depth) * (1 - t * t)));
    }
    c.fill_polygon(open, dark * 0.8);
  }
  c.stroke_polyline(mouth, stroke * 2.2, dark);
  c.add_noise(0.012, rng.next_u64());
  return c;
}

}  // namespace repscope::stimuli
