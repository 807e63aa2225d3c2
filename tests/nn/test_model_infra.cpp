// Model infrastructure: tap selection (names, globs, presets), the weight-loading report
// (missing, unexpected, wrongly shaped, wrong architecture), --model auto detection, random-init
// determinism, and the layers / extract commands end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/file_util.h"
#include "io/npy.h"
#include "io/preprocess.h"
#include "io/safetensors.h"
#include "nn/error.h"
#include "nn/models/registry.h"
#include "nn/models/resnet.h"
#include "nn/models/vit.h"
#include "nn/parallel.h"
#include "tests/support/test_env.h"
#include "weights/model_loader.h"
#include "weights/random_init.h"

namespace repscope {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void save_params(
    Model& model, const std::filesystem::path& path,
    const std::function<void(std::vector<std::pair<std::string, Tensor>>&)>& edit = {}) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const Param& p : model.parameters()) tensors.emplace_back(p.name, *p.tensor);
  if (edit) edit(tensors);
  save_safetensors(path, tensors);
}

TEST(TapSelection, NamesGlobsAndPresets) {
  ResNet model(resnet_config("resnet50"));
  const auto taps = model.taps();
  EXPECT_EQ(TapSelection::parse("all", taps).names().size(), taps.size());
  const auto l4 = TapSelection::parse("layer4.*", taps);
  EXPECT_TRUE(l4.contains("layer4.2.relu_2"));
  EXPECT_FALSE(l4.contains("layer4"));
  const auto blocks = TapSelection::parse("blocks", taps);
  EXPECT_EQ(blocks.names().front(), "layer1.0");
  EXPECT_TRUE(blocks.contains("layer3"));
  EXPECT_TRUE(blocks.contains("fc"));
  EXPECT_FALSE(blocks.contains("layer3.0.conv1"));
  // paper1: a forward hook on a reused ReLU keeps the last (post-addition) call.
  const auto paper1 = TapSelection::parse("paper1", taps);
  EXPECT_TRUE(paper1.contains("layer1.0.relu_2"));
  EXPECT_FALSE(paper1.contains("layer1.0.relu"));
  EXPECT_FALSE(paper1.contains("layer1.0.add"));
  EXPECT_TRUE(paper1.contains("layer1.0.downsample.1"));
  EXPECT_TRUE(paper1.contains("avgpool"));
  // Combined lists keep execution order.
  const auto combo = TapSelection::parse("fc, conv1", taps);
  EXPECT_EQ(combo.names(), (std::vector<std::string>{"conv1", "fc"}));
  EXPECT_NE(
      error_of([&] { TapSelection::parse("layer9.*", taps); }).find("'layer9.*' matches no layer"),
      std::string::npos);
}

TEST(TapSelection, StreamsOnlySelectedTapsInOrder) {
  ResNet model(resnet_config("resnet18"));
  random_init(model, 1);
  const Tensor x = Tensor::full({1, 3, 64, 64}, 0.5f);
  std::vector<std::string> seen;
  TapContext ctx(TapSelection::parse("layer2.*.add,fc", model.taps()),
                 [&](const std::string& name, const Tensor&) { seen.push_back(name); });
  model.forward(x, ctx);
  EXPECT_EQ(seen, (std::vector<std::string>{"layer2.0.add", "layer2.1.add", "fc"}));
}

TEST(WeightLoading, ReportsEveryProblemAtOnce) {
  const auto dir = test::scratch_dir();
  ResNet source(resnet_config("resnet18"));
  random_init(source, 3);
  save_params(source, dir / "bad.safetensors", [](auto& t) {
    t.erase(std::remove_if(t.begin(), t.end(), [](auto& p) { return p.first == "fc.bias"; }),
            t.end());
    for (auto& p : t) {
      if (p.first == "layer1.0.conv1.weight") p.second = Tensor::zeros({64, 64, 1, 1});
    }
    t.emplace_back("extra.weight", Tensor::zeros({3}));
  });
  ResNet model(resnet_config("resnet18"));
  auto store = WeightStore::open(dir / "bad.safetensors");
  const std::string msg = error_of([&] { load_weights(model, store); });
  EXPECT_NE(msg.find("1 missing tensors:\n    fc.bias"), std::string::npos) << msg;
  EXPECT_NE(msg.find("layer1.0.conv1.weight (file [64, 64, 1, 1], model expects [64, 64, 3, 3])"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("extra.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.safetensors"), std::string::npos) << msg;
  EXPECT_FALSE(model.parameters().front().tensor->defined()) << "a failed load changes nothing";
}

TEST(WeightLoading, AllowUnusedWarnsAndF16Converts) {
  const auto dir = test::scratch_dir();
  ResNet source(resnet_config("resnet18"));
  random_init(source, 3);
  save_params(source, dir / "w.safetensors", [](auto& t) {
    for (auto& p : t) p.second = p.second.to(DType::F16);
    t.emplace_back("extra.weight", Tensor::zeros({3}));
  });
  ModelSource src;
  src.model = "auto";
  src.weights = dir / "w.safetensors";
  EXPECT_NE(error_of([&] { load_model(src); }).find("--allow-unused"), std::string::npos);
  src.allow_unused = true;
  LoadedModel m = load_model(src);
  EXPECT_EQ(m.model->name(), "resnet18");
  EXPECT_EQ(m.warnings, std::vector<std::string>{"extra.weight"});
  const Tensor w = *m.model->parameters().front().tensor;
  EXPECT_EQ(w.dtype(), DType::F32);
  EXPECT_EQ(w.at(5), f16_to_f32(f32_to_f16(source.parameters().front().tensor->at(5))));
}

TEST(WeightLoading, WrongArchitectureIsNamed) {
  const auto dir = test::scratch_dir();
  ResNet source(resnet_config("resnet18"));
  random_init(source, 3);
  save_params(source, dir / "resnet18.safetensors");
  ModelSource src;
  src.model = "vit_b_16";
  src.weights = dir / "resnet18.safetensors";
  const std::string msg = error_of([&] { load_model(src); });
  EXPECT_NE(msg.find("holds a resnet18 (torchvision naming) but --model is vit_b_16"),
            std::string::npos)
      << msg;
  // Without detection (a bare WeightStore), the report itself points at the architecture.
  VisionTransformer vit(vit_config("vit_b_16"));
  auto store = WeightStore::open(dir / "resnet18.safetensors");
  const std::string report = error_of([&] { load_weights(vit, store); });
  EXPECT_NE(report.find("another architecture"), std::string::npos) << report;
  EXPECT_NE(report.find("missing tensors"), std::string::npos) << report;
  // Mutually exclusive sources.
  src.random_seed = 1;
  EXPECT_NE(error_of([&] { load_model(src); }).find("exactly one"), std::string::npos);
}

TEST(ModelRegistry, DetectsArchitectureFromKeys) {
  for (const std::string name :
       {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "vit_b_16", "vit_l_32",
        "vit_h_14", "vit_base_patch16_224", "vit_small_patch16_224", "vit_large_patch16_224"}) {
    auto model = create_model(name);
    KeyShapes keys;
    for (const Param& p : model->parameters()) keys[p.name] = p.shape;
    EXPECT_EQ(detect_model(keys, "test"), name);
  }
  EXPECT_NE(error_of([] {
              detect_model({{"foo.weight", {3}}}, "file x");
            }).find("file x"),
            std::string::npos);
  EXPECT_NE(error_of([] { create_model("resnet19"); }).find("known models: resnet18"),
            std::string::npos);
}

TEST(RandomInit, SameForAnyThreadCountAndMatchesDistribution) {
  ResNet a(resnet_config("resnet18")), b(resnet_config("resnet18"));
  set_num_threads(1);
  random_init(a, 42);
  set_num_threads(0);
  random_init(b, 42);
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    ASSERT_EQ(
        std::memcmp(pa[i].tensor->raw_data(), pb[i].tensor->raw_data(), pa[i].tensor->nbytes()), 0)
        << pa[i].name;
  }
  // kaiming_normal fan_out: layer4.0.conv2 has std sqrt(2 / (512 * 9)).
  for (const Param& p : pa) {
    if (p.name != "layer4.0.conv2.weight") continue;
    double s2 = 0;
    for (std::int64_t i = 0; i < p.tensor->numel(); ++i)
      s2 += double(p.tensor->at(i)) * p.tensor->at(i);
    EXPECT_NEAR(std::sqrt(s2 / double(p.tensor->numel())), std::sqrt(2.0 / (512 * 9)), 2e-4);
  }
}

TEST(ExtractCommand, WritesOneNpyPerLayerMatchingTheLibrary) {
  const auto dir = test::scratch_dir();
  const auto floc = test::floc_dir();
  // Two fLoc images via a list file.
  write_text_file_atomic(dir / "list.txt", (floc / "adult/adult-1.jpg").string() + "\n" +
                                               (floc / "house/house-1.jpg").string() + "\n");
  const auto r = test::run_cli("extract --model resnet18 --random-init 7 --images " +
                               test::quote((dir / "list.txt").string()) +
                               " --layers layer4,fc,layer1.0.conv1 --batch 1 --quiet --out " +
                               test::quote((dir / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Tensor fc = read_npy(dir / "out/fc.npy");
  EXPECT_EQ(fc.shape(), (Shape{2, 1000}));
  EXPECT_EQ(read_npy(dir / "out/layer4.npy").shape(), (Shape{2, 512, 7, 7}));
  EXPECT_EQ(read_npy(dir / "out/layer1.0.conv1.npy").shape(), (Shape{2, 64, 56, 56}));
  EXPECT_TRUE(std::filesystem::exists(dir / "out/manifest.json"));
  EXPECT_NE(read_text_file(dir / "out/images.txt").find("house-1.jpg"), std::string::npos);
  // Same numbers as the library with the same seed and preprocessing, batch of 2.
  LoadedModel m = load_model({"resnet18", std::nullopt, 7, false, {}});
  const Tensor x = preprocess_files({floc / "adult/adult-1.jpg", floc / "house/house-1.jpg"},
                                    preprocess_preset("imagenet"));
  const Tensor y = m.model->forward(x);
  double worst = 0;
  for (std::int64_t i = 0; i < y.numel(); ++i)
    worst = std::max(worst, double(std::fabs(y.at(i) - fc.at(i))));
  EXPECT_LE(worst, 1e-5);
  // Pooled, f16.
  const auto r2 = test::run_cli("extract --model resnet18 --random-init 7 --images " +
                                test::quote((dir / "list.txt").string()) +
                                " --layers layer4 --pool mean --dtype f16 --quiet --out " +
                                test::quote((dir / "pooled").string()));
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  const Tensor pooled = read_npy(dir / "pooled/layer4.npy");
  EXPECT_EQ(pooled.shape(), (Shape{2, 512}));
  EXPECT_EQ(pooled.dtype(), DType::F16);
}

TEST(LayersCommand, ListsTapsAndRejectsUnknownModels) {
  const auto r = test::run_cli("layers --model resnet50");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("layer1.0.relu_2"), std::string::npos);
  EXPECT_NE(r.output.find("[2048, 7, 7]"), std::string::npos);
  const auto bad = test::run_cli("layers --model resnet19");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("unknown model 'resnet19'"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace repscope
