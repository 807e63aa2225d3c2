#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include "io/file_util.h"
#include "io/json.h"
#include "nn/error.h"

namespace repscope {

namespace {

constexpr DType kSafetensorsDTypes[] = {DType::F64, DType::F32, DType::F16, DType::BF16,
                                        DType::I64, DType::I32, DType::I16, DType::I8,
                                        DType::U8,  DType::Bool};

std::uint64_t read_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A non-negative JSON integer, or an Error naming the tensor and the field.
std::uint64_t header_uint(const Json& j, const std::string& where) {
  check(j.is_int() && j.as_int() >= 0, where, " must be a non-negative integer, got ",
        j.is_int() ? std::to_string(j.as_int()) : std::string(j.type_name()));
  return static_cast<std::uint64_t>(j.as_int());
}

}  // namespace

DType parse_safetensors_dtype(std::string_view name, std::string_view what) {
  for (DType t : kSafetensorsDTypes) {
    if (safetensors_dtype_name(t) == name) return t;
  }
  fail(what, ": unsupported dtype \"", name,
       "\" (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
}

std::string_view safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F64:
      return "F64";
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I64:
      return "I64";
    case DType::I32:
      return "I32";
    case DType::I16:
      return "I16";
    case DType::I8:
      return "I8";
    case DType::U8:
      return "U8";
    case DType::Bool:
      return "BOOL";
  }
  fail("invalid dtype value ", static_cast<int>(dtype));
}

// ---------------------------------------------------------------------------------------------
// Reader

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile f;
  f.path_ = path;
  std::shared_ptr<const MappedFile> file = MappedFile::open(path, /*populate=*/true);
  const std::string where = path.string();
  const std::uint64_t size = file->size();
  check(size >= 8, where, ": not a safetensors file: ", size,
        " bytes, too short for the 8-byte header length");
  const std::uint64_t header_len = read_le64(file->data());
  check(header_len <= kSafetensorsMaxHeaderBytes, where, ": safetensors header length ", header_len,
        " is over the limit of ", kSafetensorsMaxHeaderBytes,
        " bytes (corrupt or not a safetensors file)");
  check(header_len <= size - 8, where, ": safetensors header length ", header_len,
        " runs past the end of the file (", size, " bytes): truncated or not a safetensors file");
  const std::string_view header(reinterpret_cast<const char*>(file->data() + 8),
                                static_cast<std::size_t>(header_len));
  const std::size_t bad = find_invalid_utf8(header);
  check(bad == std::string_view::npos, where, ": safetensors header is not valid UTF-8 (byte ", bad,
        " of the header)");
  check(!header.empty() && header.front() == '{', where,
        ": safetensors header does not start with '{' (not a safetensors file?)");
  const Json root = parse_json(header, where + " (safetensors header)");
  check(root.is_object(), where, ": safetensors header is a JSON ", root.type_name(),
        ", not an object");

  f.data_start_ = 8 + header_len;
  const std::uint64_t buffer_size = size - f.data_start_;
  std::vector<const SafetensorsTensorInfo*> by_offset;
  for (std::size_t m = 0; m < root.size(); ++m) {
    const std::string& name = root.keys()[m];
    const Json& entry = root.values()[m];
    if (name == "__metadata__") {
      check(entry.is_object(), where, ": \"__metadata__\" must be an object of strings, got a ",
            entry.type_name());
      for (std::size_t k = 0; k < entry.size(); ++k) {
        const Json& v = entry.values()[k];
        check(v.is_string(), where, ": \"__metadata__\" value of \"", entry.keys()[k],
              "\" must be a string, got a ", v.type_name());
        f.metadata_[entry.keys()[k]] = v.as_string();
      }
      continue;
    }
    const std::string what = str(where, ": tensor '", name, "'");
    check(entry.is_object(), what, ": header entry must be an object, got a ", entry.type_name());
    const Json* dtype = entry.find("dtype");
    const Json* shape = entry.find("shape");
    const Json* offsets = entry.find("data_offsets");
    check(dtype && shape && offsets, what,
          ": header entry needs \"dtype\", \"shape\" and \"data_offsets\"");
    check(dtype->is_string(), what, ": \"dtype\" must be a string");
    check(shape->is_array(), what, ": \"shape\" must be an array");
    check(offsets->is_array() && offsets->size() == 2, what,
          ": \"data_offsets\" must be [begin, end]");

    SafetensorsTensorInfo info;
    info.name = name;
    info.dtype = parse_safetensors_dtype(dtype->as_string(), what);
    std::uint64_t numel = 1;
    bool numel_overflow = false;
    for (const Json& d : shape->elements()) {
      const std::uint64_t n = header_uint(d, what + ": shape entry");
      check(n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), what,
            ": shape entry ", n, " is too large");
      info.shape.push_back(static_cast<std::int64_t>(n));
      if (n != 0 && numel > std::numeric_limits<std::uint64_t>::max() / n) numel_overflow = true;
      numel *= n;
    }
    info.begin = header_uint(offsets->at(std::size_t{0}), what + ": data_offsets begin");
    info.end = header_uint(offsets->at(std::size_t{1}), what + ": data_offsets end");
    check(info.begin <= info.end, what, ": data_offsets [", info.begin, ", ", info.end,
          ") end before they begin");
    const std::uint64_t range = info.end - info.begin;
    const std::uint64_t elem = dtype_size(info.dtype);
    const bool size_ok = !numel_overflow &&
                         numel <= std::numeric_limits<std::uint64_t>::max() / elem &&
                         numel * elem == range;
    check(size_ok, what, ": shape ", shape_str(info.shape), " x ",
          safetensors_dtype_name(info.dtype), " does not match its byte range [", info.begin, ", ",
          info.end, ") of ", range, " bytes");
    check(info.end <= buffer_size, what, ": byte range [", info.begin, ", ", info.end,
          ") is past the end of the data buffer (", buffer_size, " bytes): file truncated?");
    f.names_.push_back(name);
    by_offset.push_back(&f.infos_.emplace(name, std::move(info)).first->second);
  }

  // The reference reader requires the tensors to tile the buffer exactly; so do we.
  std::stable_sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t expected = 0;
  const SafetensorsTensorInfo* prev = nullptr;
  for (const SafetensorsTensorInfo* t : by_offset) {
    if (t->begin < expected) {
      fail(where, ": tensors '", prev->name, "' [", prev->begin, ", ", prev->end, ") and '",
           t->name, "' [", t->begin, ", ", t->end, ") overlap");
    }
    if (t->begin > expected) {
      fail(where, ": gap of ", t->begin - expected, " bytes in the data buffer before tensor '",
           t->name, "' (tensors must be contiguous)");
    }
    expected = t->end;
    prev = t;
  }
  check(expected == buffer_size, where, ": data buffer has ", buffer_size,
        " bytes but the tensors cover ", expected, " (trailing bytes after the last tensor)");
  f.file_ = std::move(file);
  return f;
}

bool SafetensorsFile::contains(std::string_view name) const {
  return infos_.find(std::string(name)) != infos_.end();
}

const SafetensorsTensorInfo& SafetensorsFile::info(std::string_view name) const {
  const auto it = infos_.find(std::string(name));
  if (it == infos_.end()) fail(path_.string(), ": no tensor named '", name, "'");
  return it->second;
}

Tensor SafetensorsFile::tensor(std::string_view name) const {
  const SafetensorsTensorInfo& i = info(name);
  const std::uint8_t* p = file_->data() + data_start_ + i.begin;
  const std::size_t bytes = static_cast<std::size_t>(i.end - i.begin);
  if (reinterpret_cast<std::uintptr_t>(p) % dtype_size(i.dtype) == 0) {
    // The mapping is read-only memory; the storage keeps the mapping alive.
    auto storage = Storage::wrap(const_cast<std::uint8_t*>(p), bytes, Device::CPU, file_);
    return Tensor::view_of(std::move(storage), 0, i.shape, i.dtype);
  }
  Tensor t = Tensor::empty(i.shape, i.dtype);
  if (bytes) std::memcpy(t.raw_data(), p, bytes);
  return t;
}

Tensor SafetensorsFile::tensor_f32(std::string_view name) const {
  return tensor(name).to(DType::F32);
}

// ---------------------------------------------------------------------------------------------
// Writer

void SafetensorsWriter::add(std::string name, const Tensor& tensor) {
  check(!name.empty(), "safetensors writer: empty tensor name");
  check(name != "__metadata__",
        "safetensors writer: \"__metadata__\" is reserved, not a tensor name");
  check(find_invalid_utf8(name) == std::string::npos,
        "safetensors writer: tensor name is not valid UTF-8");
  check(tensor.defined(), "safetensors writer: tensor '", name, "' is undefined");
  check(tensor.device() == Device::CPU, "safetensors writer: tensor '", name, "' is on ",
        device_name(tensor.device()), "; copy it to the CPU first");
  for (const auto& [n, t] : tensors_)
    check(n != name, "safetensors writer: duplicate tensor name '", name, "'");
  tensors_.emplace_back(std::move(name), tensor);
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  // Widest dtype first (stable): with a header padded to 8 bytes every tensor is then aligned.
  std::vector<std::size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return dtype_size(tensors_[a].second.dtype()) > dtype_size(tensors_[b].second.dtype());
  });
  std::vector<std::uint64_t> begin(tensors_.size());
  std::uint64_t offset = 0;
  for (std::size_t k : order) {
    begin[k] = offset;
    offset += tensors_[k].second.nbytes();
  }

  Json header = Json::object();
  if (!metadata_.empty()) {
    Json& meta = header["__metadata__"];
    meta = Json::object();
    for (const auto& [k, v] : metadata_) meta.set(k, Json(v));
  }
  for (std::size_t k = 0; k < tensors_.size(); ++k) {
    const Tensor& t = tensors_[k].second;
    Json entry = Json::object();
    entry["dtype"] = safetensors_dtype_name(t.dtype());
    Json shape = Json::array();
    for (std::int64_t d : t.shape()) shape.push_back(d);
    entry["shape"] = std::move(shape);
    entry["data_offsets"] = Json::array({begin[k], begin[k] + t.nbytes()});
    header.set(tensors_[k].first, std::move(entry));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  AtomicFile out(path);
  std::uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(text.size() >> (8 * i));
  out.write(len, 8);
  out.write(text.data(), text.size());
  for (std::size_t k : order) {
    const Tensor& t = tensors_[k].second;
    if (t.nbytes()) out.write(t.raw_data(), t.nbytes());
  }
  out.commit();
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
