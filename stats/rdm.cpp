// GCC 12 reports a false maybe-uninitialized inside Eigen's AVX-512 GEMM packing
// (_mm256_undefined_pd).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "stats/rdm.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <utility>

#include "nn/error.h"
#include "nn/parallel.h"

namespace repscope::stats {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Shift { None, RowMean, ColumnMean };

// Output blocks of this many rows: small enough that a 1000-stimulus Gram has dozens of
// independent tasks, large enough for Eigen's GEMM kernel to run at full speed.
constexpr std::int64_t kBlockRows = 128;

template <typename T>
std::vector<double> row_means(const T* x, std::int64_t n, std::int64_t p) {
  std::vector<double> means(static_cast<std::size_t>(n));
  parallel_for(0, n, 1, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t i = r0; i < r1; ++i) {
      const T* row = x + i * p;
      double sum = 0.0;
      for (std::int64_t k = 0; k < p; ++k) sum += static_cast<double>(row[k]);
      means[static_cast<std::size_t>(i)] = sum / static_cast<double>(p);
    }
  });
  return means;
}

// G = X̃ X̃ᵀ where X̃ is X shifted as `shift` says, accumulated tile by tile in float64. Each
// output block is always summed in the same order, so the result does not depend on threads.
template <typename T>
std::vector<double> gram_tiled(const T* x, std::int64_t n, std::int64_t p, Shift shift,
                               const RdmOptions& options) {
  check(n >= 1 && p >= 1, "gram matrix needs at least one pattern and one feature (got N=", n,
        ", P=", p, ")");
  check(options.tile_features >= 1, "RdmOptions::tile_features must be positive");
  const std::vector<double> means =
      shift == Shift::RowMean ? row_means(x, n, p) : std::vector<double>();
  const std::int64_t tile_width = std::min(options.tile_features, p);
  RowMatrix tile(n, tile_width);
  std::vector<double> g(static_cast<std::size_t>(n * n), 0.0);
  Eigen::Map<RowMatrix> gram(g.data(), n, n);

  std::vector<std::pair<std::int64_t, std::int64_t>> blocks;  // lower-triangle block pairs
  for (std::int64_t bi = 0; bi < n; bi += kBlockRows)
    for (std::int64_t bj = 0; bj <= bi; bj += kBlockRows) blocks.emplace_back(bi, bj);

  for (std::int64_t p0 = 0; p0 < p; p0 += tile_width) {
    const std::int64_t w = std::min(tile_width, p - p0);
    parallel_for(0, n, 8, [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t i = r0; i < r1; ++i) {
        const T* src = x + i * p + p0;
        double* dst = tile.row(i).data();
        const double m = shift == Shift::RowMean ? means[static_cast<std::size_t>(i)] : 0.0;
        for (std::int64_t k = 0; k < w; ++k) dst[k] = static_cast<double>(src[k]) - m;
      }
    });
    if (shift == Shift::ColumnMean) {
      parallel_for(0, w, 64, [&](std::int64_t c0, std::int64_t c1) {
        for (std::int64_t k = c0; k < c1; ++k) {
          double sum = 0.0;
          for (std::int64_t i = 0; i < n; ++i) sum += tile(i, k);
          const double m = sum / static_cast<double>(n);
          for (std::int64_t i = 0; i < n; ++i) tile(i, k) -= m;
        }
      });
    }
    const auto cols = tile.leftCols(w);
    parallel_for(0, static_cast<std::int64_t>(blocks.size()), 1,
                 [&](std::int64_t b0, std::int64_t b1) {
                   for (std::int64_t b = b0; b < b1; ++b) {
                     const auto [i0, j0] = blocks[static_cast<std::size_t>(b)];
                     const std::int64_t hi = std::min(kBlockRows, n - i0);
                     const std::int64_t hj = std::min(kBlockRows, n - j0);
                     gram.block(i0, j0, hi, hj).noalias() +=
                         cols.middleRows(i0, hi) * cols.middleRows(j0, hj).transpose();
                   }
                 });
  }
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j) gram(i, j) = gram(j, i);
  return g;
}

std::vector<double> rdm_from_gram(const std::vector<double>& g, std::int64_t n, std::int64_t p,
                                  RdmMetric metric) {
  std::vector<double> out(static_cast<std::size_t>(n * (n - 1) / 2));
  const auto G = [&](std::int64_t i, std::int64_t j) {
    return g[static_cast<std::size_t>(i * n + j)];
  };
  parallel_for(0, n, 16, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t i = r0; i < r1; ++i) {
      for (std::int64_t j = i + 1; j < n; ++j) {
        double d;
        if (metric == RdmMetric::Correlation || metric == RdmMetric::Cosine) {
          // A zero-norm (constant, for correlation) pattern has no defined angle: NaN, as scipy.
          const double denom = std::sqrt(G(i, i)) * std::sqrt(G(j, j));
          d = denom > 0.0 ? 1.0 - G(i, j) / denom : std::nan("");
        } else {
          d = std::max(0.0, G(i, i) + G(j, j) - 2.0 * G(i, j));
          if (metric == RdmMetric::Euclidean) d = std::sqrt(d);
          if (metric == RdmMetric::MeanSquaredEuclidean) d /= static_cast<double>(p);
        }
        out[static_cast<std::size_t>(rdm_index(i, j, n))] = d;
      }
    }
  });
  return out;
}

Shift shift_for(RdmMetric metric) {
  switch (metric) {
    case RdmMetric::Correlation:
      return Shift::RowMean;
    case RdmMetric::Cosine:
      return Shift::None;
    default:
      return Shift::ColumnMean;
  }
}

template <typename T>
std::vector<double> compute_rdm_impl(const T* x, std::int64_t n, std::int64_t p, RdmMetric metric,
                                     const RdmOptions& options) {
  check(n >= 2, "an RDM needs at least 2 patterns (got N=", n, ")");
  check(p >= 1, "an RDM needs at least 1 feature per pattern (got P=", p, ")");
  return rdm_from_gram(gram_tiled(x, n, p, shift_for(metric), options), n, p, metric);
}

RowMatrix to_matrix(const Tensor& t, std::string_view what) {
  check(t.defined(), what, " is undefined");
  check(t.device() == Device::CPU, what, " must be on the CPU");
  check(t.ndim() >= 2, what, " must have at least 2 dimensions (stimuli × features), got ",
        shape_str(t.shape()));
  const std::int64_t n = t.dim(0);
  const std::int64_t p = n > 0 ? t.numel() / n : 0;
  RowMatrix m(n, p);
  if (t.dtype() == DType::F32) {
    m = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            t.data<float>(), n, p)
            .cast<double>();
  } else if (t.dtype() == DType::F64) {
    m = Eigen::Map<const RowMatrix>(t.data<double>(), n, p);
  } else {
    fail(what, " must be float32 or float64, got ", dtype_name(t.dtype()));
  }
  return m;
}

std::vector<double> rdm_from_kernel(const RowMatrix& k, std::int64_t p) {
  const std::int64_t n = k.rows();
  std::vector<double> out(static_cast<std::size_t>(n * (n - 1) / 2));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j)
      out[static_cast<std::size_t>(rdm_index(i, j, n))] =
          (k(i, i) + k(j, j) - k(i, j) - k(j, i)) / static_cast<double>(p);
  return out;
}

}  // namespace

RdmMetric parse_rdm_metric(std::string_view name) {
  if (name == "correlation") return RdmMetric::Correlation;
  if (name == "cosine") return RdmMetric::Cosine;
  if (name == "euclidean") return RdmMetric::Euclidean;
  if (name == "sqeuclidean") return RdmMetric::SquaredEuclidean;
  if (name == "rsa-euclidean") return RdmMetric::MeanSquaredEuclidean;
  fail("unknown RDM metric '", name,
       "' (expected correlation, cosine, euclidean, sqeuclidean, rsa-euclidean)");
}

std::string_view rdm_metric_name(RdmMetric metric) {
  switch (metric) {
    case RdmMetric::Correlation:
      return "correlation";
    case RdmMetric::Cosine:
      return "cosine";
    case RdmMetric::Euclidean:
      return "euclidean";
    case RdmMetric::SquaredEuclidean:
      return "sqeuclidean";
    case RdmMetric::MeanSquaredEuclidean:
      return "rsa-euclidean";
  }
  return "?";
}

std::int64_t rdm_size_from_length(std::int64_t length) {
  const auto n = static_cast<std::int64_t>(
      std::llround((1.0 + std::sqrt(1.0 + 8.0 * static_cast<double>(length))) / 2.0));
  check(length >= 1 && n * (n - 1) / 2 == length, "an RDM vector of ", length,
        " entries is not N(N-1)/2 for any N >= 2");
  return n;
}

std::vector<double> squareform(std::span<const double> vector_form) {
  const std::int64_t n = rdm_size_from_length(static_cast<std::int64_t>(vector_form.size()));
  std::vector<double> sq(static_cast<std::size_t>(n * n), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j) {
      const double v = vector_form[static_cast<std::size_t>(rdm_index(i, j, n))];
      sq[static_cast<std::size_t>(i * n + j)] = v;
      sq[static_cast<std::size_t>(j * n + i)] = v;
    }
  return sq;
}

std::vector<double> upper_triangle(std::span<const double> square, std::int64_t n) {
  check(n >= 2 && static_cast<std::int64_t>(square.size()) == n * n, "square RDM of ",
        square.size(), " entries is not ", n, "×", n);
  std::vector<double> out(static_cast<std::size_t>(n * (n - 1) / 2));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j)
      out[static_cast<std::size_t>(rdm_index(i, j, n))] =
          square[static_cast<std::size_t>(i * n + j)];
  return out;
}

bool is_square_rdm(const double* m, std::int64_t n, double rel_tol) {
  double scale = 0;
  for (std::int64_t i = 0; i < n * n; ++i) scale = std::max(scale, std::fabs(m[i]));
  const double tol = rel_tol * std::max(scale, 1e-300);
  for (std::int64_t i = 0; i < n; ++i) {
    if (std::fabs(m[i * n + i]) > tol) return false;
    for (std::int64_t j = i + 1; j < n; ++j) {
      if (!(std::fabs(m[i * n + j] - m[j * n + i]) <= tol)) return false;
    }
  }
  return true;
}

std::vector<double> gram_matrix(const float* patterns, std::int64_t n, std::int64_t p,
                                const RdmOptions& options) {
  return gram_tiled(patterns, n, p, Shift::None, options);
}
std::vector<double> gram_matrix(const double* patterns, std::int64_t n, std::int64_t p,
                                const RdmOptions& options) {
  return gram_tiled(patterns, n, p, Shift::None, options);
}

std::vector<double> compute_rdm(const float* patterns, std::int64_t n, std::int64_t p,
                                RdmMetric metric, const RdmOptions& options) {
  return compute_rdm_impl(patterns, n, p, metric, options);
}
std::vector<double> compute_rdm(const double* patterns, std::int64_t n, std::int64_t p,
                                RdmMetric metric, const RdmOptions& options) {
  return compute_rdm_impl(patterns, n, p, metric, options);
}

std::vector<double> compute_rdm(const Tensor& patterns, RdmMetric metric, const RdmOptions& options,
                                std::string_view name) {
  check(patterns.defined(), name, " is undefined");
  check(patterns.device() == Device::CPU, name, " must be on the CPU");
  check(patterns.ndim() >= 1, name, " must have a stimulus dimension");
  const std::int64_t n = patterns.dim(0);
  check(n >= 2, name, " ", shape_str(patterns.shape()), ": an RDM needs at least 2 stimuli");
  const std::int64_t p = patterns.numel() / n;
  check(p >= 1, name, " ", shape_str(patterns.shape()), ": no features per stimulus");
  if (patterns.dtype() == DType::F32)
    return compute_rdm(patterns.data<float>(), n, p, metric, options);
  if (patterns.dtype() == DType::F64)
    return compute_rdm(patterns.data<double>(), n, p, metric, options);
  fail(name, " must be float32 or float64, got ", dtype_name(patterns.dtype()));
}

std::vector<double> mahalanobis_rdm(const Tensor& patterns, const Tensor& precision) {
  const RowMatrix x = to_matrix(patterns, "patterns");
  const RowMatrix lambda = to_matrix(precision, "precision");
  check(x.rows() >= 2, "patterns: an RDM needs at least 2 stimuli");
  check(lambda.rows() == x.cols() && lambda.cols() == x.cols(), "precision matrix ",
        shape_str(precision.shape()), " must be P×P with P=", x.cols(), " features");
  const RowMatrix k = x * lambda * x.transpose();
  return rdm_from_kernel(k, x.cols());
}

std::vector<double> crossnobis_rdm(std::span<const Tensor> folds, const Tensor& precision) {
  check(folds.size() >= 2, "crossnobis needs at least 2 folds, got ", folds.size());
  std::vector<RowMatrix> m;
  for (std::size_t f = 0; f < folds.size(); ++f) {
    m.push_back(to_matrix(folds[f], str("fold ", f)));
    check(m.back().rows() == m[0].rows() && m.back().cols() == m[0].cols(), "fold ", f, " is ",
          shape_str(folds[f].shape()), " but fold 0 is ", shape_str(folds[0].shape()));
  }
  const std::int64_t n = m[0].rows(), p = m[0].cols();
  check(n >= 2, "crossnobis: an RDM needs at least 2 conditions");
  RowMatrix lambda;
  if (precision.defined()) {
    lambda = to_matrix(precision, "precision");
    check(lambda.rows() == p && lambda.cols() == p, "precision matrix ",
          shape_str(precision.shape()), " must be P×P with P=", p, " features");
  }
  RowMatrix total = RowMatrix::Zero(n, p);
  for (const auto& f : m) total += f;
  std::vector<double> out(static_cast<std::size_t>(n * (n - 1) / 2), 0.0);
  const double others = static_cast<double>(m.size() - 1);
  for (const auto& test : m) {
    const RowMatrix train = (total - test) / others;
    const RowMatrix k = precision.defined() ? RowMatrix(train * lambda * test.transpose())
                                            : RowMatrix(train * test.transpose());
    const std::vector<double> d = rdm_from_kernel(k, p);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] += d[i];
  }
  for (double& v : out) v /= static_cast<double>(m.size());
  return out;
}

}  // namespace repscope::stats
