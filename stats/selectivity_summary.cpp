#include "stats/selectivity_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "nn/error.h"
#include "stats/compare.h"

namespace repscope::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(std::int64_t a, std::int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : kNaN;
}

// numpy.quantile's default ("linear"): position q·(n−1) between the sorted values.
double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

}  // namespace

ValueSummary summarize_values(std::vector<double> values) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  ValueSummary s{static_cast<std::int64_t>(values.size()), kNaN, kNaN, kNaN, kNaN};
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  // Sorted order makes the sum independent of how the values were gathered.
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  s.median = quantile_sorted(values, 0.5);
  s.q25 = quantile_sorted(values, 0.25);
  s.q75 = quantile_sorted(values, 0.75);
  return s;
}

double normalized_entropy(std::span<const std::int64_t> counts) {
  const std::int64_t total = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
  if (total <= 0 || counts.size() < 2) return kNaN;
  double h = 0;
  for (auto c : counts) {
    if (c <= 0) continue;
    const double p = static_cast<double>(c) / static_cast<double>(total);
    h -= p * std::log(p);
  }
  return h / std::log(static_cast<double>(counts.size()));
}

double gini(std::span<const std::int64_t> counts) {
  const std::int64_t total = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
  if (total <= 0) return kNaN;
  // Sorted ascending, Σ_i Σ_j |c_i − c_j| = 2 Σ_i (2i − n + 1)·c_(i) (0-based i): exact in
  // integers, then one division.
  std::vector<std::int64_t> c(counts.begin(), counts.end());
  std::sort(c.begin(), c.end());
  const auto n = static_cast<std::int64_t>(c.size());
  long double weighted = 0;
  for (std::int64_t i = 0; i < n; ++i)
    weighted += static_cast<long double>(2 * i - n + 1) *
                static_cast<long double>(c[static_cast<std::size_t>(i)]);
  // Σ|c_i − c_j| / (2 n² mean) = 2·weighted / (2 n total)
  return static_cast<double>(weighted /
                             (static_cast<long double>(n) * static_cast<long double>(total)));
}

int default_channel_axis(const Shape& shape) {
  check(shape.size() >= 2, "activations must be [N, ...], got ", shape_str(shape));
  return shape.size() == 3 ? 2 : 1;
}

LayerPairs parse_layer_pairs(std::string_view name) {
  if (name == "all") return LayerPairs::All;
  if (name == "adjacent") return LayerPairs::Adjacent;
  fail("layer pairs: '", name, "' is not one of all, adjacent");
}

LayerSelectivitySummary summarize_layer_selectivity(const std::string& layer,
                                                    const SelectivityResult& r,
                                                    std::span<const std::int64_t> unit_channel,
                                                    std::int64_t channels) {
  const int t_count = r.num_targets();
  const std::int64_t units = r.units;
  const int d_count = static_cast<int>(r.domains.size());
  check(static_cast<std::int64_t>(unit_channel.size()) == units, "layer '", layer,
        "': ", unit_channel.size(), " unit channels for ", units, " units");
  check(channels >= 1, "layer '", layer, "': channel count must be positive, got ", channels);
  check(r.selective.numel() == units * t_count && r.mean.numel() == units * d_count, "layer '",
        layer, "': selectivity result arrays do not match ", units, " units");
  for (auto c : unit_channel)
    check(c >= 0 && c < channels, "layer '", layer, "': unit channel ", c, " outside [0, ",
          channels, ")");

  const auto* sel = r.selective.data<std::uint8_t>();
  const float* dprime = r.dprime.data<float>();
  const float* csi = r.csi.data<float>();
  const float* si = r.si.data<float>();
  const double* mean = r.mean.data<double>();

  LayerSelectivitySummary out;
  LayerOverview& ov = out.overview;
  ov.layer = layer;
  ov.n_units = units;
  ov.channels = channels;
  // How many targets each unit is selective for.
  std::vector<int> n_targets(static_cast<std::size_t>(units), 0);
  for (std::int64_t u = 0; u < units; ++u)
    for (int k = 0; k < t_count; ++k)
      n_targets[static_cast<std::size_t>(u)] += sel[u * t_count + k] != 0;
  for (int n : n_targets) {
    ov.n_selective_any += n >= 1;
    ov.n_selective_one += n == 1;
    ov.n_selective_multi += n >= 2;
  }
  ov.proportion_any = ratio(ov.n_selective_any, units);
  ov.specificity = ratio(ov.n_selective_one, ov.n_selective_any);

  LayerFingerprint& fp = out.fingerprint;
  fp.layer = layer;
  fp.channels = channels;
  fp.domains = r.domains;

  std::vector<double> z(static_cast<std::size_t>(d_count));
  for (int k = 0; k < t_count; ++k) {
    CategorySummary s;
    s.layer = layer;
    s.category = r.target_name(k);
    s.n_units = units;
    s.channels = channels;
    std::vector<std::int64_t> per_channel(static_cast<std::size_t>(channels), 0);
    std::vector<double> dv, cv, sv;
    std::vector<double> profile(static_cast<std::size_t>(d_count), 0.0);
    std::int64_t profiled = 0;
    for (std::int64_t u = 0; u < units; ++u) {
      const std::int64_t i = u * t_count + k;
      if (sel[i] == 0) continue;
      s.n_selective += 1;
      s.n_exclusive += n_targets[static_cast<std::size_t>(u)] == 1;
      dv.push_back(dprime[i]);
      cv.push_back(csi[i]);
      sv.push_back(si[i]);
      per_channel[static_cast<std::size_t>(unit_channel[static_cast<std::size_t>(u)])] += 1;
      // The unit's tuning across domains, z-scored so every unit weighs the same.
      const double* m = mean + u * d_count;
      double mu = 0;
      for (int d = 0; d < d_count; ++d) mu += m[d];
      mu /= d_count;
      double var = 0;
      for (int d = 0; d < d_count; ++d) var += (m[d] - mu) * (m[d] - mu);
      const double sd = std::sqrt(var / d_count);
      if (!(sd > 0) || !std::isfinite(sd)) continue;
      for (int d = 0; d < d_count; ++d) profile[static_cast<std::size_t>(d)] += (m[d] - mu) / sd;
      profiled += 1;
    }
    s.proportion = ratio(s.n_selective, units);
    s.exclusive_fraction = ratio(s.n_exclusive, s.n_selective);
    s.dprime = summarize_values(std::move(dv));
    s.csi = summarize_values(std::move(cv));
    s.si = summarize_values(std::move(sv));
    std::vector<std::uint8_t> has(static_cast<std::size_t>(channels), 0);
    std::int64_t top = 0;
    for (std::size_t c = 0; c < per_channel.size(); ++c) {
      has[c] = per_channel[c] > 0;
      s.channels_with_selective += has[c];
      top = std::max(top, per_channel[c]);
    }
    s.channel_entropy = normalized_entropy(per_channel);
    s.channel_gini = gini(per_channel);
    s.top_channel_fraction = ratio(top, s.n_selective);
    for (auto& p : profile) p = profiled > 0 ? p / static_cast<double>(profiled) : kNaN;

    fp.targets.push_back(s.category);
    fp.selective_channels.push_back(std::move(has));
    fp.n_selective.push_back(s.n_selective);
    fp.profile.push_back(std::move(profile));
    out.categories.push_back(std::move(s));
  }
  return out;
}

std::vector<ConsistencyRow> layer_consistency(const std::vector<LayerFingerprint>& layers,
                                              LayerPairs pairs) {
  std::vector<ConsistencyRow> rows;
  if (layers.empty()) return rows;
  const LayerFingerprint& first = layers.front();
  for (const auto& l : layers) {
    check(l.targets == first.targets && l.domains == first.domains, "layer '", l.layer,
          "': its targets/domains differ from layer '", first.layer,
          "' (consistency needs one domain map)");
    check(l.selective_channels.size() == l.targets.size() && l.profile.size() == l.targets.size(),
          "layer '", l.layer, "': fingerprint does not match its targets");
  }
  const std::size_t n = layers.size();
  auto add_pair = [&](std::size_t ia, std::size_t ib) {
    const LayerFingerprint& a = layers[ia];
    const LayerFingerprint& b = layers[ib];
    for (std::size_t k = 0; k < a.targets.size(); ++k) {
      ConsistencyRow row;
      row.layer_a = a.layer;
      row.layer_b = b.layer;
      row.category = a.targets[k];
      row.channels_a = a.channels;
      row.channels_b = b.channels;
      const auto& sa = a.selective_channels[k];
      const auto& sb = b.selective_channels[k];
      row.selective_channels_a = std::count(sa.begin(), sa.end(), std::uint8_t{1});
      row.selective_channels_b = std::count(sb.begin(), sb.end(), std::uint8_t{1});
      row.jaccard = kNaN;
      if (a.channels == b.channels) {
        std::int64_t both = 0;
        for (std::size_t c = 0; c < sa.size(); ++c) both += sa[c] != 0 && sb[c] != 0;
        row.selective_channels_both = both;
        const std::int64_t uni = row.selective_channels_a + row.selective_channels_b - both;
        row.jaccard = ratio(both, uni);
      }
      const auto& pa = a.profile[k];
      const auto& pb = b.profile[k];
      const bool defined =
          pa.size() >= 3 &&
          std::none_of(pa.begin(), pa.end(), [](double v) { return std::isnan(v); }) &&
          std::none_of(pb.begin(), pb.end(), [](double v) { return std::isnan(v); });
      row.profile_pearson = defined ? pearson(pa, pb) : kNaN;
      row.profile_spearman = defined ? spearman(pa, pb) : kNaN;
      rows.push_back(std::move(row));
    }
  };
  for (std::size_t ia = 0; ia + 1 < n; ++ia) {
    if (pairs == LayerPairs::Adjacent) {
      add_pair(ia, ia + 1);
    } else {
      for (std::size_t ib = ia + 1; ib < n; ++ib) add_pair(ia, ib);
    }
  }
  return rows;
}

}  // namespace repscope::stats
