// The C++ side of bench/stats_side_by_side.py: runs one named statistics case on inputs the
// script wrote (NPY files in IN_DIR), writes the results to OUT_DIR as NPY, and prints
// "seconds <wall time of the computation>" (file reading and writing excluded).
//
//   stats_driver CASE IN_DIR OUT_DIR [--threads N]
//
// Adding a case: write a function `void run_x(const Io&)` and add a row to kCases.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/npy.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/compare.h"
#include "stats/inference.h"
#include "stats/rdm.h"
#include "stats/selectivity.h"

namespace fs = std::filesystem;
using namespace repscope;

namespace {

struct Io {
  fs::path in, out;
  double* seconds;  // set by the case: the timed part only
};

class Stopwatch {
 public:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::vector<double> to_vector(const Tensor& t) {
  const Tensor d = t.to(DType::F64);
  return {d.data<double>(), d.data<double>() + d.numel()};
}

Tensor from_vector(const std::vector<double>& v, Shape shape) {
  Tensor t = Tensor::empty(std::move(shape), DType::F64);
  std::copy(v.begin(), v.end(), t.data<double>());
  return t;
}

Tensor from_indices(const std::vector<std::vector<std::int64_t>>& rows) {
  const auto cols = static_cast<std::int64_t>(rows.empty() ? 0 : rows[0].size());
  Tensor t = Tensor::empty({static_cast<std::int64_t>(rows.size()), cols}, DType::I64);
  for (std::size_t r = 0; r < rows.size(); ++r)
    std::copy(rows[r].begin(), rows[r].end(),
              t.data<std::int64_t>() + static_cast<std::int64_t>(r) * cols);
  return t;
}

// RDM (correlation distance) of x.npy (N×P float32), memory-mapped: the P axis streams.
void run_rdm(const Io& io) {
  const Tensor x = map_npy(io.in / "x.npy");
  Stopwatch sw;
  const std::vector<double> rdm = stats::compute_rdm(x, stats::RdmMetric::Correlation, {}, "x.npy");
  *io.seconds = sw.elapsed();
  write_npy(io.out / "rdm.npy", from_vector(rdm, {static_cast<std::int64_t>(rdm.size())}));
}

// Spearman of a.npy and b.npy (vector-form RDMs) with a stimulus-label permutation test;
// n_perm and seed in params.npy. Also writes the first 64 permutations for the reference.
void run_spearman_perm(const Io& io) {
  const std::vector<double> a = to_vector(read_npy(io.in / "a.npy")),
                            b = to_vector(read_npy(io.in / "b.npy"));
  const std::vector<double> params = to_vector(read_npy(io.in / "params.npy"));
  const auto n_perm = static_cast<std::int64_t>(params[0]);
  const auto seed = static_cast<std::uint64_t>(params[1]);
  Stopwatch sw;
  const stats::PermutationResult r =
      stats::permutation_test(a, b, stats::CompareMethod::Spearman, n_perm, seed);
  *io.seconds = sw.elapsed();
  const std::int64_t n = stats::rdm_size_from_length(static_cast<std::int64_t>(a.size()));
  std::vector<std::vector<std::int64_t>> perms;
  for (std::int64_t k = 0; k < std::min<std::int64_t>(n_perm, 64); ++k)
    perms.push_back(stats::stimulus_permutation(n, seed, k));
  write_npy(io.out / "perms.npy", from_indices(perms));
  write_npy(io.out / "null.npy", from_vector(r.null_distribution, {n_perm}));
  write_npy(io.out / "summary.npy", from_vector({r.observed, r.p_value}, {2}));
}

// Bootstrap (over stimuli) of the rsatoolbox noise ceiling of subjects.npy (S × N(N−1)/2);
// params.npy = [n_boot, seed, method index into kMethods]. Writes the bootstrap samples'
// stimulus indices and the lower/upper bounds per sample.
void run_noise_ceiling(const Io& io) {
  const Tensor subjects_t = read_npy(io.in / "subjects.npy").to(DType::F64);
  const std::vector<double> params = to_vector(read_npy(io.in / "params.npy"));
  const auto n_boot = static_cast<std::int64_t>(params[0]);
  const auto seed = static_cast<std::uint64_t>(params[1]);
  const stats::CompareMethod method =
      stats::parse_compare_method(params[2] == 0 ? "spearman" : "corr");
  stats::RdmList subjects;
  for (std::int64_t s = 0; s < subjects_t.dim(0); ++s) subjects.push_back(to_vector(subjects_t[s]));
  Stopwatch sw;
  const stats::BootstrapNoiseCeiling r =
      stats::bootstrap_noise_ceiling(subjects, method, stats::Resample::Stimuli, n_boot, seed);
  *io.seconds = sw.elapsed();
  const std::int64_t n = stats::rdm_size_from_length(static_cast<std::int64_t>(subjects[0].size()));
  std::vector<std::vector<std::int64_t>> samples;
  for (std::int64_t k = 0; k < n_boot; ++k) samples.push_back(stats::bootstrap_indices(n, seed, k));
  write_npy(io.out / "indices.npy", from_indices(samples));
  write_npy(io.out / "lower.npy", from_vector(r.lower, {n_boot}));
  write_npy(io.out / "upper.npy", from_vector(r.upper, {n_boot}));
}

// Per-unit selectivity of x.npy (N images × U units float32, memory-mapped) with the fLoc domains
// of domain.npy (int64 index into DomainMap::floc()): each-domain conjunction, one-sided
// Student t, fdr_by over units (Prince et al.'s localizer). Writes t, p, q [U, T] and the
// selective mask (bool).
void run_selectivity(const Io& io) {
  const Tensor x = map_npy(io.in / "x.npy");
  const Tensor dom_t = read_npy(io.in / "domain.npy").to(DType::I64);
  const std::vector<int> domain(dom_t.data<std::int64_t>(),
                                dom_t.data<std::int64_t>() + dom_t.numel());
  stats::SelectivityOptions opt;
  opt.criterion = stats::Criterion::Each;
  Stopwatch sw;
  const stats::SelectivityResult r =
      stats::compute_selectivity(x, domain, stats::DomainMap::floc(), opt);
  *io.seconds = sw.elapsed();
  write_npy(io.out / "t.npy", r.t);
  write_npy(io.out / "p.npy", r.p);
  write_npy(io.out / "q.npy", r.q);
  write_npy(io.out / "selective.npy", r.selective);
}

struct Case {
  const char* name;
  std::function<void(const Io&)> run;
};

const std::vector<Case> kCases = {
    {"rdm", run_rdm},
    {"spearman_perm", run_spearman_perm},
    {"noise_ceiling", run_noise_ceiling},
    {"selectivity", run_selectivity},
};

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() >= 5 && args[3] == "--threads") set_num_threads(std::stoi(args[4]));
    check(args.size() >= 3, "usage: stats_driver CASE IN_DIR OUT_DIR [--threads N]");
    for (const Case& c : kCases) {
      if (args[0] != c.name) continue;
      double seconds = 0.0;
      fs::create_directories(args[2]);
      c.run(Io{args[1], args[2], &seconds});
      std::printf("seconds %.6f\n", seconds);
      return 0;
    }
    std::string names;
    for (const Case& c : kCases) names += std::string(" ") + c.name;
    fail("unknown case '", args[0], "'; cases:", names);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stats_driver: error: %s\n", e.what());
    return 1;
  }
}
