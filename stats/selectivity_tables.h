// The per-layer loop of a selectivity analysis and the files it writes: what `repscope
// selectivity` and `repscope localizer` share. Feed it one layer at a time (activations or a
// finished SelectivityResult); it keeps only the small per-layer summaries, so layers can be
// streamed from memory-mapped NPY files one after another.
//
// Files (in `out_dir`; formats in docs/selectivity.md):
//   selectivity_summary.csv      one row per layer × target category (what `repscope report` plots)
//   selectivity_layers.csv       one row per layer: layer-wide specificity
//   selectivity_consistency.csv  one row per layer pair × target category
//   <layer>/{t,p,q,dprime,si,csi,selective}.npy   [U, T] per-unit arrays (optional), plus
//   <layer>/mean.npy [U, D], <layer>/auc.npy when computed, <layer>/targets.txt (column names)
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nn/tensor.h"
#include "stats/categories.h"
#include "stats/selectivity.h"
#include "stats/selectivity_summary.h"

namespace repscope::stats {

struct LayerAnalysisOptions {
  SelectivityOptions selectivity;
  // Unit = channel: average every axis but the channel axis first (channel_means). When false
  // a unit is one element of the flattened tensor.
  bool channel_units = false;
  // The activations' channel axis; default_channel_axis(shape) when unset.
  std::optional<int> channel_axis;
  bool write_unit_arrays = true;  // out_dir/<layer>/*.npy
  LayerPairs consistency_pairs = LayerPairs::All;
};

class SelectivityTables {
 public:
  SelectivityTables(std::filesystem::path out_dir, LayerAnalysisOptions options);

  // Tests every unit of one layer's activations [N, ...] (F32/F64/F16) against the image
  // domains, writes its unit arrays when asked, and records its summaries. Throws Error naming
  // the layer when the image count disagrees with the activations' rows.
  const LayerSelectivitySummary& add_layer(const std::string& layer, const Tensor& activations,
                                           std::span<const int> image_domain, const DomainMap& map);

  // Records a result computed elsewhere (no unit arrays written).
  const LayerSelectivitySummary& add_result(const std::string& layer,
                                            const SelectivityResult& result,
                                            std::span<const std::int64_t> unit_channel,
                                            std::int64_t channels);

  // Writes the three CSV tables atomically (after the last layer).
  void write() const;

  const std::vector<LayerSelectivitySummary>& layers() const { return layers_; }
  std::vector<ConsistencyRow> consistency() const;
  const std::filesystem::path& out_dir() const { return out_dir_; }

 private:
  std::filesystem::path out_dir_;
  LayerAnalysisOptions options_;
  std::vector<LayerSelectivitySummary> layers_;
};

// The folder name of a layer's unit arrays: '/' and '\' become '_'.
std::string unit_array_folder(const std::string& layer);

// Writes t, p, q (F64), dprime, si, csi (F32), selective (Bool) [U, T], mean [U, D] (F64),
// auc when computed, and targets.txt / domains.txt (column names) into `dir` (created).
void write_unit_arrays(const std::filesystem::path& dir, const SelectivityResult& result);

void write_selectivity_summary_csv(const std::filesystem::path& path,
                                   std::span<const LayerSelectivitySummary> layers);
void write_selectivity_layers_csv(const std::filesystem::path& path,
                                  std::span<const LayerSelectivitySummary> layers);
void write_selectivity_consistency_csv(const std::filesystem::path& path,
                                       std::span<const ConsistencyRow> rows);

}  // namespace repscope::stats
