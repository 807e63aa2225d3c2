// SHA-256: the NIST vectors, the SHA-NI block function against the portable one, streaming in
// pieces, and both ways of reading a file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "nn/error.h"
#include "tests/support/test_env.h"
#include "weights/sha256.h"
#include "weights/weight_store.h"

namespace repscope {
namespace {

using sha256::FileAccess;
using sha256::Impl;

std::vector<Impl> available_impls() {
  std::vector<Impl> impls = {Impl::Auto, Impl::Scalar};
  if (sha256::sha_ni_available()) impls.push_back(Impl::ShaNi);
  return impls;
}

std::string digest(const std::string& s, Impl impl) {
  return sha256::hex_digest(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), impl);
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng() >> 24);
  return out;
}

void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Drops a file's clean pages from the page cache (only this file; no privileges needed).
void evict_from_page_cache(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

TEST(Sha256, NistVectorsEveryImplementation) {
  const std::string million_a(1000000, 'a');
  for (Impl impl : available_impls()) {
    SCOPED_TRACE(static_cast<int>(impl));
    EXPECT_EQ(digest("", impl), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(digest("abc", impl),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", impl),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(
        digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmno"
               "pqklmnopqrlmnopqrsmnopqrstnopqrstu",
               impl),
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(digest(million_a, impl),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST(Sha256, PublicEntryPointMatchesNist) {
  const std::string abc = "abc";
  EXPECT_EQ(sha256_hex(reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, ShaNiMatchesScalarOnRandomLengths) {
  if (!sha256::sha_ni_available()) GTEST_SKIP() << "this CPU has no SHA-NI";
  std::mt19937 rng(7);
  const auto bytes = random_bytes(5000, 1);
  // Every length around the padding boundaries (55, 56, 63, 64, ...), then random ones.
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 200; ++n) lengths.push_back(n);
  std::uniform_int_distribution<std::size_t> pick(0, 5000);
  for (int i = 0; i < 300; ++i) lengths.push_back(pick(rng));
  for (std::size_t n : lengths) {
    ASSERT_EQ(sha256::hex_digest(bytes.data(), n, Impl::ShaNi),
              sha256::hex_digest(bytes.data(), n, Impl::Scalar))
        << "length " << n;
  }
}

TEST(Sha256, ShaNiMatchesScalarOnMegabytes) {
  if (!sha256::sha_ni_available()) GTEST_SKIP() << "this CPU has no SHA-NI";
  const auto bytes = random_bytes((std::size_t{3} << 20) + 17, 2);
  EXPECT_EQ(sha256::hex_digest(bytes.data(), bytes.size(), Impl::ShaNi),
            sha256::hex_digest(bytes.data(), bytes.size(), Impl::Scalar));
}

TEST(Sha256, StreamingInPiecesEqualsOneShot) {
  const auto bytes = random_bytes(20000, 3);
  std::mt19937 rng(11);
  for (Impl impl : available_impls()) {
    const std::string whole = sha256::hex_digest(bytes.data(), bytes.size(), impl);
    for (int trial = 0; trial < 20; ++trial) {
      sha256::Hasher hasher(impl);
      std::size_t at = 0;
      while (at < bytes.size()) {
        const std::size_t n = std::min<std::size_t>(rng() % 200, bytes.size() - at);
        hasher.update(bytes.data() + at, n);
        at += n;
      }
      ASSERT_EQ(hasher.hex(), whole) << "trial " << trial;
    }
  }
}

TEST(Sha256, FileByReadsAndByMapEqualBufferDigest) {
  const auto dir = test::scratch_dir();
  // Larger than the 4 MiB read chunk and not a multiple of 64, so chunk and block edges differ.
  const auto bytes = random_bytes((std::size_t{9} << 20) / 2 + 1234, 4);
  write_file(dir / "w.bin", bytes);
  write_file(dir / "empty.bin", {});
  const std::string expected = sha256::hex_digest(bytes.data(), bytes.size(), Impl::Scalar);
  for (Impl impl : available_impls()) {
    for (FileAccess access : {FileAccess::Read, FileAccess::Map}) {
      EXPECT_EQ(sha256::file_hex_digest(dir / "w.bin", impl, access), expected);
      EXPECT_EQ(sha256::file_hex_digest(dir / "empty.bin", impl, access),
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
  }
  EXPECT_EQ(sha256_file(dir / "w.bin"), expected);
}

TEST(Sha256, MissingFileNamesThePath) {
  const auto missing = test::scratch_dir() / "no_such_weights.safetensors";
  for (FileAccess access : {FileAccess::Read, FileAccess::Map}) {
    try {
      sha256::file_hex_digest(missing, Impl::Auto, access);
      FAIL() << "expected Error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no_such_weights.safetensors"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(sha256_file(test::scratch_dir()), Error);  // a directory: read() fails
}

// Throughput, not a correctness test. Run with
//   build/<dir>/tests/test_sha256 --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// REPSCOPE_SHA256_BENCH_FILE=<path> times an existing file instead of a 256 MiB scratch file;
// REPSCOPE_SHA256_BENCH_COLD=1 drops the file from the page cache before every timed run (a first
// run after boot), instead of warming it.
TEST(Sha256, DISABLED_Throughput) {
  const bool cold = std::getenv("REPSCOPE_SHA256_BENCH_COLD") != nullptr;
  std::filesystem::path path;
  if (const char* env = std::getenv("REPSCOPE_SHA256_BENCH_FILE")) {
    path = env;
  } else {
    path = test::scratch_dir() / "bench.bin";
    write_file(path, random_bytes(std::size_t{256} << 20, 5));
  }
  const double mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  const auto time = [&](const char* label, auto&& fn) {
    if (!cold) fn();  // warm the page cache
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
      if (cold) evict_from_page_cache(path);
      const auto t0 = std::chrono::steady_clock::now();
      fn();
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("%-28s %8.1f MB/s  (%.3f s for %.1f MB)\n", label, mb / best, best, mb);
  };
  const auto name = [](Impl impl) {
    return std::string(impl == Impl::Auto ? "auto" : impl == Impl::Scalar ? "scalar" : "sha-ni");
  };
  if (!cold) {
    // A page still mapped here could not be evicted, so the map lives only in this block.
    const auto map = MappedFile::open(path);
    for (Impl impl : available_impls())
      time((name(impl) + " in memory").c_str(),
           [&] { sha256::hex_digest(map->data(), map->size(), impl); });
  }
  for (Impl impl : available_impls()) {
    time((name(impl) + " file, read()").c_str(),
         [&] { sha256::file_hex_digest(path, impl, FileAccess::Read); });
    time((name(impl) + " file, mmap").c_str(),
         [&] { sha256::file_hex_digest(path, impl, FileAccess::Map); });
  }
}

}  // namespace
}  // namespace repscope
