// Layer summaries of per-unit category selectivity (stats/selectivity.h): how many units are
// selective for each category, how exclusively, how they spread over feature maps, and how
// consistent selectivity is from one layer to another. Pure computation, no files
// (stats/selectivity_tables.h writes the CSV tables). Formulas and reasoning: docs/selectivity.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "stats/selectivity.h"

namespace repscope::stats {

// Distribution summary of the finite values of a sample (NaN entries are left out). Quantiles
// are numpy's default (linear interpolation between order statistics). All NaN when n == 0.
struct ValueSummary {
  std::int64_t n = 0;
  double mean, median, q25, q75;
};
ValueSummary summarize_values(std::vector<double> values);

// Normalized Shannon entropy of a count distribution over bins: −Σ p log p / log(bins), with
// p = count / total over all bins (empty bins included). 1 = spread evenly over every bin, 0 = all
// in one bin. NaN when the total is 0 or there are fewer than 2 bins.
double normalized_entropy(std::span<const std::int64_t> counts);

// Gini coefficient of a count distribution over bins (empty bins included):
// Σ_i Σ_j |c_i − c_j| / (2 · bins² · mean). 0 = even; (bins − 1)/bins = all in one bin.
// NaN when the total is 0.
double gini(std::span<const std::int64_t> counts);

// One row of selectivity_summary.csv: one target category in one layer.
struct CategorySummary {
  std::string layer, category;
  std::int64_t n_units = 0, n_selective = 0;
  double proportion = 0;  // n_selective / n_units
  // Specificity: of this category's selective units, how many are selective for no other target.
  std::int64_t n_exclusive = 0;
  double exclusive_fraction = 0;  // n_exclusive / n_selective (NaN when none selective)
  // Over this category's selective units (NaN entries left out).
  ValueSummary dprime, csi, si;
  // Spread over feature maps: selective units counted per channel.
  std::int64_t channels = 0, channels_with_selective = 0;
  double channel_entropy = 0;       // normalized_entropy of the per-channel counts
  double channel_gini = 0;          // gini of the per-channel counts
  double top_channel_fraction = 0;  // largest per-channel count / n_selective
};

// One row of selectivity_layers.csv: layer-wide specificity.
struct LayerOverview {
  std::string layer;
  std::int64_t n_units = 0, channels = 0;
  std::int64_t n_selective_any = 0;    // units selective for at least one target
  std::int64_t n_selective_one = 0;    // ... for exactly one
  std::int64_t n_selective_multi = 0;  // ... for two or more
  double proportion_any = 0;           // n_selective_any / n_units
  double specificity = 0;              // n_selective_one / n_selective_any (NaN when none)
};

// What consistency across layers needs of one layer (small: targets × (channels + domains)).
struct LayerFingerprint {
  std::string layer;
  std::int64_t channels = 0;
  std::vector<std::string> targets;  // target names, in result column order
  std::vector<std::string> domains;  // every domain (profile entries)
  // [T][channels]: 1 when the channel holds at least one unit selective for target t.
  std::vector<std::vector<std::uint8_t>> selective_channels;
  std::vector<std::int64_t> n_selective;  // [T]
  // [T][D]: category response profile of target t's selective units: the mean over those
  // units of their domain mean responses, z-scored across domains per unit (units whose
  // domain means are all equal are left out). All NaN when no unit qualifies.
  std::vector<std::vector<double>> profile;
};

struct LayerSelectivitySummary {
  std::vector<CategorySummary> categories;  // one per target, in result column order
  LayerOverview overview;
  LayerFingerprint fingerprint;
};

// The summaries of one layer. `unit_channel[u]` is unit u's channel (unit_channels(shape,
// axis), or 0..U−1 when units are channels) and `channels` the number of channels.
// Throws Error when the sizes disagree with the result.
LayerSelectivitySummary summarize_layer_selectivity(const std::string& layer,
                                                    const SelectivityResult& result,
                                                    std::span<const std::int64_t> unit_channel,
                                                    std::int64_t channels);

// The channel axis of an activation [N, ...] as stored by `repscope extract`: 1 for
// [N, C, H, W] and [N, C]; the last axis for token sequences [N, T, E].
int default_channel_axis(const Shape& shape);

// Which layer pairs consistency is computed for.
enum class LayerPairs {
  All,       // every pair (a, b) with a before b
  Adjacent,  // consecutive layers only
};
LayerPairs parse_layer_pairs(std::string_view name);  // "all" or "adjacent"

// One row of selectivity_consistency.csv: one target category in a pair of layers.
struct ConsistencyRow {
  std::string layer_a, layer_b, category;
  std::int64_t channels_a = 0, channels_b = 0;
  // Channels holding selective units in a, in b, in both; Jaccard = both / (a + b − both).
  // Only when channels_a == channels_b (the same feature maps, e.g. a residual stream); NaN
  // (and counts −1 for "both") otherwise, and NaN when neither layer has a selective channel.
  std::int64_t selective_channels_a = 0, selective_channels_b = 0, selective_channels_both = -1;
  double jaccard = 0;
  // Pearson and Spearman correlation of the two layers' category response profiles (over the
  // D domains). NaN when either profile is NaN or there are fewer than 3 domains.
  double profile_pearson = 0, profile_spearman = 0;
};

// Consistency rows for the layer pairs (in layer order, then target order). Layers must share
// targets and domains (same domain map); throws Error naming the layer otherwise.
std::vector<ConsistencyRow> layer_consistency(const std::vector<LayerFingerprint>& layers,
                                              LayerPairs pairs = LayerPairs::All);

}  // namespace repscope::stats
