// Model names (as the CLI takes them) -> constructors, and architecture detection from a weights
// file's keys and shapes (`--model auto`).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/model.h"

namespace repscope {

// Key -> shape of a weights file.
using KeyShapes = std::map<std::string, Shape>;

// One family of architectures (ResNet, ViT, CLIP, ...).
struct ModelFamily {
  std::string family;                               // "torchvision-resnet", ...
  std::vector<std::string> names;                   // canonical names, for --help and docs
  std::function<bool(const std::string&)> accepts;  // name -> does this family build it
  std::function<std::unique_ptr<Model>(const std::string&)> create;
  // The model name for a weights file of this family, or "" when the keys are not its scheme.
  // Throws Error when the scheme matches but the configuration is not a known one.
  std::function<std::string(const KeyShapes&)> detect;
};

// Adds a family (families registered later are tried later). ResNet and ViT are built in.
void register_model_family(ModelFamily family);
const std::vector<ModelFamily>& model_families();

// Builds a model by name (weights not loaded). Throws Error listing the known names otherwise.
std::unique_ptr<Model> create_model(const std::string& name);
// All canonical names.
std::vector<std::string> model_names();
// Architecture of a weights file (`source` names it in errors). Throws Error when no family
// recognises the keys.
std::string detect_model(const KeyShapes& keys, const std::string& source);

// Helpers for detectors: largest N + 1 such that `prefix` N `suffix` is a key (0 when none).
int count_indexed(const KeyShapes& keys, const std::string& prefix, const std::string& suffix);

}  // namespace repscope
