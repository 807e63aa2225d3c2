#include "weights/random_init.h"

#include <cmath>

#include "nn/error.h"
#include "nn/parallel.h"

namespace repscope {

namespace {

inline std::uint64_t mix64(std::uint64_t z) {  // splitmix64 finaliser
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in (0, 1) from a 64-bit counter hash (53 bits, never 0).
inline double unit(std::uint64_t key) {
  return (static_cast<double>(mix64(key) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

std::uint64_t hash_name(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// Standard normal for element i, draw d (Box-Muller on two independent counter draws).
inline double normal(std::uint64_t base, std::uint64_t i, std::uint64_t draw) {
  const std::uint64_t k = base ^ mix64(i * 4 + draw * 2 + 0x51ULL);
  const double u1 = unit(k), u2 = unit(k ^ 0xa5a5a5a5a5a5a5a5ULL);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace

Tensor random_tensor(const Shape& shape, const Init& init, std::uint64_t seed,
                     std::uint64_t stream) {
  Tensor t = Tensor::empty(shape);
  float* out = t.data<float>();
  const std::uint64_t base = mix64(seed ^ mix64(stream));
  parallel_for(0, t.numel(), 1 << 14, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const auto u = static_cast<std::uint64_t>(i);
      double v = 0;
      switch (init.kind) {
        case Init::Kind::Zeros:
          v = 0;
          break;
        case Init::Kind::Ones:
          v = 1;
          break;
        case Init::Kind::Constant:
          v = init.a;
          break;
        case Init::Kind::Uniform:
          v = (2 * unit(base ^ mix64(u * 4 + 3)) - 1) * init.a;
          break;
        case Init::Kind::Normal:
          v = init.a * normal(base, u, 0);
          break;
        case Init::Kind::TruncNormal: {
          // Rejection on [lo, hi]; the draw index is part of the counter, so still deterministic.
          v = init.lo;
          for (std::uint64_t d = 0; d < 64; ++d) {
            const double x = init.a * normal(base, u, d + 1);
            if (x >= init.lo && x <= init.hi) {
              v = x;
              break;
            }
          }
          break;
        }
      }
      out[i] = static_cast<float>(v);
    }
  });
  return t;
}

void random_init(Model& model, std::uint64_t seed) {
  for (const Param& p : model.parameters()) {
    *p.tensor = random_tensor(p.shape, p.init, seed, hash_name(p.name));
  }
  model.prepare();
}

}  // namespace repscope
