// Multiple-comparison corrections with exactly the values of statsmodels'
// `statsmodels.stats.multitest.multipletests(pvals, alpha, method)`: the same reject rule and the
// same corrected p-values (computed with the same floating-point operations, clipped at 1).
//
// NaN p-values (e.g. from a unit with constant responses) are left out of the family: their
// corrected value is NaN, they are never rejected, and the others are corrected as if the NaN
// entries were not there (the number of tests n counts finite p only). statsmodels has no NaN
// handling (a NaN turns every fdr_bh/fdr_by corrected value into NaN); our result equals
// statsmodels run on the non-NaN subset.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace repscope::stats {

enum class Correction {
  None,        // q = p, reject = p ≤ alpha
  Bonferroni,  // statsmodels "bonferroni"
  Holm,        // "holm" (step-down Bonferroni)
  FdrBH,       // "fdr_bh" (Benjamini–Hochberg, independent or positively correlated tests)
  FdrBY,       // "fdr_by" (Benjamini–Yekutieli, any dependence)
};
// statsmodels' method names: "none", "bonferroni", "holm", "fdr_bh", "fdr_by" (the short
// aliases "b", "h", "fdr_i", "fdr_n" too). Throws Error naming the value otherwise.
Correction parse_correction(std::string_view name);
std::string_view correction_name(Correction c);

struct MultipleTestsResult {
  std::vector<std::uint8_t> reject;  // 1 = null hypothesis rejected at family-wise/FDR alpha
  std::vector<double> p_corrected;   // corrected p-values ("q"), in the input order
};

// Corrects `p` (values in [0, 1] or NaN; anything else throws Error) at level `alpha`.
MultipleTestsResult multipletests(std::span<const double> p, double alpha, Correction method);
// The same into caller-provided outputs of p.size() elements each.
void multipletests(std::span<const double> p, double alpha, Correction method,
                   std::span<double> p_corrected, std::span<std::uint8_t> reject);

// numpy's summation of a contiguous float64 array (np.sum: pairwise within 8192-element buffers),
// bit for bit; statsmodels' fdr_by constant Σ 1/i is computed with it.
double numpy_pairwise_sum(std::span<const double> x);

}  // namespace repscope::stats
