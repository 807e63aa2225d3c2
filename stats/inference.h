// Inference on RDM comparisons: stimulus-label permutation tests, bootstrap over stimuli and/or
// subjects with percentile intervals, the rsatoolbox noise ceiling, and paired tests between
// two models (or layers).
//
// Randomness: every permutation / bootstrap sample k draws from its own CounterRng(seed, k)
// stream (stats/rng.h), and the loops over k are TBB-parallel writing disjoint outputs, so
// results are bit-identical for a seed on any thread count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "stats/compare.h"

namespace repscope::stats {

// ---- permutation test ---------------------------------------------------------------------

struct PermutationResult {
  double observed = 0.0;
  double p_value = 1.0;  // (1 + #{null ≥ observed}) / (1 + n_perm), one-sided
  std::int64_t n_greater_equal = 0;
  std::vector<double> null_distribution;  // null_distribution[k] from permutation k
};

// The stimulus permutation used by permutation k (a uniform shuffle of 0..n-1).
std::vector<std::int64_t> stimulus_permutation(std::int64_t n, std::uint64_t seed, std::int64_t k);

// Stimulus-label permutation test of compare(a, b): the rows and columns of b are permuted
// together n_perm times. Methods other than the Kendall taus, on RDMs without NaN, reuse the
// transformed RDMs (ranks, centring, whitening are permutation-equivariant), so each
// permutation costs one pass over N(N−1)/2 entries.
PermutationResult permutation_test(std::span<const double> a, std::span<const double> b,
                                   CompareMethod method, std::int64_t n_perm, std::uint64_t seed);

// ---- bootstrap ----------------------------------------------------------------------------

struct Interval {
  double lower = 0.0, upper = 0.0;
};
// Percentile interval covering `coverage` (numpy.percentile's linear interpolation at
// (1−coverage)/2 and (1+coverage)/2); NaN samples are ignored.
Interval percentile_interval(std::span<const double> samples, double coverage = 0.95);

enum class Resample { Stimuli, Subjects, Both };

// Bootstrap sample k of n stimuli: n draws with replacement, sorted ascending (rsatoolbox's
// subsample_pattern orders the selection).
std::vector<std::int64_t> bootstrap_indices(std::int64_t n, std::uint64_t seed, std::int64_t k);
// The RDM of the stimuli `indices` (duplicates allowed): entry (a, b) = rdm(indices[a],
// indices[b]); a pair of copies of one stimulus is NaN (rsatoolbox), dropped by comparisons.
std::vector<double> subsample_rdm(std::span<const double> rdm,
                                  std::span<const std::int64_t> indices);

struct BootstrapResult {
  double observed = 0.0;
  std::vector<double> samples;
  Interval interval;
  double standard_error = 0.0;  // standard deviation of the samples (ddof = 1)
};

// Bootstrap of the mean over subjects of compare(model, subject). Resampling subjects draws
// from stream k first, then stimuli (Both).
BootstrapResult bootstrap_compare(std::span<const double> model, const RdmList& subjects,
                                  CompareMethod method, Resample resample, std::int64_t n_boot,
                                  std::uint64_t seed, double coverage = 0.95);

// ---- noise ceiling ------------------------------------------------------------------------

struct NoiseCeiling {
  double lower = 0.0, upper = 0.0;
};

// The pooled RDM of the noise ceiling, as rsatoolbox.util.inference_util.pool_rdm (the one
// boot_noise_ceiling uses): average-tie ranks (NaN kept) for rank-based methods; unit-RMS
// scaling for cosine and cosine_cov; z-scoring, then shifting the mean to minimum 0 for corr and
// corr_cov. NaN propagates into the mean.
std::vector<double> pool_rdms(const RdmList& rdms, CompareMethod method);

// rsatoolbox boot_noise_ceiling: upper = mean over subjects of compare(pool(all), RDM_s),
// lower = mean over subjects of compare(pool(all but s), RDM_s). `groups` (optional, one id
// per RDM) makes copies of one subject leave out together, as rsatoolbox's rdm_descriptor.
NoiseCeiling noise_ceiling(const RdmList& subjects, CompareMethod method,
                           std::span<const std::int64_t> groups = {});

struct BootstrapNoiseCeiling {
  NoiseCeiling observed;
  std::vector<double> lower, upper;  // per bootstrap sample
  Interval lower_interval, upper_interval;
};
BootstrapNoiseCeiling bootstrap_noise_ceiling(const RdmList& subjects, CompareMethod method,
                                              Resample resample, std::int64_t n_boot,
                                              std::uint64_t seed, double coverage = 0.95);
// The noise ceiling of one stimulus sample (used by the bootstrap; exposed for parity tests).
NoiseCeiling noise_ceiling_of_sample(const RdmList& subjects, CompareMethod method,
                                     std::span<const std::int64_t> stimuli);

// ---- paired tests -------------------------------------------------------------------------

struct PairedResult {
  double observed = 0.0;  // mean_s compare(a, S_s) − mean_s compare(b, S_s), or mean difference
  double p_value = 1.0;   // two-sided
  std::vector<double> samples;
  Interval interval;
};

// Paired bootstrap of the difference between two models' (layers') mean similarity to the
// subjects; both models see the same resampled stimuli/subjects. p = min(1, 2·min(P(Δ* ≤ 0),
// P(Δ* ≥ 0))) over the bootstrap samples.
PairedResult paired_bootstrap(std::span<const double> model_a, std::span<const double> model_b,
                              const RdmList& subjects, CompareMethod method, Resample resample,
                              std::int64_t n_boot, std::uint64_t seed, double coverage = 0.95);

// Sign-flip permutation test of per-subject differences d_s (e.g. compare(A,S_s) − compare(B,S_s)):
// p = (1 + #{|mean(±d)| ≥ |mean(d)|}) / (1 + n_perm), two-sided.
PairedResult sign_flip_test(std::span<const double> differences, std::int64_t n_perm,
                            std::uint64_t seed);

}  // namespace repscope::stats
