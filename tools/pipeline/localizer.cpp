#include "tools/pipeline/localizer.h"

#include <cmath>
#include <iostream>
#include <limits>
#include <set>

#include "io/file_util.h"
#include "io/json.h"
#include "io/npy.h"
#include "io/report/run_report.h"
#include "nn/error.h"
#include "tools/pipeline/stimuli.h"
#include "tools/progress.h"

namespace fs = std::filesystem;

namespace repscope::pipeline {

Unit parse_unit(const std::string& name) {
  if (name == "element") return Unit::Element;
  if (name == "channel") return Unit::Channel;
  fail("--unit: '", name, "' is not one of element, channel");
}

int channel_axis_of(const Shape& shape) {
  return shape.size() == 3 ? 2 : 1;  // [N, T, E]: width; [N, C, H, W] and [N, C]: C
}

std::vector<LayerSummary> summarize_layer(const std::string& layer,
                                          const stats::SelectivityResult& r, const Shape& shape,
                                          int channel_axis) {
  const int t_count = r.num_targets();
  const auto channel = stats::unit_channels(shape, channel_axis);
  const std::int64_t n_channels = shape[static_cast<std::size_t>(channel_axis)];
  const auto* sel = r.selective.data<std::uint8_t>();
  const float* dprime = r.dprime.data<float>();
  const float* csi = r.csi.data<float>();
  std::vector<LayerSummary> rows;
  for (int k = 0; k < t_count; ++k) {
    LayerSummary s;
    s.layer = layer;
    s.category = r.target_name(k);
    s.n_units = r.units;
    s.channels = n_channels;
    double sum_d = 0, sum_c = 0;
    std::int64_t n_c = 0;
    std::vector<std::uint8_t> has(static_cast<std::size_t>(n_channels), 0);
    for (std::int64_t u = 0; u < r.units; ++u) {
      const std::int64_t i = u * t_count + k;
      if (sel[i] == 0) continue;
      s.n_selective += 1;
      sum_d += dprime[i];
      if (!std::isnan(csi[i])) {
        sum_c += csi[i];
        n_c += 1;
      }
      has[static_cast<std::size_t>(channel[static_cast<std::size_t>(u)])] = 1;
    }
    for (auto h : has) s.channels_with_selective += h;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.proportion =
        r.units > 0 ? static_cast<double>(s.n_selective) / static_cast<double>(r.units) : nan;
    s.mean_dprime = s.n_selective > 0 ? sum_d / static_cast<double>(s.n_selective) : nan;
    s.mean_csi = n_c > 0 ? sum_c / static_cast<double>(n_c) : nan;
    rows.push_back(s);
  }
  return rows;
}

void write_selectivity_summary(const fs::path& path, const std::vector<LayerSummary>& rows) {
  std::string text =
      "layer,category,proportion,n_units,n_selective,mean_dprime_selective,mean_csi_selective,"
      "channels,channels_with_selective\n";
  for (const auto& s : rows) {
    text += csv_field(s.layer) + "," + csv_field(s.category) + "," + csv_number(s.proportion) +
            "," + std::to_string(s.n_units) + "," + std::to_string(s.n_selective) + "," +
            csv_number(s.mean_dprime) + "," + csv_number(s.mean_csi) + "," +
            std::to_string(s.channels) + "," + std::to_string(s.channels_with_selective) + "\n";
  }
  write_text_file_atomic(path, text);
}

LocalizerResult run_localizer(const LocalizerOptions& opt) {
  // Everything checkable is checked before the model runs.
  const StimulusSet set = scan_stimulus_folders(opt.stimuli, opt.domains);
  check(opt.selectivity.alpha > 0 && opt.selectivity.alpha < 1, "--alpha must be in (0, 1), got ",
        opt.selectivity.alpha);
  check_writable_dir(opt.out_dir);

  ExtractOptions ex;
  ex.source = opt.source;
  ex.layers = opt.layers;
  ex.images = set.images;
  ex.out_dir = opt.out_dir / "activations";
  ex.batch = opt.batch;
  ex.pool = opt.unit == Unit::Channel ? Pool::Mean : Pool::None;
  ex.on_error = opt.on_error;
  ex.quiet = opt.quiet;
  const ExtractResult extracted = run_extraction(ex);

  const std::vector<int> image_domain = kept_domains(set, extracted.kept);
  LocalizerResult result;
  cli::Progress progress("selectivity", static_cast<std::int64_t>(extracted.layers.size()),
                         opt.quiet);
  for (const auto& layer : extracted.layers) {
    const Tensor acts = map_npy(layer.file);
    const auto sel = stats::compute_selectivity(acts, image_domain, set.domains, opt.selectivity);
    auto rows = summarize_layer(layer.name, sel, acts.shape(), channel_axis_of(acts.shape()));
    result.rows.insert(result.rows.end(), rows.begin(), rows.end());
    progress.advance();
  }
  progress.finish();

  write_selectivity_summary(opt.out_dir / "selectivity_summary.csv", result.rows);
  write_stimuli_csv(opt.out_dir / "stimuli.csv", set, extracted.kept);

  Json manifest = Json::object();
  manifest.set("pipeline", "localizer");
  for (const char* key : {"repscope_version", "model", "naming", "weights", "weights_sha256",
                          "random_init_seed", "note", "preset", "input_size"}) {
    if (const Json* v = extracted.manifest.find(key)) manifest.set(key, *v);
  }
  manifest.set("stimuli", fs::absolute(opt.stimuli).string());
  manifest.set("design", set.design);
  Json domains = Json::array();
  for (int d = 0; d < set.domains.num_domains(); ++d) {
    const auto& dom = set.domains.domains()[static_cast<std::size_t>(d)];
    Json entry = Json::object();
    entry.set("name", dom.name);
    entry.set("role", dom.target ? "target" : "control");
    Json cats = Json::array();
    for (const auto& [cat, idx] : set.domains.categories())
      if (idx == d) cats.push_back(cat);
    entry.set("categories", cats);
    std::int64_t n = 0;
    for (int x : image_domain) n += x == d ? 1 : 0;
    entry.set("images", n);
    domains.push_back(entry);
  }
  manifest.set("domains", domains);
  manifest.set("images", static_cast<std::int64_t>(extracted.kept.size()));
  manifest.set("unit", opt.unit == Unit::Channel ? "channel (mean over space/tokens)"
                                                 : "element of the flattened tensor");
  manifest.set("criterion", std::string(stats::criterion_name(opt.selectivity.criterion)));
  manifest.set("test", std::string(opt.selectivity.equal_var ? "Student" : "Welch") +
                           " two-sample t, alternative " +
                           std::string(stats::alternative_name(opt.selectivity.alternative)));
  manifest.set("correction", std::string(stats::correction_name(opt.selectivity.correction)) +
                                 " over units, per target and comparison");
  manifest.set("alpha", opt.selectivity.alpha);
  if (std::isfinite(opt.selectivity.min_dprime))
    manifest.set("min_dprime", opt.selectivity.min_dprime);
  Json layers = Json::array();
  for (const auto& l : extracted.layers) layers.push_back(l.name);
  manifest.set("layers", layers);
  manifest.set("skipped_images", extracted.manifest.at("skipped_images"));
  manifest.set("activations", opt.keep_activations ? "activations/" : "removed after the run");
  write_json_file(opt.out_dir / "manifest.json", manifest);

  if (!opt.keep_activations) {
    std::error_code ec;
    fs::remove_all(opt.out_dir / "activations", ec);
  }
  if (opt.report) {
    report::RunReportOptions ro;
    const bool untrained = !opt.source.weights.has_value();
    ro.title = "repscope localizer: " + extracted.manifest.at("model").as_string() +
               (untrained ? " (random init: untrained)" : "");
    result.report = opt.out_dir / "report.html";
    report::write_run_report({opt.out_dir}, result.report, ro);
  }
  return result;
}

}  // namespace repscope::pipeline
