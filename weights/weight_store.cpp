#include "weights/weight_store.h"

#include <algorithm>

#include "nn/error.h"

namespace repscope {

WeightStore WeightStore::open(const std::filesystem::path& path, KeyTranslator translate) {
  WeightStore store(SafetensorsFile::open(path));
  for (const std::string& file_key : store.file_.names()) {
    const std::string key = translate ? translate(file_key) : file_key;
    if (key.empty()) continue;
    auto [it, inserted] = store.file_key_.emplace(key, file_key);
    check(inserted, "weights file ", path.string(), ": tensors '", it->second, "' and '", file_key,
          "' both map to model key '", key, "'");
    store.shapes_[key] = store.file_.info(file_key).shape;
  }
  return store;
}

Tensor WeightStore::get(const std::string& key, const Shape& expected) {
  auto it = file_key_.find(key);
  if (it == file_key_.end()) {
    missing_.push_back(key);
    return {};
  }
  used_.insert(key);
  const Shape& have = shapes_.at(key);
  if (have != expected) {
    wrong_shape_.push_back(
        str(key, " (file ", shape_str(have), ", model expects ", shape_str(expected), ")"));
    return {};
  }
  Tensor t = file_.tensor_f32(it->second);
  // Kernels assume 64-byte alignment is not required, but 4-byte alignment is; tensor_f32
  // copies unaligned data, so the view is safe to use directly.
  return t;
}

std::vector<std::string> WeightStore::finish(
    bool allow_unused, const std::function<bool(const std::string&)>& ignorable) const {
  std::vector<std::string> unexpected;
  for (const auto& [key, file_key] : file_key_) {
    if (!used_.count(key) && !(ignorable && ignorable(key))) unexpected.push_back(file_key);
  }
  const bool bad =
      !missing_.empty() || !wrong_shape_.empty() || (!allow_unused && !unexpected.empty());
  if (!bad) return unexpected;
  std::string msg = str("weights file ", path().string(), " does not fit the model:");
  auto list = [&](const char* what, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    msg += str("\n  ", keys.size(), " ", what, ":");
    const std::size_t shown = std::min<std::size_t>(keys.size(), 40);
    for (std::size_t i = 0; i < shown; ++i) msg += "\n    " + keys[i];
    if (shown < keys.size()) msg += str("\n    ... and ", keys.size() - shown, " more");
  };
  list("missing tensors", missing_);
  list("wrongly shaped tensors", wrong_shape_);
  if (!allow_unused) list("unexpected tensors (pass --allow-unused to ignore them)", unexpected);
  if (!missing_.empty() && missing_.size() * 2 > used_.size() + missing_.size()) {
    msg +=
        "\n  (most tensors are missing: is this a weights file of another architecture or "
        "naming scheme? try --model auto)";
  }
  throw Error(msg);
}

std::vector<std::string> load_weights(Model& model, WeightStore& store, bool allow_unused) {
  ParamList params = model.parameters();
  std::vector<Tensor> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(store.get(p.name, p.shape));
  auto unused =
      store.finish(allow_unused, [&](const std::string& key) { return model.ignorable_key(key); });
  // Assign only once everything fits, so a failed load leaves the model unchanged.
  for (std::size_t i = 0; i < params.size(); ++i) *params[i].tensor = values[i];
  model.prepare();
  return unused;
}

std::map<std::string, Shape> read_key_shapes(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  std::map<std::string, Shape> out;
  for (const auto& name : file.names()) out[name] = file.info(name).shape;
  return out;
}

}  // namespace repscope
