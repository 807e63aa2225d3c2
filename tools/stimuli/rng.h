// A small counter-seeded random generator for stimuli and scrambling. Its output is fixed by this
// file alone (the standard library's distributions differ between implementations), so a seed
// gives the same images on every platform. Each item gets its own stream: Rng(seed, item...).
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace repscope::stimuli {

// SplitMix64 finaliser: a strong 64-bit mix, used to derive independent streams.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// FNV-1a of a string (e.g. a relative path), to key a stream by name.
constexpr std::uint64_t hash_string(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

class Rng {
 public:
  // The stream for (seed, a, b): different keys give independent streams.
  explicit Rng(std::uint64_t seed, std::uint64_t a = 0, std::uint64_t b = 0)
      : state_(mix64(mix64(mix64(seed) ^ a) ^ (b * 0xD1B54A32D192ED03ull))) {}

  std::uint64_t next_u64() { return mix64(state_ += 0x9E3779B97F4A7C15ull); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0 (rejection sampling: no modulo bias).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do {
      x = next_u64();
    } while (x >= limit);
    return x % n;
  }
  int integer(int lo, int hi_inclusive) {
    return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi_inclusive - lo + 1)));
  }
  bool chance(double p) { return uniform() < p; }
  // Standard normal (Box–Muller; one value per call keeps the stream simple to reason about).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  template <typename T>
  void shuffle(T* items, std::size_t n) {  // Fisher–Yates
    for (std::size_t i = n; i > 1; --i) {
      const auto j = static_cast<std::size_t>(below(i));
      std::swap(items[i - 1], items[j]);
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace repscope::stimuli
