// Student and Welch t and Mann–Whitney U against scipy.stats (ttest_ind, mannwhitneyu) on
// random data with ties, NaN, constant samples, edge sizes and far tails; float64 and float32.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "nn/error.h"
#include "stats/ttest.h"
#include "tests/support/test_env.h"

namespace repscope::stats {
namespace {

// NaN must match NaN, infinities must match exactly, finite values within `rel` (relative)
// or `abs` (absolute, for values near zero).
void expect_close(double got, double want, double rel, double abs, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": got " << got << ", scipy NaN";
    return;
  }
  if (std::isinf(want)) {
    EXPECT_EQ(got, want) << what;
    return;
  }
  EXPECT_LE(std::fabs(got - want), std::max(rel * std::fabs(want), abs))
      << what << ": got " << got << " scipy " << want;
}

struct Case {
  std::vector<double> a, b, ref;  // ref: t, p2, pg (Student), t, p2, pg (Welch), U1, p2, pg
};
std::vector<Case> read_cases(const std::filesystem::path& path) {
  std::vector<Case> cases;
  for (const auto& r : test::read_number_rows(path)) {
    const auto n1 = static_cast<std::size_t>(r[0]), n2 = static_cast<std::size_t>(r[1]);
    Case c;
    c.a.assign(r.begin() + 2, r.begin() + 2 + static_cast<long>(n1));
    c.b.assign(r.begin() + 2 + static_cast<long>(n1), r.begin() + 2 + static_cast<long>(n1 + n2));
    c.ref.assign(r.begin() + 2 + static_cast<long>(n1 + n2), r.end());
    EXPECT_EQ(c.ref.size(), 9u);
    cases.push_back(c);
  }
  return cases;
}

template <typename T>
void check_cases(const std::vector<Case>& cases, double rel, double abs) {
  int index = 0;
  for (const auto& c : cases) {
    const std::vector<T> a(c.a.begin(), c.a.end()), b(c.b.begin(), c.b.end());
    const std::string id = "case " + std::to_string(index++) + " (n=" + std::to_string(a.size()) +
                           "," + std::to_string(b.size()) + ")";
    for (int welch = 0; welch < 2; ++welch) {
      const double* ref = c.ref.data() + 3 * welch;
      const std::string w = welch ? " welch" : " student";
      const auto two = ttest_ind(std::span<const T>(a), std::span<const T>(b), !welch);
      const auto greater =
          ttest_ind(std::span<const T>(a), std::span<const T>(b), !welch, Alternative::Greater);
      expect_close(two.t, ref[0], rel, abs, id + w + " t");
      expect_close(two.p, ref[1], rel, abs * 1e-4, id + w + " p two-sided");
      expect_close(greater.p, ref[2], rel, abs * 1e-4, id + w + " p greater");
    }
    const std::vector<double> ad(a.begin(), a.end()), bd(b.begin(), b.end());
    const auto mw2 = mann_whitney_u(ad, bd);
    const auto mwg = mann_whitney_u(ad, bd, Alternative::Greater);
    expect_close(mw2.u1, c.ref[6], 0, 0, id + " U1");
    expect_close(mw2.p, c.ref[7], 1e-10, 1e-15, id + " MWU p two-sided");
    expect_close(mwg.p, c.ref[8], 1e-10, 1e-15, id + " MWU p greater");
  }
  EXPECT_GT(index, 30);
}

TEST(TTestVsScipy, Float64And32) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r =
      test::run_python("ref_ttest_distributions.py", test::quote(dir.string()) + " ttest");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  {
    SCOPED_TRACE("float64: 1e-10 relative");
    check_cases<double>(read_cases(dir / "ttest.txt"), 1e-10, 1e-12);
  }
  {
    SCOPED_TRACE("float32: 1e-5 relative (scipy computes in float32)");
    check_cases<float>(read_cases(dir / "ttest_f32.txt"), 1e-5, 1e-6);
  }
}

TEST(TTest, EdgeCases) {
  const std::vector<double> empty, one{1.0}, three{1, 2, 3};
  EXPECT_TRUE(std::isnan(ttest_ind(empty, three).t));
  EXPECT_TRUE(std::isnan(ttest_ind(one, three).p) || std::isfinite(ttest_ind(one, three).p));
  // Both constant and equal: 0/0.
  const std::vector<double> z3{0, 0, 0}, z4{0, 0, 0, 0}, c4{2, 2, 2, 2};
  EXPECT_TRUE(std::isnan(ttest_ind(z3, z4).t));
  EXPECT_TRUE(std::isnan(ttest_ind(z3, z4, false).p));
  // Both constant, different: ±inf with p 0 (two-sided), as scipy.
  EXPECT_EQ(ttest_ind(c4, z3).t, std::numeric_limits<double>::infinity());
  EXPECT_EQ(ttest_ind(c4, z3).p, 0.0);
  EXPECT_EQ(ttest_ind(c4, z3, true, Alternative::Less).p, 1.0);
  EXPECT_EQ(parse_alternative("greater"), Alternative::Greater);
  EXPECT_THROW(parse_alternative("bigger"), Error);
  EXPECT_TRUE(std::isnan(mann_whitney_u(empty, three).p));
  // AUC = U1 / (n1 n2): perfect separation gives U1 = n1 n2.
  const std::vector<double> hi{5, 6, 7}, lo{1, 2, 3, 4};
  EXPECT_EQ(mann_whitney_u(hi, lo).u1, 12.0);
  // exact: P(U ≥ 12) for 3 vs 4 = 1 / C(7, 3) = 1/35.
  EXPECT_NEAR(mann_whitney_u(hi, lo, Alternative::Greater).p, 1.0 / 35, 1e-15);
}

}  // namespace
}  // namespace repscope::stats
