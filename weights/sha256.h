// SHA-256 (FIPS 180-4) internals: a streaming hasher over two block functions (portable scalar
// and x86 SHA-NI, chosen at run time), and the two ways of feeding it a file. The public entry
// points are sha256_hex / sha256_file in weights/weight_store.h; this header exists so tests and
// benchmarks can force one implementation or one file-reading strategy and compare them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace repscope::sha256 {

// Which block function hashes: Auto picks SHA-NI when the CPU has it, else Scalar.
enum class Impl { Auto, Scalar, ShaNi };

// How sha256_file reads the file: large sequential read() calls into a reused buffer, or a
// whole-file memory map.
enum class FileAccess { Read, Map };

// True when this CPU (and this build's target) can run the SHA-NI block function.
bool sha_ni_available();

// The round constants K[0..63], shared by both block functions.
alignas(16) inline constexpr std::array<std::uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// Block functions: fold `blocks` consecutive 64-byte blocks of `data` into `state` (H0..H7).
using BlockFn = void (*)(std::uint32_t* state, const std::uint8_t* data, std::size_t blocks);
void compress_scalar(std::uint32_t* state, const std::uint8_t* data, std::size_t blocks);
// Only callable when sha_ni_available(); defined in sha256_ni.cpp.
void compress_sha_ni(std::uint32_t* state, const std::uint8_t* data, std::size_t blocks);

// Incremental SHA-256: update() any number of times, then hex() once.
class Hasher {
 public:
  // Throws Error when impl is ShaNi and the CPU lacks it.
  explicit Hasher(Impl impl = Impl::Auto);
  void update(const std::uint8_t* data, std::size_t size);
  // Pads, finishes and returns the 64-character lower-case hex digest. The hasher is spent.
  std::string hex();

 private:
  BlockFn compress_;
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> pending_{};
  std::size_t pending_size_ = 0;
  std::uint64_t total_size_ = 0;
};

std::string hex_digest(const std::uint8_t* data, std::size_t size, Impl impl);
// Throws Error naming the path when it cannot be opened or read.
std::string file_hex_digest(const std::filesystem::path& path, Impl impl, FileAccess access);

}  // namespace repscope::sha256
