#include "stats/selectivity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/distributions.h"

namespace repscope::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Per-domain moments of one unit, combined into the pooled "rest" exactly (Chan et al.).
struct Moments {
  double n = 0, mean = 0, m2 = 0;  // m2 = Σ (x − mean)²
  SampleMoments sample() const { return {n, mean, m2 / (n - 1.0)}; }
};

double dprime_of(const SampleMoments& a, const SampleMoments& b) {
  return (a.mean - b.mean) / std::sqrt((a.var + b.var) / 2.0);
}

double selectivity_index(double r_target, double r_other) {
  if (!(r_target >= 0) || !(r_other >= 0) || !(r_target + r_other > 0)) return kNaN;
  return (r_target - r_other) / (r_target + r_other);
}

double category_selectivity_index(double r_target, double r_best_other) {
  const double denom = std::fabs(r_target) + std::fabs(r_best_other);
  if (!(denom > 0)) return kNaN;
  return (r_target - r_best_other) / denom;
}

template <typename T>
const T* rows_of(const Tensor& t) {
  return t.data<T>();
}

struct Layout {
  std::int64_t n = 0, units = 0;
  int domains = 0, targets = 0;
  std::vector<int> target_domain;         // per target column
  std::vector<std::int64_t> first_image;  // per domain
  std::vector<std::int64_t> count;        // per domain
};

// The (target, other domain) pairs of the Each criterion, in target-major order.
std::vector<std::pair<int, int>> each_pairs(const Layout& L) {
  std::vector<std::pair<int, int>> pairs;
  for (int k = 0; k < L.targets; ++k)
    for (int d = 0; d < L.domains; ++d)
      if (d != L.target_domain[static_cast<std::size_t>(k)]) pairs.emplace_back(k, d);
  return pairs;
}

template <typename T>
void accumulate_block(const T* x, std::span<const int> dom, const Layout& L, std::int64_t u0,
                      std::int64_t b, std::vector<double>& shift, std::vector<double>& s1,
                      std::vector<double>& s2) {
  const auto B = static_cast<std::size_t>(b);
  std::fill(s1.begin(), s1.end(), 0.0);
  std::fill(s2.begin(), s2.end(), 0.0);
  for (int d = 0; d < L.domains; ++d) {
    const T* row = x + L.first_image[static_cast<std::size_t>(d)] * L.units + u0;
    double* sh = shift.data() + static_cast<std::size_t>(d) * B;
    for (std::size_t j = 0; j < B; ++j) sh[j] = static_cast<double>(row[j]);
  }
  for (std::int64_t i = 0; i < L.n; ++i) {
    const int d = dom[static_cast<std::size_t>(i)];
    if (d < 0) continue;
    const T* row = x + i * L.units + u0;
    const double* sh = shift.data() + static_cast<std::size_t>(d) * B;
    double* a1 = s1.data() + static_cast<std::size_t>(d) * B;
    double* a2 = s2.data() + static_cast<std::size_t>(d) * B;
    for (std::size_t j = 0; j < B; ++j) {
      const double v = static_cast<double>(row[j]) - sh[j];
      a1[j] += v;
      a2[j] += v * v;
    }
  }
}

// Rank sums per domain of one unit's responses (average ranks over all included images).
template <typename T>
void rank_sums(const T* x, std::span<const int> dom, const Layout& L, std::int64_t unit,
               std::vector<std::pair<double, int>>& buf, std::vector<double>& sums) {
  buf.clear();
  std::fill(sums.begin(), sums.end(), 0.0);
  for (std::int64_t i = 0; i < L.n; ++i) {
    const int d = dom[static_cast<std::size_t>(i)];
    if (d < 0) continue;
    const double v = static_cast<double>(x[i * L.units + unit]);
    if (std::isnan(v)) {
      std::fill(sums.begin(), sums.end(), kNaN);
      return;
    }
    buf.emplace_back(v, d);
  }
  std::sort(buf.begin(), buf.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < buf.size();) {
    std::size_t j = i + 1;
    while (j < buf.size() && buf[j].first == buf[i].first) ++j;
    const double avg = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) sums[static_cast<std::size_t>(buf[k].second)] += avg;
    i = j;
  }
}

template <typename T>
void compute_units(const Tensor& acts, std::span<const int> dom, const Layout& L,
                   const SelectivityOptions& opt, SelectivityResult& r,
                   std::vector<std::vector<double>>& pair_p) {
  const T* x = rows_of<T>(acts);
  const auto pairs = each_pairs(L);
  const std::int64_t block = std::max<std::int64_t>(1, opt.block_units);
  const std::int64_t n_blocks = (L.units + block - 1) / block;
  double* mean_out = r.mean.data<double>();
  double* t_out = r.t.data<double>();
  double* p_out = r.p.data<double>();
  float* dp_out = r.dprime.data<float>();
  float* si_out = r.si.data<float>();
  float* csi_out = r.csi.data<float>();
  float* auc_out = opt.compute_auc ? r.auc.data<float>() : nullptr;
  const auto D = static_cast<std::size_t>(L.domains);
  const auto Tn = static_cast<std::size_t>(L.targets);

  parallel_for(0, n_blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
    std::vector<double> shift, s1, s2, ranks(D);
    std::vector<Moments> m(D);
    std::vector<std::pair<double, int>> buf;
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      const std::int64_t u0 = blk * block;
      const std::int64_t nb = std::min(block, L.units - u0);
      const auto B = static_cast<std::size_t>(nb);
      shift.resize(D * B), s1.resize(D * B), s2.resize(D * B);
      accumulate_block(x, dom, L, u0, nb, shift, s1, s2);
      for (std::size_t j = 0; j < B; ++j) {
        const std::int64_t u = u0 + static_cast<std::int64_t>(j);
        const auto U = static_cast<std::size_t>(u);
        for (std::size_t d = 0; d < D; ++d) {
          const double n = static_cast<double>(L.count[d]);
          const double a1 = s1[d * B + j], a2 = s2[d * B + j];
          m[d] = {n, shift[d * B + j] + a1 / n, std::max(0.0, a2 - a1 * a1 / n)};
          mean_out[U * D + d] = m[d].mean;
        }
        if (auc_out) rank_sums(x, dom, L, u, buf, ranks);
        for (std::size_t k = 0; k < Tn; ++k) {
          const auto td = static_cast<std::size_t>(L.target_domain[k]);
          // The rest: every other domain pooled.
          Moments rest;
          double best_other = -std::numeric_limits<double>::infinity();
          for (std::size_t d = 0; d < D; ++d) {
            if (d == td) continue;
            rest.n += m[d].n;
            rest.mean += m[d].n * m[d].mean;
            best_other = std::max(best_other, m[d].mean);
            if (std::isnan(m[d].mean)) best_other = kNaN;
          }
          rest.mean /= rest.n;
          for (std::size_t d = 0; d < D; ++d) {
            if (d == td) continue;
            const double dm = m[d].mean - rest.mean;
            rest.m2 += m[d].m2 + m[d].n * dm * dm;
          }
          const SampleMoments tgt = m[td].sample(), oth = rest.sample();
          const std::size_t o = U * Tn + k;
          double dprime;
          if (opt.criterion == Criterion::Pooled) {
            const TTestResult tt = ttest_from_moments(tgt, oth, opt.equal_var, opt.alternative);
            t_out[o] = tt.t;
            p_out[o] = tt.p;
            dprime = dprime_of(tgt, oth);
          } else {
            double t_min = std::numeric_limits<double>::infinity();
            double d_min = std::numeric_limits<double>::infinity();
            for (std::size_t q = 0; q < pairs.size(); ++q) {
              if (static_cast<std::size_t>(pairs[q].first) != k) continue;
              const SampleMoments other = m[static_cast<std::size_t>(pairs[q].second)].sample();
              const TTestResult tt = ttest_from_moments(tgt, other, opt.equal_var, opt.alternative);
              pair_p[q][U] = tt.p;
              t_min = std::isnan(tt.t) || std::isnan(t_min) ? kNaN : std::min(t_min, tt.t);
              const double dp = dprime_of(tgt, other);
              d_min = std::isnan(dp) || std::isnan(d_min) ? kNaN : std::min(d_min, dp);
            }
            t_out[o] = t_min;
            dprime = d_min;
          }
          dp_out[o] = static_cast<float>(dprime);
          si_out[o] = static_cast<float>(selectivity_index(tgt.mean, oth.mean));
          csi_out[o] = static_cast<float>(category_selectivity_index(tgt.mean, best_other));
          if (auc_out) {
            const double nt = tgt.n, nr = oth.n;
            auc_out[o] = static_cast<float>((ranks[td] - nt * (nt + 1) / 2) / (nt * nr));
          }
        }
      }
    }
  });
}

}  // namespace

Criterion parse_criterion(std::string_view name) {
  if (name == "pooled") return Criterion::Pooled;
  if (name == "each") return Criterion::Each;
  fail("unknown criterion '", name, "' (expected pooled or each)");
}

std::string_view criterion_name(Criterion c) {
  return c == Criterion::Pooled ? "pooled" : "each";
}

SelectivityResult compute_selectivity(const Tensor& activations, std::span<const int> image_domain,
                                      const DomainMap& map, const SelectivityOptions& opt) {
  check(activations.defined() && activations.ndim() >= 2,
        "selectivity: activations must be [N, units...], got ",
        activations.defined() ? shape_str(activations.shape()) : std::string("undefined"));
  check(activations.device() == Device::CPU, "selectivity: activations must be on the CPU");
  check(activations.dtype() == DType::F32 || activations.dtype() == DType::F64,
        "selectivity: activations must be float32 or float64, got ",
        dtype_name(activations.dtype()));
  check(opt.alpha > 0 && opt.alpha < 1, "selectivity: alpha ", opt.alpha, " is not in (0, 1)");
  Layout L;
  L.n = activations.dim(0);
  L.units = activations.numel() / std::max<std::int64_t>(L.n, 1);
  L.domains = map.num_domains();
  check(static_cast<std::int64_t>(image_domain.size()) == L.n, "selectivity: ", image_domain.size(),
        " image labels for ", L.n, " activation rows");
  L.first_image.assign(static_cast<std::size_t>(L.domains), -1);
  L.count.assign(static_cast<std::size_t>(L.domains), 0);
  for (std::int64_t i = 0; i < L.n; ++i) {
    const int d = image_domain[static_cast<std::size_t>(i)];
    check(d >= -1 && d < L.domains, "selectivity: image ", i, " has domain index ", d,
          " outside the ", L.domains, " domains");
    if (d < 0) continue;
    auto& first = L.first_image[static_cast<std::size_t>(d)];
    if (first < 0) first = i;
    ++L.count[static_cast<std::size_t>(d)];
  }
  const std::int64_t included = std::accumulate(L.count.begin(), L.count.end(), std::int64_t{0});
  for (int d = 0; d < L.domains; ++d) {
    const auto& dom = map.domains()[static_cast<std::size_t>(d)];
    const std::int64_t c = L.count[static_cast<std::size_t>(d)];
    check(c >= 2, "selectivity: domain '", dom.name, "' has ", c,
          " images; every domain of the map needs at least 2 (drop it from the map instead)");
    if (dom.target) L.target_domain.push_back(d);
  }
  L.targets = static_cast<int>(L.target_domain.size());
  check(L.targets > 0 && L.domains >= 2, "selectivity: the domain map needs a target domain and ",
        "at least one other domain");
  (void)included;

  SelectivityResult r;
  r.options = opt;
  for (const auto& d : map.domains()) r.domains.push_back(d.name);
  r.targets = L.target_domain;
  r.images_per_domain = L.count;
  r.units = L.units;
  const Shape ut{L.units, L.targets};
  r.mean = Tensor::empty({L.units, L.domains}, DType::F64);
  r.t = Tensor::empty(ut, DType::F64);
  r.p = Tensor::empty(ut, DType::F64);
  r.q = Tensor::empty(ut, DType::F64);
  r.dprime = Tensor::empty(ut, DType::F32);
  r.si = Tensor::empty(ut, DType::F32);
  r.csi = Tensor::empty(ut, DType::F32);
  if (opt.compute_auc) r.auc = Tensor::empty(ut, DType::F32);
  r.selective = Tensor::zeros(ut, DType::Bool);
  if (L.units == 0) return r;

  const auto pairs =
      opt.criterion == Criterion::Each ? each_pairs(L) : std::vector<std::pair<int, int>>{};
  std::vector<std::vector<double>> pair_p(pairs.size(),
                                          std::vector<double>(static_cast<std::size_t>(L.units)));
  if (activations.dtype() == DType::F32) {
    compute_units<float>(activations, image_domain, L, opt, r, pair_p);
  } else {
    compute_units<double>(activations, image_domain, L, opt, r, pair_p);
  }

  // Correction over units, then the decision.
  const auto U = static_cast<std::size_t>(L.units);
  const auto Tn = static_cast<std::size_t>(L.targets);
  double* q_out = r.q.data<double>();
  const double* p_in = r.p.data<double>();
  const double* t_in = r.t.data<double>();
  const float* dp_in = r.dprime.data<float>();
  auto* sel = r.selective.data<std::uint8_t>();
  double* p_out = r.p.data<double>();
  const auto n_pairs = static_cast<std::int64_t>(pairs.size());
  // Each: the maximum p over a target's comparisons first; then every (target, other)
  // correction in parallel, its q overwriting that pair's p; then per target the maximum q and
  // the conjunction of rejections, folded in pair order. Every value is computed the same way
  // whatever the thread count.
  std::vector<std::vector<std::uint8_t>> pair_reject(pairs.size());
  if (opt.criterion == Criterion::Each) {
    parallel_for(0, static_cast<std::int64_t>(Tn), 1, [&](std::int64_t k0, std::int64_t k1) {
      for (auto k = static_cast<std::size_t>(k0); k < static_cast<std::size_t>(k1); ++k) {
        std::vector<double> p_max(U, -1.0);
        for (std::size_t pi = 0; pi < pairs.size(); ++pi) {
          if (static_cast<std::size_t>(pairs[pi].first) != k) continue;
          for (std::size_t u = 0; u < U; ++u) {
            const double pv = pair_p[pi][u];
            p_max[u] = std::isnan(pv) || std::isnan(p_max[u]) ? kNaN : std::max(p_max[u], pv);
          }
        }
        for (std::size_t u = 0; u < U; ++u) p_out[u * Tn + k] = p_max[u];
      }
    });
    parallel_for(0, n_pairs, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<double> qcol(U);
      for (auto pi = static_cast<std::size_t>(i0); pi < static_cast<std::size_t>(i1); ++pi) {
        pair_reject[pi].resize(U);
        multipletests(pair_p[pi], opt.alpha, opt.correction, qcol, pair_reject[pi]);
        pair_p[pi].swap(qcol);  // pair_p[pi] now holds q
      }
    });
  }
  // Targets are independent (each writes its own column), so they run in parallel.
  parallel_for(0, static_cast<std::int64_t>(Tn), 1, [&](std::int64_t k0, std::int64_t k1) {
    std::vector<double> col(U), qcol(U);
    std::vector<std::uint8_t> rej(U);
    for (auto k = static_cast<std::size_t>(k0); k < static_cast<std::size_t>(k1); ++k) {
      std::vector<std::uint8_t> all_reject(U, 1);
      if (opt.criterion == Criterion::Pooled) {
        for (std::size_t u = 0; u < U; ++u) col[u] = p_in[u * Tn + k];
        multipletests(col, opt.alpha, opt.correction, qcol, rej);
        for (std::size_t u = 0; u < U; ++u) q_out[u * Tn + k] = qcol[u], all_reject[u] = rej[u];
      } else {
        std::vector<double> q_max(U, -1.0);
        for (std::size_t pi = 0; pi < pairs.size(); ++pi) {
          if (static_cast<std::size_t>(pairs[pi].first) != k) continue;
          const std::vector<double>& q = pair_p[pi];
          for (std::size_t u = 0; u < U; ++u) {
            q_max[u] = std::isnan(q[u]) || std::isnan(q_max[u]) ? kNaN : std::max(q_max[u], q[u]);
            all_reject[u] &= pair_reject[pi][u];
          }
        }
        for (std::size_t u = 0; u < U; ++u) q_out[u * Tn + k] = q_max[u];
      }
      for (std::size_t u = 0; u < U; ++u) {
        const std::size_t o = u * Tn + k;
        sel[o] = all_reject[u] && t_in[o] > 0 && static_cast<double>(dp_in[o]) >= opt.min_dprime;
      }
    }
  });
  return r;
}

Tensor channel_means(const Tensor& activations, int channel_axis) {
  const int nd = activations.ndim();
  check(nd >= 2, "channel means: activations must be [N, ...], got ",
        shape_str(activations.shape()));
  if (channel_axis < 0) channel_axis += nd;
  check(channel_axis >= 1 && channel_axis < nd, "channel means: channel axis ", channel_axis,
        " is not a non-batch axis of ", shape_str(activations.shape()));
  const Tensor x = activations.dtype() == DType::F64 ? activations : activations.to(DType::F32);
  const Shape& s = x.shape();
  const std::int64_t n = s[0], c = s[static_cast<std::size_t>(channel_axis)];
  std::int64_t outer = 1, inner = 1;  // axes between batch and channel; axes after channel
  for (int a = 1; a < channel_axis; ++a) outer *= s[static_cast<std::size_t>(a)];
  for (int a = channel_axis + 1; a < nd; ++a) inner *= s[static_cast<std::size_t>(a)];
  Tensor out = Tensor::empty({n, c}, DType::F32);
  float* o = out.data<float>();
  const double count = static_cast<double>(outer * inner);
  auto run = [&](const auto* data) {
    parallel_for(0, n, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<double> acc(static_cast<std::size_t>(c));
      for (std::int64_t i = i0; i < i1; ++i) {
        std::fill(acc.begin(), acc.end(), 0.0);
        const auto* img = data + i * outer * c * inner;
        for (std::int64_t a = 0; a < outer; ++a)
          for (std::int64_t ch = 0; ch < c; ++ch) {
            const auto* p = img + (a * c + ch) * inner;
            double sum = 0;
            for (std::int64_t k = 0; k < inner; ++k) sum += static_cast<double>(p[k]);
            acc[static_cast<std::size_t>(ch)] += sum;
          }
        for (std::int64_t ch = 0; ch < c; ++ch)
          o[i * c + ch] = static_cast<float>(acc[static_cast<std::size_t>(ch)] / count);
      }
    });
  };
  if (x.dtype() == DType::F64)
    run(x.data<double>());
  else
    run(x.data<float>());
  return out;
}

std::vector<std::int64_t> unit_channels(const Shape& shape, int channel_axis) {
  const int nd = static_cast<int>(shape.size());
  if (channel_axis < 0) channel_axis += nd;
  check(channel_axis >= 1 && channel_axis < nd, "unit channels: channel axis ", channel_axis,
        " is not a non-batch axis of ", shape_str(shape));
  std::int64_t units = 1, inner = 1;
  for (int a = 1; a < nd; ++a) units *= shape[static_cast<std::size_t>(a)];
  for (int a = channel_axis + 1; a < nd; ++a) inner *= shape[static_cast<std::size_t>(a)];
  const std::int64_t c = shape[static_cast<std::size_t>(channel_axis)];
  std::vector<std::int64_t> ch(static_cast<std::size_t>(units));
  for (std::int64_t u = 0; u < units; ++u) ch[static_cast<std::size_t>(u)] = (u / inner) % c;
  return ch;
}

}  // namespace repscope::stats
