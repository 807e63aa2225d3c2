// A small SVG plotting layer for the HTML report: line plots (several series, shaded bands such as
// a noise ceiling, categorical or numeric x axes), heatmaps with a colour bar (RDMs), labelled
// scatter plots (MDS) and grouped bar charts. Every function returns one self-contained <svg>
// element (no scripts, no external fonts or images: heatmap pixels are an inline PNG data URI).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace repscope::report {

// Colours: the Tableau-10 palette (index wraps), and the viridis colour map for t in [0, 1].
std::string palette_colour(std::size_t index);
std::string viridis(double t);

// "Nice" axis ticks (1, 2, 5 × 10^k steps) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
// Short tick text: "0.25", "1e-05", "120".
std::string format_number(double v);
// Escapes & < > " ' for XML/HTML text and attributes.
std::string xml_escape(std::string_view text);

struct Series {
  std::string name;
  std::vector<double> y;  // NaN values leave a gap
  std::vector<double> x;  // empty: 0, 1, 2, … (category indices)
  std::string colour;     // empty: palette colour of the series index
  bool dashed = false;
  std::vector<bool> filled;  // per point: a filled marker (e.g. p < 0.05); empty: none
};

struct Band {
  std::string name;                  // legend entry ("noise ceiling")
  std::vector<double> x;             // empty: 0, 1, 2, …
  std::vector<double> lower, upper;  // NaN leaves a gap
  std::string colour = "#888888";
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<std::string> x_categories;  // non-empty: x axis labelled by these (layer names)
  std::vector<Band> bands;
  std::vector<Series> series;
  std::optional<double> y_min, y_max;  // default: from the data (and 0 when close)
  int width = 900, height = 440;
};
std::string render_line_plot(const LinePlot& plot);

struct Heatmap {
  std::string title, colour_label;
  int rows = 0, cols = 0;
  std::vector<double> values;       // rows × cols, row-major; NaN drawn grey
  std::vector<std::string> groups;  // optional, one per row (= column for square maps): category
                                    // blocks are outlined and labelled on the axes
  std::optional<double> v_min, v_max;
  int size = 420;  // side of the map in pixels
};
std::string render_heatmap(const Heatmap& map);

struct ScatterPoint {
  double x = 0, y = 0;
  std::string label, group;
};
struct ScatterPlot {
  std::string title, x_label, y_label;
  std::vector<ScatterPoint> points;
  bool show_labels = true;  // text beside each point (off automatically beyond 60 points)
  int width = 560, height = 460;
};
std::string render_scatter(const ScatterPlot& plot);

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;  // groups along x
  std::vector<Series> series;           // series[i].y[j]: bar of series i in category j
  int width = 720, height = 420;
};
std::string render_bar_chart(const BarChart& chart);

}  // namespace repscope::report
