#include "stats/inference.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/rank.h"
#include "stats/rdm.h"
#include "stats/rng.h"

namespace repscope::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> permute_rdm(std::span<const double> rdm, std::int64_t n,
                                std::span<const std::int64_t> perm) {
  std::vector<double> out(rdm.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j) {
      std::int64_t pi = perm[static_cast<std::size_t>(i)], pj = perm[static_cast<std::size_t>(j)];
      if (pi > pj) std::swap(pi, pj);
      out[static_cast<std::size_t>(rdm_index(i, j, n))] =
          rdm[static_cast<std::size_t>(rdm_index(pi, pj, n))];
    }
  return out;
}

std::int64_t check_rdm_set(const RdmList& rdms, std::string_view what, std::size_t min_count) {
  check(rdms.size() >= min_count, what, ": need at least ", min_count, " RDMs, got ", rdms.size());
  for (std::size_t i = 0; i < rdms.size(); ++i)
    check(rdms[i].size() == rdms[0].size(), what, ": RDM ", i, " has ", rdms[i].size(),
          " entries but RDM 0 has ", rdms[0].size());
  return rdm_size_from_length(static_cast<std::int64_t>(rdms[0].size()));
}

double nan_mean(std::span<const double> v) {
  double s = 0.0;
  std::int64_t c = 0;
  for (double x : v)
    if (!std::isnan(x)) {
      s += x;
      ++c;
    }
  return c > 0 ? s / static_cast<double>(c) : kNaN;
}

double mean_compare(std::span<const double> model, const RdmList& subjects, CompareMethod method) {
  double s = 0.0;
  for (const auto& subject : subjects) s += compare_rdms(model, subject, method);
  return s / static_cast<double>(subjects.size());
}

// One bootstrap draw: subject indices (identity unless resampled) and stimulus indices
// (empty = all stimuli).
struct Draw {
  std::vector<std::int64_t> subjects, stimuli;
};

Draw draw_sample(std::int64_t n_subjects, std::int64_t n_stimuli, Resample resample,
                 std::uint64_t seed, std::int64_t k) {
  Draw d;
  CounterRng rng(seed, static_cast<std::uint64_t>(k));
  d.subjects.resize(static_cast<std::size_t>(n_subjects));
  std::iota(d.subjects.begin(), d.subjects.end(), std::int64_t{0});
  if (resample != Resample::Stimuli) {
    for (auto& s : d.subjects)
      s = static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(n_subjects)));
    std::sort(d.subjects.begin(), d.subjects.end());
  }
  if (resample != Resample::Subjects) {
    d.stimuli.resize(static_cast<std::size_t>(n_stimuli));
    for (auto& s : d.stimuli)
      s = static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(n_stimuli)));
    std::sort(d.stimuli.begin(), d.stimuli.end());
  }
  return d;
}

std::vector<double> apply_stimuli(std::span<const double> rdm, const Draw& d) {
  if (d.stimuli.empty()) return {rdm.begin(), rdm.end()};
  return subsample_rdm(rdm, d.stimuli);
}

RdmList apply_draw(const RdmList& subjects, const Draw& d) {
  RdmList out;
  out.reserve(d.subjects.size());
  for (std::int64_t s : d.subjects)
    out.push_back(apply_stimuli(subjects[static_cast<std::size_t>(s)], d));
  return out;
}

double sample_std(std::span<const double> v) {
  const double m = nan_mean(v);
  double s = 0.0;
  std::int64_t c = 0;
  for (double x : v)
    if (!std::isnan(x)) {
      s += (x - m) * (x - m);
      ++c;
    }
  return c > 1 ? std::sqrt(s / static_cast<double>(c - 1)) : kNaN;
}

void check_boot_args(std::int64_t n, double coverage, std::string_view what) {
  check(n >= 1, what, ": the number of samples must be positive, got ", n);
  check(coverage > 0.0 && coverage < 1.0, what, ": coverage must be in (0, 1), got ", coverage);
}

}  // namespace

std::vector<std::int64_t> stimulus_permutation(std::int64_t n, std::uint64_t seed, std::int64_t k) {
  std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), std::int64_t{0});
  CounterRng rng(seed, static_cast<std::uint64_t>(k));
  rng.shuffle(std::span<std::int64_t>(perm));
  return perm;
}

PermutationResult permutation_test(std::span<const double> a, std::span<const double> b,
                                   CompareMethod method, std::int64_t n_perm, std::uint64_t seed) {
  check(a.size() == b.size(), "permutation test: RDMs of ", a.size(), " and ", b.size(),
        " entries");
  check(n_perm >= 1, "permutation test: n_perm must be positive, got ", n_perm);
  const std::int64_t n = rdm_size_from_length(static_cast<std::int64_t>(a.size()));
  const bool has_nan = std::any_of(a.begin(), a.end(), [](double v) { return std::isnan(v); }) ||
                       std::any_of(b.begin(), b.end(), [](double v) { return std::isnan(v); });
  PermutationResult r;
  r.null_distribution.resize(static_cast<std::size_t>(n_perm));
  if (!has_nan && supports_prepared(method)) {
    const PreparedRdm left = prepare_left(a, method), right = prepare_right(b, method);
    std::vector<std::int64_t> identity(static_cast<std::size_t>(n));
    std::iota(identity.begin(), identity.end(), std::int64_t{0});
    // The observed value goes through the same summation as the null values, so a permutation
    // that maps b onto itself ties exactly.
    r.observed = prepared_similarity(left, right, identity);
    parallel_for(0, n_perm, 8, [&](std::int64_t k0, std::int64_t k1) {
      for (std::int64_t k = k0; k < k1; ++k)
        r.null_distribution[static_cast<std::size_t>(k)] =
            prepared_similarity(left, right, stimulus_permutation(n, seed, k));
    });
  } else {
    r.observed = compare_rdms(a, b, method);
    parallel_for(0, n_perm, 1, [&](std::int64_t k0, std::int64_t k1) {
      for (std::int64_t k = k0; k < k1; ++k)
        r.null_distribution[static_cast<std::size_t>(k)] =
            compare_rdms(a, permute_rdm(b, n, stimulus_permutation(n, seed, k)), method);
    });
  }
  r.n_greater_equal = std::count_if(r.null_distribution.begin(), r.null_distribution.end(),
                                    [&](double v) { return v >= r.observed; });
  r.p_value = static_cast<double>(1 + r.n_greater_equal) / static_cast<double>(1 + n_perm);
  return r;
}

Interval percentile_interval(std::span<const double> samples, double coverage) {
  std::vector<double> v;
  for (double x : samples)
    if (!std::isnan(x)) v.push_back(x);
  if (v.empty()) return {kNaN, kNaN};
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return v[lo] + (v[hi] - v[lo]) * frac;
  };
  return {at((1.0 - coverage) / 2.0), at((1.0 + coverage) / 2.0)};
}

std::vector<std::int64_t> bootstrap_indices(std::int64_t n, std::uint64_t seed, std::int64_t k) {
  return draw_sample(1, n, Resample::Stimuli, seed, k).stimuli;
}

std::vector<double> subsample_rdm(std::span<const double> rdm,
                                  std::span<const std::int64_t> indices) {
  const std::int64_t n = rdm_size_from_length(static_cast<std::int64_t>(rdm.size()));
  const auto m = static_cast<std::int64_t>(indices.size());
  check(m >= 2, "subsample_rdm: need at least 2 stimuli, got ", m);
  for (std::int64_t s : indices)
    check(s >= 0 && s < n, "subsample_rdm: stimulus index ", s, " outside 0..", n - 1);
  std::vector<double> out(static_cast<std::size_t>(m * (m - 1) / 2));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = i + 1; j < m; ++j) {
      std::int64_t a = indices[static_cast<std::size_t>(i)],
                   b = indices[static_cast<std::size_t>(j)];
      if (a > b) std::swap(a, b);
      out[static_cast<std::size_t>(rdm_index(i, j, m))] =
          a == b ? kNaN : rdm[static_cast<std::size_t>(rdm_index(a, b, n))];
    }
  return out;
}

BootstrapResult bootstrap_compare(std::span<const double> model, const RdmList& subjects,
                                  CompareMethod method, Resample resample, std::int64_t n_boot,
                                  std::uint64_t seed, double coverage) {
  const std::int64_t n = check_rdm_set(subjects, "bootstrap", 1);
  check(model.size() == subjects[0].size(), "bootstrap: model RDM has ", model.size(),
        " entries, subjects ", subjects[0].size());
  check_boot_args(n_boot, coverage, "bootstrap");
  BootstrapResult r;
  r.observed = mean_compare(model, subjects, method);
  r.samples.resize(static_cast<std::size_t>(n_boot));
  parallel_for(0, n_boot, 1, [&](std::int64_t k0, std::int64_t k1) {
    for (std::int64_t k = k0; k < k1; ++k) {
      const Draw d = draw_sample(static_cast<std::int64_t>(subjects.size()), n, resample, seed, k);
      r.samples[static_cast<std::size_t>(k)] =
          mean_compare(apply_stimuli(model, d), apply_draw(subjects, d), method);
    }
  });
  r.interval = percentile_interval(r.samples, coverage);
  r.standard_error = sample_std(r.samples);
  return r;
}

namespace {

// The per-RDM part of pool_rdms: what each RDM becomes before averaging.
std::vector<double> pool_scale(const std::vector<double>& rdm, CompareMethod method) {
  std::vector<double> v = rdm;
  switch (method) {
    case CompareMethod::Cosine:
    case CompareMethod::CosineCov: {
      std::vector<double> sq(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) sq[i] = v[i] * v[i];
      const double rms = std::sqrt(nan_mean(sq));
      for (double& x : v) x /= rms;
      return v;
    }
    case CompareMethod::Pearson:
    case CompareMethod::CorrCov: {
      const double m = nan_mean(v);
      for (double& x : v) x -= m;
      std::vector<double> sq(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) sq[i] = v[i] * v[i];
      const double sd = std::sqrt(nan_mean(sq));
      for (double& x : v) x /= sd;
      return v;
    }
    default:  // rank-based: average-tie ranks, NaN kept
      return average_ranks(v);
  }
}

// The averaged RDM `sum / count`, shifted to minimum 0 for the correlation methods.
std::vector<double> pool_finish(std::vector<double> sum, double count, CompareMethod method) {
  for (double& x : sum) x /= count;
  if (method == CompareMethod::Pearson || method == CompareMethod::CorrCov) {
    double lowest = std::numeric_limits<double>::infinity();
    for (double x : sum)
      if (!std::isnan(x)) lowest = std::min(lowest, x);
    for (double& x : sum) x -= lowest;
  }
  return sum;
}

// comparison_vector of an RDM whose average-tie ranks (NaN kept) are `ranks`, without sorting
// again: the ranks of the non-NaN entries are exactly those ranks.
std::vector<double> vector_from_ranks(const std::vector<double>& ranks, CompareMethod method) {
  std::vector<double> v;
  v.reserve(ranks.size());
  for (double r : ranks)
    if (!std::isnan(r)) v.push_back(r);
  const double m = static_cast<double>(v.size());
  const double mean = (m + 1.0) / 2.0;  // mean of average-tie ranks 1..m, exact
  double norm = 0.0;
  for (double& x : v) {
    x -= mean;
    norm += x * x;
  }
  const double scale = method == CompareMethod::RhoA ? std::sqrt(12.0 / (m * m * m - m))
                                                     : (norm > 0.0 ? 1.0 / std::sqrt(norm) : 0.0);
  for (double& x : v) x *= scale;
  return v;
}

bool same_nan_positions(const RdmList& rdms) {
  for (std::size_t i = 0; i < rdms[0].size(); ++i)
    for (std::size_t s = 1; s < rdms.size(); ++s)
      if (std::isnan(rdms[s][i]) != std::isnan(rdms[0][i])) return false;
  return true;
}

}  // namespace

std::vector<double> pool_rdms(const RdmList& rdms, CompareMethod method) {
  check_rdm_set(rdms, "pool_rdms", 1);
  std::vector<double> sum(rdms[0].size(), 0.0);
  for (const auto& r : rdms) {
    const std::vector<double> v = pool_scale(r, method);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += v[i];
  }
  return pool_finish(std::move(sum), static_cast<double>(rdms.size()), method);
}

NoiseCeiling noise_ceiling(const RdmList& subjects, CompareMethod method,
                           std::span<const std::int64_t> groups) {
  check_rdm_set(subjects, "noise ceiling", 2);
  std::vector<std::int64_t> ids(groups.begin(), groups.end());
  if (ids.empty()) {
    ids.resize(subjects.size());
    std::iota(ids.begin(), ids.end(), std::int64_t{0});
  }
  check(ids.size() == subjects.size(), "noise ceiling: ", ids.size(), " group ids for ",
        subjects.size(), " RDMs");
  std::vector<std::int64_t> unique = ids;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  check(unique.size() >= 2, "noise ceiling: needs RDMs of at least 2 different subjects");
  NoiseCeiling nc;
  if (supports_prepared(method) && same_nan_positions(subjects)) {
    // Every RDM is scaled/ranked and transformed once; each leave-one-out pool is the total
    // minus that subject's part. (For ranks every sum is exact, so ties in the pooled RDM are
    // the same as when averaging the other subjects directly.)
    const std::size_t len = subjects[0].size();
    RdmList scaled(subjects.size()), vectors(subjects.size());
    std::vector<double> total(len, 0.0);
    for (std::size_t s = 0; s < subjects.size(); ++s) {
      scaled[s] = pool_scale(subjects[s], method);
      vectors[s] = method == CompareMethod::Spearman || method == CompareMethod::RhoA
                       ? vector_from_ranks(scaled[s], method)
                       : comparison_vector(subjects[s], method);
      for (std::size_t i = 0; i < len; ++i) total[i] += scaled[s][i];
    }
    const std::vector<double> all =
        comparison_vector(pool_finish(total, static_cast<double>(subjects.size()), method), method);
    const auto dot = [](const std::vector<double>& x, const std::vector<double>& y) {
      double d = 0.0;
      for (std::size_t i = 0; i < x.size(); ++i) d += x[i] * y[i];
      return d;
    };
    for (std::int64_t g : unique) {
      std::vector<double> train = total;
      double count = 0.0, lower = 0.0, upper = 0.0, members = 0.0;
      for (std::size_t s = 0; s < subjects.size(); ++s) {
        if (ids[s] != g) {
          count += 1.0;
          continue;
        }
        for (std::size_t i = 0; i < len; ++i) train[i] -= scaled[s][i];
      }
      const std::vector<double> pooled =
          comparison_vector(pool_finish(std::move(train), count, method), method);
      for (std::size_t s = 0; s < subjects.size(); ++s) {
        if (ids[s] != g) continue;
        lower += dot(pooled, vectors[s]);
        upper += dot(all, vectors[s]);
        members += 1.0;
      }
      nc.lower += lower / members;
      nc.upper += upper / members;
    }
    nc.lower /= static_cast<double>(unique.size());
    nc.upper /= static_cast<double>(unique.size());
    return nc;
  }
  const std::vector<double> all = pool_rdms(subjects, method);
  for (std::int64_t g : unique) {
    RdmList train, test;
    for (std::size_t s = 0; s < subjects.size(); ++s)
      (ids[s] == g ? test : train).push_back(subjects[s]);
    const std::vector<double> pooled = pool_rdms(train, method);
    nc.lower += mean_compare(pooled, test, method);
    nc.upper += mean_compare(all, test, method);
  }
  nc.lower /= static_cast<double>(unique.size());
  nc.upper /= static_cast<double>(unique.size());
  return nc;
}

NoiseCeiling noise_ceiling_of_sample(const RdmList& subjects, CompareMethod method,
                                     std::span<const std::int64_t> stimuli) {
  RdmList sub;
  for (const auto& s : subjects) sub.push_back(subsample_rdm(s, stimuli));
  return noise_ceiling(sub, method);
}

BootstrapNoiseCeiling bootstrap_noise_ceiling(const RdmList& subjects, CompareMethod method,
                                              Resample resample, std::int64_t n_boot,
                                              std::uint64_t seed, double coverage) {
  const std::int64_t n = check_rdm_set(subjects, "bootstrap noise ceiling", 2);
  check_boot_args(n_boot, coverage, "bootstrap noise ceiling");
  BootstrapNoiseCeiling r;
  r.observed = noise_ceiling(subjects, method);
  r.lower.assign(static_cast<std::size_t>(n_boot), kNaN);
  r.upper.assign(static_cast<std::size_t>(n_boot), kNaN);
  parallel_for(0, n_boot, 1, [&](std::int64_t k0, std::int64_t k1) {
    for (std::int64_t k = k0; k < k1; ++k) {
      const Draw d = draw_sample(static_cast<std::int64_t>(subjects.size()), n, resample, seed, k);
      // A subject sample with one distinct subject has no leave-one-out ceiling: NaN, skipped.
      if (d.subjects.front() == d.subjects.back()) continue;
      const NoiseCeiling nc = noise_ceiling(apply_draw(subjects, d), method, d.subjects);
      r.lower[static_cast<std::size_t>(k)] = nc.lower;
      r.upper[static_cast<std::size_t>(k)] = nc.upper;
    }
  });
  r.lower_interval = percentile_interval(r.lower, coverage);
  r.upper_interval = percentile_interval(r.upper, coverage);
  return r;
}

PairedResult paired_bootstrap(std::span<const double> model_a, std::span<const double> model_b,
                              const RdmList& subjects, CompareMethod method, Resample resample,
                              std::int64_t n_boot, std::uint64_t seed, double coverage) {
  const std::int64_t n = check_rdm_set(subjects, "paired bootstrap", 1);
  check(model_a.size() == subjects[0].size() && model_b.size() == subjects[0].size(),
        "paired bootstrap: model RDMs must have ", subjects[0].size(),
        " entries like the subjects");
  check_boot_args(n_boot, coverage, "paired bootstrap");
  PairedResult r;
  r.observed = mean_compare(model_a, subjects, method) - mean_compare(model_b, subjects, method);
  r.samples.resize(static_cast<std::size_t>(n_boot));
  parallel_for(0, n_boot, 1, [&](std::int64_t k0, std::int64_t k1) {
    for (std::int64_t k = k0; k < k1; ++k) {
      const Draw d = draw_sample(static_cast<std::int64_t>(subjects.size()), n, resample, seed, k);
      const RdmList subs = apply_draw(subjects, d);
      r.samples[static_cast<std::size_t>(k)] =
          mean_compare(apply_stimuli(model_a, d), subs, method) -
          mean_compare(apply_stimuli(model_b, d), subs, method);
    }
  });
  const auto le =
      std::count_if(r.samples.begin(), r.samples.end(), [](double v) { return v <= 0.0; });
  const auto ge =
      std::count_if(r.samples.begin(), r.samples.end(), [](double v) { return v >= 0.0; });
  r.p_value =
      std::min(1.0, 2.0 * static_cast<double>(std::min(le, ge)) / static_cast<double>(n_boot));
  r.interval = percentile_interval(r.samples, coverage);
  return r;
}

PairedResult sign_flip_test(std::span<const double> differences, std::int64_t n_perm,
                            std::uint64_t seed) {
  check(!differences.empty(), "sign-flip test: no differences given");
  check(n_perm >= 1, "sign-flip test: n_perm must be positive, got ", n_perm);
  const auto n = static_cast<double>(differences.size());
  PairedResult r;
  r.observed = std::accumulate(differences.begin(), differences.end(), 0.0) / n;
  r.samples.resize(static_cast<std::size_t>(n_perm));
  parallel_for(0, n_perm, 64, [&](std::int64_t k0, std::int64_t k1) {
    for (std::int64_t k = k0; k < k1; ++k) {
      CounterRng rng(seed, static_cast<std::uint64_t>(k));
      double s = 0.0;
      for (double d : differences) s += (rng.next() >> 63) ? -d : d;
      r.samples[static_cast<std::size_t>(k)] = s / n;
    }
  });
  const double obs = std::abs(r.observed);
  const auto count = std::count_if(r.samples.begin(), r.samples.end(),
                                   [&](double v) { return std::abs(v) >= obs; });
  r.p_value = static_cast<double>(1 + count) / static_cast<double>(1 + n_perm);
  r.interval = percentile_interval(r.samples, 0.95);
  return r;
}

}  // namespace repscope::stats
