// Two-sample tests with scipy's conventions: Student and Welch t (scipy.stats.ttest_ind) and the
// Mann–Whitney U test (scipy.stats.mannwhitneyu). NaN in a sample propagates to NaN results
// (scipy's nan_policy="propagate"); constant samples give the t that IEEE division gives
// (0/0 → NaN, d/0 → ±inf), as in scipy.
#pragma once

#include <span>
#include <string_view>

namespace repscope::stats {

// The alternative hypothesis about sample a relative to sample b (scipy's `alternative`).
enum class Alternative { TwoSided, Less, Greater };
// "two-sided", "less", "greater"; throws Error naming the value otherwise.
Alternative parse_alternative(std::string_view name);
std::string_view alternative_name(Alternative alt);

// Count, mean and unbiased variance (ddof = 1) of one sample.
struct SampleMoments {
  double n = 0;
  double mean = 0;
  double var = 0;
};
// Two-pass mean and variance like numpy (mean, then the squared deviations), in double.
SampleMoments sample_moments(std::span<const double> x);
SampleMoments sample_moments(std::span<const float> x);

struct TTestResult {
  double t;
  double df;
  double p;
};

// The p-value of a t statistic for the given alternative (scipy's _ttest_finish).
double t_pvalue(double t, double df, Alternative alt);

// Two-sample t from summary statistics (scipy.stats.ttest_ind_from_stats with variances):
// equal_var = true is Student's pooled-variance test, false Welch's (Satterthwaite df; a NaN
// df, from two zero variances, is replaced by 1 as scipy does).
TTestResult ttest_from_moments(const SampleMoments& a, const SampleMoments& b, bool equal_var,
                               Alternative alt = Alternative::TwoSided);
// scipy.stats.ttest_ind(a, b, equal_var=..., alternative=...). Empty samples give NaN.
TTestResult ttest_ind(std::span<const double> a, std::span<const double> b, bool equal_var = true,
                      Alternative alt = Alternative::TwoSided);
TTestResult ttest_ind(std::span<const float> a, std::span<const float> b, bool equal_var = true,
                      Alternative alt = Alternative::TwoSided);

enum class MannWhitneyMethod { Auto, Asymptotic, Exact };
struct MannWhitneyResult {
  double u1;  // U of sample a: R_a − n_a(n_a + 1)/2 with average ranks for ties
  double p;
};
// scipy.stats.mannwhitneyu(a, b, use_continuity, alternative, method). Auto picks the exact null
// distribution when a sample has at most 8 values and there are no ties, else the normal
// approximation with tie correction. AUC = u1 / (n_a n_b). NaN anywhere gives NaN.
MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b,
                                 Alternative alt = Alternative::TwoSided,
                                 bool use_continuity = true,
                                 MannWhitneyMethod method = MannWhitneyMethod::Auto);

}  // namespace repscope::stats
