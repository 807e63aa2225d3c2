#include "io/report/run_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "io/file_util.h"
#include "io/npy.h"
#include "io/report/csv_table.h"
#include "io/report/svg_plot.h"
#include "nn/error.h"

namespace repscope::report {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kDashes[] = {"", "6 3", "2 2", "10 3 2 3"};

struct Run {
  std::string name;
  fs::path dir;
  std::optional<std::string> manifest;
  std::optional<CsvTable> selectivity, rsa, stimuli;
  std::vector<std::pair<std::string, fs::path>> rdms, mds;  // (layer, file)
  std::vector<fs::path> other_tables;
};

// Appends the values of column `col` of `t` that are not yet in `order`, in file order.
void merge_order(std::vector<std::string>& order, const CsvTable& t, std::size_t col) {
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (std::find(order.begin(), order.end(), t.text(i, col)) == order.end())
      order.push_back(t.text(i, col));
  }
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<std::size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

Run load_run(const fs::path& dir) {
  check(fs::is_directory(dir), dir.string(), ": not a directory");
  Run run;
  run.dir = dir;
  run.name = fs::absolute(dir).lexically_normal().filename().string();
  if (run.name.empty())
    run.name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string name = f.filename().string(), ext = f.extension().string();
    if (name == "manifest.json") {
      run.manifest = read_text_file(f);
    } else if (name == "selectivity_summary.csv") {
      run.selectivity = CsvTable::read(f);
      run.selectivity->require_columns({"layer", "category", "proportion"});
    } else if (name == "rsa.csv") {
      run.rsa = CsvTable::read(f);
      run.rsa->require_columns({"layer", "target", "r"});
    } else if (name == "stimuli.csv") {
      run.stimuli = CsvTable::read(f);
    } else if (name.starts_with("rdm_") && ext == ".npy") {
      run.rdms.emplace_back(name.substr(4, name.size() - 8), f);
    } else if (name.starts_with("mds_") && ext == ".csv") {
      run.mds.emplace_back(name.substr(4, name.size() - 8), f);
    } else if (ext == ".csv") {
      run.other_tables.push_back(f);
    }
  }
  return run;
}

std::vector<std::vector<std::string>> all_rows(const CsvTable& t, std::size_t limit = SIZE_MAX) {
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < t.rows() && i < limit; ++i) rows.push_back(t.row(i));
  return rows;
}

std::string series_name(const std::vector<Run>& runs, std::size_t r, const std::string& what) {
  return runs.size() > 1 ? runs[r].name + ": " + what : what;
}

void selectivity_section(HtmlReport& report, const std::vector<Run>& runs) {
  std::vector<std::string> layers, categories;
  for (const auto& run : runs) {
    if (!run.selectivity) continue;
    merge_order(layers, *run.selectivity, run.selectivity->column("layer"));
    merge_order(categories, *run.selectivity, run.selectivity->column("category"));
  }
  if (layers.empty()) return;
  report.section("Category selectivity",
                 "Proportion of units in each layer that are selective for each category (from "
                 "selectivity_summary.csv).");
  LinePlot plot;
  plot.title = "Proportion of category-selective units per layer";
  plot.x_label = "layer";
  plot.y_label = "proportion selective";
  plot.x_categories = layers;
  plot.y_min = 0;
  BarChart bars;
  bars.title = "Mean proportion selective across layers";
  bars.y_label = "mean proportion";
  bars.categories = categories;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    if (!runs[r].selectivity) continue;
    const CsvTable& t = *runs[r].selectivity;
    const std::size_t lc = t.column("layer"), cc = t.column("category"),
                      pc = t.column("proportion");
    std::vector<std::vector<double>> y(categories.size(), std::vector<double>(layers.size(), kNaN));
    for (std::size_t i = 0; i < t.rows(); ++i) {
      y[index_of(categories, t.text(i, cc))][index_of(layers, t.text(i, lc))] = t.number(i, pc);
    }
    Series mean_series{
        runs.size() > 1 ? runs[r].name : "mean", {}, {}, palette_colour(r), false, {}};
    for (std::size_t c = 0; c < categories.size(); ++c) {
      Series s{series_name(runs, r, categories[c]), y[c], {}, palette_colour(c), false, {}};
      s.dashed = r > 0;
      plot.series.push_back(std::move(s));
      double sum = 0;
      int n = 0;
      for (double v : y[c]) {
        if (std::isfinite(v)) sum += v, ++n;
      }
      mean_series.y.push_back(n > 0 ? sum / n : kNaN);
    }
    bars.series.push_back(std::move(mean_series));
  }
  // Dashes distinguish runs beyond the second too.
  for (auto& s : plot.series) s.dashed = s.dashed && runs.size() > 1;
  report.figure(render_line_plot(plot),
                runs.size() > 1 ? "Solid lines: " + runs[0].name + "; dashed: " + runs[1].name +
                                      (runs.size() > 2 ? " and later runs." : ".")
                                : "One line per category.");
  report.figure(render_bar_chart(bars),
                "Mean over the layers of each run's proportion of selective units.");
  for (const auto& run : runs) {
    if (run.selectivity) {
      report.table(run.selectivity->header(), all_rows(*run.selectivity),
                   (runs.size() > 1 ? run.name + ": " : "") + "selectivity_summary.csv", true);
    }
  }
}

void rsa_section(HtmlReport& report, const std::vector<Run>& runs) {
  std::vector<std::string> layers, targets;
  for (const auto& run : runs) {
    if (!run.rsa) continue;
    merge_order(layers, *run.rsa, run.rsa->column("layer"));
    merge_order(targets, *run.rsa, run.rsa->column("target"));
  }
  if (layers.empty()) return;
  report.section("Representational similarity",
                 "RDM correlation between each layer and each target (from rsa.csv). Filled "
                 "markers: p < 0.05; "
                 "grey band: the target's noise ceiling (lower to upper bound), when given.");
  for (const auto& target : targets) {
    LinePlot plot;
    plot.title = "RSA with " + target;
    plot.x_label = "layer";
    plot.y_label = "r (RDM correlation)";
    plot.x_categories = layers;
    bool have_band = false;
    for (std::size_t r = 0; r < runs.size(); ++r) {
      if (!runs[r].rsa) continue;
      const CsvTable& t = *runs[r].rsa;
      const std::size_t lc = t.column("layer"), tc = t.column("target"), rc = t.column("r");
      const bool has_p = t.has_column("p"),
                 has_nc = t.has_column("nc_lower") && t.has_column("nc_upper");
      Series s{runs.size() > 1 ? runs[r].name : "r",
               std::vector<double>(layers.size(), kNaN),
               {},
               palette_colour(r),
               false,
               std::vector<bool>(layers.size(), false)};
      s.dashed = false;
      Band band{"noise ceiling",
                {},
                std::vector<double>(layers.size(), kNaN),
                std::vector<double>(layers.size(), kNaN)};
      for (std::size_t i = 0; i < t.rows(); ++i) {
        if (t.text(i, tc) != target) continue;
        const std::size_t l = index_of(layers, t.text(i, lc));
        s.y[l] = t.number(i, rc);
        if (has_p) s.filled[l] = t.number(i, t.column("p")) < 0.05;
        if (has_nc) {
          band.lower[l] = t.number(i, t.column("nc_lower"));
          band.upper[l] = t.number(i, t.column("nc_upper"));
        }
      }
      if (has_nc && !have_band) {
        plot.bands.push_back(std::move(band));
        have_band = true;
      }
      if (!has_p) s.filled.clear();
      plot.series.push_back(std::move(s));
    }
    report.figure(render_line_plot(plot));
  }
  for (const auto& run : runs) {
    if (run.rsa)
      report.table(run.rsa->header(), all_rows(*run.rsa),
                   (runs.size() > 1 ? run.name + ": " : "") + "rsa.csv", true);
  }
}

void rdm_section(HtmlReport& report, const std::vector<Run>& runs,
                 const RunReportOptions& options) {
  bool any = false;
  for (const auto& run : runs) any = any || !run.rdms.empty();
  if (!any) return;
  report.section("Representational dissimilarity matrices",
                 "RDMs of the layers (rdm_<layer>.npy); rows and columns are stimuli.");
  for (const auto& run : runs) {
    if (run.rdms.empty()) continue;
    if (runs.size() > 1) report.subheading(run.name);
    std::vector<std::string> groups;
    if (run.stimuli && run.stimuli->has_column("category")) {
      const std::size_t c = run.stimuli->column("category");
      for (std::size_t i = 0; i < run.stimuli->rows(); ++i)
        groups.push_back(run.stimuli->text(i, c));
    }
    // Order the RDMs as the layers appear in the run's tables when possible.
    std::vector<std::string> order;
    if (run.rsa) merge_order(order, *run.rsa, run.rsa->column("layer"));
    if (run.selectivity) merge_order(order, *run.selectivity, run.selectivity->column("layer"));
    auto rdms = run.rdms;
    std::stable_sort(rdms.begin(), rdms.end(), [&](const auto& a, const auto& b) {
      return index_of(order, a.first) < index_of(order, b.first);
    });
    std::vector<std::size_t> pick;
    const auto n = rdms.size(), k = static_cast<std::size_t>(std::max(1, options.max_rdms));
    for (std::size_t i = 0; i < std::min(n, k); ++i)
      pick.push_back(n <= k ? i : i * (n - 1) / (k - 1 == 0 ? 1 : k - 1));
    if (n > k)
      report.note("Showing " + std::to_string(k) + " of " + std::to_string(n) +
                  " RDMs, evenly spaced across layers.");
    for (std::size_t i : pick) {
      const auto& [layer, path] = rdms[i];
      Tensor t = read_npy(path);
      check(t.ndim() == 2 && t.shape()[0] == t.shape()[1] && t.shape()[0] > 0, path.string(),
            ": an RDM must be a square N×N matrix, got shape ", shape_str(t.shape()));
      check(t.dtype() == DType::F32 || t.dtype() == DType::F64, path.string(),
            ": an RDM must be float32 or float64, got ", dtype_name(t.dtype()));
      Heatmap map;
      map.title = layer;
      map.colour_label = "dissimilarity";
      map.rows = map.cols = static_cast<int>(t.shape()[0]);
      map.values.resize(static_cast<std::size_t>(t.numel()));
      convert_elements(t.raw_data(), t.dtype(), map.values.data(), DType::F64, map.values.size());
      if (groups.size() == map.values.size() / static_cast<std::size_t>(map.rows))
        map.groups = groups;
      map.size = 300;
      report.figure(render_heatmap(map));
    }
  }
}

void mds_section(HtmlReport& report, const std::vector<Run>& runs) {
  bool any = false;
  for (const auto& run : runs) any = any || !run.mds.empty();
  if (!any) return;
  report.section("Multidimensional scaling", "2-D MDS embeddings of the RDMs (mds_<layer>.csv).");
  for (const auto& run : runs) {
    if (run.mds.empty()) continue;
    if (runs.size() > 1) report.subheading(run.name);
    for (const auto& [layer, path] : run.mds) {
      const CsvTable t = CsvTable::read(path);
      t.require_columns({"x", "y"});
      ScatterPlot plot;
      plot.title = "MDS: " + layer;
      plot.x_label = "dimension 1";
      plot.y_label = "dimension 2";
      const std::size_t xc = t.column("x"), yc = t.column("y");
      for (std::size_t i = 0; i < t.rows(); ++i) {
        plot.points.push_back({t.number(i, xc), t.number(i, yc),
                               t.has_column("label") ? t.text(i, t.column("label")) : "",
                               t.has_column("category") ? t.text(i, t.column("category")) : ""});
      }
      report.figure(render_scatter(plot));
    }
  }
}

}  // namespace

HtmlReport build_run_report(const std::vector<fs::path>& dirs, const RunReportOptions& options) {
  check(!dirs.empty(), "report: no result directory given");
  std::vector<Run> runs;
  for (const auto& d : dirs) runs.push_back(load_run(d));
  // Equal folder names (run1/out, run2/out) would make the legend ambiguous.
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (runs[i].name == runs[j].name) runs[i].name += " (" + std::to_string(i + 1) + ")";
    }
  }
  std::string names;
  for (const auto& r : runs) names += (names.empty() ? "" : " vs ") + r.name;
  HtmlReport report(options.title.empty() ? "repscope report: " + names : options.title);

  report.section("Runs");
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    std::string found;
    auto add = [&](bool have, const std::string& what) {
      if (have) found += (found.empty() ? "" : ", ") + what;
    };
    add(r.manifest.has_value(), "manifest");
    add(r.selectivity.has_value(), "selectivity");
    add(r.rsa.has_value(), "RSA");
    add(!r.rdms.empty(), std::to_string(r.rdms.size()) + " RDMs");
    add(!r.mds.empty(), std::to_string(r.mds.size()) + " MDS");
    add(!r.other_tables.empty(), std::to_string(r.other_tables.size()) + " other tables");
    rows.push_back({r.name, fs::absolute(r.dir).lexically_normal().string(),
                    found.empty() ? "nothing recognised" : found});
  }
  report.table({"run", "directory", "contents"}, rows);
  for (const auto& r : runs) {
    if (!r.manifest && !r.selectivity && !r.rsa && r.rdms.empty() && r.mds.empty() &&
        r.other_tables.empty()) {
      report.note(
          r.name +
          ": no result files found (expected manifest.json, selectivity_summary.csv, rsa.csv, "
          "rdm_<layer>.npy, mds_<layer>.csv).");
    }
  }
  selectivity_section(report, runs);
  rsa_section(report, runs);
  rdm_section(report, runs, options);
  mds_section(report, runs);

  bool other = false;
  for (const auto& r : runs) other = other || !r.other_tables.empty();
  if (other) {
    report.section("Other tables");
    for (const auto& r : runs) {
      for (const auto& path : r.other_tables) {
        const CsvTable t = CsvTable::read(path);
        const auto limit = static_cast<std::size_t>(std::max(1, options.max_other_rows));
        std::string caption = (runs.size() > 1 ? r.name + ": " : "") + path.filename().string();
        if (t.rows() > limit)
          caption +=
              " (first " + std::to_string(limit) + " of " + std::to_string(t.rows()) + " rows)";
        report.table(t.header(), all_rows(t, limit), caption, true);
      }
    }
  }
  bool manifests = false;
  for (const auto& r : runs) manifests = manifests || r.manifest.has_value();
  if (manifests) {
    report.section("Manifest", "How each run was produced (manifest.json).");
    for (const auto& r : runs) {
      if (r.manifest)
        report.json(*r.manifest, (r.dir / "manifest.json").string(), runs.size() > 1 ? r.name : "");
    }
  }
  return report;
}

void write_run_report(const std::vector<fs::path>& dirs, const fs::path& out,
                      const RunReportOptions& options) {
  build_run_report(dirs, options).write(out);
}

}  // namespace repscope::report
