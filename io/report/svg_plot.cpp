#include "io/report/svg_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

#include "io/image_write.h"
#include "nn/error.h"

namespace repscope::report {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kFont = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char* const k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = bytes[i], b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0u,
                        b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0u;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? k[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? k[v & 63] : '=';
  }
  return out;
}

std::string text(double x, double y, std::string_view s, std::string_view attrs = "") {
  return str("<text x=\"", num(x), "\" y=\"", num(y), "\" ", attrs, ">", xml_escape(s),
             "</text>\n");
}

std::string svg_open(int w, int h, std::string_view title) {
  return str(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"", w, "\" height=\"", h,
      "\" viewBox=\"0 0 ", w, " ", h, "\" ", kFont, " font-size=\"12\" role=\"img\" aria-label=\"",
      xml_escape(title), "\">\n<title>", xml_escape(title), "</title>\n<rect width=\"", w,
      "\" height=\"", h, "\" fill=\"white\"/>\n",
      text(w / 2.0, 22, title, "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\""));
}

// Min and max of the finite values (NaN, NaN when there are none).
std::pair<double, double> finite_range(std::initializer_list<const std::vector<double>*> lists) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto* l : lists) {
    for (double v : *l) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  return lo <= hi ? std::pair{lo, hi} : std::pair{kNaN, kNaN};
}

// Data → pixel mapping of a plot area.
struct Frame {
  double left, top, width, height, x0, x1, y0, y1;
  double px(double x) const { return left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * width; }
  double py(double y) const {
    return top + height - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * height;
  }
};

// Pads a data range to include its ticks; a degenerate range gets ±1 (or ±10%).
std::vector<double> axis_range(double& lo, double& hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
  auto ticks = nice_ticks(lo, hi);
  lo = std::min(lo, ticks.front());
  hi = std::max(hi, ticks.back());
  return ticks;
}

std::string y_axis(const Frame& f, const std::vector<double>& ticks, std::string_view label) {
  std::string s;
  for (double t : ticks) {
    const double y = f.py(t);
    s += str("<line x1=\"", num(f.left), "\" x2=\"", num(f.left + f.width), "\" y1=\"", num(y),
             "\" y2=\"", num(y), "\" stroke=\"#e5e5e5\"/>\n");
    s += text(f.left - 6, y + 4, format_number(t), "text-anchor=\"end\" fill=\"#333\"");
  }
  s += str("<text transform=\"translate(", num(f.left - 52), ",", num(f.top + f.height / 2),
           ") rotate(-90)\" text-anchor=\"middle\" fill=\"#222\">", xml_escape(label), "</text>\n");
  return s;
}

std::string frame_box(const Frame& f) {
  return str("<rect x=\"", num(f.left), "\" y=\"", num(f.top), "\" width=\"", num(f.width),
             "\" height=\"", num(f.height), "\" fill=\"none\" stroke=\"#444\"/>\n");
}

struct LegendEntry {
  std::string name, colour;
  bool dashed = false, band = false, box = false,
       dot = false;  // line, band, solid box (bars), dot (scatter)
};

std::string legend(double x, double y, const std::vector<LegendEntry>& entries) {
  std::string s;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const double yy = y + 18.0 * static_cast<double>(i);
    if (e.dot) {
      s += str("<circle cx=\"", num(x + 11), "\" cy=\"", num(yy), "\" r=\"4.5\" fill=\"", e.colour,
               "\"/>\n");
    } else if (e.band || e.box) {
      s +=
          str("<rect x=\"", num(x), "\" y=\"", num(yy - 6), "\" width=\"22\" height=\"12\" fill=\"",
              e.colour, "\" fill-opacity=\"", e.box ? "1" : "0.25", "\"/>\n");
    } else {
      s += str("<line x1=\"", num(x), "\" x2=\"", num(x + 22), "\" y1=\"", num(yy), "\" y2=\"",
               num(yy), "\" stroke=\"", e.colour, "\" stroke-width=\"2.5\"",
               e.dashed ? " stroke-dasharray=\"6 3\"" : "", "/>\n");
    }
    s += text(x + 28, yy + 4, e.name, "fill=\"#222\"");
  }
  return s;
}

double legend_width(const std::vector<LegendEntry>& entries) {
  std::size_t longest = 0;
  for (const auto& e : entries) longest = std::max(longest, e.name.size());
  return entries.empty() ? 0.0
                         : 40.0 + 6.8 * static_cast<double>(std::min<std::size_t>(longest, 40));
}

std::vector<double> indices_if_empty(const std::vector<double>& x, std::size_t n) {
  if (!x.empty()) return x;
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(i);
  return out;
}

}  // namespace

std::string palette_colour(std::size_t index) {
  static const std::array<const char*, 10> k = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                "#9c755f", "#bab0ac"};
  return k[index % k.size()];
}

std::string viridis(double t) {
  // Viridis sampled at 9 points; linear interpolation in between is visually indistinguishable.
  static const double k[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},
                                 {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
                                 {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  if (!std::isfinite(t)) return "#bbbbbb";
  t = std::clamp(t, 0.0, 1.0) * 8;
  const int i = std::min(7, static_cast<int>(t));
  const double f = t - i;
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x",
                static_cast<int>(std::lround(k[i][0] + f * (k[i + 1][0] - k[i][0]))),
                static_cast<int>(std::lround(k[i][1] + f * (k[i + 1][1] - k[i][1]))),
                static_cast<int>(std::lround(k[i][2] + f * (k[i + 1][2] - k[i][2]))));
  return buf;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo) return {std::isfinite(lo) ? lo : 0.0};
  const double raw = (hi - lo) / std::max(1, target - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::floor(lo / step) * step; t <= hi + step * 0.999; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (t >= hi - step * 1e-9) break;
  }
  return ticks;
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf");
  char buf[32];
  const double a = std::abs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e6)) {
    std::snprintf(buf, sizeof buf, "%.2g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_line_plot(const LinePlot& plot) {
  std::vector<LegendEntry> entries;
  for (const auto& b : plot.bands) entries.push_back({b.name, b.colour, false, true});
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    const auto& s = plot.series[i];
    entries.push_back({s.name, s.colour.empty() ? palette_colour(i) : s.colour, s.dashed, false});
  }
  const bool categorical = !plot.x_categories.empty();
  std::size_t longest_cat = 0;
  for (const auto& c : plot.x_categories) longest_cat = std::max(longest_cat, c.size());
  const double bottom =
      categorical ? 40 + 5.2 * static_cast<double>(std::min<std::size_t>(longest_cat, 28)) : 56;
  const double lw = legend_width(entries);
  Frame f{72, 40, plot.width - 72 - 20 - lw, plot.height - 40 - bottom, 0, 1, 0, 1};

  // Ranges.
  double xlo = kNaN, xhi = kNaN;
  if (categorical) {
    xlo = -0.5, xhi = static_cast<double>(plot.x_categories.size()) - 0.5;
  } else {
    std::vector<std::vector<double>> xs;
    for (const auto& s : plot.series) xs.push_back(indices_if_empty(s.x, s.y.size()));
    for (const auto& b : plot.bands) xs.push_back(indices_if_empty(b.x, b.lower.size()));
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& x : xs) {
      auto [a, b] = finite_range({&x});
      if (std::isfinite(a)) lo = std::min(lo, a), hi = std::max(hi, b);
    }
    xlo = lo, xhi = hi;
  }
  double ylo = std::numeric_limits<double>::infinity(), yhi = -ylo;
  for (const auto& s : plot.series) {
    auto [a, b] = finite_range({&s.y});
    if (std::isfinite(a)) ylo = std::min(ylo, a), yhi = std::max(yhi, b);
  }
  for (const auto& b : plot.bands) {
    auto [a, c] = finite_range({&b.lower, &b.upper});
    if (std::isfinite(a)) ylo = std::min(ylo, a), yhi = std::max(yhi, c);
  }
  if (std::isfinite(ylo) && ylo > 0 && ylo < 0.3 * yhi) ylo = 0;  // include zero when it is near
  if (plot.y_min) ylo = *plot.y_min;
  if (plot.y_max) yhi = *plot.y_max;
  const auto yticks = axis_range(ylo, yhi);
  std::vector<double> xticks;
  if (!categorical) xticks = axis_range(xlo, xhi);
  f.x0 = xlo, f.x1 = xhi, f.y0 = ylo, f.y1 = yhi;

  std::string s = svg_open(plot.width, plot.height, plot.title);
  s += y_axis(f, yticks, plot.y_label);
  // x axis: categorical labels are thinned to about 30 and rotated.
  if (categorical) {
    const std::size_t n = plot.x_categories.size();
    const std::size_t every = std::max<std::size_t>(1, (n + 29) / 30);
    for (std::size_t i = 0; i < n; i += every) {
      const double x = f.px(static_cast<double>(i));
      s += str("<line x1=\"", num(x), "\" x2=\"", num(x), "\" y1=\"", num(f.top + f.height),
               "\" y2=\"", num(f.top + f.height + 4), "\" stroke=\"#444\"/>\n");
      std::string label = plot.x_categories[i];
      if (label.size() > 28) label = "…" + label.substr(label.size() - 27);
      s += str("<text transform=\"translate(", num(x + 3), ",", num(f.top + f.height + 10),
               ") rotate(45)\" font-size=\"10\" fill=\"#333\">", xml_escape(label), "</text>\n");
    }
  } else {
    for (double t : xticks) {
      const double x = f.px(t);
      s += str("<line x1=\"", num(x), "\" x2=\"", num(x), "\" y1=\"", num(f.top), "\" y2=\"",
               num(f.top + f.height), "\" stroke=\"#efefef\"/>\n");
      s += text(x, f.top + f.height + 16, format_number(t), "text-anchor=\"middle\" fill=\"#333\"");
    }
  }
  s += text(f.left + f.width / 2, plot.height - 8, plot.x_label,
            "text-anchor=\"middle\" fill=\"#222\"");
  if (yticks.front() < 0 && yticks.back() > 0) {
    s += str("<line x1=\"", num(f.left), "\" x2=\"", num(f.left + f.width), "\" y1=\"",
             num(f.py(0)), "\" y2=\"", num(f.py(0)), "\" stroke=\"#999\"/>\n");
  }
  // Bands: one polygon per run of finite values.
  for (const auto& b : plot.bands) {
    const auto x = indices_if_empty(b.x, b.lower.size());
    std::size_t i = 0;
    while (i < x.size()) {
      std::size_t j = i;
      while (j < x.size() && std::isfinite(b.lower[j]) && std::isfinite(b.upper[j])) ++j;
      if (j > i) {
        std::string pts;
        for (std::size_t k = i; k < j; ++k)
          pts += num(f.px(x[k])) + "," + num(f.py(b.upper[k])) + " ";
        for (std::size_t k = j; k-- > i;)
          pts += num(f.px(x[k])) + "," + num(f.py(b.lower[k])) + " ";
        if (j - i == 1) {  // a single point: a short bar so it stays visible
          pts = num(f.px(x[i]) - 3) + "," + num(f.py(b.upper[i])) + " " + num(f.px(x[i]) + 3) +
                "," + num(f.py(b.upper[i])) + " " + num(f.px(x[i]) + 3) + "," +
                num(f.py(b.lower[i])) + " " + num(f.px(x[i]) - 3) + "," + num(f.py(b.lower[i]));
        }
        s += str("<polygon class=\"band\" points=\"", pts, "\" fill=\"", b.colour,
                 "\" fill-opacity=\"0.25\"/>\n");
      }
      i = j + 1;
    }
  }
  // Series: polylines broken at NaN, markers at every point (filled where flagged).
  for (std::size_t si = 0; si < plot.series.size(); ++si) {
    const auto& ser = plot.series[si];
    const std::string colour = ser.colour.empty() ? palette_colour(si) : ser.colour;
    const auto x = indices_if_empty(ser.x, ser.y.size());
    check(x.size() == ser.y.size(), "line plot '", plot.title, "': series '", ser.name, "' has ",
          x.size(), " x values and ", ser.y.size(), " y values");
    std::string path;
    bool pen = false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!std::isfinite(ser.y[i]) || !std::isfinite(x[i])) {
        pen = false;
        continue;
      }
      path += (pen ? "L" : "M") + num(f.px(x[i])) + " " + num(f.py(ser.y[i])) + " ";
      pen = true;
    }
    s += str("<path class=\"series\" d=\"", path, "\" fill=\"none\" stroke=\"", colour,
             "\" stroke-width=\"2\" stroke-linejoin=\"round\"",
             ser.dashed ? " stroke-dasharray=\"6 3\"" : "", "/>\n");
    const bool markers = x.size() <= 80 || !ser.filled.empty();
    for (std::size_t i = 0; markers && i < x.size(); ++i) {
      if (!std::isfinite(ser.y[i])) continue;
      const bool fill = i < ser.filled.size() && ser.filled[i];
      if (x.size() > 80 && !fill) continue;
      s += str("<circle cx=\"", num(f.px(x[i])), "\" cy=\"", num(f.py(ser.y[i])), "\" r=\"",
               fill ? "3.5" : "2.5", "\" fill=\"", fill ? colour : "white", "\" stroke=\"", colour,
               "\" stroke-width=\"1.5\"/>\n");
    }
  }
  s += frame_box(f);
  s += legend(f.left + f.width + 16, f.top + 10, entries);
  s += "</svg>\n";
  return s;
}

std::string render_heatmap(const Heatmap& map) {
  check(map.rows > 0 && map.cols > 0 &&
            map.values.size() ==
                static_cast<std::size_t>(map.rows) * static_cast<std::size_t>(map.cols),
        "heatmap '", map.title, "': ", map.values.size(), " values for ", map.rows, "x", map.cols);
  auto [lo, hi] = finite_range({&map.values});
  if (map.v_min) lo = *map.v_min;
  if (map.v_max) hi = *map.v_max;
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi <= lo) hi = lo + 1;
  // Pixels as an inline PNG: compact even for 1000×1000 RDMs, and crisp with pixelated scaling.
  std::vector<std::uint8_t> rgb(map.values.size() * 3);
  for (std::size_t i = 0; i < map.values.size(); ++i) {
    const std::string c = viridis((map.values[i] - lo) / (hi - lo));
    for (int k = 0; k < 3; ++k)
      rgb[3 * i + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(
          std::stoi(c.substr(1 + 2 * static_cast<std::size_t>(k), 2), nullptr, 16));
  }
  const std::string png = base64(encode_png(rgb, map.cols, map.rows, 3));
  const bool grouped =
      !map.groups.empty() && map.groups.size() == static_cast<std::size_t>(map.rows);
  const double left = grouped ? 110 : 40, top = 40, side = map.size;
  const double cell_w = side / map.cols, cell_h = side / map.rows;
  const int width = static_cast<int>(left + side + 110),
            height = static_cast<int>(top + side + (grouped ? 100 : 30));
  std::string s = svg_open(width, height, map.title);
  s += str("<image class=\"heatmap\" x=\"", num(left), "\" y=\"", num(top), "\" width=\"",
           num(side), "\" height=\"", num(side),
           "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" "
           "href=\"data:image/png;base64,",
           png, "\"/>\n");
  s += str("<rect x=\"", num(left), "\" y=\"", num(top), "\" width=\"", num(side), "\" height=\"",
           num(side), "\" fill=\"none\" stroke=\"#444\"/>\n");
  if (grouped) {
    // Runs of equal labels become blocks: white separators and a label at each run's centre.
    std::size_t i = 0;
    while (i < map.groups.size()) {
      std::size_t j = i;
      while (j < map.groups.size() && map.groups[j] == map.groups[i]) ++j;
      const double mid = (static_cast<double>(i) + static_cast<double>(j)) / 2;
      s += text(left - 6, top + mid * cell_h + 4, map.groups[i],
                "text-anchor=\"end\" font-size=\"11\" fill=\"#222\"");
      if (map.cols == map.rows) {
        s += str("<text transform=\"translate(", num(left + mid * cell_w - 3), ",",
                 num(top + side + 8), ") rotate(45)\" font-size=\"11\" fill=\"#222\">",
                 xml_escape(map.groups[i]), "</text>\n");
      }
      if (j < map.groups.size()) {
        const double yb = top + static_cast<double>(j) * cell_h,
                     xb = left + static_cast<double>(j) * cell_w;
        s += str("<line x1=\"", num(left), "\" x2=\"", num(left + side), "\" y1=\"", num(yb),
                 "\" y2=\"", num(yb), "\" stroke=\"white\" stroke-width=\"1\"/>\n");
        if (map.cols == map.rows) {
          s += str("<line x1=\"", num(xb), "\" x2=\"", num(xb), "\" y1=\"", num(top), "\" y2=\"",
                   num(top + side), "\" stroke=\"white\" stroke-width=\"1\"/>\n");
        }
      }
      i = j;
    }
  }
  // Colour bar.
  const double bx = left + side + 20, bw = 16;
  // Gradient ids must be unique within the page; derive one from the title.
  std::uint64_t id = 0xCBF29CE484222325ull;
  for (char ch : map.title) id = (id ^ static_cast<std::uint8_t>(ch)) * 0x100000001B3ull;
  const std::string grad = str("cbar", std::hex, id);
  s += str("<defs><linearGradient id=\"", grad, "\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
  for (int k = 0; k <= 8; ++k)
    s += str("<stop offset=\"", k / 8.0, "\" stop-color=\"", viridis(k / 8.0), "\"/>");
  s += "</linearGradient></defs>\n";
  s += str("<rect x=\"", num(bx), "\" y=\"", num(top), "\" width=\"", num(bw), "\" height=\"",
           num(side), "\" fill=\"url(#", grad, ")\" stroke=\"#444\"/>\n");
  for (double t : nice_ticks(lo, hi, 5)) {
    if (t < lo - 1e-12 || t > hi + 1e-12) continue;
    const double y = top + side - (t - lo) / (hi - lo) * side;
    s += str("<line x1=\"", num(bx + bw), "\" x2=\"", num(bx + bw + 4), "\" y1=\"", num(y),
             "\" y2=\"", num(y), "\" stroke=\"#444\"/>\n");
    s += text(bx + bw + 7, y + 4, format_number(t), "fill=\"#333\" font-size=\"11\"");
  }
  s += str("<text transform=\"translate(", num(bx + bw + 62), ",", num(top + side / 2),
           ") rotate(-90)\" text-anchor=\"middle\" fill=\"#222\">", xml_escape(map.colour_label),
           "</text>\n");
  s += "</svg>\n";
  return s;
}

std::string render_scatter(const ScatterPlot& plot) {
  std::vector<std::string> groups;
  for (const auto& p : plot.points) {
    if (std::find(groups.begin(), groups.end(), p.group) == groups.end()) groups.push_back(p.group);
  }
  std::vector<LegendEntry> entries;
  const bool has_groups = !(groups.size() == 1 && groups[0].empty());
  if (has_groups) {
    for (std::size_t i = 0; i < groups.size(); ++i)
      entries.push_back(
          {groups[i].empty() ? "(none)" : groups[i], palette_colour(i), false, false, false, true});
  }
  const double lw = legend_width(entries);
  std::vector<double> xs, ys;
  for (const auto& p : plot.points) xs.push_back(p.x), ys.push_back(p.y);
  auto [xlo, xhi] = finite_range({&xs});
  auto [ylo, yhi] = finite_range({&ys});
  const auto xticks = axis_range(xlo, xhi), yticks = axis_range(ylo, yhi);
  Frame f{72, 40, plot.width - 72 - 20 - lw, plot.height - 40.0 - 56, xlo, xhi, ylo, yhi};
  std::string s = svg_open(plot.width, plot.height, plot.title);
  s += y_axis(f, yticks, plot.y_label);
  for (double t : xticks) {
    const double x = f.px(t);
    s += str("<line x1=\"", num(x), "\" x2=\"", num(x), "\" y1=\"", num(f.top), "\" y2=\"",
             num(f.top + f.height), "\" stroke=\"#efefef\"/>\n");
    s += text(x, f.top + f.height + 16, format_number(t), "text-anchor=\"middle\" fill=\"#333\"");
  }
  s += text(f.left + f.width / 2, plot.height - 8, plot.x_label,
            "text-anchor=\"middle\" fill=\"#222\"");
  const bool labels = plot.show_labels && plot.points.size() <= 60;
  for (const auto& p : plot.points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    const auto g =
        static_cast<std::size_t>(std::find(groups.begin(), groups.end(), p.group) - groups.begin());
    const std::string colour = palette_colour(g);
    s += str("<circle class=\"point\" cx=\"", num(f.px(p.x)), "\" cy=\"", num(f.py(p.y)),
             "\" r=\"4\" fill=\"", colour,
             "\" fill-opacity=\"0.85\" stroke=\"white\" stroke-width=\"0.8\"><title>",
             xml_escape(p.label), "</title></circle>\n");
    if (labels && !p.label.empty())
      s += text(f.px(p.x) + 6, f.py(p.y) - 5, p.label, "font-size=\"10\" fill=\"#333\"");
  }
  s += frame_box(f);
  s += legend(f.left + f.width + 16, f.top + 10, entries);
  s += "</svg>\n";
  return s;
}

std::string render_bar_chart(const BarChart& chart) {
  std::vector<LegendEntry> entries;
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    entries.push_back({chart.series[i].name,
                       chart.series[i].colour.empty() ? palette_colour(i) : chart.series[i].colour,
                       false, false, true});
  }
  std::size_t longest = 0;
  for (const auto& c : chart.categories) longest = std::max(longest, c.size());
  const double bottom = 36 + 4.4 * static_cast<double>(std::min<std::size_t>(longest, 30));
  double lo = 0, hi = 0;
  for (const auto& ser : chart.series) {
    check(ser.y.size() == chart.categories.size(), "bar chart '", chart.title, "': series '",
          ser.name, "' has ", ser.y.size(), " values for ", chart.categories.size(), " categories");
    auto [a, b] = finite_range({&ser.y});
    if (std::isfinite(a)) lo = std::min(lo, a), hi = std::max(hi, b);
  }
  const auto yticks = axis_range(lo, hi);
  const double lw = legend_width(entries);
  const auto n = static_cast<double>(std::max<std::size_t>(1, chart.categories.size()));
  Frame f{72, 40, chart.width - 72 - 20 - lw, chart.height - 40.0 - bottom, -0.5, n - 0.5, lo, hi};
  std::string s = svg_open(chart.width, chart.height, chart.title);
  s += y_axis(f, yticks, chart.y_label);
  const double group_w = f.width / n * 0.8;
  const double bar_w = group_w / static_cast<double>(std::max<std::size_t>(1, chart.series.size()));
  for (std::size_t j = 0; j < chart.categories.size(); ++j) {
    const double cx = f.px(static_cast<double>(j));
    for (std::size_t i = 0; i < chart.series.size(); ++i) {
      const double v = chart.series[i].y[j];
      if (!std::isfinite(v)) continue;
      const double x = cx - group_w / 2 + bar_w * static_cast<double>(i);
      const double y0 = f.py(0), y1 = f.py(v);
      s += str(
          "<rect class=\"bar\" x=\"", num(x), "\" y=\"", num(std::min(y0, y1)), "\" width=\"",
          num(bar_w * 0.92), "\" height=\"", num(std::abs(y1 - y0)), "\" fill=\"",
          entries[i].colour, "\"><title>",
          xml_escape(chart.series[i].name + " · " + chart.categories[j] + ": " + format_number(v)),
          "</title></rect>\n");
    }
    s += str("<text transform=\"translate(", num(cx), ",", num(f.top + f.height + 14),
             ") rotate(30)\" font-size=\"11\" fill=\"#333\">", xml_escape(chart.categories[j]),
             "</text>\n");
  }
  s += frame_box(f);
  s += legend(f.left + f.width + 16, f.top + 10, entries);
  s += "</svg>\n";
  return s;
}

}  // namespace repscope::report
