// The one way the CLI (and library users) get a ready model: by name or `auto`, with weights
// from a safetensors file or an untrained random initialisation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/model.h"
#include "weights/weight_store.h"

namespace repscope {

struct ModelSource {
  std::string model = "auto";                    // a registry name, or "auto" (needs weights)
  std::optional<std::filesystem::path> weights;  // safetensors file
  std::optional<std::uint64_t> random_seed;      // --random-init SEED (exclusive with weights)
  bool allow_unused = false;                     // unexpected keys warn instead of failing
  KeyTranslator translate;                       // optional file-key translation
};

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::vector<std::string> warnings;  // e.g. unused keys with allow_unused
};

// Builds and fills the model. Throws Error when the source is inconsistent (neither or both of
// weights and seed, `auto` without weights), when the file's detected architecture differs from
// the requested one ("holds a resnet50 ... but --model is vit_b_16"), or with WeightStore's full
// report of missing/unexpected/wrongly shaped tensors.
// CLIP files in any naming scheme (OpenAI, open_clip, HF) are recognised here and loaded through
// weights/clip_names.h; their taps keep OpenAI module paths.
LoadedModel load_model(const ModelSource& source);

// Registers the model families that live outside nn/ (CLIP, whose key schemes are in weights/)
// with the registry. Idempotent; load_model and create_model_for call it, and so should code that
// lists model_names() before loading anything.
void register_all_model_families();

// Builds the named model without weights (for listing taps). `auto` reads the file's keys.
std::unique_ptr<Model> create_model_for(const std::string& model,
                                        const std::optional<std::filesystem::path>& weights);

}  // namespace repscope
