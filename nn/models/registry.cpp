#include "nn/models/registry.h"

#include <cmath>

#include "nn/error.h"
#include "nn/models/resnet.h"
#include "nn/models/vit.h"

namespace repscope {

int count_indexed(const KeyShapes& keys, const std::string& prefix, const std::string& suffix) {
  int n = 0;
  while (keys.count(prefix + std::to_string(n) + suffix)) ++n;
  return n;
}

namespace {

const Shape* find(const KeyShapes& keys, const std::string& key) {
  auto it = keys.find(key);
  return it == keys.end() ? nullptr : &it->second;
}

std::string detect_resnet(const KeyShapes& keys) {
  const Shape* stem = find(keys, "conv1.weight");
  if (!stem || !keys.count("layer1.0.conv1.weight") || !keys.count("bn1.running_mean")) return "";
  // CLIP's ModifiedResNet shares these keys; its attention pool tells it apart (CLIP family).
  if (keys.count("attnpool.c_proj.weight")) return "";
  check(*stem == Shape{64, 3, 7, 7}, "ResNet stem conv1.weight is ", shape_str(*stem),
        ", torchvision ResNets have [64, 3, 7, 7]");
  const bool bottleneck = keys.count("layer1.0.conv3.weight") > 0;
  std::array<int, 4> blocks{};
  for (int s = 0; s < 4; ++s) {
    blocks[static_cast<std::size_t>(s)] =
        count_indexed(keys, "layer" + std::to_string(s + 1) + ".", ".conv1.weight");
  }
  for (const char* name : {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"}) {
    const ResNetConfig c = resnet_config(name);
    if (c.bottleneck == bottleneck && c.blocks == blocks) return name;
  }
  fail("ResNet weights with ", bottleneck ? "Bottleneck" : "BasicBlock", " blocks [", blocks[0],
       ", ", blocks[1], ", ", blocks[2], ", ", blocks[3],
       "] per stage match no torchvision ResNet");
}

std::string detect_vit(const KeyShapes& keys) {
  const bool tv = keys.count("conv_proj.weight") > 0;
  const bool tm =
      keys.count("patch_embed.proj.weight") > 0 && keys.count("blocks.0.attn.qkv.weight");
  if (!tv && !tm) return "";
  const Shape& proj = keys.at(tv ? "conv_proj.weight" : "patch_embed.proj.weight");
  const Shape* pos = find(keys, tv ? "encoder.pos_embedding" : "pos_embed");
  check(proj.size() == 4 && pos && pos->size() == 3, "ViT weights: unexpected patch embedding ",
        shape_str(proj), " or missing positional embedding");
  const std::int64_t width = proj[0], patch = proj[2];
  const int depth = tv ? count_indexed(keys, "encoder.layers.encoder_layer_", ".ln_1.weight")
                       : count_indexed(keys, "blocks.", ".norm1.weight");
  const auto grid =
      static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>((*pos)[1] - 1))));
  const std::int64_t size = grid * patch;
  if (tv) {
    for (const char* name : {"vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"}) {
      const ViTConfig c = vit_config(name);
      if (c.patch == patch && c.width == width && c.depth == depth && c.input_size == size)
        return name;
    }
    fail("torchvision-style ViT weights (patch ", patch, ", width ", width, ", ", depth,
         " layers, ", size,
         " px) match no torchvision ViT (vit_b_16, vit_b_32, vit_l_16, "
         "vit_l_32, vit_h_14 at 224 px)");
  }
  const char* size_name = width == 192    ? "tiny"
                          : width == 384  ? "small"
                          : width == 768  ? "base"
                          : width == 1024 ? "large"
                          : width == 1280 ? "huge"
                                          : nullptr;
  check(size_name != nullptr, "timm ViT weights of width ", width, " match no known size");
  const std::string name = str("vit_", size_name, "_patch", patch, "_", size);
  check(vit_config(name).depth == depth, "timm ViT weights: ", depth, " blocks, but ", name,
        " has ", vit_config(name).depth);
  return name;
}

std::vector<ModelFamily>& families() {
  static std::vector<ModelFamily> list = [] {
    std::vector<ModelFamily> l;
    l.push_back({"torchvision-resnet",
                 {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"},
                 [](const std::string& n) {
                   return n == "resnet18" || n == "resnet34" || n == "resnet50" ||
                          n == "resnet101" || n == "resnet152";
                 },
                 [](const std::string& n) -> std::unique_ptr<Model> {
                   return std::make_unique<ResNet>(resnet_config(n));
                 },
                 detect_resnet});
    l.push_back({"vit",
                 {"vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14",
                  "vit_tiny_patch16_224", "vit_small_patch16_224", "vit_base_patch16_224",
                  "vit_base_patch32_224", "vit_large_patch16_224", "vit_huge_patch14_224"},
                 is_vit_name,
                 [](const std::string& n) -> std::unique_ptr<Model> {
                   return std::make_unique<VisionTransformer>(vit_config(n));
                 },
                 detect_vit});
    return l;
  }();
  return list;
}

}  // namespace

void register_model_family(ModelFamily family) {
  families().push_back(std::move(family));
}
const std::vector<ModelFamily>& model_families() {
  return families();
}

std::unique_ptr<Model> create_model(const std::string& name) {
  for (const auto& f : families()) {
    if (f.accepts(name)) return f.create(name);
  }
  std::string known;
  for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  fail("unknown model '", name, "'; known models: ", known, " (or 'auto' with --weights)");
}

std::vector<std::string> model_names() {
  std::vector<std::string> out;
  for (const auto& f : families()) out.insert(out.end(), f.names.begin(), f.names.end());
  return out;
}

std::string detect_model(const KeyShapes& keys, const std::string& source) {
  for (const auto& f : families()) {
    if (!f.detect) continue;
    const std::string name = f.detect(keys);
    if (!name.empty()) return name;
  }
  std::string sample;
  int shown = 0;
  for (const auto& [k, s] : keys) {
    if (shown++ == 5) break;
    sample += (sample.empty() ? "" : ", ") + k;
  }
  fail("cannot tell the architecture of ", source, ": its keys (", keys.size(), ": ", sample,
       ", ...) follow no known naming scheme; pass --model explicitly");
}

}  // namespace repscope
