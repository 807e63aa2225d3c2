// Inference: rsatoolbox noise ceiling and stimulus bootstrap parity, permutation-test
// determinism across thread counts, and the p-value conventions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/inference.h"
#include "stats/rdm.h"
#include "stats/rng.h"
#include "tests/stats/test_rdm_util.h"

namespace repscope::stats {
namespace {

using test::expect_close;
using test::read_f64;

RdmList split(const std::vector<double>& flat, std::size_t count) {
  RdmList out;
  const std::size_t len = flat.size() / count;
  for (std::size_t i = 0; i < count; ++i)
    out.emplace_back(flat.begin() + static_cast<std::ptrdiff_t>(i * len),
                     flat.begin() + static_cast<std::ptrdiff_t>((i + 1) * len));
  return out;
}

const char* const kNcMethods[] = {"cosine", "corr",       "spearman", "rho-a",
                                  "tau-a",  "cosine_cov", "corr_cov"};

TEST(InferenceParity, NoiseCeilingMatchesRsatoolbox) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const RdmList subjects = split(read_f64(ref / "nc_subjects.bin"), 5);
  for (const char* m : kNcMethods) {
    const NoiseCeiling nc = noise_ceiling(subjects, parse_compare_method(m));
    expect_close({nc.lower, nc.upper}, read_f64(ref / (std::string("nc_") + m + ".bin")), 1e-10,
                 1e-12, std::string("noise ceiling ") + m);
  }
}

TEST(InferenceParity, BootstrapSampleWithDuplicatedStimuli) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const RdmList subjects = split(read_f64(ref / "nc_subjects.bin"), 5);
  const std::vector<double> idx_f = read_f64(ref / "nc_boot_idx.bin");
  const std::vector<std::int64_t> idx(idx_f.begin(), idx_f.end());
  // Pairs of a stimulus with its own copy become NaN, exactly as rsatoolbox subsample_pattern.
  std::vector<double> ours;
  for (const auto& s : subjects) {
    const auto sub = subsample_rdm(s, idx);
    ours.insert(ours.end(), sub.begin(), sub.end());
  }
  expect_close(ours, read_f64(ref / "nc_boot_subsampled.bin"), 0.0, 0.0, "subsampled RDMs");
  const std::vector<double> model = read_f64(ref / "nc_model.bin");
  RdmList sub_subjects;
  for (const auto& s : subjects) sub_subjects.push_back(subsample_rdm(s, idx));
  for (const char* m : kNcMethods) {
    const CompareMethod method = parse_compare_method(m);
    const NoiseCeiling nc = noise_ceiling_of_sample(subjects, method, idx);
    expect_close({nc.lower, nc.upper}, read_f64(ref / (std::string("ncboot_") + m + ".bin")), 1e-10,
                 1e-12, std::string("bootstrap-sample noise ceiling ") + m);
    double mean = 0.0;
    for (const auto& s : sub_subjects) mean += compare_rdms(subsample_rdm(model, idx), s, method);
    expect_close({mean / 5.0}, read_f64(ref / (std::string("bootcmp_") + m + ".bin")), 1e-10, 1e-12,
                 std::string("bootstrap-sample compare ") + m);
  }
}

std::vector<double> random_rdm(std::int64_t n, std::uint64_t seed, double noise,
                               const std::vector<double>* base) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> v(static_cast<std::size_t>(n * (n - 1) / 2));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = (base ? (*base)[i] : 0.0) + noise * normal(gen);
  return v;
}

TEST(Inference, PermutationTestIdenticalForThreads1And2) {
  const std::vector<double> a = random_rdm(40, 1, 1.0, nullptr);
  const std::vector<double> b = random_rdm(40, 2, 1.0, &a);
  for (CompareMethod m :
       {CompareMethod::Spearman, CompareMethod::CorrCov, CompareMethod::KendallTauA}) {
    set_num_threads(1);
    const PermutationResult one = permutation_test(a, b, m, 200, 42);
    set_num_threads(2);
    const PermutationResult two = permutation_test(a, b, m, 200, 42);
    set_num_threads(0);
    EXPECT_EQ(one.null_distribution, two.null_distribution) << compare_method_name(m);
    EXPECT_EQ(one.p_value, two.p_value);
    EXPECT_NEAR(one.observed, compare_rdms(a, b, m), 1e-12);
    EXPECT_DOUBLE_EQ(one.p_value, (1.0 + static_cast<double>(one.n_greater_equal)) / 201.0);
    EXPECT_LT(one.p_value, 0.01) << "a strongly related pair should be significant";
  }
}

TEST(Inference, PermutationFastPathEqualsExplicitPermutation) {
  const std::int64_t n = 25;
  const std::vector<double> a = random_rdm(n, 3, 1.0, nullptr);
  const std::vector<double> b = random_rdm(n, 4, 1.0, nullptr);
  for (CompareMethod m :
       {CompareMethod::Pearson, CompareMethod::Spearman, CompareMethod::RhoA, CompareMethod::Cosine,
        CompareMethod::CosineCov, CompareMethod::CorrCov}) {
    const PermutationResult r = permutation_test(a, b, m, 5, 9);
    for (std::int64_t k = 0; k < 5; ++k) {
      const auto perm = stimulus_permutation(n, 9, k);
      std::vector<double> bp(b.size());
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = i + 1; j < n; ++j) {
          const auto pi = perm[static_cast<std::size_t>(i)], pj = perm[static_cast<std::size_t>(j)];
          bp[static_cast<std::size_t>(rdm_index(i, j, n))] =
              b[static_cast<std::size_t>(rdm_index(std::min(pi, pj), std::max(pi, pj), n))];
        }
      EXPECT_NEAR(r.null_distribution[static_cast<std::size_t>(k)], compare_rdms(a, bp, m), 1e-12)
          << compare_method_name(m) << " permutation " << k;
    }
  }
}

TEST(Inference, BootstrapDeterministicAndSensible) {
  const std::int64_t n = 30;
  const std::vector<double> model = random_rdm(n, 5, 1.0, nullptr);
  RdmList subjects;
  for (std::uint64_t s = 0; s < 4; ++s) subjects.push_back(random_rdm(n, 10 + s, 0.7, &model));
  set_num_threads(1);
  const BootstrapResult one =
      bootstrap_compare(model, subjects, CompareMethod::Spearman, Resample::Both, 64, 7);
  const BootstrapNoiseCeiling nc1 =
      bootstrap_noise_ceiling(subjects, CompareMethod::Spearman, Resample::Stimuli, 32, 7);
  set_num_threads(2);
  const BootstrapResult two =
      bootstrap_compare(model, subjects, CompareMethod::Spearman, Resample::Both, 64, 7);
  const BootstrapNoiseCeiling nc2 =
      bootstrap_noise_ceiling(subjects, CompareMethod::Spearman, Resample::Stimuli, 32, 7);
  set_num_threads(0);
  EXPECT_EQ(one.samples, two.samples);
  EXPECT_EQ(nc1.lower, nc2.lower);
  EXPECT_EQ(nc1.upper, nc2.upper);
  EXPECT_LE(one.interval.lower, one.observed + 0.1);
  EXPECT_GE(one.interval.upper, one.observed - 0.1);
  EXPECT_LT(nc1.observed.lower, nc1.observed.upper);
  EXPECT_GT(one.standard_error, 0.0);

  const std::vector<double> unrelated = random_rdm(n, 99, 1.0, nullptr);
  const PairedResult paired = paired_bootstrap(model, unrelated, subjects, CompareMethod::Spearman,
                                               Resample::Stimuli, 200, 3);
  EXPECT_GT(paired.observed, 0.3);
  EXPECT_LT(paired.p_value, 0.05);
}

TEST(Inference, PercentileIntervalMatchesNumpy) {
  // numpy.percentile([1..10], [2.5, 97.5]) = [1.225, 9.775]
  const std::vector<double> v = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1, std::nan("")};
  const Interval i = percentile_interval(v, 0.95);
  EXPECT_NEAR(i.lower, 1.225, 1e-12);
  EXPECT_NEAR(i.upper, 9.775, 1e-12);
}

TEST(Inference, SignFlipAndErrors) {
  const std::vector<double> positive = {0.1, 0.2, 0.15, 0.3, 0.25, 0.12, 0.18, 0.22, 0.2, 0.1};
  const PairedResult r = sign_flip_test(positive, 2000, 1);
  EXPECT_NEAR(r.observed, 0.182, 1e-12);
  EXPECT_LT(r.p_value, 0.01);  // exact two-sided p for 10 positive values is 2/1024
  EXPECT_THROW(permutation_test(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2},
                                CompareMethod::Pearson, 10, 1),
               Error);
  EXPECT_THROW(noise_ceiling({std::vector<double>{1, 2, 3}}, CompareMethod::Pearson), Error);
  EXPECT_THROW(bootstrap_compare(std::vector<double>{1, 2, 3}, {std::vector<double>{1, 2, 3}},
                                 CompareMethod::Pearson, Resample::Stimuli, 0, 1),
               Error);
}

TEST(Rng, CounterStreamsAreReproducibleAndUniform) {
  CounterRng a(5, 3), b(5, 3), c(5, 4);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
  CounterRng r(1, 0);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[static_cast<std::size_t>(r.uniform_below(7))];
  for (int c7 : counts) EXPECT_NEAR(c7, 10000, 500);
}

}  // namespace
}  // namespace repscope::stats
