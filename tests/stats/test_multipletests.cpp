// Bonferroni, Holm, Benjamini–Hochberg and Benjamini–Yekutieli against statsmodels multipletests.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "nn/error.h"
#include "stats/multipletests.h"
#include "tests/support/test_env.h"

namespace repscope::stats {
namespace {

TEST(MultipleTestsVsStatsmodels, ExactValuesAndRejections) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("ref_multipletests.py", test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "multipletests.txt");
  ASSERT_TRUE(in);
  int cases = 0, bit_identical = 0, values = 0;
  double worst = 0;
  for (std::string line; std::getline(in, line); ++cases) {
    std::istringstream f(line);
    std::string method;
    double alpha;
    std::size_t n;
    f >> method >> alpha >> n;
    std::vector<double> p(n), q(n);
    std::vector<int> reject(n);
    std::string tok;
    for (auto& v : p) f >> tok, v = std::strtod(tok.c_str(), nullptr);
    for (auto& v : reject) f >> v;
    for (auto& v : q) f >> tok, v = std::strtod(tok.c_str(), nullptr);
    const auto ours = multipletests(p, alpha, parse_correction(method));
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(ours.reject[i], reject[i])
          << method << " alpha " << alpha << " n " << n << " i " << i;
      if (std::isnan(q[i])) {
        EXPECT_TRUE(std::isnan(ours.p_corrected[i]));
        continue;
      }
      const double e = std::fabs(ours.p_corrected[i] - q[i]);
      EXPECT_LE(e, 1e-10 * q[i]) << method << " n " << n << " i " << i;
      worst = std::max(worst, e / q[i]);
      bit_identical += ours.p_corrected[i] == q[i];
      ++values;
    }
  }
  EXPECT_EQ(cases, 144);
  EXPECT_EQ(bit_identical, values) << "max relative difference " << worst;
  std::cout << values << " corrected p-values, " << bit_identical
            << " bit-identical to statsmodels\n";
}

TEST(MultipleTests, RulesAndErrors) {
  const std::vector<double> p{0.01, 0.04, 0.03, 0.2};
  // BH by hand: sorted 0.01 0.03 0.04 0.2 → ×4/i: 0.04 0.06 0.0533 0.2 → min from right.
  const auto bh = multipletests(p, 0.05, Correction::FdrBH);
  EXPECT_DOUBLE_EQ(bh.p_corrected[0], 0.04);
  EXPECT_DOUBLE_EQ(bh.p_corrected[2], 0.04 / 0.75);
  EXPECT_DOUBLE_EQ(bh.p_corrected[1], 0.04 / 0.75);
  EXPECT_EQ(bh.reject, (std::vector<std::uint8_t>{1, 0, 0, 0}));
  const auto bonf = multipletests(std::vector<double>{0.5, 0.001}, 0.05, Correction::Bonferroni);
  EXPECT_EQ(bonf.p_corrected[0], 1.0);  // clipped
  EXPECT_EQ(bonf.p_corrected[1], 0.002);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto with_nan = multipletests(std::vector<double>{nan, 0.01}, 0.05, Correction::Holm);
  EXPECT_TRUE(std::isnan(with_nan.p_corrected[0]));
  EXPECT_EQ(with_nan.reject[0], 0);
  EXPECT_EQ(with_nan.p_corrected[1], 0.01);  // family of one
  EXPECT_THROW(multipletests(std::vector<double>{1.5}, 0.05, Correction::Holm), Error);
  EXPECT_THROW(multipletests(std::vector<double>{-0.1}, 0.05, Correction::Holm), Error);
  EXPECT_THROW(parse_correction("fdr_xx"), Error);
  EXPECT_EQ(parse_correction("fdr_by"), Correction::FdrBY);
  EXPECT_TRUE(multipletests(std::vector<double>{}, 0.05, Correction::FdrBY).reject.empty());
}

}  // namespace
}  // namespace repscope::stats
