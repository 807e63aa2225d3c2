// The incomplete beta, Student t and normal tails against mpmath (60 digits) and scipy, far into
// the tails.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "stats/distributions.h"
#include "tests/support/test_env.h"

namespace repscope::stats {
namespace {

double rel_err(double ours, double ref) {
  if (ours == ref) return 0;
  return std::fabs(ours - ref) / std::fabs(ref);
}

constexpr double kSmallestNormal = std::numeric_limits<double>::min();

void check_student_t_sf(const std::filesystem::path& dir) {
  double worst_mp = 0, worst_scipy = 0;
  int compared = 0;
  for (const auto& r : test::read_number_rows(dir / "t_sf.txt")) {
    const double t = r[0], df = r[1], scipy = r[2], mp = r[3];
    const double ours = student_t_sf(t, df);
    if (mp < 1e-300) {  // below scipy's and our normal range: just no garbage
      EXPECT_LE(ours, 1e-290) << "t=" << t << " df=" << df;
      continue;
    }
    const double e_mp = rel_err(ours, mp);
    EXPECT_LE(e_mp, 1e-10) << "t=" << t << " df=" << df << " ours=" << ours << " mp=" << mp;
    worst_mp = std::max(worst_mp, e_mp);
    // Against scipy where scipy itself is accurate.
    if (rel_err(scipy, mp) < 1e-12) {
      const double e = rel_err(ours, scipy);
      EXPECT_LE(e, 1e-10) << "t=" << t << " df=" << df << " ours=" << ours << " scipy=" << scipy;
      worst_scipy = std::max(worst_scipy, e);
    }
    ++compared;
    // cdf is the mirror image
    EXPECT_EQ(student_t_cdf(-t, df), ours);
  }
  EXPECT_GT(compared, 400);
  std::cout << "t.sf: max relative error vs mpmath " << worst_mp << ", vs scipy " << worst_scipy
            << " over " << compared << " points\n";
}

void check_incomplete_beta(const std::filesystem::path& dir) {
  double worst = 0;
  for (const auto& r : test::read_number_rows(dir / "beta.txt")) {
    const double a = r[0], b = r[1], x = r[2];
    const BetaTails ours = incomplete_beta(a, b, x, 1.0 - x);
    for (auto [got, want] : {std::pair{ours.lower, r[3]}, std::pair{ours.upper, r[4]}}) {
      if (want < kSmallestNormal) continue;
      const double e = rel_err(got, want);
      EXPECT_LE(e, 1e-10) << "a=" << a << " b=" << b << " x=" << x << " got " << got << " want "
                          << want;
      worst = std::max(worst, e);
    }
  }
  std::cout << "incomplete beta: max relative error vs mpmath " << worst << "\n";
}

void check_normal(const std::filesystem::path& dir) {
  for (const auto& r : test::read_number_rows(dir / "norm.txt")) {
    const double z = r[0];
    for (auto [got, want] : {std::pair{normal_sf(z), r[1]}, std::pair{normal_cdf(z), r[2]}}) {
      if (want < kSmallestNormal) {
        EXPECT_LT(got, 1e-300);
        continue;
      }
      EXPECT_LE(rel_err(got, want), 1e-12) << "z=" << z << " got " << got << " want " << want;
    }
  }
}

// One test, so the reference script (a few seconds of mpmath) runs once.
TEST(DistributionsVsReference, MatchMpmathAndScipyIntoTheTails) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("ref_ttest_distributions.py", test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  {
    SCOPED_TRACE("student t sf");
    check_student_t_sf(dir);
  }
  {
    SCOPED_TRACE("incomplete beta");
    check_incomplete_beta(dir);
  }
  {
    SCOPED_TRACE("normal");
    check_normal(dir);
  }
}

TEST(Distributions, SpecialValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(std::isnan(student_t_sf(nan, 3)));
  EXPECT_TRUE(std::isnan(student_t_sf(1, nan)));
  EXPECT_TRUE(std::isnan(student_t_sf(1, 0)));
  EXPECT_TRUE(std::isnan(student_t_sf(1, -2)));
  EXPECT_EQ(student_t_sf(0, 7), 0.5);
  EXPECT_EQ(student_t_sf(inf, 7), 0.0);
  EXPECT_EQ(student_t_sf(-inf, 7), 1.0);
  EXPECT_EQ(student_t_sf(1.3, inf), normal_sf(1.3));
  // Cauchy (df = 1) has a closed form: sf(t) = 1/2 − atan(t)/π; far tail ≈ 1/(π t).
  for (double t : {-3.0, -0.5, 0.25, 1.0, 7.0}) {
    EXPECT_NEAR(student_t_sf(t, 1), 0.5 - std::atan(t) / M_PI, 1e-15);
  }
  EXPECT_NEAR(student_t_sf(1e200, 1) * M_PI * 1e200, 1.0, 1e-12);
  // df = 2: sf(t) = (1 − t/sqrt(2 + t²))/2 = 1 / (sqrt(2+t²) (sqrt(2+t²) + t))
  for (double t : {0.5, 3.0, 1e3, 1e100}) {
    const double s = std::sqrt(2 + t * t);
    EXPECT_LE(rel_err(student_t_sf(t, 2), 1.0 / (s * (s + t))), 1e-13) << t;
  }
  EXPECT_TRUE(std::isnan(incomplete_beta_lower(-1, 2, 0.5)));
  EXPECT_TRUE(std::isnan(incomplete_beta_lower(1, 2, 1.5)));
  EXPECT_EQ(incomplete_beta_lower(2, 3, 0), 0);
  EXPECT_EQ(incomplete_beta_upper(2, 3, 1), 0);
  // I_x(1, 1) = x; I_x(a, 1) = x^a
  EXPECT_NEAR(incomplete_beta_lower(1, 1, 0.3), 0.3, 1e-15);
  EXPECT_LE(rel_err(incomplete_beta_lower(3.5, 1, 0.2), std::pow(0.2, 3.5)), 1e-13);
  EXPECT_NEAR(log_beta(1, 1), 0, 1e-15);
  EXPECT_LE(rel_err(log_beta(800, 0.5), std::lgamma(800) + std::lgamma(0.5) - std::lgamma(800.5)),
            1e-12);
  EXPECT_LE(rel_err(log_beta(30, 40), std::lgamma(30) + std::lgamma(40) - std::lgamma(70)), 1e-13);
}

}  // namespace
}  // namespace repscope::stats
