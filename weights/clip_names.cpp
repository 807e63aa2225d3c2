#include "weights/clip_names.h"

#include <cmath>

#include "nn/error.h"

namespace repscope {

std::string_view clip_file_scheme_name(ClipFileScheme scheme) {
  switch (scheme) {
    case ClipFileScheme::OpenAIVisual:
      return "openai-visual";
    case ClipFileScheme::OpenAIFull:
      return "openai-full";
    case ClipFileScheme::HF:
      return "hf";
  }
  return "?";
}

namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// A file saved from a DistributedDataParallel model has every key under `module.`.
std::string strip_module(const std::string& key) {
  return starts_with(key, "module.") ? key.substr(7) : key;
}

struct Keys {
  std::map<std::string, Shape> shapes;  // `module.` stripped
  const Shape* find(const std::string& key) const {
    auto it = shapes.find(key);
    return it == shapes.end() ? nullptr : &it->second;
  }
  const Shape& need(const std::string& key, std::size_t ndim) const {
    const Shape* s = find(key);
    check(s != nullptr, "CLIP weights: tensor '", key, "' is missing");
    check(s->size() == ndim, "CLIP weights: tensor '", key, "' has shape ", shape_str(*s),
          ", expected ", ndim, " dimensions");
    return *s;
  }
  int count(const std::string& before, const std::string& after) const {
    int n = 0;
    while (find(str(before, n, after))) ++n;
    return n;
  }
};

// positional embedding rows = grid^2 + 1
std::int64_t grid_of(std::int64_t rows, const std::string& key) {
  const auto g = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(rows - 1))));
  check(rows >= 2 && g * g + 1 == rows, "CLIP weights: tensor '", key, "' has ", rows,
        " rows, not a square grid of positions plus one");
  return g;
}

int to_int(std::int64_t v) {
  return static_cast<int>(v);
}

ClipDetection detect_resnet(const Keys& k, const std::string& p, ClipFileScheme scheme) {
  ClipDetection d;
  d.scheme = scheme;
  d.resnet = true;
  ClipResNetConfig& c = d.resnet_config;
  c.width = to_int(k.need(p + "conv1.weight", 4)[0] * 2);
  for (int s = 0; s < 4; ++s) {
    c.blocks[static_cast<std::size_t>(s)] = k.count(str(p, "layer", s + 1, "."), ".conv1.weight");
    check(c.blocks[static_cast<std::size_t>(s)] > 0, "CLIP weights: no blocks in ", p, "layer",
          s + 1);
  }
  const Shape& cp = k.need(p + "attnpool.c_proj.weight", 2);
  check(cp[1] == c.width * 32, "CLIP weights: '", p, "attnpool.c_proj.weight' has shape ",
        shape_str(cp), " but the stem width ", c.width, " needs ", c.width * 32, " input features");
  c.embed_dim = to_int(cp[0]);
  const std::string pos = p + "attnpool.positional_embedding";
  c.input_size = to_int(grid_of(k.need(pos, 2)[0], pos) * 32);
  c.name = "clip_rn_custom";
  for (const auto& name : clip_resnet_names()) {
    const ClipResNetConfig known = clip_resnet_config(name);
    if (known.blocks == c.blocks && known.width == c.width && known.embed_dim == c.embed_dim &&
        known.input_size == c.input_size) {
      c.name = name;
    }
  }
  d.model_name = c.name;
  return d;
}

void name_vit(ClipDetection& d) {
  ClipVitConfig& c = d.vit_config;
  c.heads = c.width % 64 == 0 ? c.width / 64 : 1;
  c.name = "clip_vit_custom";
  for (const auto& name : clip_vit_names()) {
    const ClipVitConfig known = clip_vit_config(name);
    if (known.input_size == c.input_size && known.patch == c.patch && known.width == c.width &&
        known.layers == c.layers && known.embed_dim == c.embed_dim) {
      c.name = name;
      c.heads = known.heads;
    }
  }
  d.model_name = c.name;
}

ClipDetection detect_vit(const Keys& k, const std::string& p, ClipFileScheme scheme) {
  ClipDetection d;
  d.scheme = scheme;
  ClipVitConfig& c = d.vit_config;
  const Shape& conv = k.need(p + "conv1.weight", 4);
  c.width = to_int(conv[0]);
  c.patch = to_int(conv[2]);
  const std::string pos = p + "positional_embedding";
  c.input_size = to_int(grid_of(k.need(pos, 2)[0], pos) * c.patch);
  c.layers = k.count(p + "transformer.resblocks.", ".ln_1.weight");
  check(c.layers > 0, "CLIP weights: no ", p, "transformer.resblocks.N in the file");
  c.embed_dim = to_int(k.need(p + "proj", 2)[1]);
  name_vit(d);
  return d;
}

ClipDetection detect_hf(const Keys& k) {
  ClipDetection d;
  d.scheme = ClipFileScheme::HF;
  ClipVitConfig& c = d.vit_config;
  const std::string e = "vision_model.embeddings.";
  const Shape& conv = k.need(e + "patch_embedding.weight", 4);
  c.width = to_int(conv[0]);
  c.patch = to_int(conv[2]);
  const std::string pos = e + "position_embedding.weight";
  c.input_size = to_int(grid_of(k.need(pos, 2)[0], pos) * c.patch);
  c.layers = k.count("vision_model.encoder.layers.", ".layer_norm1.weight");
  check(c.layers > 0, "CLIP weights: no vision_model.encoder.layers.N in the file");
  check(k.find("visual_projection.weight") != nullptr,
        "CLIP weights: 'visual_projection.weight' is missing: an HF CLIPVisionModel file has no "
        "image projection; use a CLIPModel or CLIPVisionModelWithProjection checkpoint");
  c.embed_dim = to_int(k.need("visual_projection.weight", 2)[0]);
  name_vit(d);
  return d;
}

}  // namespace

std::optional<ClipDetection> detect_clip(const std::map<std::string, Shape>& keys) {
  Keys k;
  for (const auto& [key, shape] : keys) k.shapes[strip_module(key)] = shape;
  if (k.find("vision_model.embeddings.patch_embedding.weight")) return detect_hf(k);
  for (const auto& [prefix, scheme] :
       {std::pair<std::string, ClipFileScheme>{"visual.", ClipFileScheme::OpenAIFull},
        {"", ClipFileScheme::OpenAIVisual}}) {
    if (!k.find(prefix + "conv1.weight")) continue;
    if (k.find(prefix + "attnpool.c_proj.weight")) return detect_resnet(k, prefix, scheme);
    if (k.find(prefix + "class_embedding")) return detect_vit(k, prefix, scheme);
  }
  return std::nullopt;
}

std::string detect_clip_model_name(const std::map<std::string, Shape>& keys) {
  const auto d = detect_clip(keys);
  if (!d) return "";
  check(is_clip_model_name(d->model_name), "CLIP weights (",
        d->resnet
            ? str("ModifiedResNet, stem width ", d->resnet_config.width, ", ",
                  d->resnet_config.input_size, " px")
            : str("ViT, width ", d->vit_config.width, ", ", d->vit_config.layers, " layers, patch ",
                  d->vit_config.patch, ", ", d->vit_config.input_size, " px"),
        ") match no published CLIP model");
  return d->model_name;
}

KeyTranslator clip_key_translator(ClipFileScheme scheme) {
  switch (scheme) {
    case ClipFileScheme::OpenAIVisual:
      return [](const std::string& key) { return strip_module(key); };
    case ClipFileScheme::OpenAIFull:
      return [](const std::string& key) {
        const std::string k = strip_module(key);
        return starts_with(k, "visual.") ? k.substr(7) : std::string();
      };
    case ClipFileScheme::HF:
      return [](const std::string& key) {
        const std::string k = strip_module(key);
        return starts_with(k, "vision_model.") || k == "visual_projection.weight" ? k
                                                                                  : std::string();
      };
  }
  return {};
}

std::unique_ptr<Model> make_clip_model(const ClipDetection& d) {
  if (d.resnet) {
    check(d.scheme != ClipFileScheme::HF, "HF has no CLIP ResNet naming");
    return std::make_unique<ClipResNet>(d.resnet_config);
  }
  return std::make_unique<ClipVit>(
      d.vit_config, d.scheme == ClipFileScheme::HF ? ClipVitScheme::HF : ClipVitScheme::OpenAI);
}

bool is_clip_model_name(const std::string& name) {
  for (const auto* names : {&clip_resnet_names(), &clip_vit_names()}) {
    for (const auto& n : *names) {
      if (n == name) return true;
    }
  }
  return false;
}

std::unique_ptr<Model> make_clip_model(const std::string& name, ClipFileScheme scheme) {
  for (const auto& n : clip_resnet_names()) {
    if (n == name) {
      check(scheme != ClipFileScheme::HF, "model ", name, ": HF has no CLIP ResNet naming");
      return std::make_unique<ClipResNet>(clip_resnet_config(name));
    }
  }
  return std::make_unique<ClipVit>(clip_vit_config(name), scheme == ClipFileScheme::HF
                                                              ? ClipVitScheme::HF
                                                              : ClipVitScheme::OpenAI);
}

std::unique_ptr<Model> load_clip_model(const std::filesystem::path& path,
                                       const std::string& expected_name, bool allow_unused,
                                       std::vector<std::string>* unused) {
  const auto detection = detect_clip(read_key_shapes(path));
  check(detection.has_value(), "weights file ", path.string(),
        " is not a CLIP image encoder in any known naming (OpenAI, open_clip, HF)");
  if (!expected_name.empty()) {
    check(detection->model_name == expected_name, "weights file ", path.string(), " holds ",
          detection->model_name, " (", clip_file_scheme_name(detection->scheme), " naming), not ",
          expected_name);
  }
  std::unique_ptr<Model> model = make_clip_model(*detection);
  WeightStore store = WeightStore::open(path, clip_key_translator(detection->scheme));
  auto extra = load_weights(*model, store, allow_unused);
  if (unused) *unused = std::move(extra);
  return model;
}

}  // namespace repscope
