// ViT parity (torchvision and timm naming): tap names equal the modules forward hooks see (plus
// fx-style residual adds), parameters equal the state_dict, every tap of vit_b_16 and of a timm
// ViT matches the reference with seeded random weights, other sizes at reduced depth, and the same
// weights under torchvision and timm names give identical outputs.
#include <gtest/gtest.h>

#include "nn/models/vit.h"
#include "tests/nn/test_model_common.h"

namespace repscope {
namespace {

using test::read_lines;

std::filesystem::path run_reference(const std::string& arch, const std::string& extra) {
  const auto dir = test::scratch_dir();
  const auto r =
      test::run_python("ref_vit.py", test::quote(arch) + " " + test::quote(dir.string()) + " " +
                                         test::quote(test::floc_dir().string()) + " " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return dir;
}

ViTConfig config_with_depth(const std::string& arch, int depth) {
  ViTConfig c = vit_config(arch);
  if (depth > 0) c.depth = depth;
  return c;
}

class ViTNames : public ::testing::TestWithParam<std::string> {};

TEST_P(ViTNames, TapsAndParametersEqualReference) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = run_reference(GetParam(), "--depth 2 --images 1 --names-only");
  VisionTransformer model(config_with_depth(GetParam(), 2));
  std::vector<std::string> modules;
  for (const auto& t : model.taps()) {
    if (t.module_type != "input" && t.module_type != "add") modules.push_back(t.name);
  }
  EXPECT_EQ(modules, read_lines(dir / "hook_order.txt"));
  std::vector<std::string> ours;
  for (const auto& p : model.parameters()) ours.push_back(p.name + " " + shape_str(p.shape));
  EXPECT_EQ(ours, read_lines(dir / "params.txt"));
}

INSTANTIATE_TEST_SUITE_P(Configs, ViTNames,
                         ::testing::Values("vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32",
                                           "vit_h_14", "vit_base_patch16_224",
                                           "vit_small_patch16_224", "vit_large_patch16_224",
                                           "vit_base_patch32_224"));

void check_parity(const std::string& arch, int depth, const std::string& final_tap) {
  const auto dir = run_reference(arch, depth > 0 ? "--depth " + std::to_string(depth) : "");
  VisionTransformer model(config_with_depth(arch, depth));
  auto store = WeightStore::open(dir / "weights.safetensors");
  load_weights(model, store);
  const auto report = test::compare_all_taps(model, dir, 1e-4, final_tap, 1e-5);
  EXPECT_GT(report.compared, 10);
  std::printf("%s (depth %d): %d taps compared, worst relative error %.3g at %s\n", arch.c_str(),
              model.config().depth, report.compared, report.worst, report.worst_tap.c_str());
}

TEST(ViTParity, VitB16EveryTap) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  check_parity("vit_b_16", 0, "heads.head");
}

TEST(ViTParity, TimmVitSmallEveryTap) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  check_parity("vit_small_patch16_224", 0, "head");
}

TEST(ViTParity, ReducedDepthLargeModels) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  check_parity("vit_l_32", 2, "heads.head");
  check_parity("vit_h_14", 1, "heads.head");
}

TEST(ViTParity, TorchvisionAndTimmNamingGiveIdenticalOutputs) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = run_reference("vit_b_16", "--depth 2 --timm-copy vit_base_patch16_224");
  VisionTransformer tv(config_with_depth("vit_b_16", 2));
  VisionTransformer tm(config_with_depth("vit_base_patch16_224", 2));
  auto tv_store = WeightStore::open(dir / "weights.safetensors");
  auto tm_store = WeightStore::open(dir / "timm_weights.safetensors");
  load_weights(tv, tv_store);
  load_weights(tm, tm_store);
  const auto input = SafetensorsFile::open(dir / "input.safetensors");
  const Tensor x = input.tensor_f32("input");
  const Tensor a = tv.forward(x), b = tm.forward(x);
  ASSERT_EQ(a.shape(), b.shape());
  for (std::int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.at(i), b.at(i)) << "element " << i;
  EXPECT_LE(test::relative_max_error(a, input.tensor_f32("output")), 1e-5);
}

}  // namespace
}  // namespace repscope
