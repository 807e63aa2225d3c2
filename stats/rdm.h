// Representational dissimilarity matrices (RDMs) from N×P stimulus patterns.
//
// Vector form: the upper triangle without the diagonal, row-major, i.e. scipy `squareform`
// order: (0,1), (0,2), …, (0,N-1), (1,2), … — N(N-1)/2 entries, always float64.
//
// All metrics go through the N×N Gram matrix, accumulated in float64 over tiles of features
// (`RdmOptions::tile_features` columns at a time), so P can be in the millions and the patterns
// may be a memory-mapped file: only one N×tile block is converted to float64 at a time.
// Cancellation is limited before accumulation: correlation subtracts each pattern's mean
// (an exact first pass over the data), the Euclidean metrics subtract each feature's mean over
// stimuli within the tile (distances are invariant to it). See docs/rsa.md for the error bound.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "nn/tensor.h"

namespace repscope::stats {

enum class RdmMetric {
  Correlation,       // 1 − Pearson r of the two patterns (scipy pdist "correlation", rsatoolbox)
  Cosine,            // 1 − cos (scipy pdist "cosine", sklearn pairwise_distances "cosine")
  Euclidean,         // ‖x − y‖ (scipy pdist "euclidean")
  SquaredEuclidean,  // ‖x − y‖² (scipy pdist "sqeuclidean")
  MeanSquaredEuclidean,  // ‖x − y‖² / P — what rsatoolbox calls "euclidean"
};

// "correlation", "cosine", "euclidean", "sqeuclidean", "rsa-euclidean" (= MeanSquaredEuclidean).
RdmMetric parse_rdm_metric(std::string_view name);
std::string_view rdm_metric_name(RdmMetric metric);

struct RdmOptions {
  std::int64_t tile_features = 2048;  // feature columns converted to float64 per pass
};

// Number of stimuli N of a vector-form RDM of `length` = N(N-1)/2 entries; throws otherwise.
std::int64_t rdm_size_from_length(std::int64_t length);
// Index of entry (i, j), i < j, in the vector form of an N×N RDM.
inline std::int64_t rdm_index(std::int64_t i, std::int64_t j, std::int64_t n) {
  return i * n - i * (i + 1) / 2 + (j - i - 1);
}
// Vector form → N×N row-major square with zero diagonal.
std::vector<double> squareform(std::span<const double> vector_form);
// N×N square → vector form (upper triangle; the lower triangle and diagonal are ignored).
std::vector<double> upper_triangle(std::span<const double> square, std::int64_t n);
// True when the N×N row-major matrix is symmetric with a zero diagonal to within
// rel_tol × its largest magnitude (1e-6 suits RDMs stored as float32).
bool is_square_rdm(const double* m, std::int64_t n, double rel_tol = 1e-6);

// N×N float64 Gram matrix G = X Xᵀ (rows of X = patterns), tiled over features.
std::vector<double> gram_matrix(const float* patterns, std::int64_t n, std::int64_t p,
                                const RdmOptions& options = {});
std::vector<double> gram_matrix(const double* patterns, std::int64_t n, std::int64_t p,
                                const RdmOptions& options = {});

// RDM (vector form) of n patterns of p features stored row-major at `patterns`.
std::vector<double> compute_rdm(const float* patterns, std::int64_t n, std::int64_t p,
                                RdmMetric metric, const RdmOptions& options = {});
std::vector<double> compute_rdm(const double* patterns, std::int64_t n, std::int64_t p,
                                RdmMetric metric, const RdmOptions& options = {});
// RDM of a CPU F32/F64 tensor N×… (each stimulus flattened). `name` appears in errors.
std::vector<double> compute_rdm(const Tensor& patterns, RdmMetric metric,
                                const RdmOptions& options = {}, std::string_view name = "patterns");

// Squared Mahalanobis distance (xᵢ − xⱼ)ᵀ Λ (xᵢ − xⱼ) / P with the P×P precision matrix Λ
// (rsatoolbox calc_rdm(method="mahalanobis", noise=Λ)). Patterns N×P, F32 or F64.
std::vector<double> mahalanobis_rdm(const Tensor& patterns, const Tensor& precision);

// Crossnobis (rsatoolbox calc_rdm(method="crossnobis")): folds[f] is the N×P pattern matrix of
// fold f (conditions in the same order in every fold, already averaged within the fold). For
// each fold f, A = mean of the other folds, B = fold f, K = A Λ Bᵀ and
// d_ij = (K_ii + K_jj − K_ij − K_ji) / P; the RDM is the mean over folds. Λ = identity when
// `precision` is undefined. At least two folds.
std::vector<double> crossnobis_rdm(std::span<const Tensor> folds,
                                   const Tensor& precision = Tensor());

}  // namespace repscope::stats
