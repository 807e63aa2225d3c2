// File helpers shared by every reader and writer: whole-file memory maps, and atomic writes
// (a temporary file in the destination directory, renamed into place only on success, so a
// failed or interrupted run never leaves a half-written output).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace repscope {

// A private copy-on-write memory map of a whole file: writes through it never reach the file.
// Shared so tensors can keep it alive (zero-copy).
class MappedFile {
 public:
  // Throws Error naming the path when the file cannot be opened or mapped.
  // `populate`: map every page at once (MAP_POPULATE), for files that are read whole (weights,
  // images); a fault per 4 KiB page costs far more. Leave it off for files read in part.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path, bool populate = false);
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  MappedFile() = default;
  std::filesystem::path path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
};

// Writes a file under a temporary name beside `path`; commit() renames it into place.
// Destroying an uncommitted AtomicFile removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  void write(const void* data, std::size_t bytes);
  void write(std::span<const std::uint8_t> bytes) { write(bytes.data(), bytes.size()); }
  // Writes at an absolute position (used to patch headers); does not move the append position.
  void pwrite(const void* data, std::size_t bytes, std::uint64_t offset);
  std::uint64_t size() const { return written_; }
  // Flushes, closes and renames over the destination. Throws Error on failure.
  void commit();
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return temp_path_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

// Whole-file helpers built on the two above.
std::string read_text_file(const std::filesystem::path& path);
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
void write_text_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace repscope
