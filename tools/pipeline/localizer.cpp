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

void record_selectivity_settings(Json& manifest, const stats::SelectivityOptions& s,
                                 bool channel_units) {
  manifest.set("unit", channel_units ? "channel (mean over space/tokens)"
                                     : "element of the flattened tensor");
  manifest.set("criterion", std::string(stats::criterion_name(s.criterion)));
  manifest.set("test", std::string(s.equal_var ? "Student" : "Welch") +
                           " two-sample t, alternative " +
                           std::string(stats::alternative_name(s.alternative)));
  manifest.set("correction", std::string(stats::correction_name(s.correction)) +
                                 " over units, per target and comparison");
  manifest.set("alpha", s.alpha);
  if (std::isfinite(s.min_dprime)) manifest.set("min_dprime", s.min_dprime);
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
  stats::LayerAnalysisOptions analysis;  // the same per-layer analysis as `repscope selectivity`
  analysis.selectivity = opt.selectivity;
  analysis.write_unit_arrays = opt.unit_arrays;
  stats::SelectivityTables tables(opt.out_dir, analysis);
  cli::Progress progress("selectivity", static_cast<std::int64_t>(extracted.layers.size()),
                         opt.quiet);
  for (const auto& layer : extracted.layers) {
    tables.add_layer(layer.name, map_npy(layer.file), image_domain, set.domains);
    progress.advance();
  }
  progress.finish();
  tables.write();
  result.layers = tables.layers();

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
  record_selectivity_settings(manifest, opt.selectivity, opt.unit == Unit::Channel);
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
