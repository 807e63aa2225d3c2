// The folded path (BatchNorms folded into convolutions: taken when only block outputs are
// selected) against PyTorch: torchvision resnet18/resnet50 and OpenAI CLIP RN50 with seeded random
// weights and random BatchNorm statistics on real fLoc images, the same references and tolerances
// as the every-tap parity tests (which select all taps and so check the unfolded path).
#include <gtest/gtest.h>

#include <cstdio>

#include "io/safetensors.h"
#include "nn/models/resnet.h"
#include "tests/nn/test_clip_support.h"
#include "tests/nn/test_model_common.h"
#include "weights/clip_names.h"
#include "weights/weight_store.h"

namespace repscope {
namespace {

// Runs `model` with the `blocks` preset and compares each of those taps with `ref`:
// relative error <= tol, <= final_tol for the last one (the model's output).
void compare_blocks(const Model& model, const Tensor& images, const SafetensorsFile& ref,
                    double tol, double final_tol) {
  const auto selection = TapSelection::parse("blocks", model.taps());
  const auto got = model.run(images, selection);
  const std::string& last = selection.names().back();
  double worst = 0;
  std::string worst_name;
  for (const auto& name : selection.names()) {
    if (!ref.contains(name)) continue;  // `flatten` has no module: no reference value
    ASSERT_TRUE(got.count(name)) << name;
    const Tensor want = ref.tensor_f32(name);
    const double err = test::relative_error(got.at(name).reshape(want.shape()), want);
    EXPECT_LE(err, name == last ? final_tol : tol) << name;
    if (err > worst) worst = err, worst_name = name;
  }
  ASSERT_TRUE(ref.contains(last)) << last;
  std::printf("[ %s folded ] %zu block taps, worst relative error %.3g (%s), %s %.3g\n",
              model.name().c_str(), selection.names().size(), worst, worst_name.c_str(),
              last.c_str(), test::relative_error(got.at(last), ref.tensor_f32(last)));
}

void check_resnet(const std::string& arch) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r =
      test::run_python("ref_resnet.py", test::quote(arch) + " " + test::quote(dir.string()) + " " +
                                            test::quote(test::floc_dir().string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ResNet model(resnet_config(arch));
  auto store = WeightStore::open(dir / "weights.safetensors");
  load_weights(model, store);  // prepares the folded weights
  const Tensor images = SafetensorsFile::open(dir / "input.safetensors").tensor_f32("input");
  compare_blocks(model, images, SafetensorsFile::open(dir / "taps.safetensors"), 1e-4, 1e-5);
}

TEST(FoldedParity, ResNet18Blocks) {
  check_resnet("resnet18");
}

TEST(FoldedParity, ResNet50Blocks) {
  check_resnet("resnet50");
}

TEST(FoldedParity, ClipRN50Blocks) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  test::run_ref_clip(dir, "rn50", "--schemes openai_visual");
  auto model = load_clip_model(dir / "weights_openai_visual.safetensors", "clip_rn50");
  const Tensor images = SafetensorsFile::open(dir / "input.safetensors").tensor_f32("images");
  compare_blocks(*model, images, SafetensorsFile::open(dir / "taps.safetensors"), 1e-4, 1e-5);
}

}  // namespace
}  // namespace repscope
