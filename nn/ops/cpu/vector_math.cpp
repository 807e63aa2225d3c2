#include "nn/ops/cpu/vector_math.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#if defined(REPSCOPE_HAVE_LIBMVEC) && defined(__x86_64__)
#define REPSCOPE_VECTOR_MATH_X86 1
#include <immintrin.h>

// glibc's libmvec vector variants (x86-64 vector ABI names: N16v = 16 floats in a zmm, N8v = 8
// in a ymm; 'e' = AVX-512, 'd' = AVX2).
extern "C" {
__m512 _ZGVeN16v_expf(__m512);
__m512 _ZGVeN16v_erff(__m512);
__m256 _ZGVdN8v_expf(__m256);
__m256 _ZGVdN8v_erff(__m256);
}
#endif

namespace repscope::ops::cpu {
namespace {

enum class Isa { Scalar, Avx2, Avx512 };

Isa choose() {
  if (const char* env = std::getenv("REPSCOPE_VECTOR_MATH"); env && std::strcmp(env, "scalar") == 0)
    return Isa::Scalar;
#if defined(REPSCOPE_VECTOR_MATH_X86)
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Scalar;
}

Isa isa() {
  static const Isa chosen = choose();
  return chosen;
}

enum class Fn { Exp, Erf };

#if defined(REPSCOPE_VECTOR_MATH_X86)
__attribute__((target("avx512f"))) void run_avx512(Fn fn, const float* x, float* y,
                                                   std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    _mm512_storeu_ps(y + i, fn == Fn::Exp ? _ZGVeN16v_expf(v) : _ZGVeN16v_erff(v));
  }
  if (i < n) {  // the tail through a padded block, so every value takes the same path
    alignas(64) float block[16] = {};
    std::memcpy(block, x + i, static_cast<std::size_t>(n - i) * sizeof(float));
    const __m512 v = _mm512_load_ps(block);
    _mm512_store_ps(block, fn == Fn::Exp ? _ZGVeN16v_expf(v) : _ZGVeN16v_erff(v));
    std::memcpy(y + i, block, static_cast<std::size_t>(n - i) * sizeof(float));
  }
}

__attribute__((target("avx2,fma"))) void run_avx2(Fn fn, const float* x, float* y, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    _mm256_storeu_ps(y + i, fn == Fn::Exp ? _ZGVdN8v_expf(v) : _ZGVdN8v_erff(v));
  }
  if (i < n) {
    alignas(32) float block[8] = {};
    std::memcpy(block, x + i, static_cast<std::size_t>(n - i) * sizeof(float));
    const __m256 v = _mm256_load_ps(block);
    _mm256_store_ps(block, fn == Fn::Exp ? _ZGVdN8v_expf(v) : _ZGVdN8v_erff(v));
    std::memcpy(y + i, block, static_cast<std::size_t>(n - i) * sizeof(float));
  }
}
#endif

void run(Fn fn, const float* x, float* y, std::int64_t n) {
  switch (isa()) {
#if defined(REPSCOPE_VECTOR_MATH_X86)
    case Isa::Avx512:
      run_avx512(fn, x, y, n);
      return;
    case Isa::Avx2:
      run_avx2(fn, x, y, n);
      return;
#endif
    default:
      for (std::int64_t i = 0; i < n; ++i) y[i] = fn == Fn::Exp ? std::exp(x[i]) : std::erf(x[i]);
  }
}

}  // namespace

void vector_exp(const float* x, float* y, std::int64_t n) {
  run(Fn::Exp, x, y, n);
}

void vector_erf(const float* x, float* y, std::int64_t n) {
  run(Fn::Erf, x, y, n);
}

const char* vector_math_isa() {
  switch (isa()) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Scalar:
      return "scalar";
  }
  return "scalar";
}

}  // namespace repscope::ops::cpu
