#include <algorithm>
#include <cmath>

#include "tools/stimuli/categories.h"

namespace repscope::stimuli {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Direction at `angle` radians from straight down (positive = towards +x).
Vec2 down_dir(double angle) {
  return {std::sin(angle), std::cos(angle)};
}

}  // namespace

Canvas draw_body(Rng& rng, int size) {
  // Build the figure in body units (torso length 1), then fit it to the frame.
  const double lean = rng.uniform(-0.25, 0.25);
  const Vec2 hip{0, 0};
  const Vec2 neck = hip + down_dir(kPi + lean) * 1.0;  // up from the hip
  const Vec2 shoulder = hip + down_dir(kPi + lean) * 0.88;
  const double head_r = rng.uniform(0.2, 0.26);
  const Vec2 head = neck + down_dir(kPi + lean + rng.uniform(-0.3, 0.3)) * (head_r + 0.08);
  struct Limb {
    Vec2 root, joint, end;
  };
  std::vector<Limb> limbs;
  for (int side : {-1, 1}) {
    // Arms: the shoulder angle spans arms down to arms raised overhead; elbows bend either way.
    const double a = lean + side * rng.uniform(0.15, 2.9);
    const double bend = side * rng.uniform(-0.4, 1.9);
    const Vec2 elbow = shoulder + down_dir(a) * 0.5;
    limbs.push_back({shoulder, elbow, elbow + down_dir(a + bend) * 0.48});
  }
  const bool stride = rng.chance(0.5);
  for (int side : {-1, 1}) {
    // Legs: standing or striding, knees bent a little or a lot.
    const double a = side * (stride ? rng.uniform(0.2, 0.7) : rng.uniform(0.05, 0.35)) +
                     rng.uniform(-0.15, 0.15);
    const double knee = rng.uniform(-1.0, 1.0) * (stride ? 0.9 : 0.3);
    const Vec2 k = hip + down_dir(a) * 0.62;
    limbs.push_back({hip + Vec2{side * 0.06, 0}, k, k + down_dir(a + knee) * 0.6});
  }

  // Fit the figure's bounding box into the frame with a margin, at a random size and place.
  double x0 = head.x - head_r, x1 = head.x + head_r, y0 = head.y - head_r, y1 = head.y + head_r;
  for (const auto& l : limbs) {
    for (Vec2 p : {l.root, l.joint, l.end}) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y),
      y1 = std::max(y1, p.y);
    }
  }
  const double s = size, margin = 0.1 * s;
  const double fit =
      std::min((s - 2 * margin) / (x1 - x0), (s - 2 * margin) / (y1 - y0)) * rng.uniform(0.8, 1.0);
  const double ox =
      margin + rng.uniform(0, std::max(0.0, s - 2 * margin - fit * (x1 - x0))) - fit * x0;
  const double oy =
      margin + rng.uniform(0, std::max(0.0, s - 2 * margin - fit * (y1 - y0))) - fit * y0;
  auto px = [&](Vec2 p) { return Vec2{ox + fit * p.x, oy + fit * p.y}; };

  const double bg = rng.uniform(0.35, 0.75);
  double ink = rng.chance(0.7) ? rng.uniform(0.05, 0.25) : rng.uniform(0.8, 0.95);
  if (std::abs(ink - bg) < 0.25) ink = bg > 0.5 ? bg - 0.35 : bg + 0.35;
  Canvas c(size, size, bg);
  const double limb_w = fit * rng.uniform(0.1, 0.15);
  // Ground shadow under the feet anchors the figure.
  c.fill_ellipse(px({0, std::max(limbs[2].end.y, limbs[3].end.y) + 0.05}), fit * 0.45, fit * 0.06,
                 0, bg * 0.85 + ink * 0.15, 0.6);
  for (const auto& l : limbs) c.stroke_polyline({px(l.root), px(l.joint), px(l.end)}, limb_w, ink);
  c.stroke_polyline({px(hip), px(neck)}, fit * rng.uniform(0.2, 0.28), ink);  // torso
  c.fill_ellipse(px(head), fit * head_r, fit * head_r * 1.1, lean, ink);
  c.add_noise(0.012, rng.next_u64());
  return c;
}

}  // namespace repscope::stimuli
