// Category selectivity of every unit of a layer: per-unit two-sample t-tests of a target domain
// against the other images (pooled) or against each other domain (a conjunction, as Prince,
// Alvarez & Konkle 2024), multiple-comparison correction over units, and effect sizes
// (d′, selectivity index, category selectivity index CSI, AUC). See docs/selectivity.md.
//
// One streaming pass over the activations (N images × U units, float32 or float64): units are
// processed in blocks, in parallel, accumulating per-domain sums and sums of squares in float64
// (shifted by each domain's first value, so a large common offset does not cancel digits).
// Every unit is computed independently in a fixed image order, so results are bit-identical for
// any thread count.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/tensor.h"
#include "stats/categories.h"
#include "stats/multipletests.h"
#include "stats/ttest.h"

namespace repscope::stats {

enum class Criterion {
  Pooled,  // target vs all images of the other domains together
  Each,    // target vs each other domain separately; selective only if significant vs every one
};
// "pooled" or "each"; throws Error naming the value otherwise.
Criterion parse_criterion(std::string_view name);
std::string_view criterion_name(Criterion c);

struct SelectivityOptions {
  Criterion criterion = Criterion::Pooled;
  bool equal_var = true;  // Student's t (true) or Welch's (false)
  // The test's alternative for the target relative to the others. Greater gives one-sided p;
  // TwoSided reproduces scipy.stats.ttest_ind's default (selective still requires t > 0).
  Alternative alternative = Alternative::Greater;
  Correction correction = Correction::FdrBY;  // over units, per (target[, other domain]) test
  double alpha = 0.05;
  // Effect-size threshold: selective also requires d′ ≥ min_dprime (off by default).
  double min_dprime = -std::numeric_limits<double>::infinity();
  bool compute_auc = false;        // AUC needs a sort per unit: off by default
  std::int64_t block_units = 512;  // units per parallel work item
};

// Per-unit results. Arrays are [U, T] (T = number of target domains, in domain-map order)
// unless noted; a unit is one column of the flattened activations.
struct SelectivityResult {
  std::vector<std::string> domains;  // every domain, in domain-map order
  std::vector<int> targets;          // domain index of each target column
  std::vector<std::int64_t> images_per_domain;
  std::int64_t units = 0;
  SelectivityOptions options;

  Tensor mean;  // [U, D] F64: mean response per domain (all domains)
  // [U, T] F64. Pooled: t and df of target vs rest, its p and corrected q. Each: the weakest
  // comparison — minimum t, maximum p and maximum q over the other domains.
  Tensor t, p, q;
  // [U, T] F32. dprime: (μ_T − μ_other)/sqrt((σ²_T + σ²_other)/2), vs the pooled rest
  // (Pooled) or the minimum over other domains (Each). si: (R_T − R_rest)/(R_T + R_rest) on mean
  // responses, NaN when either mean is negative or the sum is 0. csi: (R_T − max_{d≠T} R_d) /
  // (|R_T| + |max_{d≠T} R_d|), NaN when both are 0. auc: P(x_T > x_rest) + ½P(tie) (Mann–Whitney
  // U / n_T n_rest), only when options.compute_auc.
  Tensor dprime, si, csi, auc;
  Tensor selective;  // [U, T] Bool

  int num_targets() const { return static_cast<int>(targets.size()); }
  const std::string& target_name(int k) const {
    return domains[static_cast<std::size_t>(targets[static_cast<std::size_t>(k)])];
  }
};

// Selectivity of every unit of `activations` ([N, ...], F32 or F64, CPU; flattened to N × U).
// `image_domain[n]` is image n's domain index in `map` (−1: excluded). Throws Error when the
// sizes disagree, a target or the rest has fewer than 2 images, or the options are invalid.
SelectivityResult compute_selectivity(const Tensor& activations, std::span<const int> image_domain,
                                      const DomainMap& map, const SelectivityOptions& options = {});

// [N, C] F32: the mean over all non-batch axes except `channel_axis` (1 for NCHW; the last axis
// for [N, tokens, width]); the "unit = channel after spatial mean" option.
Tensor channel_means(const Tensor& activations, int channel_axis);

// The channel of every unit of a flattened [N, ...] tensor, for counting selective units per
// feature map. `shape` is the activation shape including N.
std::vector<std::int64_t> unit_channels(const Shape& shape, int channel_axis);

}  // namespace repscope::stats
