// `repscope rsa` end to end on fLoc images with a random-init resnet18: layer RDMs, comparisons,
// permutation p-values, correction across layers and noise ceilings equal the stats library run
// directly on the same activations and targets; target files are checked before any work.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "io/json.h"
#include "io/npy.h"
#include "io/report/csv_table.h"
#include "stats/inference.h"
#include "stats/multipletests.h"
#include "stats/rdm.h"
#include "tests/tools/test_localizer_support.h"
#include "tools/pipeline/rsa.h"

namespace fs = std::filesystem;
using namespace repscope;

namespace {

constexpr std::int64_t kN = 9;

Tensor random_tensor(Shape shape, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist;
  Tensor t = Tensor::empty(shape, DType::F64);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = dist(gen);
  return t;
}

Tensor square_of(const std::vector<double>& v, std::int64_t n) {
  const auto sq = stats::squareform(v);
  Tensor t = Tensor::empty({n, n}, DType::F64);
  std::copy(sq.begin(), sq.end(), t.data<double>());
  return t;
}

}  // namespace

TEST(RsaPipeline, TablesMatchTheStatsLibrary) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  test::make_floc_subset(root / "img", {"adult", "car", "house"}, 3);
  // Targets: a vector-form RDM, a feature matrix, per-subject square RDMs (noise ceiling).
  const Tensor features = random_tensor({kN, 5}, 1);
  write_npy(root / "features.npy", features);
  const auto vec = stats::compute_rdm(random_tensor({kN, 4}, 2), stats::RdmMetric::Euclidean);
  Tensor vt = Tensor::empty({static_cast<std::int64_t>(vec.size())}, DType::F64);
  std::copy(vec.begin(), vec.end(), vt.data<double>());
  write_npy(root / "vector.npy", vt);
  stats::RdmList subjects;
  Tensor subj = Tensor::empty({3, kN, kN}, DType::F64);
  for (int s = 0; s < 3; ++s) {
    subjects.push_back(stats::compute_rdm(
        random_tensor({kN, 6}, 10 + static_cast<std::uint32_t>(s)), stats::RdmMetric::Correlation));
    const Tensor sq = square_of(subjects.back(), kN);
    std::copy(sq.data<double>(), sq.data<double>() + kN * kN, subj.data<double>() + s * kN * kN);
  }
  write_npy(root / "subjects.npy", subj);

  const fs::path out = root / "out";
  auto r = test::run_cli(
      "rsa --model resnet18 --random-init 5 --images " + test::quote((root / "img").string()) +
      " --targets " + test::quote((root / "vector.npy").string()) + "," +
      test::quote((root / "features.npy").string()) + "," +
      test::quote((root / "subjects.npy").string()) +
      " --layers layer1,layer4,fc --perm 199 --seed 3 --keep-activations --quiet --out " +
      test::quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const std::vector<std::string> layers = {"layer1", "layer4", "fc"};
  std::vector<pipeline::Target> targets;
  for (const char* t : {"vector", "features", "subjects"})
    targets.push_back(
        pipeline::read_target(root / (std::string(t) + ".npy"), kN, stats::RdmMetric::Cosine));
  EXPECT_EQ(targets[0].kind, "rdm");
  EXPECT_EQ(targets[1].kind, "features");
  EXPECT_EQ(targets[2].kind, "subjects");
  const auto table = report::CsvTable::read(out / "rsa.csv");
  ASSERT_EQ(table.rows(), 9u);
  const auto method = stats::CompareMethod::Spearman;
  std::vector<std::vector<double>> p(3);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Tensor acts = read_npy(out / "activations" / (layers[l] + ".npy"));
    const auto rdm = stats::compute_rdm(acts, stats::RdmMetric::Cosine);
    const Tensor stored = read_npy(out / ("rdm_" + layers[l] + ".npy"));
    ASSERT_EQ(stored.shape(), (Shape{kN, kN}));
    EXPECT_EQ(stats::upper_triangle({stored.data<double>(), kN * kN}, kN), rdm) << layers[l];
    EXPECT_TRUE(fs::exists(out / ("mds_" + layers[l] + ".csv")));
    for (std::size_t j = 0; j < 3; ++j) {
      const std::size_t row = l * 3 + j;
      const auto& t = targets[j];
      EXPECT_EQ(table.text(row, table.column("layer")), layers[l]);
      EXPECT_EQ(table.text(row, table.column("target")),
                std::vector<std::string>({"vector", "features", "subjects"})[j]);
      double mean = 0;
      for (const auto& s : t.rdms) mean += stats::compare_rdms(rdm, s, method);
      mean /= static_cast<double>(t.rdms.size());
      EXPECT_NEAR(table.number(row, table.column("r")), mean, 1e-15);
      double expected_p;
      if (t.rdms.size() == 1) {
        expected_p = stats::permutation_test(t.rdms[0], rdm, method, 199, 3).p_value;
      } else {
        // The null of the subject mean: the same permutation k for every subject.
        std::vector<double> null(199, 0.0);
        double obs = 0;
        for (const auto& s : t.rdms) {
          const auto res = stats::permutation_test(s, rdm, method, 199, 3);
          obs += res.observed / 3.0;
          for (int k = 0; k < 199; ++k)
            null[static_cast<std::size_t>(k)] += res.null_distribution[static_cast<std::size_t>(k)];
        }
        int ge = 0;
        for (double v : null) ge += v / 3.0 >= obs ? 1 : 0;
        expected_p = (1.0 + ge) / 200.0;
        const auto nc = stats::noise_ceiling(t.rdms, method);
        EXPECT_NEAR(table.number(row, table.column("nc_lower")), nc.lower, 1e-15);
        EXPECT_NEAR(table.number(row, table.column("nc_upper")), nc.upper, 1e-15);
      }
      EXPECT_DOUBLE_EQ(table.number(row, table.column("p")), expected_p);
      p[j].push_back(expected_p);
    }
  }
  for (std::size_t j = 0; j < 3; ++j) {
    const auto mt = stats::multipletests(p[j], 0.05, stats::Correction::FdrBH);
    for (std::size_t l = 0; l < 3; ++l)
      EXPECT_DOUBLE_EQ(table.number(l * 3 + j, table.column("p_corrected")), mt.p_corrected[l]);
  }
  // The images sit in category folders: stimuli.csv labels the RDM blocks.
  const auto stimuli = report::CsvTable::read(out / "stimuli.csv");
  EXPECT_EQ(stimuli.rows(), static_cast<std::size_t>(kN));
  const std::string html = test::file_bytes(out / "report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(read_json_file(out / "manifest.json").at("targets").at(2).at("rdms").as_int(), 3);
}

TEST(RsaPipeline, WrongTargetSizeIsReportedBeforeAnyWork) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  test::make_floc_subset(root / "img", {"adult", "car"}, 3);
  write_npy(root / "bad.npy", random_tensor({7, 3}, 1));
  auto r = test::run_cli("rsa --model resnet18 --random-init 5 --images " +
                         test::quote((root / "img").string()) + " --targets " +
                         test::quote((root / "bad.npy").string()) + " --out " +
                         test::quote((root / "out").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bad.npy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[7, 3]"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root / "out"));
}

TEST(RsaPipeline, SquareTargetIsReadAsAnRdm) {
  const fs::path root = test::scratch_dir();
  const auto v = stats::compute_rdm(random_tensor({4, 3}, 4), stats::RdmMetric::Euclidean);
  write_npy(root / "sq.npy", square_of(v, 4));
  const auto t = pipeline::read_target(root / "sq.npy", 4, stats::RdmMetric::Cosine);
  EXPECT_EQ(t.kind, "rdm-square");
  EXPECT_EQ(t.rdms.at(0), v);
  // Not symmetric: a 4×4 feature matrix.
  write_npy(root / "f.npy", random_tensor({4, 4}, 5));
  EXPECT_EQ(pipeline::read_target(root / "f.npy", 4, stats::RdmMetric::Cosine).kind, "features");
}
