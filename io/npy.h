// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// whole-file read and write, a zero-copy memory-mapped reader, and a streaming writer that
// appends rows batch by batch so large activation matrices never sit in memory.
//
// Supported: format versions 1.0 and 2.0 (read both; write 1.0 unless the header needs 2.0),
// C order, little-endian descr '<f4' '<f2' '<f8' '<i8' '<i4' '<i2' '|i1' '|u1' '|b1'
// ('<' and '|' are both accepted for one-byte types). Fortran order, big-endian data, other
// descr (structured, strings, objects, complex, unsigned wider than a byte), a bad magic string
// and truncated data give an Error naming the file. BF16 tensors have no NumPy dtype and cannot
// be written (convert them first).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "nn/tensor.h"

namespace repscope {

class MappedFile;

// The parsed header of an .npy file.
struct NpyHeader {
  int major_version = 1;  // 1 or 2 (3 is read too: it only differs in allowing UTF-8 in descr)
  DType dtype = DType::F32;
  Shape shape;
  std::uint64_t data_offset = 0;  // where the data starts in the file
  std::uint64_t data_bytes() const;
};

// Parses the magic string and header at the start of `bytes` (the file's first bytes; at least
// the whole header). `source` (usually the path) names the file in errors. Does not check that
// the data is present; readers do.
NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, std::string_view source);

// The .npy descr for a dtype ("<f4", "|u1", ...). Throws Error for BF16.
std::string npy_descr(DType dtype);

// Reads a whole .npy file into a new tensor (its own memory). Throws Error naming the path.
Tensor read_npy(const std::filesystem::path& path);

// Writes a CPU tensor (any dtype but BF16) atomically; 0-d and empty tensors are fine.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

// An .npy file mapped into memory. tensor() is a zero-copy view over the mapping when the data
// is aligned for its dtype (NumPy aligns data to 64 bytes) and a copy otherwise; the mapping
// lives as long as this object or any tensor viewing it.
class NpyMappedFile {
 public:
  static NpyMappedFile open(const std::filesystem::path& path);
  const std::filesystem::path& path() const { return path_; }
  const NpyHeader& header() const { return header_; }
  Tensor tensor() const;

 private:
  NpyMappedFile() = default;
  std::filesystem::path path_;
  std::shared_ptr<const MappedFile> file_;
  NpyHeader header_;
};

// Shorthand for NpyMappedFile::open(path).tensor().
Tensor map_npy(const std::filesystem::path& path);

// Writes an .npy file of rows with shape [rows, row_shape...] one batch at a time.
//
// The header reserves room for a row count of any int64 size and is rewritten with the final
// count by close(). Two modes:
//  - plain (default): data goes to an AtomicFile; close() patches the header and renames it into
//    place. Destroying an unclosed writer (an exception, an interrupted run) removes the
//    temporary file: nothing appears at `path`.
//  - resumable: data goes to "<path>.partial", whose header is updated after every append, so
//    it is always a valid .npy of the rows written so far. Destroying an unclosed writer keeps
//    the .partial file (still nothing at `path`); resume() reopens it to continue an interrupted
//    extraction; close() renames it to `path`.
class NpyStreamWriter {
 public:
  struct Options {
    bool resumable = false;
  };

  // Starts a new file (any previous "<path>.partial" is replaced in resumable mode).
  NpyStreamWriter(const std::filesystem::path& path, DType dtype, Shape row_shape);
  NpyStreamWriter(const std::filesystem::path& path, DType dtype, Shape row_shape, Options options);
  // Continues "<path>.partial" written by a resumable writer with the same dtype and row shape,
  // keeping its first `expected_rows` rows (the rows the caller knows are complete, e.g. from its
  // own progress record) and dropping anything after them. Throws Error naming the file when it
  // is missing, does not match, or holds fewer than `expected_rows` complete rows.
  static NpyStreamWriter resume(const std::filesystem::path& path, DType dtype, Shape row_shape,
                                std::int64_t expected_rows);

  NpyStreamWriter(NpyStreamWriter&&) noexcept;
  NpyStreamWriter& operator=(NpyStreamWriter&&) noexcept;
  ~NpyStreamWriter();

  // Appends a batch of shape [n, row_shape...] (n may be 0). Its dtype must equal the writer's.
  void append(const Tensor& batch);
  // Rows written so far.
  std::int64_t rows() const;
  const Shape& row_shape() const;
  DType dtype() const;
  // Writes the final header and moves the file to `path`. Further appends throw.
  void close();
  bool closed() const;

 private:
  struct Impl;
  explicit NpyStreamWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace repscope
