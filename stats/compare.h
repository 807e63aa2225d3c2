// Comparisons between RDMs in vector form (see stats/rdm.h), with rsatoolbox's definitions
// (rsatoolbox 0.3.2, rsatoolbox/rdm/compare.py) and scipy's for the classical coefficients.
//
// NaN entries: a position that is NaN in either RDM is dropped from both before comparing
// ("dropped jointly"). rsatoolbox drops such positions too but raises an error when the two
// RDMs' NaN positions differ; repscope accepts that case and uses the positions valid in both.
// Zero variance: where rsatoolbox's vector cosine would divide by a zero norm (a constant RDM
// under corr/spearman/cosine), the similarity is 0, as rsatoolbox returns. Kendall tau-b of a
// constant RDM is NaN (scipy).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace repscope::stats {

using RdmList = std::vector<std::vector<double>>;  // several RDMs in vector form

enum class CompareMethod {
  Pearson,      // rsatoolbox "corr", scipy pearsonr
  Spearman,     // rsatoolbox "spearman", scipy spearmanr: Pearson of average-tie ranks
  KendallTauA,  // rsatoolbox "tau-a": (concordant − discordant) / (n(n−1)/2)
  KendallTauB,  // rsatoolbox "kendall"/"tau-b", scipy kendalltau
  RhoA,         // rsatoolbox "rho-a": 12·Σ ã b̃ / (n³ − n), ã b̃ centred average-tie ranks
  Cosine,       // rsatoolbox "cosine"
  CosineCov,    // rsatoolbox "cosine_cov": cosine after whitening (no sigma_k)
  CorrCov,      // rsatoolbox "corr_cov": mean-removed, then as cosine_cov
};

// rsatoolbox spellings: corr (or pearson), spearman, tau-a, tau-b (or kendall), rho-a, cosine,
// cosine_cov, corr_cov. Throws Error naming the method otherwise.
CompareMethod parse_compare_method(std::string_view name);
std::string_view compare_method_name(CompareMethod method);
// Methods whose noise ceiling averages rank-transformed RDMs (rsatoolbox pool_rdm).
bool is_rank_based(CompareMethod method);

// Similarity of two RDM vectors of equal length (N(N−1)/2 for the whitened methods, which need
// the stimulus structure). NaN positions are dropped jointly.
double compare_rdms(std::span<const double> a, std::span<const double> b, CompareMethod method);

// Every RDM of `rdms` against every RDM of `targets`: result[i * targets.size() + j].
// Each RDM is transformed (ranked, centred, whitened) once; TBB-parallel over pairs.
std::vector<double> compare_many(const RdmList& rdms, const RdmList& targets, CompareMethod method);

// Partial correlation of a and b controlling for one or more other RDMs (each the same length):
// the Pearson correlation of the residuals of a and b after least-squares regression on
// [1, controls…]. With `rank` true, every vector is first replaced by its average-tie ranks
// (partial Spearman). NaN positions in any input are dropped jointly.
double partial_correlation(std::span<const double> a, std::span<const double> b,
                           const RdmList& controls, bool rank);

// The transformed vector t(x) of an RDM (its own NaN entries left out) such that
// compare_rdms(a, b) = ⟨t(a), t(b)⟩ whenever a and b have NaN at the same positions. Not for
// the Kendall taus (see supports_prepared).
std::vector<double> comparison_vector(std::span<const double> rdm, CompareMethod method);

// rsatoolbox's whitened representation (_cov_weighting without sigma_k) of one RDM, NaN entries
// left out: the double-centred −½·D with off-diagonal entries ·√2, then the N diagonal entries.
// Its squared norm is proportional to xᵀV⁻¹x, the norm rsatoolbox's pool_rdm uses.
std::vector<double> whitened_rdm(std::span<const double> rdm, bool remove_mean);

// The classical coefficients on plain vectors (no NaN handling; n ≥ 2).
double pearson(std::span<const double> a, std::span<const double> b);   // NaN if a constant
double spearman(std::span<const double> a, std::span<const double> b);  // NaN if a constant
double kendall_tau_a(std::span<const double> a, std::span<const double> b);
double kendall_tau_b(std::span<const double> a, std::span<const double> b);  // NaN if a constant
// Kendall tau-a by checking all n(n−1)/2 pairs: the O(n²) oracle for tests.
double kendall_tau_a_bruteforce(std::span<const double> a, std::span<const double> b);

// An RDM transformed once so that comparing it with another prepared RDM under a simultaneous
// permutation π of the stimuli is one weighted sum: sim = Σ_{i≤j} left(i,j) · right(π i, π j).
// Holds for every method except the Kendall taus, and only for RDMs without NaN. Used by the
// permutation test; `n` stimuli, `values` n×n row-major.
struct PreparedRdm {
  std::int64_t n = 0;
  std::vector<double> values;
};
bool supports_prepared(CompareMethod method);
// The `a` side: upper triangle (and diagonal for the whitened methods) weighted; zero elsewhere.
PreparedRdm prepare_left(std::span<const double> rdm, CompareMethod method);
// The `b` side: full symmetric n×n.
PreparedRdm prepare_right(std::span<const double> rdm, CompareMethod method);
// Σ_{i≤j} left(i,j) · right(perm[i], perm[j]); perm empty = identity.
double prepared_similarity(const PreparedRdm& left, const PreparedRdm& right,
                           std::span<const std::int64_t> perm);

}  // namespace repscope::stats
