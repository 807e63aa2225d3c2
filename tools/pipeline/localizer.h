// `repscope localizer`: extract a model's layers over a folder-per-category stimulus set, test
// every unit of every layer for category selectivity (stats/selectivity.h) and write the tables
// and the HTML report. See docs/pipelines.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "stats/selectivity.h"
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
  bool report = true;             // write out_dir/report.html
  bool quiet = false;
};

// One row of selectivity_summary.csv.
struct LayerSummary {
  std::string layer;
  std::string category;  // target domain
  std::int64_t n_units = 0, n_selective = 0;
  double proportion = 0;                     // n_selective / n_units
  double mean_dprime = 0;                    // over selective units (NaN when none)
  double mean_csi = 0;                       // over selective units (NaN when none)
  std::int64_t channels = 0;                 // feature maps (channels) of the layer
  std::int64_t channels_with_selective = 0;  // feature maps holding at least one selective unit
};

// The summary rows of one layer's selectivity result; `shape` is the stored activation shape
// [N, ...] (for the channel count) and `channel_axis` its channel axis.
std::vector<LayerSummary> summarize_layer(const std::string& layer,
                                          const stats::SelectivityResult& result,
                                          const Shape& shape, int channel_axis);

// The channel axis of a stored activation [N, ...]: 1 for [N, C, H, W] and [N, C]; the last
// axis for token sequences [N, T, E].
int channel_axis_of(const Shape& shape);

struct LocalizerResult {
  std::vector<LayerSummary> rows;
  std::filesystem::path report;  // empty when not written
};

// Checks the stimuli (folders, counts, domains) and the output directory before any work, then
// extracts into out_dir/activations (resumable), analyses each layer and writes
// selectivity_summary.csv, stimuli.csv, manifest.json and report.html.
LocalizerResult run_localizer(const LocalizerOptions& options);

void write_selectivity_summary(const std::filesystem::path& path,
                               const std::vector<LayerSummary>& rows);

}  // namespace repscope::pipeline
