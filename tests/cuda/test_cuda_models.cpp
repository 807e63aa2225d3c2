// Every tap of resnet50, vit_b_16, clip_rn50 and clip_vit_b_32 on the GPU (exact mode) against
// the CPU path, random init: max |gpu - cpu| / max |cpu| <= 1e-4 per tap. Skipped without a GPU;
// models whose forward pass still has CPU-only token plumbing are skipped with that reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "cuda/model_device.h"
#include "cuda/precision.h"
#include "cuda/transfer.h"
#include "gpu_test_util.h"
#include "weights/model_loader.h"

namespace repscope::cuda {
namespace {

void compare_every_tap(const std::string& name) {
  ModelSource source;
  source.model = name;
  source.random_seed = 1234;
  LoadedModel loaded = load_model(source);
  Model& model = *loaded.model;
  if (!model_runs_on_cuda(model)) {
    GTEST_SKIP() << name
                 << ": its forward pass builds token sequences with CPU loops in "
                    "nn/models (see docs/cuda.md); not run on the GPU yet";
  }
  std::mt19937 rng(5);
  const int px = model.input_size();
  const Tensor images = test::random_tensor({2, 3, px, px}, rng);
  const TapSelection all = TapSelection::parse("all", model.taps());
  const std::map<std::string, Tensor> cpu = model.run(images, all);

  move_parameters(model, Device::CUDA);
  std::map<std::string, Tensor> gpu;
  TapContext ctx(all, [&](const std::string& tap, const Tensor& v) { gpu[tap] = to_cpu(v); });
  model.forward(to_device(images), ctx);
  double worst = 0.0;
  std::string worst_tap;
  for (const auto& [tap, ref] : cpu) {
    ASSERT_TRUE(gpu.count(tap)) << tap;
    const double err = test::relative_error(ref, gpu.at(tap));
    EXPECT_LE(err, 1e-4) << name << " tap " << tap;
    if (err > worst) {
      worst = err;
      worst_tap = tap;
    }
  }
  std::printf("%s: %zu taps, worst relative error %.3e (%s)\n", name.c_str(), cpu.size(), worst,
              worst_tap.c_str());
  // The fast modes, for docs/cuda.md (printed, bounded loosely).
  for (Precision p : {Precision::Tf32, Precision::Fp16, Precision::Bf16}) {
    ScopedPrecision scoped(p);
    gpu.clear();
    model.forward(to_device(images), ctx);
    double w = 0.0;
    for (const auto& [tap, ref] : cpu) w = std::max(w, test::relative_error(ref, gpu.at(tap)));
    std::printf("%s: precision %s worst tap relative error %.3e\n", name.c_str(),
                std::string(precision_name(p)).c_str(), w);
    EXPECT_LE(w, 0.2) << precision_name(p);
  }
}

TEST(CudaModels, Resnet50EveryTap) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  compare_every_tap("resnet50");
}
TEST(CudaModels, VitB16EveryTap) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  compare_every_tap("vit_b_16");
}
TEST(CudaModels, ClipRn50EveryTap) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  compare_every_tap("clip_rn50");
}
TEST(CudaModels, ClipVitB32EveryTap) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  compare_every_tap("clip_vit_b_32");
}

}  // namespace
}  // namespace repscope::cuda
