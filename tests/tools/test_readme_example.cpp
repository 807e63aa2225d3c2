// The README's library example, compiled and run, so the front page cannot drift from the API.
// (The README loads a weights file; here the same calls run on an untrained network.)
#include <gtest/gtest.h>

#include <cmath>

#include "io/preprocess.h"
#include "nn/model.h"
#include "stats/compare.h"
#include "stats/rdm.h"
#include "tests/support/test_env.h"
#include "weights/model_loader.h"

using namespace repscope;

TEST(ReadmeExample, LayerRdmAgainstAnotherLayer) {
  std::vector<std::filesystem::path> paths;
  for (const char* cat : {"adult", "body", "house", "word"}) {
    paths.push_back(test::floc_dir() / cat / (std::string(cat) + "-1.jpg"));
    if (!std::filesystem::exists(paths.back())) GTEST_SKIP() << "fLoc images not found";
  }
  // --- as in README.md ---
  ModelSource src;
  src.model = "resnet18";
  src.random_seed = 1;  // README: src.weights = "resnet50.safetensors";
  auto model = load_model(src).model;
  Tensor batch = preprocess_files(paths, preprocess_preset(model->default_preset()));
  auto taps = model->run(batch, TapSelection::parse("layer1,layer4", model->taps()));
  std::vector<double> rdm = stats::compute_rdm(taps.at("layer4"), stats::RdmMetric::Cosine);
  std::vector<double> target = stats::compute_rdm(taps.at("layer1"), stats::RdmMetric::Cosine);
  double rho = stats::compare_rdms(rdm, target, stats::CompareMethod::Spearman);
  // ---
  EXPECT_EQ(rdm.size(), 6u);
  EXPECT_TRUE(std::isfinite(rho));
  EXPECT_LE(std::abs(rho), 1.0 + 1e-12);
}
