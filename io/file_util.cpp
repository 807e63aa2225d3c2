#include "io/file_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "nn/error.h"

namespace repscope {

std::shared_ptr<MappedFile> MappedFile::open(const std::filesystem::path& path, bool populate) {
  auto m = std::shared_ptr<MappedFile>(new MappedFile());
  m->path_ = path;
  m->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (m->fd_ < 0) fail(path.string(), ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(m->fd_, &st) != 0) fail(path.string(), ": cannot stat: ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path.string(), ": not a regular file");
  m->size_ = static_cast<std::size_t>(st.st_size);
  if (m->size_ > 0) {
    // Private (copy-on-write) and writable: zero-copy tensors over the map may be modified in place
    // (e.g. folding BatchNorm into a conv) without touching the file. Populated read-only, then
    // made writable: populating a writable private map would fault every page for writing,
    // i.e. copy the whole file into anonymous memory.
    int flags = MAP_PRIVATE;
    int prot = PROT_READ | PROT_WRITE;
#if defined(MAP_POPULATE)
    if (populate) flags |= MAP_POPULATE, prot = PROT_READ;
#endif
    void* p = ::mmap(nullptr, m->size_, prot, flags, m->fd_, 0);
    if (p == MAP_FAILED) fail(path.string(), ": cannot memory-map: ", std::strerror(errno));
    if (prot != (PROT_READ | PROT_WRITE) && ::mprotect(p, m->size_, PROT_READ | PROT_WRITE) != 0) {
      const int err = errno;
      ::munmap(p, m->size_);
      fail(path.string(), ": cannot make the memory map writable: ", std::strerror(err));
    }
    m->data_ = static_cast<const std::uint8_t*>(p);
  }
  return m;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

namespace {
std::atomic<unsigned> g_temp_counter{0};
}

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  temp_path_ = dir / ("." + path_.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                      std::to_string(g_temp_counter++));
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail(path_.string(), ": cannot create (in ", dir.string(), "): ", std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd_, p, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_.string(), ": write failed: ", std::strerror(errno));
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
    written_ += static_cast<std::uint64_t>(n);
  }
}

void AtomicFile::pwrite(const void* data, std::size_t bytes, std::uint64_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_.string(), ": write failed: ", std::strerror(errno));
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

void AtomicFile::commit() {
  check(!committed_, path_.string(), ": committed twice");
  if (::fsync(fd_) != 0 && errno != EINVAL)
    fail(path_.string(), ": fsync failed: ", std::strerror(errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail(path_.string(), ": close failed: ", std::strerror(errno));
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    fail(path_.string(), ": cannot rename the finished file into place: ", std::strerror(errno));
  }
  committed_ = true;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string(), ": cannot open: ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

void write_text_file_atomic(const std::filesystem::path& path, const std::string& text) {
  AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

}  // namespace repscope
