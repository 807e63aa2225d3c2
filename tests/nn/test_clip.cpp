// CLIP weights in every naming scheme (OpenAI, open_clip, HF transformers): identical outputs from
// the same weights, matching OpenAI's model code; f16 files; config detection from keys and
// shapes; the errors for wrong files. Full-size parity: test_clip_parity.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "io/safetensors.h"
#include "nn/error.h"
#include "tests/nn/test_clip_support.h"
#include "weights/clip_names.h"
#include "weights/model_loader.h"
#include "nn/models/registry.h"

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

// The same (f16-representable) weights in every naming scheme give bit-identical embeddings,
// matching the reference; the f16 whole-model file loads with conversion.
void check_schemes(const std::string& arch, const std::string& depth, const std::string& schemes) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  test::run_ref_clip(dir, arch, "--depth " + depth + " --f16-exact --no-taps --schemes " + schemes);
  const Reference ref = read_reference(dir);
  const Tensor want = ref.taps.tensor_f32("output");
  Tensor first;
  std::string rest = schemes + ",";
  for (std::size_t at; (at = rest.find(',')) != std::string::npos; rest.erase(0, at + 1)) {
    const std::string scheme = rest.substr(0, at);
    SCOPED_TRACE(scheme);
    const auto path = dir / ("weights_" + scheme + ".safetensors");
    auto detection = detect_clip(read_key_shapes(path));
    ASSERT_TRUE(detection.has_value());
    EXPECT_EQ(detection->scheme, scheme == "hf"              ? ClipFileScheme::HF
                                 : scheme == "openai_visual" ? ClipFileScheme::OpenAIVisual
                                                             : ClipFileScheme::OpenAIFull);
    auto model = load_clip_model(path);
    const Tensor got = model->forward(ref.images);
    EXPECT_LE(relative_error(got, want), 1e-5);
    // The generic loader (what `repscope extract --model auto` uses) takes the same route.
    ModelSource source;
    source.weights = path;
    const Tensor via_loader = load_model(source).model->forward(ref.images);
    ASSERT_EQ(via_loader.shape(), got.shape());
    EXPECT_EQ(std::memcmp(via_loader.raw_data(), got.raw_data(), got.nbytes()), 0);
    if (!first.defined()) {
      first = got;
    } else {
      ASSERT_EQ(got.shape(), first.shape());
      EXPECT_EQ(std::memcmp(got.raw_data(), first.raw_data(), got.nbytes()), 0)
          << "not bit-identical to the first scheme";
    }
  }
}

TEST(ClipSchemes, VitOpenAIOpenClipHFIdentical) {
  check_schemes("vit_b_32", "1", "openai_visual,openai_full_f16,open_clip,hf");
}

TEST(ClipSchemes, ResNetOpenAIOpenClipIdentical) {
  check_schemes("rn50", "1,1,1,1", "openai_visual,openai_full_f16,open_clip");
}

// Detection from keys and shapes alone, for every published config and naming scheme.
std::map<std::string, Shape> key_shapes(Model& model, const std::string& prefix) {
  std::map<std::string, Shape> keys;
  for (const Param& p : model.parameters()) keys[prefix + p.name] = p.shape;
  return keys;
}

TEST(ClipDetect, EveryConfigEveryScheme) {
  std::vector<std::string> names = clip_resnet_names();
  names.insert(names.end(), clip_vit_names().begin(), clip_vit_names().end());
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    auto model = make_clip_model(name);
    for (const auto& [prefix, scheme] :
         {std::pair<std::string, ClipFileScheme>{"", ClipFileScheme::OpenAIVisual},
          {"visual.", ClipFileScheme::OpenAIFull},
          {"module.visual.", ClipFileScheme::OpenAIFull}}) {
      auto keys = key_shapes(*model, prefix);
      keys["logit_scale"] = {};  // text-tower keys of a whole-model file are ignored
      keys["transformer.resblocks.0.ln_1.weight"] = {512};
      auto d = detect_clip(keys);
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d->model_name, name);
      EXPECT_EQ(d->scheme, scheme);
      auto translate = clip_key_translator(scheme);
      EXPECT_EQ(translate(prefix + "conv1.weight"), "conv1.weight");
      if (!prefix.empty()) {
        EXPECT_EQ(translate("logit_scale"), "");
      }
    }
    if (name.find("vit") != std::string::npos) {
      auto hf = make_clip_model(name, ClipFileScheme::HF);
      EXPECT_EQ(hf->scheme(), "hf-clip");
      auto keys = key_shapes(*hf, "");
      keys["text_model.embeddings.token_embedding.weight"] = {49408, 512};
      auto d = detect_clip(keys);
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d->model_name, name);
      EXPECT_EQ(d->scheme, ClipFileScheme::HF);
      EXPECT_EQ(
          clip_key_translator(ClipFileScheme::HF)("text_model.embeddings.token_embedding.weight"),
          "");
      const auto vit = dynamic_cast<ClipVit*>(make_clip_model(*d).get());
      ASSERT_NE(vit, nullptr);
    } else {
      EXPECT_THROW(make_clip_model(name, ClipFileScheme::HF), Error);
    }
  }
}

TEST(ClipDetect, NotClip) {
  EXPECT_FALSE(
      detect_clip({{"conv1.weight", {64, 3, 7, 7}}, {"fc.weight", {1000, 2048}}}).has_value());
  EXPECT_FALSE(detect_clip({}).has_value());
  // Looks like CLIP but the positional embedding is no square grid.
  auto model = make_clip_model("clip_vit_b_32");
  auto keys = key_shapes(*model, "");
  keys["positional_embedding"] = {48, 768};
  EXPECT_THROW(detect_clip(keys), Error);
}

TEST(ClipDetect, HFVisionModelWithoutProjection) {
  auto model = make_clip_model("clip_vit_b_16", ClipFileScheme::HF);
  auto keys = key_shapes(*model, "");
  keys.erase("visual_projection.weight");
  try {
    detect_clip(keys);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("visual_projection.weight"), std::string::npos)
        << e.what();
  }
}

// A file with a missing, a wrongly shaped and an extra tensor: one error naming all three.
TEST(ClipErrors, WrongFiles) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  test::run_ref_clip(dir, "vit_b_32", "--depth 1 --no-taps --schemes openai_visual,hf");
  const auto good = dir / "weights_openai_visual.safetensors";
  const SafetensorsFile file = SafetensorsFile::open(good);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& name : file.names()) {
    if (name == "ln_post.bias") continue;
    Tensor t = file.tensor(name);
    if (name == "transformer.resblocks.0.mlp.c_fc.weight") t = Tensor::zeros({3072, 700});
    tensors.emplace_back(name, t);
  }
  tensors.emplace_back("surprise.weight", Tensor::zeros({4}));
  const auto bad = dir / "bad.safetensors";
  save_safetensors(bad, tensors);
  try {
    load_clip_model(bad);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* key :
         {"ln_post.bias", "transformer.resblocks.0.mlp.c_fc.weight", "surprise.weight"}) {
      EXPECT_NE(msg.find(key), std::string::npos) << key << " not in: " << msg;
    }
  }
  // A ViT file given to a ResNet, and an HF file loads as the ViT it is.
  try {
    load_clip_model(good, "clip_rn50");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not clip_rn50"), std::string::npos) << e.what();
  }
  EXPECT_EQ(load_clip_model(dir / "weights_hf.safetensors")->scheme(), "hf-clip");
  // Not a CLIP file at all.
  save_safetensors(dir / "resnet.safetensors", {{"conv1.weight", Tensor::zeros({64, 3, 7, 7})}});
  EXPECT_THROW(load_clip_model(dir / "resnet.safetensors"), Error);
}

TEST(ClipModel, BadInputNamesTheModel) {
  auto model = make_clip_model("clip_vit_b_32");
  try {
    model->forward(Tensor::zeros({1, 3, 224, 224}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not set"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace repscope

namespace repscope {
namespace {

// weights/convert.py on a TorchScript f16 archive (OpenAI's format), its --visual-only f32 form
// and an open_clip training checkpoint: each converted file loads and reproduces the embedding.
TEST(ClipConvert, ConvertedCheckpointsLoad) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("test_convert.py", "--out " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const SafetensorsFile expected = SafetensorsFile::open(dir / "expected.safetensors");
  const Tensor images = expected.tensor_f32("images");
  for (const auto& [file, key] : std::vector<std::pair<std::string, std::string>>{
           {"openai_vit.safetensors", "vit"},
           {"openai_vit_visual_f32.safetensors", "vit"},
           {"open_clip_vit.safetensors", "vit"},
           {"openai_rn.safetensors", "rn"},
           {"openai_rn_visual_f32.safetensors", "rn"}}) {
    SCOPED_TRACE(file);
    auto model = load_clip_model(dir / file);
    EXPECT_LE(test::relative_error(model->forward(images), expected.tensor_f32(key)), 1e-5);
  }
}

}  // namespace
}  // namespace repscope

namespace repscope {
namespace {

TEST(ClipDetect, RegisteredWithTheModelRegistry) {
  register_all_model_families();
  EXPECT_EQ(create_model("clip_vit_b_32")->name(), "clip_vit_b_32");
  auto rn = create_model("clip_rn50");
  std::map<std::string, Shape> keys;
  for (const Param& p : rn->parameters()) keys[p.name] = p.shape;
  // The torchvision ResNet detector must step aside for CLIP's ModifiedResNet.
  EXPECT_EQ(detect_model(keys, "test"), "clip_rn50");
  const auto names = model_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "clip_vit_l_14_336"), names.end());
}

TEST(ClipDetect, RegistryHook) {
  auto model = make_clip_model("clip_rn50x4");
  std::map<std::string, Shape> keys;
  for (const Param& p : model->parameters()) keys["visual." + p.name] = p.shape;
  EXPECT_EQ(detect_clip_model_name(keys), "clip_rn50x4");
  EXPECT_EQ(detect_clip_model_name({{"fc.weight", {1000, 512}}}), "");
  keys.erase("visual.layer4.0.conv1.weight");  // a stage with no blocks left: inconsistent
  EXPECT_THROW(detect_clip_model_name(keys), Error);
}

}  // namespace
}  // namespace repscope
