// Rank transforms shared by the rank-based RDM comparisons.
#pragma once

#include <span>
#include <vector>

namespace repscope::stats {

// Ranks 1..n with ties given their average rank (scipy.stats.rankdata(method="average")).
// NaN entries stay NaN and are not counted (rsatoolbox's _nan_rank_data).
std::vector<double> average_ranks(std::span<const double> values);

// Dense ranks 0..k-1 of the distinct values (ties share one rank), for tie counting.
std::vector<long> dense_ranks(std::span<const double> values);

}  // namespace repscope::stats
