// GPU statistics where they pay off: Gram-matrix RDMs for many features, and the per-category
// moments behind per-unit t-tests.
//
// Both accumulate in float64 on the device (H100/H200 run DSYRK on fp64 tensor cores), in a
// fixed order, so results are deterministic and agree with stats/ (float64 Gram over tiles) to
// about 1e-12 relative. Inputs may be CPU or CUDA fp32 tensors; CPU inputs are uploaded.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nn/tensor.h"

namespace repscope::cuda {

// Same meanings as stats::RdmMetric.
enum class GramMetric { Correlation, Cosine, Euclidean, SquaredEuclidean, MeanSquaredEuclidean };

// Vector-form RDM (scipy squareform order, N(N-1)/2 float64 values) of patterns [N, P...]
// (flattened to N x P). Correlation centres every pattern first (exact float64 row means);
// features are processed `tile_features` columns at a time (float64 tile, DSYRK accumulate).
std::vector<double> gram_rdm(const Tensor& patterns, GramMetric metric,
                             std::int64_t tile_features = 8192);

// Per-category count, sum and sum of squares of every unit, in float64.
struct CategoryMoments {
  int categories = 0;
  std::int64_t units = 0;
  std::vector<double> count;  // [categories]
  std::vector<double> sum;    // [categories, units]
  std::vector<double> sumsq;  // [categories, units]

  double mean(int c, std::int64_t u) const;
  // Unbiased (ddof = 1) variance from the sums; cancellation is small in float64 for
  // activation-like data (|mean|/sd up to ~1e4 keeps ~1e-8 relative accuracy).
  double var(int c, std::int64_t u) const;
};
// activations [N, units...] (flattened per image), labels[i] in [0, categories) or -1 to skip.
CategoryMoments category_moments(const Tensor& activations, std::span<const int> labels,
                                 int categories);

}  // namespace repscope::cuda
