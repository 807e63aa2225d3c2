// Portable micro-kernel: plain C++ loops the compiler vectorises for the build's target. Used
// on CPUs without AVX2/FMA and as a second implementation the fast kernels are tested against.
#include "nn/gemm/kernel.h"

namespace repscope::gemm_detail {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 16;

void kernel_generic(const TileArgs& t) {
  float acc[kMr][kNr] = {};
  // Row r's value of step p at a[p * a_step + r * a_row].
  const std::int64_t a_step = t.a_lda ? 1 : kMr, a_row = t.a_lda ? t.a_lda : 1;
  for (std::int64_t p = 0; p < t.kc; ++p) {
    const float* a = t.a + p * a_step;
    const float* b = t.b + p * t.b_step;
    for (int r = 0; r < kMr; ++r) {
      for (int j = 0; j < kNr; ++j) acc[r][j] += a[r * a_row] * b[j];
    }
  }
  for (int r = 0; r < t.rows; ++r) {
    for (int j = 0; j < t.cols; ++j) {
      float* c = c_at(t, r, j);
      float v = t.accumulate ? *c + acc[r][j] : acc[r][j];
      if (t.epilogue) v = apply_epilogue(v, t, r, j);
      *c = v;
    }
  }
}

}  // namespace

KernelInfo generic_kernel() {
  return {GemmIsa::Generic, kMr, kNr, kernel_generic};
}

}  // namespace repscope::gemm_detail
