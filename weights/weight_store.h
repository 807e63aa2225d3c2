// Loading a model's parameters from a safetensors file, with one complete report of what is
// wrong: every missing, unexpected and wrongly shaped tensor is listed in a single Error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "nn/model.h"

namespace repscope {

// Maps a key of the file to the model's key ("" drops the key). Identity when empty.
using KeyTranslator = std::function<std::string(const std::string& file_key)>;

class WeightStore {
 public:
  // Opens `path` (memory-mapped). Throws Error naming the path when it is not a valid
  // safetensors file, or when two file keys translate to the same model key.
  static WeightStore open(const std::filesystem::path& path, KeyTranslator translate = {});

  const std::filesystem::path& path() const { return file_.path(); }
  // Model-side keys and their shapes (after translation).
  const std::map<std::string, Shape>& shapes() const { return shapes_; }
  bool contains(const std::string& key) const { return shapes_.count(key) > 0; }

  // The tensor for model key `key` as f32 (f16/bf16/f64 converted on load), marked as used.
  // A missing key or a shape other than `expected` is recorded (not thrown) and an undefined
  // tensor returned, so finish() can report every problem at once.
  Tensor get(const std::string& key, const Shape& expected);

  // Throws one Error listing all missing and wrongly shaped tensors, and the unexpected ones
  // (keys never get()-ed, except those `ignorable` accepts) unless `allow_unused`. Returns the
  // unexpected keys (as warnings when allowed).
  std::vector<std::string> finish(bool allow_unused,
                                  const std::function<bool(const std::string&)>& ignorable) const;

 private:
  explicit WeightStore(SafetensorsFile file) : file_(std::move(file)) {}
  SafetensorsFile file_;
  std::map<std::string, std::string> file_key_;  // model key -> file key
  std::map<std::string, Shape> shapes_;
  std::set<std::string> used_;
  std::vector<std::string> missing_, wrong_shape_;
};

// Loads every parameter of `model` from `store`, then store.finish(). Returns the unused keys
// (non-empty only with allow_unused). Throws the combined report otherwise.
std::vector<std::string> load_weights(Model& model, WeightStore& store, bool allow_unused = false);

// Key -> shape of a safetensors file (the input of architecture detection).
std::map<std::string, Shape> read_key_shapes(const std::filesystem::path& path);

// Hex SHA-256 of a file's bytes (recorded in extract manifests), and of a buffer.
std::string sha256_file(const std::filesystem::path& path);
std::string sha256_hex(const std::uint8_t* data, std::size_t size);

}  // namespace repscope
