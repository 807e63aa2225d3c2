// `repscope localizer`: extract a model's layers over a folder-per-category stimulus set, test
// every unit of every layer for category selectivity (stats/selectivity.h) and write the tables
// and the HTML report. See docs/pipelines.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/json.h"
#include "stats/selectivity.h"
#include "stats/selectivity_tables.h"
#include "tools/pipeline/extract.h"

namespace repscope::pipeline {

// What one unit is: one element of the flattened C·H·W (or tokens·width) tensor, or one
// channel after the mean over space (tokens).
enum class Unit { Element, Channel };
Unit parse_unit(const std::string& name);

struct LocalizerOptions {
  ModelSource source;
  std::string layers = "blocks";
  std::filesystem::path stimuli;
  std::string domains = "auto";  // see scan_stimulus_folders
  Unit unit = Unit::Element;
  stats::SelectivityOptions selectivity;  // criterion, correction, alpha, ... (Each, FdrBY)
  std::filesystem::path out_dir;
  std::int64_t batch = 16;
  OnError on_error = OnError::Stop;
  bool keep_activations = false;  // keep out_dir/activations/ (removed after success otherwise)
  bool unit_arrays = false;       // out_dir/<layer>/{t,p,q,...}.npy (large: units x targets each)
  bool report = true;             // write out_dir/report.html
  bool quiet = false;
};

struct LocalizerResult {
  std::vector<stats::LayerSelectivitySummary> layers;  // in extraction order
  std::filesystem::path report;                        // empty when not written
};

// Checks the stimuli (folders, counts, domains) and the output directory before any work, then
// extracts into out_dir/activations (resumable), analyses each layer and writes
// the selectivity tables of stats/selectivity_tables.h (selectivity_summary.csv,
// selectivity_layers.csv, selectivity_consistency.csv and, with unit_arrays, per-unit NPY
// arrays), stimuli.csv, manifest.json and report.html.
LocalizerResult run_localizer(const LocalizerOptions& options);

// The statistics settings every selectivity manifest records (`repscope localizer` and
// `repscope selectivity` write the same fields).
void record_selectivity_settings(Json& manifest, const stats::SelectivityOptions& settings,
                                 bool channel_units);

}  // namespace repscope::pipeline
