// CLIP image-encoder weight files in every naming scheme users have: recognising them, inferring
// the architecture and config from keys and shapes, and mapping their keys to the model's.
//
// Schemes (see docs/weights.md):
//  - OpenAIVisual: the visual tower alone, OpenAI keys without prefix (`conv1.weight`, ...).
//  - OpenAIFull:   a whole CLIP model with the `visual.` prefix: OpenAI's `.pt` converted by
//                  weights/convert.py, and open_clip checkpoints (same keys). Text-tower keys
//                  are dropped. A leading `module.` (DistributedDataParallel) is stripped too.
//  - HF:           Hugging Face CLIPModel / CLIPVisionModelWithProjection (`vision_model.*`,
//                  separate q/k/v, `visual_projection.weight`). ViT only; text keys dropped.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "nn/models/clip_resnet.h"
#include "nn/models/clip_vit.h"
#include "weights/weight_store.h"

namespace repscope {

enum class ClipFileScheme { OpenAIVisual, OpenAIFull, HF };
std::string_view clip_file_scheme_name(ClipFileScheme scheme);  // "openai-visual", ...

// What a weights file holds, inferred from its keys and shapes alone.
struct ClipDetection {
  ClipFileScheme scheme = ClipFileScheme::OpenAIVisual;
  bool resnet = false;  // ModifiedResNet (resnet config) or ViT (vit config)
  ClipResNetConfig resnet_config;
  ClipVitConfig vit_config;  // heads = width / 64, as in every OpenAI and open_clip B and L model
  // The registry name when the config equals a published one ("clip_rn50"), else
  // "clip_rn_custom" / "clip_vit_custom".
  std::string model_name;
};

// Recognises a CLIP image encoder (any scheme) from key -> shape (weight_store.h's
// read_key_shapes). nullopt when the file is not a CLIP image encoder. Throws Error when it looks
// like one but its shapes are inconsistent (e.g. a positional embedding that is not a square
// grid plus one), naming the tensor.
std::optional<ClipDetection> detect_clip(const std::map<std::string, Shape>& keys);

// For the model registry's `detect` hook (nn/models/registry.h ModelFamily): the published model
// name of a CLIP file, "" when the keys are no CLIP image encoder. Throws Error for a CLIP file
// whose config matches no published model (reduced-depth files load through load_clip_model).
std::string detect_clip_model_name(const std::map<std::string, Shape>& keys);

// Maps file keys to the keys of a model built by make_clip_model for that scheme; keys of other
// towers map to "" (dropped, not reported as unexpected).
KeyTranslator clip_key_translator(ClipFileScheme scheme);

// A model for the detected architecture, config and naming scheme.
std::unique_ptr<Model> make_clip_model(const ClipDetection& detection);
// The registry model `name` (clip_rn50 ... clip_vit_l_14_336) with parameter names for `scheme`.
// Throws Error for HF with a ResNet (HF has no CLIP ResNet).
std::unique_ptr<Model> make_clip_model(const std::string& name,
                                       ClipFileScheme scheme = ClipFileScheme::OpenAIVisual);
bool is_clip_model_name(const std::string& name);

// Opens a CLIP weights file, detects it, builds the model and loads it (f16/bf16 converted).
// With `expected_name` non-empty the file must hold that architecture, otherwise Error (e.g. a
// clip_rn50 file given to clip_vit_b_32). Returns the loaded model; `unused` receives the
// unexpected keys when allow_unused (otherwise they are an error).
std::unique_ptr<Model> load_clip_model(const std::filesystem::path& path,
                                       const std::string& expected_name = "",
                                       bool allow_unused = false,
                                       std::vector<std::string>* unused = nullptr);

}  // namespace repscope
