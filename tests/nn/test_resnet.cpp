// torchvision ResNet parity: tap names equal get_graph_node_names (eval), parameter names and
// shapes equal the state_dict, and every tap of resnet18/resnet50 matches torchvision with
// seeded random weights on real fLoc images.
#include <gtest/gtest.h>

#include <set>

#include "nn/models/resnet.h"
#include "tests/nn/test_model_common.h"

namespace repscope {
namespace {

using test::read_lines;

std::filesystem::path run_reference(const std::string& arch, bool names_only) {
  const auto dir = test::scratch_dir();
  const auto r =
      test::run_python("ref_resnet.py", test::quote(arch) + " " + test::quote(dir.string()) + " " +
                                            test::quote(test::floc_dir().string()) +
                                            (names_only ? " --names-only" : ""));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return dir;
}

class ResNetNames : public ::testing::TestWithParam<std::string> {};

TEST_P(ResNetNames, TapsAndParametersEqualTorchvision) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = run_reference(GetParam(), true);
  ResNet model(resnet_config(GetParam()));
  std::vector<std::string> leaves, containers;
  for (const auto& t : model.taps()) (t.leaf ? leaves : containers).push_back(t.name);
  EXPECT_EQ(leaves, read_lines(dir / "graph_nodes.txt"));
  auto ref_containers = read_lines(dir / "containers.txt");
  std::sort(ref_containers.begin(), ref_containers.end());
  std::sort(containers.begin(), containers.end());
  EXPECT_EQ(containers, ref_containers);
  std::vector<std::string> ours;
  for (const auto& p : model.parameters()) ours.push_back(p.name + " " + shape_str(p.shape));
  std::vector<std::string> ref;
  for (const auto& line : read_lines(dir / "params.txt")) {
    if (line.find("num_batches_tracked") == std::string::npos) ref.push_back(line);
  }
  EXPECT_EQ(ours, ref);
}

INSTANTIATE_TEST_SUITE_P(AllDepths, ResNetNames,
                         ::testing::Values("resnet18", "resnet34", "resnet50", "resnet101",
                                           "resnet152"));

void check_parity(const std::string& arch) {
  const auto dir = run_reference(arch, false);
  ResNet model(resnet_config(arch));
  auto store = WeightStore::open(dir / "weights.safetensors");
  load_weights(model, store);
  const auto report = test::compare_all_taps(model, dir, 1e-4, "fc", 1e-5);
  EXPECT_GT(report.compared, 60);
  std::printf("%s: %d taps compared, worst relative error %.3g at %s\n", arch.c_str(),
              report.compared, report.worst, report.worst_tap.c_str());
}

TEST(ResNetParity, ResNet18EveryTap) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  check_parity("resnet18");
}

TEST(ResNetParity, ResNet50EveryTap) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  check_parity("resnet50");
}

}  // namespace
}  // namespace repscope
