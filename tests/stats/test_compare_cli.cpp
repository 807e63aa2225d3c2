// The `repscope rdm` and `repscope compare` commands end to end: files in, files out, errors.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "io/file_util.h"
#include "io/npy.h"
#include "stats/compare.h"
#include "stats/inference.h"
#include "stats/rdm.h"
#include "tests/support/test_env.h"

namespace repscope {
namespace {

using test::quote;
using test::run_cli;

Tensor random_acts(std::int64_t n, std::uint64_t seed) {
  Tensor t = Tensor::empty({n, 3, 4}, DType::F32);
  std::uint64_t s = seed;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    t.data<float>()[i] = static_cast<float>(static_cast<double>(s >> 11) * 0x1.0p-53 - 0.5);
  }
  return t;
}

std::vector<double> as_vector(const Tensor& t) {
  return {t.data<double>(), t.data<double>() + t.numel()};
}

TEST(CompareCli, RdmThenCompareMatchesLibrary) {
  const auto dir = test::scratch_dir();
  const Tensor acts = random_acts(8, 1), target_acts = random_acts(8, 2);
  write_npy(dir / "acts.npy", acts);
  write_npy(dir / "target_acts.npy", target_acts);
  for (const char* f : {"acts", "target_acts"}) {
    const auto r =
        run_cli("rdm --acts " + quote((dir / (std::string(f) + ".npy")).string()) +
                " --metric cosine --out " + quote((dir / (std::string(f) + "_rdm.npy")).string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const std::vector<double> rdm = as_vector(read_npy(dir / "acts_rdm.npy"));
  EXPECT_EQ(rdm, stats::compute_rdm(acts, stats::RdmMetric::Cosine));
  const auto r =
      run_cli("compare --rdms " + quote((dir / "acts_rdm.npy").string()) + " --targets " +
              quote((dir / "target_acts_rdm.npy").string()) +
              " --method spearman --perm 99 --seed 5 --out " + quote((dir / "table.csv").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<double> target = as_vector(read_npy(dir / "target_acts_rdm.npy"));
  const stats::PermutationResult expected =
      stats::permutation_test(rdm, target, stats::CompareMethod::Spearman, 99, 5);
  std::ifstream in(dir / "table.csv");
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_EQ(header, "rdm,target,method,similarity,p_value,n_perm");
  std::stringstream fields(row);
  std::string name, tname, method, sim, p, n;
  std::getline(fields, name, ',');
  std::getline(fields, tname, ',');
  std::getline(fields, method, ',');
  std::getline(fields, sim, ',');
  std::getline(fields, p, ',');
  std::getline(fields, n, ',');
  EXPECT_EQ(name, "acts_rdm");
  EXPECT_EQ(method, "spearman");
  EXPECT_NEAR(std::stod(sim), stats::compare_rdms(rdm, target, stats::CompareMethod::Spearman),
              1e-15);
  EXPECT_EQ(std::stod(p), expected.p_value);
  EXPECT_EQ(n, "99");
}

TEST(CompareCli, ErrorsNameTheArgumentOrFile) {
  const auto dir = test::scratch_dir();
  write_npy(dir / "acts.npy", random_acts(5, 1));
  auto r = run_cli("rdm --acts " + quote((dir / "acts.npy").string()) +
                   " --metric manhattan --out x.npy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("manhattan"), std::string::npos) << r.output;
  r = run_cli("compare --rdms " + quote((dir / "acts.npy").string()) + " --targets " +
              quote((dir / "acts.npy").string()) + " --out " + quote((dir / "t.csv").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("acts.npy"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "t.csv"));
  r = run_cli("rdm --out x.npy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--acts"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace repscope
