#include "stats/rank.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace repscope::stats {

std::vector<double> average_ranks(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<double> ranks(n, std::nan(""));
  // Sorting (value, index) pairs keeps the comparisons in cache; tie order is irrelevant
  // because tied values all get the same average rank.
  std::vector<std::pair<double, std::size_t>> order;
  order.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isnan(values[i])) order.emplace_back(values[i], i);
  std::sort(order.begin(), order.end());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && order[j].first == order[i].first) ++j;
    // Positions i..j-1 (0-based) share the mean of ranks i+1..j.
    const double rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) ranks[order[k].second] = rank;
    i = j;
  }
  return ranks;
}

std::vector<long> dense_ranks(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<long> ranks(n);
  long r = -1;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || values[order[i]] != values[order[i - 1]]) ++r;
    ranks[order[i]] = r;
  }
  return ranks;
}

}  // namespace repscope::stats
