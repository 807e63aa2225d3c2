// CLIP image encoders at full size against OpenAI's own model code (PyPI `openai-clip`): every
// tap of clip_rn50 and clip_vit_b_32 on two real fLoc images, and the other published configs at
// reduced depth (full width and resolution). Labelled slow: minutes under a sanitizer.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "io/safetensors.h"
#include "tests/nn/test_clip_support.h"
#include "weights/clip_names.h"

namespace repscope {
namespace {

using test::relative_error;

struct Reference {
  Tensor images;
  std::vector<std::string> tap_names;
  SafetensorsFile taps;
};

Reference read_reference(const std::filesystem::path& dir) {
  return {SafetensorsFile::open(dir / "input.safetensors").tensor_f32("images"),
          test::read_lines(dir / "taps.txt"), SafetensorsFile::open(dir / "taps.safetensors")};
}

// Every tap of the model: names in the reference order, values within 1e-4, final <= 1e-5.
void check_every_tap(const std::string& arch, const std::string& model_name) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  test::run_ref_clip(dir, arch, "--schemes openai_visual");
  const Reference ref = read_reference(dir);
  auto model = load_clip_model(dir / "weights_openai_visual.safetensors", model_name);
  std::vector<std::string> ours;
  for (const auto& t : model->taps()) ours.push_back(t.name);
  ASSERT_EQ(ours, ref.tap_names);

  std::map<std::string, Shape> shapes;
  for (const auto& t : model->taps()) shapes[t.name] = t.shape;
  const auto taps = model->run(ref.images, TapSelection::parse("all", model->taps()));
  double worst = 0;
  std::string worst_name;
  for (const auto& name : ref.tap_names) {
    const Tensor want = ref.taps.tensor_f32(name);
    ASSERT_TRUE(taps.count(name)) << name;
    const Tensor& got = taps.at(name);
    Shape per_image(got.shape().begin() + 1, got.shape().end());
    EXPECT_EQ(per_image, shapes[name]) << name;
    EXPECT_EQ(got.shape(), want.shape()) << name;
    const double err = relative_error(got, want);
    EXPECT_LE(err, 1e-4) << name;
    if (err > worst) worst = err, worst_name = name;
  }
  const std::string& last = ref.tap_names.back();
  const double final_err = relative_error(taps.at(last), ref.taps.tensor_f32(last));
  EXPECT_LE(final_err, 1e-5) << last;
  std::printf("[ %s ] %zu taps, worst relative error %.3g (%s), final embedding %.3g\n",
              model_name.c_str(), ref.tap_names.size(), worst, worst_name.c_str(), final_err);
}

TEST(ClipParity, RN50EveryTap) {
  check_every_tap("rn50", "clip_rn50");
}

TEST(ClipParity, VitB32EveryTap) {
  check_every_tap("vit_b_32", "clip_vit_b_32");
}

// The other published configs: reduced depth, full width and resolution; every tap checked.
void check_reduced(const std::string& arch, const std::string& depth) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  test::run_ref_clip(dir, arch, "--depth " + depth);
  const Reference ref = read_reference(dir);
  auto model = load_clip_model(dir / "weights_openai_visual.safetensors");
  const auto taps = model->run(ref.images, TapSelection::parse("all", model->taps()));
  ASSERT_EQ(taps.size(), ref.tap_names.size());
  for (const auto& name : ref.tap_names) {
    ASSERT_TRUE(taps.count(name)) << name;
    EXPECT_LE(relative_error(taps.at(name), ref.taps.tensor_f32(name)), 1e-4) << name;
  }
  const std::string& last = ref.tap_names.back();
  EXPECT_LE(relative_error(taps.at(last), ref.taps.tensor_f32(last)), 1e-5);
}

TEST(ClipReduced, RN101) {
  check_reduced("rn101", "1,1,2,1");
}
TEST(ClipReduced, RN50x4) {
  check_reduced("rn50x4", "1,1,1,1");
}
TEST(ClipReduced, VitB16) {
  check_reduced("vit_b_16", "2");
}
TEST(ClipReduced, VitL14) {
  check_reduced("vit_l_14", "1");
}

}  // namespace
}  // namespace repscope
