#include <algorithm>
#include <array>
#include <cmath>

#include "tools/stimuli/categories.h"

namespace repscope::stimuli {

namespace {

struct Vec3 {
  double x = 0, y = 0, z = 0;
};
Vec3 operator+(Vec3 a, Vec3 b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}
Vec3 operator-(Vec3 a, Vec3 b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
Vec3 operator*(Vec3 a, double s) {
  return {a.x * s, a.y * s, a.z * s};
}

// A pinhole camera at `eye`, turned by `yaw` about the vertical axis; world y points up, image y
// down.
struct Camera {
  Vec3 eye;
  double yaw = 0, focal = 1, cx = 0, cy = 0;
  static constexpr double kNear = 0.05;

  Vec3 to_view(Vec3 p) const {
    const Vec3 d = p - eye;
    const double c = std::cos(yaw), s = std::sin(yaw);
    return {c * d.x - s * d.z, d.y, s * d.x + c * d.z};
  }
  Vec2 project(Vec3 v) const { return {cx + focal * v.x / v.z, cy - focal * v.y / v.z}; }
};

// Projects a planar polygon, clipped against the near plane (Sutherland–Hodgman, one plane).
std::vector<Vec2> project_polygon(const Camera& cam, const std::vector<Vec3>& world) {
  std::vector<Vec3> v;
  for (const auto& p : world) v.push_back(cam.to_view(p));
  std::vector<Vec3> clipped;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Vec3 a = v[i], b = v[(i + 1) % v.size()];
    const bool ina = a.z >= Camera::kNear, inb = b.z >= Camera::kNear;
    if (ina) clipped.push_back(a);
    if (ina != inb) clipped.push_back(a + (b - a) * ((Camera::kNear - a.z) / (b.z - a.z)));
  }
  std::vector<Vec2> out;
  for (const auto& p : clipped) out.push_back(cam.project(p));
  return out;
}

struct Painter {
  Canvas& canvas;
  const Camera& cam;
  double edge_width, edge_value;

  void quad(const std::vector<Vec3>& world, double value, bool edges = true) {
    const auto poly = project_polygon(cam, world);
    if (poly.size() < 3) return;
    canvas.fill_polygon(poly, value);
    if (edges) canvas.stroke_polygon(poly, edge_width, edge_value, 0.8);
  }
  void segment(Vec3 a, Vec3 b, double width, double value, double alpha = 1.0) {
    const auto poly = project_polygon(cam, {a, b, b});
    if (poly.size() < 2) return;
    canvas.line(poly[0], poly[1], width, value, alpha);
  }
};

// An axis-aligned rectangle on the plane x = const (a side wall), spanning z0..z1 and y0..y1.
std::vector<Vec3> wall_rect_x(double x, double z0, double z1, double y0, double y1) {
  return {{x, y0, z0}, {x, y0, z1}, {x, y1, z1}, {x, y1, z0}};
}
// On the plane z = const (a facing wall), spanning x0..x1 and y0..y1.
std::vector<Vec3> wall_rect_z(double z, double x0, double x1, double y0, double y1) {
  return {{x0, y0, z}, {x1, y0, z}, {x1, y1, z}, {x0, y1, z}};
}

// Distinct grey levels for the faces of a scene, shuffled so lighting varies.
std::array<double, 5> palette(Rng& rng) {
  std::array<double, 5> tones{};
  const double base = rng.uniform(0.3, 0.5), step = rng.uniform(0.08, 0.12);
  for (std::size_t i = 0; i < tones.size(); ++i) tones[i] = base + step * static_cast<double>(i);
  rng.shuffle(tones.data(), tones.size());
  return tones;
}

void corridor(Canvas& c, Rng& rng, double s) {
  const double w = rng.uniform(1.6, 2.6), h = rng.uniform(2.4, 3.2), len = rng.uniform(10, 22);
  Camera cam{{rng.uniform(-0.3, 0.3) * w, rng.uniform(1.4, 1.8), 0},
             rng.uniform(-0.2, 0.2),
             s * rng.uniform(0.45, 0.6),
             s / 2,
             s * rng.uniform(0.45, 0.55)};
  Painter p{c, cam, std::max(1.0, s / 150), 0.1};
  const auto t = palette(rng);
  const double hw = w / 2;
  p.quad({{-hw, 0, 0.01}, {hw, 0, 0.01}, {hw, 0, len}, {-hw, 0, len}}, t[0]);  // floor
  p.quad({{-hw, h, 0.01}, {hw, h, 0.01}, {hw, h, len}, {-hw, h, len}}, t[1]);  // ceiling
  p.quad(wall_rect_x(-hw, 0.01, len, 0, h), t[2]);
  p.quad(wall_rect_x(hw, 0.01, len, 0, h), t[3]);
  p.quad(wall_rect_z(len, -hw, hw, 0, h), t[4]);
  // Floor tiles: lines along the corridor and across it at regular depths.
  const int lanes = rng.integer(2, 5);
  for (int i = 1; i < lanes; ++i)
    p.segment({-hw + w * i / lanes, 0, 0.01}, {-hw + w * i / lanes, 0, len}, s / 220, 0.15, 0.6);
  const double tile = rng.uniform(0.8, 1.5);
  for (double z = tile; z < len; z += tile) p.segment({-hw, 0, z}, {hw, 0, z}, s / 220, 0.15, 0.6);
  // Doors on both walls and lights on the ceiling at regular intervals.
  const double door_gap = rng.uniform(2.5, 4.5);
  for (double z = rng.uniform(1.5, 3.0); z + 1 < len; z += door_gap) {
    for (double side : {-1.0, 1.0}) {
      if (!rng.chance(0.7)) continue;
      p.quad(wall_rect_x(side * (hw - 0.01), z, z + 0.9, 0, 2.1), rng.uniform(0.1, 0.3));
    }
    p.quad({{-0.25, h - 0.01, z},
            {0.25, h - 0.01, z},
            {0.25, h - 0.01, z + 0.6},
            {-0.25, h - 0.01, z + 0.6}},
           0.95, false);
  }
}

void room(Canvas& c, Rng& rng, double s) {
  const double w = rng.uniform(4, 6.5), d = rng.uniform(4, 7), h = rng.uniform(2.6, 3.2);
  Camera cam{{rng.uniform(-0.25, 0.25) * w, rng.uniform(1.3, 1.7), 0},
             rng.uniform(-0.35, 0.35),
             s * rng.uniform(0.35, 0.45),
             s / 2,
             s * rng.uniform(0.45, 0.55)};
  Painter p{c, cam, std::max(1.0, s / 150), 0.1};
  const auto t = palette(rng);
  const double hw = w / 2;
  p.quad({{-hw, 0, 0.01}, {hw, 0, 0.01}, {hw, 0, d}, {-hw, 0, d}}, t[0]);
  p.quad({{-hw, h, 0.01}, {hw, h, 0.01}, {hw, h, d}, {-hw, h, d}}, t[1]);
  p.quad(wall_rect_x(-hw, 0.01, d, 0, h), t[2]);
  p.quad(wall_rect_x(hw, 0.01, d, 0, h), t[3]);
  p.quad(wall_rect_z(d, -hw, hw, 0, h), t[4]);
  // Floorboards.
  const double board = rng.uniform(0.3, 0.6);
  for (double x = -hw + board; x < hw; x += board)
    p.segment({x, 0, 0.01}, {x, 0, d}, s / 300, 0.15, 0.45);
  // A window with a cross frame on the back wall, a door on a side wall, a picture.
  const double wx = rng.uniform(-hw + 0.4, hw - 1.8), ww = rng.uniform(1.0, 1.6);
  p.quad(wall_rect_z(d - 0.01, wx, wx + ww, 1.0, 2.2), rng.uniform(0.85, 0.98));
  p.segment({wx + ww / 2, 1.0, d - 0.02}, {wx + ww / 2, 2.2, d - 0.02}, s / 120, 0.15);
  p.segment({wx, 1.6, d - 0.02}, {wx + ww, 1.6, d - 0.02}, s / 120, 0.15);
  const double side = rng.chance(0.5) ? -1 : 1, dz = rng.uniform(1.0, d - 1.2);
  p.quad(wall_rect_x(side * (hw - 0.01), dz, dz + 0.9, 0, 2.05), rng.uniform(0.1, 0.3));
  p.quad(wall_rect_x(-side * (hw - 0.01), dz, dz + rng.uniform(0.6, 1.0), 1.3, 1.9),
         rng.uniform(0.15, 0.85));
  // A table (box top and legs) standing on the floor.
  const double tx = rng.uniform(-hw + 1, hw - 2), tz = rng.uniform(1.5, d - 1.2),
               tw = rng.uniform(0.8, 1.4);
  for (double lx : {tx + 0.05, tx + tw - 0.05}) {
    for (double lz : {tz + 0.05, tz + 0.65}) p.segment({lx, 0, lz}, {lx, 0.75, lz}, s / 110, 0.12);
  }
  p.quad({{tx, 0.75, tz}, {tx + tw, 0.75, tz}, {tx + tw, 0.75, tz + 0.7}, {tx, 0.75, tz + 0.7}},
         rng.uniform(0.15, 0.35));
}

void house(Canvas& c, Rng& rng, double s) {
  const double horizon = s * rng.uniform(0.45, 0.6);
  c.vertical_gradient(0, horizon, rng.uniform(0.75, 0.95), rng.uniform(0.6, 0.8));  // sky
  c.vertical_gradient(horizon, s, rng.uniform(0.35, 0.5), rng.uniform(0.2, 0.35));  // ground
  Camera cam{{0, 1.6, 0}, 0, s * rng.uniform(0.9, 1.3), s / 2, horizon};
  Painter p{c, cam, std::max(1.0, s / 150), 0.08};
  // A box house turned so two walls show (two-point perspective), with a gable roof.
  const double w = rng.uniform(5, 8), dd = rng.uniform(5, 8), h = rng.uniform(3, 4.5),
               roof = rng.uniform(1.5, 3);
  const double yaw = rng.uniform(0.35, 1.2) * (rng.chance(0.5) ? 1 : -1);
  const double dist = rng.uniform(14, 20);
  const Vec3 centre{rng.uniform(-2, 2), 0, dist};
  const double cy = std::cos(yaw), sy = std::sin(yaw);
  auto at = [&](double x, double y, double z) {  // house-local → world
    return Vec3{centre.x + cy * x + sy * z, y, centre.z - sy * x + cy * z};
  };
  const double hx = w / 2, hz = dd / 2;
  const auto t = palette(rng);
  struct Face {
    std::vector<Vec3> pts;
    Vec3 normal;
    double tone;
    bool front;  // carries the door
  };
  const Vec3 nx{cy, 0, -sy}, nz{sy, 0, cy};
  std::vector<Face> faces = {
      {{at(-hx, 0, -hz), at(hx, 0, -hz), at(hx, h, -hz), at(-hx, h, -hz)}, nz * -1, t[0], true},
      {{at(hx, 0, -hz), at(hx, 0, hz), at(hx, h, hz), at(hx, h, -hz)}, nx, t[1], false},
      {{at(-hx, 0, hz), at(-hx, 0, -hz), at(-hx, h, -hz), at(-hx, h, hz)}, nx * -1, t[1], false},
      {{at(hx, 0, hz), at(-hx, 0, hz), at(-hx, h, hz), at(hx, h, hz)}, nz, t[0], false},
  };
  // The house is convex, so drawing only the faces turned towards the camera is correct.
  auto visible = [&](const std::vector<Vec3>& pts, Vec3 n) {
    const Vec3 d = cam.eye - pts[0];
    return d.x * n.x + d.y * n.y + d.z * n.z > 0;
  };
  for (const auto& f : faces) {
    if (!visible(f.pts, f.normal)) continue;
    p.quad(f.pts, f.tone);
    // Windows (and a door on the front) as inset rectangles on the wall plane.
    const Vec3 a = f.pts[0], b = f.pts[1], up{0, 1, 0};
    const Vec3 along = (b - a) * (1.0 / std::hypot((b - a).x, (b - a).z));
    const double len = std::hypot((b - a).x, (b - a).z);
    const Vec3 off = f.normal * 0.02;
    const int n = std::max(1, static_cast<int>(len / 2.2));
    for (int i = 0; i < n; ++i) {
      const double u = len * (i + 0.5) / n;
      if (f.front && i == n / 2) {
        p.quad({a + along * (u - 0.5) + off, a + along * (u + 0.5) + off,
                a + along * (u + 0.5) + up * 2.1 + off, a + along * (u - 0.5) + up * 2.1 + off},
               0.12);
        continue;
      }
      p.quad({a + along * (u - 0.55) + up * 1.2 + off, a + along * (u + 0.55) + up * 1.2 + off,
              a + along * (u + 0.55) + up * 2.4 + off, a + along * (u - 0.55) + up * 2.4 + off},
             rng.uniform(0.75, 0.95));
    }
  }
  // Gable roof: ridge along the house's z axis; two slopes and two gable triangles.
  const Vec3 r0 = at(0, h + roof, -hz - 0.3), r1 = at(0, h + roof, hz + 0.3);
  struct RoofFace {
    std::vector<Vec3> pts;
    Vec3 normal;
    double tone;
  };
  const double tilt = std::atan2(roof, hx);
  const Vec3 up{0, 1, 0};
  std::vector<RoofFace> roof_faces = {
      {{at(-hx - 0.3, h - 0.1, -hz - 0.3), at(-hx - 0.3, h - 0.1, hz + 0.3), r1, r0},
       nx * -std::sin(tilt) + up * std::cos(tilt),
       t[2]},
      {{at(hx + 0.3, h - 0.1, hz + 0.3), at(hx + 0.3, h - 0.1, -hz - 0.3), r0, r1},
       nx * std::sin(tilt) + up * std::cos(tilt),
       t[3]},
      {{at(-hx, h, -hz), at(hx, h, -hz), at(0, h + roof, -hz)}, nz * -1, t[0]},
      {{at(hx, h, hz), at(-hx, h, hz), at(0, h + roof, hz)}, nz, t[0]},
  };
  for (const auto& f : roof_faces) {
    if (visible(f.pts, f.normal)) p.quad(f.pts, f.tone);
  }
  // A tree or two beside the house.
  for (int i = rng.integer(0, 2); i > 0; --i) {
    const Vec3 base{centre.x + rng.uniform(-12, 12), 0, dist + rng.uniform(-6, 2)};
    const double th = rng.uniform(3, 5);
    p.segment(base, base + up * th, s / 60, 0.15);
    const auto crown = project_polygon(cam, {base + up * th, base + up * th, base + up * th});
    if (!crown.empty()) {
      const double r = cam.focal * rng.uniform(1.2, 2.0) / (base.z - cam.eye.z);
      c.fill_ellipse(crown[0], r, r * 1.2, 0, rng.uniform(0.2, 0.4));
    }
  }
}

}  // namespace

Canvas draw_scene(Rng& rng, int size) {
  Canvas c(size, size, 0.5);
  const double s = size;
  switch (rng.integer(0, 2)) {
    case 0:
      corridor(c, rng, s);
      break;
    case 1:
      room(c, rng, s);
      break;
    default:
      house(c, rng, s);
      break;
  }
  c.add_noise(0.012, rng.next_u64());
  return c;
}

}  // namespace repscope::stimuli
