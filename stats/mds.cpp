// GCC 12 reports a false maybe-uninitialized inside Eigen's AVX-512 GEMM packing
// (_mm256_undefined_pd).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "stats/mds.h"

#include <Eigen/Dense>
#include <cmath>

#include "nn/error.h"
#include "stats/rdm.h"

namespace repscope::stats {

MdsResult classical_mds(std::span<const double> rdm, std::int64_t dims, bool already_squared) {
  const std::int64_t n = rdm_size_from_length(static_cast<std::int64_t>(rdm.size()));
  check(dims >= 1 && dims <= n, "MDS: dims must be in 1..", n, ", got ", dims);
  for (double v : rdm) check(!std::isnan(v), "MDS: the RDM contains NaN");
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j) {
      const double d = rdm[static_cast<std::size_t>(rdm_index(i, j, n))];
      b(i, j) = b(j, i) = -0.5 * (already_squared ? d : d * d);
    }
  const Eigen::VectorXd row_mean = b.rowwise().mean();
  const double grand = row_mean.mean();
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) b(i, j) += grand - row_mean(i) - row_mean(j);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(b);
  check(eig.info() == Eigen::Success, "MDS: eigendecomposition failed");
  MdsResult r{n, dims, std::vector<double>(static_cast<std::size_t>(n * dims)), {}};
  for (std::int64_t k = 0; k < dims; ++k) {
    const std::int64_t col = n - 1 - k;  // eigenvalues ascending
    const double lambda = eig.eigenvalues()(col);
    r.eigenvalues.push_back(lambda);
    Eigen::VectorXd v = eig.eigenvectors().col(col);
    Eigen::Index arg = 0;
    v.cwiseAbs().maxCoeff(&arg);
    if (v(arg) < 0) v = -v;
    const double scale = std::sqrt(std::max(lambda, 0.0));
    for (std::int64_t i = 0; i < n; ++i)
      r.coordinates[static_cast<std::size_t>(i * dims + k)] = v(i) * scale;
  }
  return r;
}

}  // namespace repscope::stats
