// RDM comparisons against rsatoolbox compare() and scipy, with ties and NaNs, plus the O(n²)
// tau-a oracle.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nn/error.h"
#include "stats/compare.h"
#include "tests/stats/test_rdm_util.h"

namespace repscope::stats {
namespace {

using test::expect_close;
using test::read_f64;

const char* const kMethods[] = {"cosine", "corr",  "spearman",   "tau-a",
                                "rho-a",  "tau-b", "cosine_cov", "corr_cov"};

TEST(CompareParity, AgainstRsatoolboxWithTies) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const auto a = read_f64(ref / "cmp_a.bin"), b = read_f64(ref / "cmp_b.bin"),
             c = read_f64(ref / "cmp_c.bin");
  for (const char* m : kMethods) {
    const CompareMethod method = parse_compare_method(m);
    expect_close({compare_rdms(a, b, method)},
                 read_f64(ref / (std::string("cmp_ab_") + m + ".bin")), 1e-10, 1e-12,
                 std::string("a~b ") + m);
    expect_close({compare_rdms(a, c, method)},
                 read_f64(ref / (std::string("cmp_ac_") + m + ".bin")), 1e-10, 1e-12,
                 std::string("a~c ") + m);
  }
}

TEST(CompareParity, AgainstScipy) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const auto a = read_f64(ref / "cmp_a.bin"), b = read_f64(ref / "cmp_b.bin");
  expect_close({pearson(a, b)}, read_f64(ref / "scipy_pearson.bin"), 1e-10, 1e-12, "pearsonr");
  expect_close({spearman(a, b)}, read_f64(ref / "scipy_spearman.bin"), 1e-10, 1e-12, "spearmanr");
  expect_close({kendall_tau_b(a, b)}, read_f64(ref / "scipy_kendall.bin"), 1e-10, 1e-12,
               "kendalltau");
}

TEST(CompareParity, NanEntriesDroppedJointly) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const auto a = read_f64(ref / "cmpnan_a.bin"), b = read_f64(ref / "cmpnan_b.bin");
  for (const char* m : kMethods)
    expect_close({compare_rdms(a, b, parse_compare_method(m))},
                 read_f64(ref / (std::string("cmpnan_") + m + ".bin")), 1e-10, 1e-12,
                 std::string("nan ") + m);
}

TEST(CompareParity, ManyVsMany) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const auto flat = read_f64(ref / "many_rdms.bin"), tflat = read_f64(ref / "many_targets.bin");
  RdmList rdms, targets;
  for (int i = 0; i < 3; ++i) rdms.emplace_back(flat.begin() + i * 45, flat.begin() + (i + 1) * 45);
  for (int i = 0; i < 2; ++i)
    targets.emplace_back(tflat.begin() + i * 45, tflat.begin() + (i + 1) * 45);
  for (const char* m : kMethods)
    expect_close(compare_many(rdms, targets, parse_compare_method(m)),
                 read_f64(ref / (std::string("many_") + m + ".bin")), 1e-10, 1e-12,
                 std::string("many ") + m);
}

TEST(CompareParity, PartialCorrelation) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const auto a = read_f64(ref / "cmp_a.bin"), b = read_f64(ref / "cmp_b.bin"),
             c = read_f64(ref / "cmp_c.bin");
  const auto ctrl = read_f64(ref / "partial_ctrl.bin");
  const RdmList controls = {{ctrl.begin(), ctrl.begin() + 45}, {ctrl.begin() + 45, ctrl.end()}};
  expect_close({partial_correlation(a, b, controls, false)}, read_f64(ref / "partial_pearson.bin"),
               1e-10, 1e-12, "partial pearson");
  expect_close({partial_correlation(a, b, controls, true)}, read_f64(ref / "partial_spearman.bin"),
               1e-10, 1e-12, "partial spearman");
  expect_close({partial_correlation(a, c, {controls[0]}, false)},
               read_f64(ref / "partial_pearson1.bin"), 1e-10, 1e-12,
               "partial pearson, one control");
}

TEST(Compare, KendallTauAMatchesBruteForceOracle) {
  std::mt19937_64 gen(3);
  std::uniform_int_distribution<int> small(0, 6);
  std::normal_distribution<double> normal;
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t n = 2 + static_cast<std::size_t>(trial * 37);
    std::vector<double> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = trial % 2 ? small(gen) : normal(gen);  // heavy ties on odd trials
      b[i] = small(gen) + (trial % 3 == 0 ? a[i] : 0.0);
    }
    ASSERT_NEAR(kendall_tau_a(a, b), kendall_tau_a_bruteforce(a, b), 1e-14) << "n=" << n;
  }
}

TEST(Compare, EdgeCases) {
  const std::vector<double> a = {1, 2, 3}, constant = {2, 2, 2};
  EXPECT_NEAR(compare_rdms(a, a, CompareMethod::Spearman), 1.0, 1e-15);
  EXPECT_EQ(compare_rdms(a, constant, CompareMethod::Pearson), 0.0);  // rsatoolbox: zero norm → 0
  EXPECT_TRUE(std::isnan(pearson(a, constant)));                      // scipy: undefined
  EXPECT_TRUE(std::isnan(kendall_tau_b(a, constant)));
  EXPECT_EQ(kendall_tau_a(a, constant), 0.0);
  const double nan = std::nan("");
  EXPECT_THROW(compare_rdms(std::vector<double>{1, nan, 3}, std::vector<double>{nan, 1, 2},
                            CompareMethod::Pearson),
               Error);
  EXPECT_THROW(compare_rdms(a, std::vector<double>{1, 2}, CompareMethod::Pearson), Error);
  EXPECT_THROW(parse_compare_method("riemann"), Error);
  EXPECT_THROW(compare_rdms(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 2, 3, 5},
                            CompareMethod::CosineCov),
               Error);  // 4 entries is not N(N−1)/2
}

}  // namespace
}  // namespace repscope::stats
