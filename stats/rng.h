// Counter-based random numbers: the value of draw k in stream s under seed S is a pure function
// of (S, s, k). Parallel loops give each task (a permutation, a bootstrap sample) its own stream,
// so results are bit-identical for any thread count and any schedule.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

namespace repscope::stats {

__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang builtin; -Wpedantic needs the marker

// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer with full avalanche.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// One independent stream of 64-bit values: draw k = splitmix64(key + k·γ) where the key mixes
// the seed and the stream index (SplitMix64 "by index").
class CounterRng {
 public:
  CounterRng(std::uint64_t seed, std::uint64_t stream)
      : key_(splitmix64(splitmix64(seed) ^
                        (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL))) {}

  std::uint64_t next() { return splitmix64(key_ + (counter_++) * 0x9E3779B97F4A7C15ULL); }
  // Uniform integer in [0, n) without modulo bias (Lemire's multiply-and-reject). n > 0.
  std::uint64_t uniform_below(std::uint64_t n) {
    Uint128 m = static_cast<Uint128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
  // Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Fisher–Yates shuffle in place.
  template <typename T>
  void shuffle(std::span<T> values) {
    for (std::size_t i = values.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(uniform_below(i));
      std::swap(values[i - 1], values[j]);
    }
  }

 private:
  std::uint64_t key_;
  std::uint64_t counter_ = 0;
};

}  // namespace repscope::stats
