#include "stats/ttest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "nn/error.h"
#include "stats/distributions.h"

namespace repscope::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename T>
SampleMoments moments_of(std::span<const T> x) {
  SampleMoments m;
  m.n = static_cast<double>(x.size());
  if (x.empty()) return {0, kNaN, kNaN};
  double sum = 0;
  for (T v : x) sum += static_cast<double>(v);
  m.mean = sum / m.n;
  double ss = 0;
  for (T v : x) {
    const double d = static_cast<double>(v) - m.mean;
    ss += d * d;
  }
  m.var = ss / (m.n - 1.0);  // n = 1 gives 0/0 = NaN, as numpy's var(ddof=1)
  return m;
}

// Average ranks (1-based) of the concatenation of a and b, and the tie term Σ(t³ − t).
struct Ranking {
  double rank_sum_a = 0;
  double tie_term = 0;
  bool has_ties = false;
};
Ranking rank_two_samples(std::span<const double> a, std::span<const double> b) {
  const std::size_t n = a.size() + b.size();
  std::vector<std::pair<double, bool>> v;  // value, is from a
  v.reserve(n);
  for (double x : a) v.emplace_back(x, true);
  for (double x : b) v.emplace_back(x, false);
  std::sort(v.begin(), v.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
  Ranking r;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && v[j].first == v[i].first) ++j;
    const double avg = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1 .. j
    const double t = static_cast<double>(j - i);
    if (j - i > 1) r.has_ties = true;
    r.tie_term += t * t * t - t;
    for (std::size_t k = i; k < j; ++k)
      if (v[k].second) r.rank_sum_a += avg;
    i = j;
  }
  return r;
}

// P(U ≥ u) under the null without ties: the number of arrangements of m + n values with each
// U, by the recurrence f(i, j, k) = f(i−1, j, k−j) + f(i, j−1, k) (Mann & Whitney 1947).
double mann_whitney_exact_sf(double u, std::int64_t m, std::int64_t n) {
  const std::int64_t s = std::min(m, n), l = std::max(m, n);
  const std::int64_t kmax = s * l;
  check(static_cast<double>(s + 1) * static_cast<double>(kmax + 1) <= 2e8,
        "mann_whitney_u: exact method with samples of ", m, " and ", n,
        " values is too large; use the asymptotic method");
  std::vector<std::vector<double>> f(static_cast<std::size_t>(s + 1),
                                     std::vector<double>(static_cast<std::size_t>(kmax + 1), 0));
  for (auto& row : f) row[0] = 1;  // j = 0: U = 0 for any i
  for (std::int64_t j = 1; j <= l; ++j) {
    for (std::int64_t i = 1; i <= s; ++i) {
      auto& cur = f[static_cast<std::size_t>(i)];
      const auto& prev = f[static_cast<std::size_t>(i - 1)];
      for (std::int64_t k = i * j; k >= j; --k)
        cur[static_cast<std::size_t>(k)] += prev[static_cast<std::size_t>(k - j)];
    }
  }
  // scipy: sf(u) = cdf(mn − u) = Σ_{k ≤ mn − u} pmf(k).
  const auto& counts = f[static_cast<std::size_t>(s)];
  const std::int64_t upto = kmax - static_cast<std::int64_t>(u);
  double total = 0, below = 0;
  for (std::int64_t k = 0; k <= kmax; ++k) {
    total += counts[static_cast<std::size_t>(k)];
    if (k <= upto) below += counts[static_cast<std::size_t>(k)];
  }
  return below / total;
}

template <typename T>
TTestResult ttest_of(std::span<const T> a, std::span<const T> b, bool equal_var, Alternative alt) {
  if (a.empty() || b.empty()) return {kNaN, kNaN, kNaN};
  return ttest_from_moments(sample_moments(a), sample_moments(b), equal_var, alt);
}

}  // namespace

Alternative parse_alternative(std::string_view name) {
  if (name == "two-sided") return Alternative::TwoSided;
  if (name == "less") return Alternative::Less;
  if (name == "greater") return Alternative::Greater;
  fail("unknown alternative '", name, "' (expected two-sided, less or greater)");
}

std::string_view alternative_name(Alternative alt) {
  switch (alt) {
    case Alternative::TwoSided:
      return "two-sided";
    case Alternative::Less:
      return "less";
    case Alternative::Greater:
      return "greater";
  }
  return "?";
}

SampleMoments sample_moments(std::span<const double> x) {
  return moments_of(x);
}
SampleMoments sample_moments(std::span<const float> x) {
  return moments_of(x);
}

double t_pvalue(double t, double df, Alternative alt) {
  switch (alt) {
    case Alternative::Less:
      return student_t_cdf(t, df);
    case Alternative::Greater:
      return student_t_sf(t, df);
    case Alternative::TwoSided:
      return 2.0 * student_t_sf(std::fabs(t), df);
  }
  return kNaN;
}

TTestResult ttest_from_moments(const SampleMoments& a, const SampleMoments& b, bool equal_var,
                               Alternative alt) {
  // The formulas of scipy's _equal_var_ttest_denom / _unequal_var_ttest_denom.
  double df, denom;
  if (equal_var) {
    df = a.n + b.n - 2.0;
    const double svar = ((a.n - 1) * a.var + (b.n - 1) * b.var) / df;
    denom = std::sqrt(svar * (1.0 / a.n + 1.0 / b.n));
  } else {
    const double vn1 = a.var / a.n, vn2 = b.var / b.n;
    df = (vn1 + vn2) * (vn1 + vn2) / (vn1 * vn1 / (a.n - 1) + vn2 * vn2 / (b.n - 1));
    if (std::isnan(df)) df = 1;
    denom = std::sqrt(vn1 + vn2);
  }
  const double t = (a.mean - b.mean) / denom;
  return {t, df, t_pvalue(t, df, alt)};
}

TTestResult ttest_ind(std::span<const double> a, std::span<const double> b, bool equal_var,
                      Alternative alt) {
  return ttest_of(a, b, equal_var, alt);
}
TTestResult ttest_ind(std::span<const float> a, std::span<const float> b, bool equal_var,
                      Alternative alt) {
  return ttest_of(a, b, equal_var, alt);
}

MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b,
                                 Alternative alt, bool use_continuity, MannWhitneyMethod method) {
  if (a.empty() || b.empty()) return {kNaN, kNaN};
  const auto is_nan = [](double v) { return std::isnan(v); };
  if (std::any_of(a.begin(), a.end(), is_nan) || std::any_of(b.begin(), b.end(), is_nan))
    return {kNaN, kNaN};
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  const Ranking r = rank_two_samples(a, b);
  const double u1 = r.rank_sum_a - n1 * (n1 + 1) / 2;
  const double u2 = n1 * n2 - u1;
  double u = u1, factor = 1;
  if (alt == Alternative::Less) u = u2;
  if (alt == Alternative::TwoSided) u = std::max(u1, u2), factor = 2;
  if (method == MannWhitneyMethod::Auto) {
    method = (a.size() > 8 && b.size() > 8) || r.has_ties ? MannWhitneyMethod::Asymptotic
                                                          : MannWhitneyMethod::Exact;
  }
  double p;
  if (method == MannWhitneyMethod::Exact) {
    p = mann_whitney_exact_sf(u, static_cast<std::int64_t>(a.size()),
                              static_cast<std::int64_t>(b.size()));
  } else {
    const double n = n1 + n2;
    const double s = std::sqrt(n1 * n2 / 12 * ((n + 1) - r.tie_term / (n * (n - 1))));
    double numerator = u - n1 * n2 / 2;
    if (use_continuity) numerator -= 0.5;
    p = normal_sf(numerator / s);
  }
  return {u1, std::clamp(p * factor, 0.0, 1.0)};
}

}  // namespace repscope::stats
