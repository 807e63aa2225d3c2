// exp and erf over float arrays, vectorised through glibc's libmvec (the vector variants GCC
// itself calls under -ffast-math; ≤ 4 ulp) when the build found it and the CPU has AVX2 or
// AVX-512, else the scalar std::exp / std::erf. Used by GELU, QuickGELU and softmax, where the
// scalar libm calls were ~15% of a ViT forward pass. torch's own CPU GELU uses an erf
// approximation that is further from the exact value (up to 3.8e-7 absolute on [-6, 6]).
#pragma once

#include <cstdint>

namespace repscope::ops::cpu {

// y[i] = exp(x[i]) / erf(x[i]) for i < n; y may equal x.
void vector_exp(const float* x, float* y, std::int64_t n);
void vector_erf(const float* x, float* y, std::int64_t n);

// Which implementation runs: "avx512", "avx2" or "scalar". REPSCOPE_VECTOR_MATH=scalar forces
// the scalar path (read once).
const char* vector_math_isa();

}  // namespace repscope::ops::cpu
