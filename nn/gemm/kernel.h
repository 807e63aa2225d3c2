// The GEMM micro-kernel interface (internal to nn/gemm). A micro-kernel multiplies one packed
// panel of A (kc × MR, MR values per k step) by one packed panel of B (kc × NR, NR values per
// k step) into an MR × NR tile of C held in registers. Each instruction set has its own kernel
// with its own MR × NR; the packing routines in nn/gemm.cpp follow the active kernel's shape.
#pragma once

#include <cstdint>

#include "nn/gemm.h"

namespace repscope::gemm_detail {

// One call's view of a C tile: `rows` ≤ MR and `cols` ≤ NR of it are real (edge tiles are
// computed in full from zero-padded panels and stored partially).
struct TileArgs {
  std::int64_t kc;      // k steps in this block
  const float* a;       // MR values per k step (packed), or row 0 of A read in place
  std::int64_t a_lda;   // 0 for a packed panel; A's row pitch when read in place (row r's value
                        // of step p at a[r * a_lda + p]; all MR rows must exist)
  const float* b;       // NR values per k step, b_step floats apart
  std::int64_t b_step;  // NR for a packed panel; B's row pitch when it is read in place
  float* c;             // top-left of the C tile
  std::int64_t ldc;     // C row pitch
  int rows, cols;
  // A tile of a product over consecutive images (GemmColumnImages) may straddle two of them:
  // columns [split, cols) then live c_jump floats further on in C (residual_jump in the
  // residual) than a plain row would put them. split = cols for a tile inside one image.
  int split;
  std::int64_t c_jump, residual_jump;
  // Row 0 of the tile's residual when its epilogue adds one (rows epilogue->residual_ld apart).
  const float* residual;
  bool accumulate;  // C += A·B (an earlier k block or the caller's accumulate) rather than C =
  // Applied after the last k block only (null when this is not the last block).
  const GemmEpilogue* epilogue;
  std::int64_t row0, col0;  // the tile's position in the whole C, to index the biases
  // Panels the driver is about to read for the first time (null when none or already cached),
  // for the kernel to pull in while it computes, since neither the hardware prefetcher nor a
  // short look-ahead hides a miss to L3 or memory. `next_b` is the B panel after this one (its
  // `kc` steps at the same k, b_step apart, into L2), `next_a` the A panel after this one (into
  // L1). A hint
  // only: the AVX-512 kernel uses it (ViT-B/16's GEMMs 2–5% faster in interleaved runs); the
  // AVX2 kernel showed no clear gain and ignores it, as does the portable one.
  const float* next_b = nullptr;
  const float* next_a = nullptr;
};

using MicroKernel = void (*)(const TileArgs& t);

// Packs one B panel of a transposed B (B = Wᵀ, W row-major with pitch ldw): rows [0, cols) of
// `w` become the panel's first `cols` columns, for k steps ([k][nr]; columns past `cols` zero).
using PackTransposedPanel = void (*)(const float* w, std::int64_t ldw, std::int64_t k, int cols,
                                     float* panel);

struct KernelInfo {
  GemmIsa isa;
  int mr, nr;
  MicroKernel kernel;
  // Optional: a vectorised transposing pack (gemm.cpp's plain loop when null). A copy: it must
  // give exactly the plain loop's panel.
  PackTransposedPanel pack_transposed = nullptr;
};

// Kernels compiled into this build (each in its own file, compiled for its instruction set
// through function attributes so the rest of the library stays portable).
KernelInfo generic_kernel();
bool avx2_kernel(KernelInfo& out);    // false when not compiled in
bool avx512_kernel(KernelInfo& out);  // false when not compiled in

// Where element (r, j) of the tile lives in C, and in the residual.
inline float* c_at(const TileArgs& t, int r, int j) {
  return t.c + r * t.ldc + j + (j >= t.split ? t.c_jump : 0);
}
inline const float* residual_at(const TileArgs& t, int r, int j) {
  return t.residual + r * t.epilogue->residual_ld + j + (j >= t.split ? t.residual_jump : 0);
}

// The epilogue on one finished value (shared by every kernel's scalar tails).
inline float apply_epilogue(float v, const GemmEpilogue& e, std::int64_t row, std::int64_t col,
                            const float* residual) {
  if (e.row_bias) v += e.row_bias[row];
  if (e.col_bias) v += e.col_bias[col];
  if (residual) v += *residual;
  if (e.relu && v < 0.0f) v = 0.0f;
  return v;
}
// ... on element (r, j) of a tile.
inline float apply_epilogue(float v, const TileArgs& t, int r, int j) {
  return apply_epilogue(v, *t.epilogue, t.row0 + r, t.col0 + j,
                        t.residual ? residual_at(t, r, j) : nullptr);
}

}  // namespace repscope::gemm_detail
