// safetensors files (https://github.com/huggingface/safetensors): reading by memory map, writing
// atomically.
//
// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
//   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value", ...}}
// then the data buffer (offsets are relative to its start), C order, little-endian.
//
// The reader is as strict as the reference (Rust) implementation: the header must be valid JSON
// of that form, at most 100 MB, with known dtypes, shape x dtype size == byte range, and the
// tensors' byte ranges must tile the data buffer exactly (no overlap, no gap, no trailing bytes).
// Every error names the file and, where there is one, the tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nn/tensor.h"

namespace repscope {

class MappedFile;

// Largest header a reader accepts (the reference implementation's limit).
inline constexpr std::uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

// "F32" <-> DType::F32 etc. (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL).
// The parser throws Error naming `what` for other names (F8_E4M3, U16, ...).
DType parse_safetensors_dtype(std::string_view name, std::string_view what);
std::string_view safetensors_dtype_name(DType dtype);

// What the header says about one tensor.
struct SafetensorsTensorInfo {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::uint64_t begin = 0;  // byte range in the data buffer, [begin, end)
  std::uint64_t end = 0;
};

// A safetensors file opened for reading. The file is memory-mapped once; tensors returned by
// tensor() share the mapping (zero-copy) when their data is aligned for their dtype, and are
// copied otherwise. The mapping stays alive as long as this object or any such tensor does.
class SafetensorsFile {
 public:
  // Maps and validates the whole header. Throws Error naming the path on any problem.
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  // Tensor names in the order the header lists them.
  const std::vector<std::string>& names() const { return names_; }
  std::size_t size() const { return names_.size(); }
  bool contains(std::string_view name) const;
  // Throws Error naming the file and the tensor when there is no such tensor.
  const SafetensorsTensorInfo& info(std::string_view name) const;
  // The tensor in its stored dtype (zero-copy when aligned, see above).
  Tensor tensor(std::string_view name) const;
  // The tensor converted to f32 (a new tensor unless it is stored as F32). F16/BF16 weights
  // are converted exactly; integers through double.
  Tensor tensor_f32(std::string_view name) const;
  // The "__metadata__" string map (empty when the file has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  std::shared_ptr<const MappedFile> file_;
  std::uint64_t data_start_ = 0;  // file offset of the data buffer
  std::vector<std::string> names_;
  std::unordered_map<std::string, SafetensorsTensorInfo> infos_;
  std::map<std::string, std::string> metadata_;
};

// Collects named tensors and writes them as one safetensors file. Tensors are held by
// reference (shared storage), not copied, until write(). The header lists tensors in the order
// they were added; their data is laid out widest dtype first so every tensor is aligned for its
// dtype when read back. The header is padded with spaces to a multiple of 8 bytes, like the
// reference writer. Files load with the Python `safetensors` package.
class SafetensorsWriter {
 public:
  // Adds a CPU tensor under `name`. Throws Error on a duplicate or empty name, a CUDA tensor,
  // or the reserved name "__metadata__".
  void add(std::string name, const Tensor& tensor);
  // Adds one "__metadata__" entry (replacing an earlier value of the same key).
  void set_metadata(std::string key, std::string value);
  // Writes everything to `path` through AtomicFile: the file appears complete or not at all.
  void write(const std::filesystem::path& path) const;

 private:
  std::vector<std::pair<std::string, Tensor>> tensors_;
  std::map<std::string, std::string> metadata_;
};

// One-call form of SafetensorsWriter.
void save_safetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace repscope
