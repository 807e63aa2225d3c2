#include "tools/distractors/delta_rsa.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "io/file_util.h"
#include "io/report/csv_table.h"
#include "io/report/html_report.h"
#include "io/report/svg_plot.h"
#include "nn/error.h"

namespace repscope::distractors {
namespace fs = std::filesystem;

namespace {

struct Table {
  std::vector<std::string> layers, targets;                 // first-appearance order
  std::map<std::pair<std::string, std::string>, double> r;  // (layer, target) -> r
};

Table read_rsa(const fs::path& dir) {
  const auto csv = report::CsvTable::read(dir / "rsa.csv");
  csv.require_columns({"layer", "target", "r"});
  const auto cl = csv.column("layer"), ct = csv.column("target"), cr = csv.column("r");
  Table t;
  for (std::size_t i = 0; i < csv.rows(); ++i) {
    const std::string& layer = csv.text(i, cl);
    const std::string& target = csv.text(i, ct);
    if (std::find(t.layers.begin(), t.layers.end(), layer) == t.layers.end())
      t.layers.push_back(layer);
    if (std::find(t.targets.begin(), t.targets.end(), target) == t.targets.end())
      t.targets.push_back(target);
    t.r[{layer, target}] = csv.number(i, cr);
  }
  return t;
}

std::string number(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

}  // namespace

RsaRun parse_rsa_run(const std::string& text) {
  const auto colon = text.find(':'), eq = text.find('=');
  check(colon != std::string::npos && eq != std::string::npos && colon > 0 && eq > colon + 1 &&
            eq + 1 < text.size(),
        "--run: expected MODEL:CONDITION=DIR, got '", text, "'");
  return {text.substr(0, colon), text.substr(colon + 1, eq - colon - 1), text.substr(eq + 1)};
}

std::vector<DeltaRow> compute_delta_rsa(const std::vector<RsaRun>& runs) {
  check(!runs.empty(), "delta-rsa: no runs given");
  std::vector<std::string> models;
  for (const auto& run : runs)
    if (std::find(models.begin(), models.end(), run.model) == models.end())
      models.push_back(run.model);
  std::vector<DeltaRow> rows;
  for (const auto& model : models) {
    const RsaRun* base = nullptr;
    for (const auto& run : runs)
      if (run.model == model && run.condition == "baseline") {
        check(base == nullptr, "delta-rsa: model '", model, "' has two baseline runs ('",
              base ? base->dir.string() : "", "' and '", run.dir.string(), "')");
        base = &run;
      }
    check(base != nullptr, "delta-rsa: model '", model, "' has no baseline run (--run ", model,
          ":baseline=DIR)");
    const Table bt = read_rsa(base->dir);
    for (const auto& run : runs) {
      if (run.model != model || run.condition == "baseline") continue;
      const Table ct = read_rsa(run.dir);
      for (const auto& layer : bt.layers)
        for (const auto& target : bt.targets) {
          const auto b = bt.r.find({layer, target});
          if (b == bt.r.end()) continue;
          const auto c = ct.r.find({layer, target});
          check(c != ct.r.end(), "delta-rsa: '", (run.dir / "rsa.csv").string(),
                "' has no row for layer '", layer, "' and target '", target, "' (the baseline '",
                (base->dir / "rsa.csv").string(), "' has)");
          rows.push_back(
              {model, layer, target, run.condition, b->second, c->second, c->second - b->second});
        }
    }
  }
  return rows;
}

void write_delta_rsa(const fs::path& out_dir, const std::vector<RsaRun>& runs,
                     const std::vector<DeltaRow>& rows, bool report) {
  fs::create_directories(out_dir);
  std::string csv = "model,layer,target,condition,r_baseline,r,delta\n";
  for (const auto& row : rows)
    csv += row.model + "," + row.layer + "," + row.target + "," + row.condition + "," +
           number(row.r_baseline) + "," + number(row.r) + "," + number(row.delta) + "\n";
  write_text_file_atomic(out_dir / "delta_rsa.csv", csv);
  if (!report) return;

  // Orders of first appearance.
  auto add = [](std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  };
  std::vector<std::string> models, targets, conditions;
  for (const auto& row : rows)
    add(models, row.model), add(targets, row.target), add(conditions, row.condition);
  (void)runs;

  report::HtmlReport html("ΔRSA per layer");
  for (const auto& target : targets) {
    html.section("Target " + target,
                 "RSA per layer for the baseline and each condition, and ΔRSA = RSA(condition) − "
                 "RSA(baseline); one pair of plots per model.");
    for (const auto& model : models) {
      std::vector<std::string> layers;
      for (const auto& row : rows)
        if (row.model == model && row.target == target) add(layers, row.layer);
      auto index = [&](const std::string& layer) {
        return static_cast<std::size_t>(std::find(layers.begin(), layers.end(), layer) -
                                        layers.begin());
      };
      report::LinePlot rsa, delta;
      rsa.title = model + ": RSA with " + target;
      delta.title = model + ": ΔRSA with " + target;
      rsa.x_label = delta.x_label = "layer";
      rsa.y_label = "RSA r";
      delta.y_label = "ΔRSA";
      rsa.x_categories = delta.x_categories = layers;
      report::Series base{"baseline", std::vector<double>(layers.size(), NAN), {}, "#333333", true,
                          {}};
      for (std::size_t ci = 0; ci < conditions.size(); ++ci) {
        report::Series r{conditions[ci],
                         std::vector<double>(layers.size(), NAN),
                         {},
                         report::palette_colour(ci),
                         false,
                         {}};
        report::Series d = r;
        bool any = false;
        for (const auto& row : rows)
          if (row.model == model && row.target == target && row.condition == conditions[ci]) {
            const auto li = index(row.layer);
            r.y[li] = row.r;
            d.y[li] = row.delta;
            base.y[li] = row.r_baseline;
            any = true;
          }
        if (!any) continue;
        rsa.series.push_back(r);
        delta.series.push_back(d);
      }
      rsa.series.insert(rsa.series.begin(), base);
      html.subheading(model);
      html.figure(report::render_line_plot(rsa), "RSA per layer (baseline dashed)");
      html.figure(report::render_line_plot(delta), "ΔRSA per layer");
    }
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& row : rows)
    table.push_back({row.model, row.layer, row.target, row.condition,
                     report::format_number(row.r_baseline), report::format_number(row.r),
                     report::format_number(row.delta)});
  html.section("Table");
  html.table({"model", "layer", "target", "condition", "r baseline", "r", "ΔRSA"}, table,
             "delta_rsa.csv", true);
  html.write(out_dir / "report.html");
}

}  // namespace repscope::distractors
