// SHA-256 (FIPS 180-4) for manifests: the portable block function, the streaming hasher and the
// file readers. The SHA-NI block function lives in sha256_ni.cpp (compiled for that extension
// only there, so the rest of the build stays portable).
#include "weights/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "io/file_util.h"
#include "nn/error.h"
#include "weights/weight_store.h"

namespace repscope {
namespace sha256 {

namespace {

constexpr std::array<std::uint32_t, 8> kInitialState = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// 1 MiB: syscall overhead is negligible at this size and the buffer stays in L2/L3.
constexpr std::size_t kReadChunk = std::size_t{1} << 20;

inline std::uint32_t rotr(std::uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

void compress_one(std::uint32_t* h, const std::uint8_t* block) {
  std::uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (std::uint32_t{block[4 * i]} << 24) | (std::uint32_t{block[4 * i + 1]} << 16) |
           (std::uint32_t{block[4 * i + 2]} << 8) | std::uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 64; ++i) {
    const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; ++i) {
    const std::uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                             kRound[static_cast<std::size_t>(i)] + w[i];
    const std::uint32_t t2 =
        (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

BlockFn select_block_fn(Impl impl) {
  switch (impl) {
    case Impl::Scalar:
      return compress_scalar;
    case Impl::ShaNi:
      check(sha_ni_available(), "SHA-256: the SHA-NI implementation was requested but this CPU ",
            "lacks the SHA extension");
      return compress_sha_ni;
    case Impl::Auto:
      break;
  }
  static const BlockFn best = sha_ni_available() ? compress_sha_ni : compress_scalar;
  return best;
}

// Closes the descriptor on every exit path.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

std::string hash_by_reading(const std::filesystem::path& path, Impl impl) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path.string(), ": cannot open: ", std::strerror(errno));
  const FdCloser closer{fd};
  // A hint only: the kernel reads ahead more aggressively. Failure changes nothing but speed.
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[kReadChunk]);
  Hasher hasher(impl);
  for (;;) {
    const ssize_t got = ::read(fd, buffer.get(), kReadChunk);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(path.string(), ": read failed: ", std::strerror(errno));
    }
    if (got == 0) break;
    hasher.update(buffer.get(), static_cast<std::size_t>(got));
  }
  return hasher.hex();
}

}  // namespace

void compress_scalar(std::uint32_t* state, const std::uint8_t* data, std::size_t blocks) {
  for (std::size_t i = 0; i < blocks; ++i) compress_one(state, data + 64 * i);
}

Hasher::Hasher(Impl impl) : compress_(select_block_fn(impl)), state_(kInitialState) {}

void Hasher::update(const std::uint8_t* data, std::size_t size) {
  total_size_ += size;
  if (pending_size_ > 0) {
    const std::size_t take = std::min(size, pending_.size() - pending_size_);
    std::memcpy(pending_.data() + pending_size_, data, take);
    pending_size_ += take;
    data += take;
    size -= take;
    if (pending_size_ < pending_.size()) return;
    compress_(state_.data(), pending_.data(), 1);
    pending_size_ = 0;
  }
  const std::size_t blocks = size / 64;
  if (blocks > 0) compress_(state_.data(), data, blocks);
  const std::size_t rest = size - 64 * blocks;
  if (rest > 0) std::memcpy(pending_.data(), data + 64 * blocks, rest);
  pending_size_ = rest;
}

std::string Hasher::hex() {
  // Padding: 0x80, zeros, then the message length in bits as a big-endian 64-bit number,
  // ending on a block boundary (one extra block when fewer than 9 bytes are left).
  std::uint8_t tail[128] = {};
  std::memcpy(tail, pending_.data(), pending_size_);
  tail[pending_size_] = 0x80;
  const std::size_t tail_blocks = pending_size_ + 9 <= 64 ? 1 : 2;
  const std::uint64_t bits = total_size_ * 8;
  for (std::size_t b = 0; b < 8; ++b)
    tail[64 * tail_blocks - 1 - b] = static_cast<std::uint8_t>(bits >> (8 * b));
  compress_(state_.data(), tail, tail_blocks);
  pending_size_ = 0;
  std::string out;
  out.reserve(64);
  char buf[9];
  for (std::uint32_t v : state_) {
    std::snprintf(buf, sizeof buf, "%08x", v);
    out += buf;
  }
  return out;
}

std::string hex_digest(const std::uint8_t* data, std::size_t size, Impl impl) {
  Hasher hasher(impl);
  hasher.update(data, size);
  return hasher.hex();
}

std::string file_hex_digest(const std::filesystem::path& path, Impl impl, FileAccess access) {
  if (access == FileAccess::Read) return hash_by_reading(path, impl);
  const auto file = MappedFile::open(path);
  return hex_digest(file->data(), file->size(), impl);
}

}  // namespace sha256

std::string sha256_hex(const std::uint8_t* data, std::size_t size) {
  return sha256::hex_digest(data, size, sha256::Impl::Auto);
}

std::string sha256_file(const std::filesystem::path& path) {
  // read() into a reused buffer, not a map: the map was ~7% faster with the file in the page
  // cache, but a second full mapping of the weights file (the model's own map is populated)
  // counted every page twice in the process's peak RSS.
  return sha256::file_hex_digest(path, sha256::Impl::Auto, sha256::FileAccess::Read);
}

}  // namespace repscope
