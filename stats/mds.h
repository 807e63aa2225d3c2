// Classical (Torgerson) multidimensional scaling of an RDM.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace repscope::stats {

struct MdsResult {
  std::int64_t n = 0, dims = 0;
  std::vector<double> coordinates;  // n × dims row-major
  std::vector<double> eigenvalues;  // the `dims` largest eigenvalues of B, descending
};

// B = −½ H D⁽²⁾ H (H = I − 11ᵀ/n); coordinates = top eigenvectors · √max(λ, 0). `rdm` is a
// vector-form RDM of distances (squared inside); pass `already_squared` for squared distances
// (e.g. rsatoolbox's "euclidean"). Each axis's sign is fixed so that its largest-magnitude
// coordinate is positive, making the output deterministic. No NaN entries.
MdsResult classical_mds(std::span<const double> rdm, std::int64_t dims = 2,
                        bool already_squared = false);

}  // namespace repscope::stats
