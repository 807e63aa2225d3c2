// GCC 12 reports a false maybe-uninitialized inside Eigen's AVX-512 GEMM packing
// (_mm256_undefined_pd).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "stats/compare.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/rank.h"
#include "stats/rdm.h"

namespace repscope::stats {
namespace {

double dot(std::span<const double> a, std::span<const double> b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void center(std::vector<double>& v) {
  if (v.empty()) return;
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  for (double& x : v) x -= mean;
}

// Scales v to unit length; a zero vector stays zero so that its similarity is 0 (rsatoolbox).
void normalize(std::vector<double>& v) {
  const double norm = std::sqrt(dot(v, v));
  if (norm > 0.0)
    for (double& x : v) x /= norm;
}

std::vector<bool> valid_mask(std::span<const double> a, std::span<const double> b) {
  std::vector<bool> keep(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) keep[i] = !std::isnan(a[i]) && !std::isnan(b[i]);
  return keep;
}

std::vector<double> gather(std::span<const double> v, const std::vector<bool>& keep) {
  std::vector<double> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    if (keep[i]) out.push_back(v[i]);
  return out;
}

// rsatoolbox _cov_weighting without sigma_k: W = −½·D as an n×n matrix (zero diagonal),
// double-centred, returned as [off-diagonal kept entries · √2, n diagonal entries]. With missing
// entries rsatoolbox replaces double centring by its least-squares version; transcribed here.
std::vector<double> cov_weighted(std::span<const double> full, const std::vector<bool>& keep,
                                 bool remove_mean) {
  const std::int64_t n = rdm_size_from_length(static_cast<std::int64_t>(full.size()));
  std::vector<double> kept = gather(full, keep);
  if (remove_mean) center(kept);
  const std::size_t m = kept.size();
  std::vector<double> out(m + static_cast<std::size_t>(n));
  const bool complete = m == full.size();
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  pairs.reserve(m);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j)
      if (keep[static_cast<std::size_t>(rdm_index(i, j, n))]) pairs.emplace_back(i, j);
  Eigen::VectorXd beta(n);  // fitted value of pair (i,j) = (β_i + β_j)/2, of diagonal i = β_i
  if (complete) {
    // Row means m_i of W and grand mean mm: β_i = 2 m_i − mm gives W_ij − m_i − m_j + mm.
    Eigen::VectorXd row = Eigen::VectorXd::Zero(n);
    double total = 0.0;
    for (std::size_t k = 0; k < m; ++k) {
      const double w = -0.5 * kept[k];
      row(pairs[k].first) += w;
      row(pairs[k].second) += w;
      total += 2.0 * w;
    }
    const double nn = static_cast<double>(n);
    const double grand = total / (nn * nn);
    beta = 2.0 * row / nn - Eigen::VectorXd::Constant(n, grand);
  } else {
    // β = (XᵀΔX)⁻¹ Xᵀw with X rows e_i+e_j (pairs), e_i (diagonal); Δ = ½ (pairs), 1 (diagonal).
    Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
    for (std::size_t k = 0; k < m; ++k) {
      const auto [i, j] = pairs[k];
      a(i, i) += 0.5;
      a(j, j) += 0.5;
      a(i, j) += 0.5;
      a(j, i) += 0.5;
      const double w = -0.5 * kept[k];
      rhs(i) += w;
      rhs(j) += w;
    }
    beta = a.ldlt().solve(rhs);
  }
  for (std::size_t k = 0; k < m; ++k) {
    const auto [i, j] = pairs[k];
    out[k] = (-0.5 * kept[k] - 0.5 * (beta(i) + beta(j))) * std::sqrt(2.0);
  }
  for (std::int64_t i = 0; i < n; ++i) out[m + static_cast<std::size_t>(i)] = -beta(i);
  return out;
}

// The vector t(v) with sim(a, b) = ⟨t(a), t(b)⟩ for every method but the Kendall taus.
std::vector<double> transform(std::span<const double> full, const std::vector<bool>& keep,
                              CompareMethod method) {
  switch (method) {
    case CompareMethod::CosineCov:
    case CompareMethod::CorrCov: {
      std::vector<double> w = cov_weighted(full, keep, method == CompareMethod::CorrCov);
      normalize(w);
      return w;
    }
    default:
      break;
  }
  std::vector<double> v = gather(full, keep);
  if (method == CompareMethod::Spearman || method == CompareMethod::RhoA) v = average_ranks(v);
  if (method != CompareMethod::Cosine) center(v);
  if (method == CompareMethod::RhoA) {
    const double m = static_cast<double>(v.size());
    const double scale = std::sqrt(12.0 / (m * m * m - m));
    for (double& x : v) x *= scale;
  } else {
    normalize(v);
  }
  return v;
}

struct KendallCounts {
  std::int64_t total = 0, x_ties = 0, y_ties = 0, joint_ties = 0, discordant = 0;
};

std::int64_t tie_pairs(std::int64_t run) {
  return run * (run - 1) / 2;
}

// Knight's O(n log n) algorithm: sort by (x, y); discordant pairs = strict inversions of y in
// that order, counted by merge sort.
KendallCounts kendall_counts(std::span<const double> x, std::span<const double> y) {
  check(x.size() == y.size(), "kendall tau: vectors of different lengths (", x.size(), " and ",
        y.size(), ")");
  const auto n = static_cast<std::int64_t>(x.size());
  KendallCounts c;
  c.total = n * (n - 1) / 2;
  const std::vector<long> yr = dense_ranks(y);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const auto ua = static_cast<std::size_t>(a), ub = static_cast<std::size_t>(b);
    return x[ua] < x[ub] || (x[ua] == x[ub] && yr[ua] < yr[ub]);
  });
  std::int64_t run_x = 1, run_xy = 1;
  for (std::int64_t k = 1; k <= n; ++k) {
    const bool same_x =
        k < n && x[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])] ==
                     x[static_cast<std::size_t>(order[static_cast<std::size_t>(k - 1)])];
    const bool same_y =
        k < n && yr[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])] ==
                     yr[static_cast<std::size_t>(order[static_cast<std::size_t>(k - 1)])];
    if (same_x)
      ++run_x;
    else {
      c.x_ties += tie_pairs(run_x);
      run_x = 1;
    }
    if (same_x && same_y)
      ++run_xy;
    else {
      c.joint_ties += tie_pairs(run_xy);
      run_xy = 1;
    }
  }
  std::vector<long> seq(static_cast<std::size_t>(n)), buf(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k)
    seq[static_cast<std::size_t>(k)] =
        yr[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])];
  for (std::int64_t width = 1; width < n; width *= 2) {
    for (std::int64_t lo = 0; lo < n; lo += 2 * width) {
      const std::int64_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      std::int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (seq[static_cast<std::size_t>(i)] <= seq[static_cast<std::size_t>(j)]) {
          buf[static_cast<std::size_t>(k++)] = seq[static_cast<std::size_t>(i++)];
        } else {
          c.discordant += mid - i;
          buf[static_cast<std::size_t>(k++)] = seq[static_cast<std::size_t>(j++)];
        }
      }
      while (i < mid) buf[static_cast<std::size_t>(k++)] = seq[static_cast<std::size_t>(i++)];
      while (j < hi) buf[static_cast<std::size_t>(k++)] = seq[static_cast<std::size_t>(j++)];
    }
    std::swap(seq, buf);
  }
  std::int64_t run_y = 1;
  for (std::int64_t k = 1; k <= n; ++k) {
    if (k < n && seq[static_cast<std::size_t>(k)] == seq[static_cast<std::size_t>(k - 1)])
      ++run_y;
    else {
      c.y_ties += tie_pairs(run_y);
      run_y = 1;
    }
  }
  return c;
}

void check_lengths(std::span<const double> a, std::span<const double> b, std::string_view what) {
  check(a.size() == b.size(), what, ": RDM vectors of different lengths (", a.size(), " and ",
        b.size(), ")");
}

}  // namespace

CompareMethod parse_compare_method(std::string_view name) {
  if (name == "corr" || name == "pearson") return CompareMethod::Pearson;
  if (name == "spearman") return CompareMethod::Spearman;
  if (name == "tau-a") return CompareMethod::KendallTauA;
  if (name == "tau-b" || name == "kendall") return CompareMethod::KendallTauB;
  if (name == "rho-a") return CompareMethod::RhoA;
  if (name == "cosine") return CompareMethod::Cosine;
  if (name == "cosine_cov") return CompareMethod::CosineCov;
  if (name == "corr_cov") return CompareMethod::CorrCov;
  fail("unknown comparison method '", name,
       "' (expected corr, spearman, tau-a, tau-b, rho-a, cosine, cosine_cov, corr_cov)");
}

std::string_view compare_method_name(CompareMethod method) {
  switch (method) {
    case CompareMethod::Pearson:
      return "corr";
    case CompareMethod::Spearman:
      return "spearman";
    case CompareMethod::KendallTauA:
      return "tau-a";
    case CompareMethod::KendallTauB:
      return "tau-b";
    case CompareMethod::RhoA:
      return "rho-a";
    case CompareMethod::Cosine:
      return "cosine";
    case CompareMethod::CosineCov:
      return "cosine_cov";
    case CompareMethod::CorrCov:
      return "corr_cov";
  }
  return "?";
}

bool is_rank_based(CompareMethod method) {
  return method == CompareMethod::Spearman || method == CompareMethod::RhoA ||
         method == CompareMethod::KendallTauA || method == CompareMethod::KendallTauB;
}

double pearson(std::span<const double> a, std::span<const double> b) {
  check_lengths(a, b, "pearson");
  std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end());
  center(x);
  center(y);
  const double nx = std::sqrt(dot(x, x)), ny = std::sqrt(dot(y, y));
  if (nx == 0.0 || ny == 0.0) return std::nan("");
  return std::clamp(dot(x, y) / nx / ny, -1.0, 1.0);
}

double spearman(std::span<const double> a, std::span<const double> b) {
  check_lengths(a, b, "spearman");
  return pearson(average_ranks(a), average_ranks(b));
}

double kendall_tau_a(std::span<const double> a, std::span<const double> b) {
  const KendallCounts c = kendall_counts(a, b);
  if (c.total == 0) return std::nan("");
  const double con_minus_dis =
      static_cast<double>(c.total - c.x_ties - c.y_ties + c.joint_ties - 2 * c.discordant);
  return std::clamp(con_minus_dis / static_cast<double>(c.total), -1.0, 1.0);
}

double kendall_tau_b(std::span<const double> a, std::span<const double> b) {
  const KendallCounts c = kendall_counts(a, b);
  if (c.x_ties == c.total || c.y_ties == c.total) return std::nan("");
  const double con_minus_dis =
      static_cast<double>(c.total - c.x_ties - c.y_ties + c.joint_ties - 2 * c.discordant);
  const double tau = con_minus_dis / std::sqrt(static_cast<double>(c.total - c.x_ties)) /
                     std::sqrt(static_cast<double>(c.total - c.y_ties));
  return std::clamp(tau, -1.0, 1.0);
}

double kendall_tau_a_bruteforce(std::span<const double> a, std::span<const double> b) {
  check_lengths(a, b, "kendall tau");
  const std::size_t n = a.size();
  std::int64_t score = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double s = (a[i] < a[j]   ? 1
                        : a[i] > a[j] ? -1
                                      : 0) *
                       (b[i] < b[j]   ? 1
                        : b[i] > b[j] ? -1
                                      : 0);
      score += static_cast<std::int64_t>(s);
    }
  return static_cast<double>(score) / (static_cast<double>(n) * static_cast<double>(n - 1) / 2.0);
}

double compare_rdms(std::span<const double> a, std::span<const double> b, CompareMethod method) {
  check_lengths(a, b, "compare");
  const std::vector<bool> keep = valid_mask(a, b);
  const auto kept = std::count(keep.begin(), keep.end(), true);
  check(kept >= 2, "compare: fewer than 2 entries are valid (not NaN) in both RDMs");
  if (method == CompareMethod::KendallTauA) return kendall_tau_a(gather(a, keep), gather(b, keep));
  if (method == CompareMethod::KendallTauB) return kendall_tau_b(gather(a, keep), gather(b, keep));
  return dot(transform(a, keep, method), transform(b, keep, method));
}

std::vector<double> compare_many(const std::vector<std::vector<double>>& rdms,
                                 const std::vector<std::vector<double>>& targets,
                                 CompareMethod method) {
  std::vector<double> out(rdms.size() * targets.size());
  if (rdms.empty() || targets.empty()) return out;
  const std::size_t len = rdms[0].size();
  bool any_nan = false;
  for (const auto* set : {&rdms, &targets})
    for (std::size_t i = 0; i < set->size(); ++i) {
      check((*set)[i].size() == len, set == &rdms ? "rdm " : "target ", i, " has ",
            (*set)[i].size(), " entries but rdm 0 has ", len);
      any_nan = any_nan || std::any_of((*set)[i].begin(), (*set)[i].end(),
                                       [](double v) { return std::isnan(v); });
    }
  const auto n_pairs = static_cast<std::int64_t>(out.size());
  const std::size_t nt = targets.size();
  if (any_nan || method == CompareMethod::KendallTauA || method == CompareMethod::KendallTauB) {
    parallel_for(0, n_pairs, 1, [&](std::int64_t p0, std::int64_t p1) {
      for (std::int64_t p = p0; p < p1; ++p) {
        const auto up = static_cast<std::size_t>(p);
        out[up] = compare_rdms(rdms[up / nt], targets[up % nt], method);
      }
    });
    return out;
  }
  const std::vector<bool> keep(len, true);
  std::vector<std::vector<double>> ta(rdms.size()), tb(targets.size());
  parallel_for(0, static_cast<std::int64_t>(rdms.size() + nt), 1,
               [&](std::int64_t i0, std::int64_t i1) {
                 for (std::int64_t i = i0; i < i1; ++i) {
                   const auto ui = static_cast<std::size_t>(i);
                   if (ui < rdms.size())
                     ta[ui] = transform(rdms[ui], keep, method);
                   else
                     tb[ui - rdms.size()] = transform(targets[ui - rdms.size()], keep, method);
                 }
               });
  parallel_for(0, n_pairs, 1, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      const auto up = static_cast<std::size_t>(p);
      out[up] = dot(ta[up / nt], tb[up % nt]);
    }
  });
  return out;
}

double partial_correlation(std::span<const double> a, std::span<const double> b,
                           const std::vector<std::vector<double>>& controls, bool rank) {
  check_lengths(a, b, "partial correlation");
  std::vector<bool> keep = valid_mask(a, b);
  for (std::size_t c = 0; c < controls.size(); ++c) {
    check(controls[c].size() == a.size(), "partial correlation: control RDM ", c, " has ",
          controls[c].size(), " entries, expected ", a.size());
    for (std::size_t i = 0; i < a.size(); ++i) keep[i] = keep[i] && !std::isnan(controls[c][i]);
  }
  std::vector<double> x = gather(a, keep), y = gather(b, keep);
  const auto m = static_cast<std::int64_t>(x.size());
  const auto k = static_cast<std::int64_t>(controls.size());
  check(m > k + 2, "partial correlation: ", m, " valid entries are too few for ", k,
        " control RDMs");
  if (rank) {
    x = average_ranks(x);
    y = average_ranks(y);
  }
  Eigen::MatrixXd design(m, k + 1);
  design.col(0).setOnes();
  for (std::int64_t c = 0; c < k; ++c) {
    std::vector<double> v = gather(controls[static_cast<std::size_t>(c)], keep);
    if (rank) v = average_ranks(v);
    design.col(c + 1) = Eigen::Map<const Eigen::VectorXd>(v.data(), m);
  }
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
  const Eigen::Map<const Eigen::VectorXd> xv(x.data(), m), yv(y.data(), m);
  const Eigen::VectorXd rx = xv - design * qr.solve(xv);
  const Eigen::VectorXd ry = yv - design * qr.solve(yv);
  const std::vector<double> ex(rx.data(), rx.data() + m), ey(ry.data(), ry.data() + m);
  return pearson(ex, ey);
}

std::vector<double> comparison_vector(std::span<const double> rdm, CompareMethod method) {
  check(supports_prepared(method), "comparison_vector does not support ",
        compare_method_name(method));
  std::vector<bool> keep(rdm.size());
  for (std::size_t i = 0; i < rdm.size(); ++i) keep[i] = !std::isnan(rdm[i]);
  return transform(rdm, keep, method);
}

std::vector<double> whitened_rdm(std::span<const double> rdm, bool remove_mean) {
  std::vector<bool> keep(rdm.size());
  for (std::size_t i = 0; i < rdm.size(); ++i) keep[i] = !std::isnan(rdm[i]);
  return cov_weighted(rdm, keep, remove_mean);
}

bool supports_prepared(CompareMethod method) {
  return method != CompareMethod::KendallTauA && method != CompareMethod::KendallTauB;
}

namespace {
PreparedRdm prepare(std::span<const double> rdm, CompareMethod method, bool symmetric) {
  check(supports_prepared(method), "permutation fast path does not support ",
        compare_method_name(method));
  check(std::none_of(rdm.begin(), rdm.end(), [](double v) { return std::isnan(v); }),
        "prepared RDM must not contain NaN");
  const std::int64_t n = rdm_size_from_length(static_cast<std::int64_t>(rdm.size()));
  const std::vector<bool> keep(rdm.size(), true);
  const std::vector<double> t = transform(rdm, keep, method);
  PreparedRdm p{n, std::vector<double>(static_cast<std::size_t>(n * n), 0.0)};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j) {
      const double v = t[static_cast<std::size_t>(rdm_index(i, j, n))];
      p.values[static_cast<std::size_t>(i * n + j)] = v;
      if (symmetric) p.values[static_cast<std::size_t>(j * n + i)] = v;
    }
  if (t.size() > rdm.size())  // whitened methods: the diagonal entries follow the pairs
    for (std::int64_t i = 0; i < n; ++i)
      p.values[static_cast<std::size_t>(i * n + i)] = t[rdm.size() + static_cast<std::size_t>(i)];
  return p;
}
}  // namespace

PreparedRdm prepare_left(std::span<const double> rdm, CompareMethod method) {
  return prepare(rdm, method, false);
}
PreparedRdm prepare_right(std::span<const double> rdm, CompareMethod method) {
  return prepare(rdm, method, true);
}

double prepared_similarity(const PreparedRdm& left, const PreparedRdm& right,
                           std::span<const std::int64_t> perm) {
  check(left.n == right.n, "prepared RDMs of ", left.n, " and ", right.n, " stimuli");
  const std::int64_t n = left.n;
  double s = 0.0;
  if (perm.empty()) {
    for (std::int64_t i = 0; i < n * n; ++i)
      s += left.values[static_cast<std::size_t>(i)] * right.values[static_cast<std::size_t>(i)];
    return s;
  }
  check(static_cast<std::int64_t>(perm.size()) == n, "permutation of ", perm.size(),
        " entries for ", n, " stimuli");
  for (std::int64_t i = 0; i < n; ++i) {
    const double* l = left.values.data() + i * n;
    const double* r = right.values.data() + perm[static_cast<std::size_t>(i)] * n;
    // Four independent partial sums in a fixed order: deterministic, and not bound by the
    // latency of one floating-point add chain.
    const std::int64_t* p = perm.data();
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    std::int64_t j = i;
    for (; j + 4 <= n; j += 4) {
      acc[0] += l[j] * r[p[j]];
      acc[1] += l[j + 1] * r[p[j + 1]];
      acc[2] += l[j + 2] * r[p[j + 2]];
      acc[3] += l[j + 3] * r[p[j + 3]];
    }
    for (; j < n; ++j) acc[0] += l[j] * r[p[j]];
    s += (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
  return s;
}

}  // namespace repscope::stats
