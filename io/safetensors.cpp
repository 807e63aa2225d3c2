#include "io/safetensors.h"

#include "io/file_util.h"
#include "nn/error.h"

namespace repscope {

// Stub: the implementation lands in the next commit.
DType parse_safetensors_dtype(std::string_view name, std::string_view what) {
  fail(what, ": safetensors dtype '", name, "' not implemented yet");
}
std::string_view safetensors_dtype_name(DType) {
  fail("safetensors: not implemented yet");
}
SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  fail(path.string(), ": safetensors reading not implemented yet");
}
bool SafetensorsFile::contains(std::string_view name) const {
  return infos_.count(std::string(name)) > 0;
}
const SafetensorsTensorInfo& SafetensorsFile::info(std::string_view name) const {
  fail(path_.string(), ": no tensor '", name, "'");
}
Tensor SafetensorsFile::tensor(std::string_view name) const {
  return Tensor::empty(info(name).shape, info(name).dtype);
}
Tensor SafetensorsFile::tensor_f32(std::string_view name) const {
  return tensor(name).to(DType::F32);
}
void SafetensorsWriter::add(std::string name, const Tensor& tensor) {
  tensors_.emplace_back(std::move(name), tensor);
}
void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}
void SafetensorsWriter::write(const std::filesystem::path& path) const {
  fail(path.string(), ": safetensors writing not implemented yet");
}
void save_safetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  SafetensorsWriter w;
  for (const auto& [n, t] : tensors) w.add(n, t);
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);
  w.write(path);
}

}  // namespace repscope
