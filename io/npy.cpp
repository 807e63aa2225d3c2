#include "io/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include "io/file_util.h"
#include "nn/error.h"

namespace repscope {

namespace {

constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kAlign = 64;  // NumPy aligns the data start to 64 bytes

struct DescrEntry {
  std::string_view descr;
  DType dtype;
};
// The first spelling of each dtype is the one we write (NumPy's own).
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::F32}, {"<f8", DType::F64}, {"<f2", DType::F16},  {"<i8", DType::I64},
    {"<i4", DType::I32}, {"<i2", DType::I16}, {"|i1", DType::I8},   {"<i1", DType::I8},
    {"|u1", DType::U8},  {"<u1", DType::U8},  {"|b1", DType::Bool}, {"<b1", DType::Bool},
};

DType dtype_from_descr(std::string_view descr, std::string_view source) {
  for (const auto& e : kDescrs) {
    if (e.descr == descr) return e.dtype;
  }
  if (!descr.empty() && descr[0] == '>') {
    fail(source, ": big-endian data (descr '", descr, "') is not supported; save it little-endian");
  }
  fail(source, ": unsupported NPY dtype descr '", descr,
       "' (supported: <f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 |b1)");
}

std::uint64_t checked_bytes(const Shape& shape, DType dtype, std::string_view source) {
  std::uint64_t n = dtype_size(dtype);
  for (std::int64_t d : shape) {
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && n > std::numeric_limits<std::uint64_t>::max() / u) {
      fail(source, ": NPY shape ", shape_str(shape), " is too large");
    }
    n *= u;
  }
  return n;
}

// Reads the Python dict literal NumPy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (2,
// 3), }
class HeaderDictParser {
 public:
  HeaderDictParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  NpyHeader parse() {
    bool have_descr = false, have_order = false, have_shape = false, fortran = false;
    std::string descr;
    Shape shape;
    skip();
    expect('{');
    for (;;) {
      skip();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip();
      expect(':');
      skip();
      if (key == "descr") {
        check(!have_descr, source_, ": NPY header has 'descr' twice");
        if (peek() != '\'' && peek() != '"')
          error("'descr' must be a string (structured dtypes are not supported)");
        descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        check(!have_order, source_, ": NPY header has 'fortran_order' twice");
        if (text_.substr(pos_, 4) == "True") {
          fortran = true;
          pos_ += 4;
        } else if (text_.substr(pos_, 5) == "False") {
          pos_ += 5;
        } else {
          error("'fortran_order' must be True or False");
        }
        have_order = true;
      } else if (key == "shape") {
        check(!have_shape, source_, ": NPY header has 'shape' twice");
        shape = parse_shape();
        have_shape = true;
      } else {
        fail(source_, ": NPY header has an unexpected key '", key, "'");
      }
      skip();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip();
      if (peek() != '}') error("expected ',' or '}'");
    }
    ++pos_;  // }
    for (; pos_ < text_.size(); ++pos_) {
      if (text_[pos_] != ' ' && text_[pos_] != '\n' && text_[pos_] != '\t' && text_[pos_] != '\r') {
        error("unexpected text after the header dict");
      }
    }
    check(have_descr && have_order && have_shape, source_,
          ": NPY header must have 'descr', 'fortran_order' and 'shape'");
    NpyHeader h;
    h.dtype = dtype_from_descr(descr, source_);
    h.shape = std::move(shape);
    if (fortran) {
      // Fortran and C order are the same bytes when at most one dimension is larger than 1.
      int big = 0;
      for (std::int64_t d : h.shape) big += d > 1;
      check(big <= 1, source_,
            ": NPY data in Fortran order (fortran_order: True) is not supported; ",
            "save it with np.ascontiguousarray");
    }
    return h;
  }

 private:
  [[noreturn]] void error(std::string_view what) const {
    fail(source_, ": malformed NPY header at character ", pos_, ": ", what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c) error(str("expected '", c, "'"));
    ++pos_;
  }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') error("expected a quoted string");
    ++pos_;
    const std::size_t end = text_.find(q, pos_);
    if (end == std::string_view::npos) error("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    if (s.find('\\') != std::string::npos) error("escapes in strings are not supported");
    pos_ = end + 1;
    return s;
  }
  Shape parse_shape() {
    Shape shape;
    expect('(');
    for (;;) {
      skip();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') error("shape entries must be non-negative integers");
      std::int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        const int digit = peek() - '0';
        if (v > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
          error("shape entry too large");
        v = v * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix
      shape.push_back(v);
      skip();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') error("expected ',' or ')' in shape");
    }
    ++pos_;
    return shape;
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

// The complete preamble (magic, version, length, dict, padding, newline) for an array, padded so
// the data starts at a multiple of 64 and at least at `min_total` bytes.
std::string make_preamble(DType dtype, const Shape& shape, std::size_t min_total = 0) {
  std::string dict = "{'descr': '" + npy_descr(dtype) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    dict += shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : "");
  }
  dict += "), }";
  // Version 1 stores the header length in a u16; larger headers need version 2 (a u32).
  auto total_for = [&](std::size_t prefix) {
    std::size_t total = (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
    return std::max(total, (min_total + kAlign - 1) / kAlign * kAlign);
  };
  const bool v2 = total_for(10) - 10 > 65535;
  const std::size_t prefix = v2 ? 12 : 10;
  const std::size_t header_len = total_for(prefix) - prefix;
  std::string out(reinterpret_cast<const char*>(kMagic), 6);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  for (std::size_t i = 0; i < (v2 ? 4u : 2u); ++i)
    out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  out += dict;
  out.append(header_len - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

// The preamble size a stream writer reserves: enough for any int64 row count.
std::size_t reserved_preamble_size(DType dtype, const Shape& row_shape) {
  Shape widest{std::numeric_limits<std::int64_t>::max()};
  widest.insert(widest.end(), row_shape.begin(), row_shape.end());
  return make_preamble(dtype, widest).size();
}

void check_cpu_tensor(const Tensor& t, std::string_view what) {
  check(t.defined(), what, ": tensor is undefined");
  check(t.device() == Device::CPU, what, ": tensor is on ", device_name(t.device()),
        "; copy it to the CPU first");
}

// A tensor over bytes of a mapped file: zero-copy when aligned, else copied.
Tensor tensor_over_mapping(const std::shared_ptr<const MappedFile>& file, const NpyHeader& h) {
  const std::uint8_t* p = file->data() + h.data_offset;
  const auto bytes = static_cast<std::size_t>(h.data_bytes());
  if (reinterpret_cast<std::uintptr_t>(p) % dtype_size(h.dtype) == 0) {
    auto storage = Storage::wrap(const_cast<std::uint8_t*>(p), bytes, Device::CPU, file);
    return Tensor::view_of(std::move(storage), 0, h.shape, h.dtype);
  }
  Tensor t = Tensor::empty(h.shape, h.dtype);
  if (bytes) std::memcpy(t.raw_data(), p, bytes);
  return t;
}

// Parses the header of a mapped file and checks the data is all there.
NpyHeader checked_header(const MappedFile& file) {
  const std::string source = file.path().string();
  NpyHeader h = parse_npy_header(file.bytes(), source);
  const std::uint64_t available = file.size() - h.data_offset;
  check(available >= h.data_bytes(), source, ": truncated NPY file: shape ", shape_str(h.shape),
        " ", npy_descr(h.dtype), " needs ", h.data_bytes(), " bytes of data, the file has ",
        available);
  check(available == h.data_bytes(), source, ": NPY file has ", available - h.data_bytes(),
        " bytes after the data its header describes (corrupt or not finished)");
  return h;
}

}  // namespace

std::uint64_t NpyHeader::data_bytes() const {
  return static_cast<std::uint64_t>(shape_numel(shape)) * dtype_size(dtype);
}

NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, std::string_view source) {
  check(bytes.size() >= 10 && std::memcmp(bytes.data(), kMagic, 6) == 0, source,
        ": not an NPY file (no \\x93NUMPY magic string at the start)");
  const int major = bytes[6];
  check(major >= 1 && major <= 3, source, ": unsupported NPY format version ", major, ".",
        int{bytes[7]});
  std::size_t prefix = 10;
  std::uint64_t header_len = bytes[8] | (std::uint64_t{bytes[9]} << 8);
  if (major >= 2) {
    check(bytes.size() >= 12, source, ": truncated NPY header");
    prefix = 12;
    header_len |= (std::uint64_t{bytes[10]} << 16) | (std::uint64_t{bytes[11]} << 24);
  }
  check(header_len <= bytes.size() - prefix, source, ": truncated NPY header (", header_len,
        " header bytes announced, ", bytes.size() - prefix, " present)");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + prefix),
                              static_cast<std::size_t>(header_len));
  if (major < 3) {
    for (char c : text) {
      check(static_cast<unsigned char>(c) < 0x80, source, ": NPY header is not ASCII");
    }
  }
  NpyHeader h = HeaderDictParser(text, source).parse();
  h.major_version = major;
  h.data_offset = prefix + header_len;
  checked_bytes(h.shape, h.dtype, source);
  return h;
}

std::string npy_descr(DType dtype) {
  check(dtype != DType::BF16, "NPY: bf16 has no NumPy dtype; convert the tensor to f32 first");
  for (const auto& e : kDescrs) {
    if (e.dtype == dtype) return std::string(e.descr);
  }
  fail("NPY: invalid dtype value ", static_cast<int>(dtype));
}

Tensor read_npy(const std::filesystem::path& path) {
  const auto file = MappedFile::open(path);
  const NpyHeader h = checked_header(*file);
  Tensor t = Tensor::empty(h.shape, h.dtype);
  const auto bytes = static_cast<std::size_t>(h.data_bytes());
  if (bytes) std::memcpy(t.raw_data(), file->data() + h.data_offset, bytes);
  return t;
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  check_cpu_tensor(tensor, path.string());
  check(tensor.dtype() != DType::BF16, path.string(),
        ": bf16 has no NumPy dtype; convert the tensor to f32 first");
  const std::string preamble = make_preamble(tensor.dtype(), tensor.shape());
  AtomicFile out(path);
  out.write(preamble.data(), preamble.size());
  if (tensor.nbytes()) out.write(tensor.raw_data(), tensor.nbytes());
  out.commit();
}

NpyMappedFile NpyMappedFile::open(const std::filesystem::path& path) {
  NpyMappedFile f;
  f.path_ = path;
  auto file = MappedFile::open(path);
  f.header_ = checked_header(*file);
  f.file_ = std::move(file);
  return f;
}

Tensor NpyMappedFile::tensor() const {
  return tensor_over_mapping(file_, header_);
}

Tensor map_npy(const std::filesystem::path& path) {
  return NpyMappedFile::open(path).tensor();
}

// ---------------------------------------------------------------------------------------------
// Stream writer

struct NpyStreamWriter::Impl {
  std::filesystem::path path;
  DType dtype = DType::F32;
  Shape row_shape;
  std::uint64_t row_bytes = 0;
  std::int64_t rows = 0;
  std::size_t preamble_size = 0;
  bool closed = false;
  // Plain mode.
  std::unique_ptr<AtomicFile> atomic;
  // Resumable mode: "<path>.partial", written in place.
  std::filesystem::path partial;
  int fd = -1;
  std::uint64_t end = 0;

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  void init(DType t, Shape shape) {
    check(t != DType::BF16, path.string(), ": bf16 has no NumPy dtype; stream f32 instead");
    for (std::int64_t d : shape)
      check(d >= 0, path.string(), ": negative row dimension in ", shape_str(shape));
    dtype = t;
    row_shape = std::move(shape);
    row_bytes = checked_bytes(row_shape, dtype, path.string());
    preamble_size = reserved_preamble_size(dtype, row_shape);
  }

  void write_at(const void* data, std::size_t bytes, std::uint64_t offset) {
    if (atomic) {
      atomic->pwrite(data, bytes, offset);
      return;
    }
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
      const ssize_t n = ::pwrite(fd, p, bytes, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(partial.string(), ": write failed: ", std::strerror(errno));
      }
      p += n;
      bytes -= static_cast<std::size_t>(n);
      offset += static_cast<std::uint64_t>(n);
    }
  }

  void append_bytes(const void* data, std::size_t bytes) {
    if (atomic) {
      atomic->write(data, bytes);
    } else {
      write_at(data, bytes, end);
#if defined(__linux__)
      // Start writing these pages to disk now, while the next batch computes, so the fsync in
      // close() does not have to write a whole extraction at the end (best effort: an error
      // here shows up in that fsync).
      ::sync_file_range(fd, static_cast<off_t>(end), static_cast<off_t>(bytes),
                        SYNC_FILE_RANGE_WRITE);
#endif
      end += bytes;
    }
  }

  void write_header() {
    Shape shape{rows};
    shape.insert(shape.end(), row_shape.begin(), row_shape.end());
    const std::string preamble = make_preamble(dtype, shape, preamble_size);
    // Same size by construction: the reservation fits any int64 row count.
    check(preamble.size() == preamble_size, path.string(),
          ": internal error: NPY header size changed");
    write_at(preamble.data(), preamble.size(), 0);
  }

  void open_partial(int flags) {
    fd = ::open(partial.c_str(), flags | O_CLOEXEC, 0644);
    if (fd < 0) fail(partial.string(), ": cannot open: ", std::strerror(errno));
  }
};

NpyStreamWriter::NpyStreamWriter(const std::filesystem::path& path, DType dtype, Shape row_shape)
    : NpyStreamWriter(path, dtype, std::move(row_shape), Options{}) {}

NpyStreamWriter::NpyStreamWriter(const std::filesystem::path& path, DType dtype, Shape row_shape,
                                 Options options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = path;
  s.init(dtype, std::move(row_shape));
  if (options.resumable) {
    s.partial = path.string() + ".partial";
    s.open_partial(O_RDWR | O_CREAT | O_TRUNC);
    s.end = s.preamble_size;
  } else {
    s.atomic = std::make_unique<AtomicFile>(path);
    // Reserve the header; its final content is written by close().
    const std::string blank(s.preamble_size, ' ');
    s.atomic->write(blank.data(), blank.size());
  }
  s.write_header();
}

NpyStreamWriter NpyStreamWriter::resume(const std::filesystem::path& path, DType dtype,
                                        Shape row_shape, std::int64_t expected_rows) {
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.path = path;
  s.partial = path.string() + ".partial";
  const std::string where = s.partial.string();
  check(expected_rows >= 0, where, ": cannot resume at a negative row count ", expected_rows);
  s.init(dtype, std::move(row_shape));
  check(std::filesystem::exists(s.partial), where, ": no partial file to resume");
  NpyHeader h;
  std::uint64_t file_size = 0;
  {
    const auto file = MappedFile::open(s.partial);
    h = parse_npy_header(file->bytes(), where);
    file_size = file->size();
  }
  Shape header_row(h.shape.begin() + (h.shape.empty() ? 0 : 1), h.shape.end());
  check(!h.shape.empty() && h.dtype == dtype && header_row == s.row_shape, where, ": holds ",
        npy_descr(h.dtype), " ", shape_str(h.shape), ", not rows of ", npy_descr(dtype), " ",
        shape_str(s.row_shape));
  check(h.data_offset == s.preamble_size, where,
        ": was not written by a resumable NpyStreamWriter (its header has no reserved room)");
  check(h.shape[0] >= expected_rows &&
            file_size - h.data_offset >= static_cast<std::uint64_t>(expected_rows) * s.row_bytes,
        where, ": holds ", h.shape[0], " complete rows, fewer than the ", expected_rows,
        " to resume after");
  s.open_partial(O_RDWR);
  s.rows = expected_rows;
  s.end = s.preamble_size + static_cast<std::uint64_t>(expected_rows) * s.row_bytes;
  if (::ftruncate(s.fd, static_cast<off_t>(s.end)) != 0) {
    fail(where, ": cannot truncate to ", expected_rows, " rows: ", std::strerror(errno));
  }
  s.write_header();
  return NpyStreamWriter(std::move(impl));
}

NpyStreamWriter::NpyStreamWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NpyStreamWriter::NpyStreamWriter(NpyStreamWriter&&) noexcept = default;
NpyStreamWriter& NpyStreamWriter::operator=(NpyStreamWriter&&) noexcept = default;
NpyStreamWriter::~NpyStreamWriter() = default;

void NpyStreamWriter::append(const Tensor& batch) {
  check(impl_ != nullptr, "NpyStreamWriter: used after being moved from");
  Impl& s = *impl_;
  const std::string where = s.path.string();
  check(!s.closed, where, ": append after close()");
  check_cpu_tensor(batch, where);
  check(batch.dtype() == s.dtype, where, ": appending ", dtype_name(batch.dtype()), " rows to an ",
        dtype_name(s.dtype), " stream");
  const Shape& shape = batch.shape();
  const bool rows_match = !shape.empty() && Shape(shape.begin() + 1, shape.end()) == s.row_shape;
  if (!rows_match) {
    std::string expected = "[n";
    for (std::int64_t d : s.row_shape) expected += str(", ", d);
    fail(where, ": appending a batch of shape ", shape_str(shape), " to a stream of rows of shape ",
         shape_str(s.row_shape), " (expected ", expected, "])");
  }
  if (batch.nbytes()) s.append_bytes(batch.raw_data(), batch.nbytes());
  s.rows += shape[0];
  // Resumable files always describe the rows written so far (data first, then the count).
  if (!s.atomic) s.write_header();
}

std::int64_t NpyStreamWriter::rows() const {
  return impl_->rows;
}
const Shape& NpyStreamWriter::row_shape() const {
  return impl_->row_shape;
}
DType NpyStreamWriter::dtype() const {
  return impl_->dtype;
}
bool NpyStreamWriter::closed() const {
  return impl_->closed;
}

void NpyStreamWriter::close() {
  check(impl_ != nullptr, "NpyStreamWriter: used after being moved from");
  Impl& s = *impl_;
  check(!s.closed, s.path.string(), ": closed twice");
  s.write_header();
  if (s.atomic) {
    s.atomic->commit();
  } else {
    if (::fsync(s.fd) != 0) fail(s.partial.string(), ": fsync failed: ", std::strerror(errno));
    const int rc = ::close(s.fd);
    s.fd = -1;
    if (rc != 0) fail(s.partial.string(), ": close failed: ", std::strerror(errno));
    if (::rename(s.partial.c_str(), s.path.c_str()) != 0) {
      fail(s.path.string(), ": cannot rename ", s.partial.string(),
           " into place: ", std::strerror(errno));
    }
  }
  s.closed = true;
}

}  // namespace repscope
