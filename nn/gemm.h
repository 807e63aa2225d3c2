// Single-precision matrix multiply on row-major matrices, the workhorse of conv2d, linear,
// matmul and attention. Own blocked GEMM: operands are packed into panels and multiplied by a
// register-tiled micro-kernel chosen at run time for the CPU (AVX-512, AVX2+FMA, or portable
// C++), with float accumulation like the BLAS PyTorch calls.
//
// Every output element is accumulated in a fixed order that depends only on k (blocks of
// kGemmKc), so results are bit-identical for any thread count and any tiling of m and n.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace repscope {

// Applied to each finished C element (i, j), in this order: + row_bias[i], + col_bias[j],
// + residual[i * residual_ld + j], max(·, 0) — the order of separate bias, add and relu ops, so
// the fused result has the same bits. NaN stays NaN through the ReLU, as in torch.
struct GemmEpilogue {
  const float* row_bias = nullptr;  // per row of C (conv: per output channel)
  const float* col_bias = nullptr;  // per column of C (linear: per output feature)
  const float* residual = nullptr;  // a matrix shaped like C (a ResNet block's shortcut)
  std::int64_t residual_ld = 0;     // its row pitch
  bool relu = false;
};

// C = op(A) · op(B), or C += op(A) · op(B) when `accumulate`.
// op(A) is m×k and op(B) is k×n; C is m×n. Matrices are row-major with leading dimensions
// (row pitch in elements) lda, ldb, ldc. With trans_a, A is stored k×m (element (i, p) of op(A)
// at a[p * lda + i]); likewise trans_b stores B as n×k — torch Linear's weight layout.
// Single-threaded: callers parallelise around it.
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
          bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c, std::int64_t ldc,
          bool accumulate = false, const GemmEpilogue& epilogue = {});

// The same product run in parallel over the repscope thread pool (B packed once, then tiles of
// C computed in parallel). Bit-identical to gemm(). Both read a row-major A in place (the
// kernel broadcasts from its rows; only a last partial panel of rows is packed) and pack a
// transposed one.
void gemm_parallel(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                   bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c,
                   std::int64_t ldc, bool accumulate = false, const GemmEpilogue& epilogue = {});

// ---- Instruction set -----------------------------------------------------------------------

enum class GemmIsa { Generic, Avx2, Avx512 };
const char* gemm_isa_name(GemmIsa isa);
// True when the kernel is compiled in and this CPU can run it.
bool gemm_isa_available(GemmIsa isa);
// The kernel in use: the best available one, or REPSCOPE_GEMM_ISA=generic|avx2|avx512 from the
// environment (read once; an unavailable choice is an Error).
GemmIsa gemm_isa();
// Switches kernels (tests and benchmarks compare them). Not thread-safe against running GEMMs;
// packed operands made under another kernel must not be reused. Throws when unavailable.
void set_gemm_isa(GemmIsa isa);
// Every kernel gemm_isa_available() accepts, portable first (tests run each of them).
std::vector<GemmIsa> gemm_available_isas();
// Restores the kernel in use when it goes out of scope.
class ScopedGemmIsa {
 public:
  ScopedGemmIsa() : saved_(gemm_isa()) {}
  ~ScopedGemmIsa() { set_gemm_isa(saved_); }
  ScopedGemmIsa(const ScopedGemmIsa&) = delete;
  ScopedGemmIsa& operator=(const ScopedGemmIsa&) = delete;

 private:
  GemmIsa saved_;
};

// ---- Packed operands (for callers that reuse an operand or pack it themselves) -------------

// Panel shape of the active kernel: A is packed as ceil(m/mr) panels of k×mr values (mr per k
// step, rows beyond m zero), B as ceil(n/nr) panels of k×nr values.
struct GemmPanels {
  int mr = 0, nr = 0;
  std::int64_t a_floats(std::int64_t m, std::int64_t k) const { return (m + mr - 1) / mr * mr * k; }
  std::int64_t b_floats(std::int64_t k, std::int64_t n) const { return (n + nr - 1) / nr * nr * k; }
};
GemmPanels gemm_panels();

// Pack op(A) (m×k) or op(B) (k×n) into `out` (a_floats / b_floats values) in panel order.
void gemm_pack_a(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda, bool trans_a,
                 float* out);
void gemm_pack_b(std::int64_t k, std::int64_t n, const float* b, std::int64_t ldb, bool trans_b,
                 float* out);
// Only panels [p0, p1) of gemm_pack_a's result (each at its place in `out`), so that callers can
// pack in parallel.
void gemm_pack_a_panels(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda,
                        bool trans_a, float* out, std::int64_t p0, std::int64_t p1);

// C[m×n] (+)= packed A · packed B on one thread. `a` points at the first of the panels covering
// the m rows (panel stride mr·k) and `b` at the first panel covering the n columns (stride nr·k);
// k is the full depth of both packs. row0/col0 place C within a larger product so the epilogue
// biases are indexed correctly (the biases are indexed by row0 + i and col0 + j).
void gemm_packed(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
                 float* c, std::int64_t ldc, bool accumulate = false,
                 const GemmEpilogue& epilogue = {}, std::int64_t row0 = 0, std::int64_t col0 = 0);

// The n columns of a product as the positions of consecutive images (a convolution's N·OH·OW
// output positions, with C, the residual and an in-place B in NCHW layout): the slice's column
// j is position (first + j) mod size of the ((first + j) div size)-th image after the first one,
// and each image's block starts c_stride floats after the previous one's in C (residual_stride
// in the residual, b_stride in a B read in place); within an image, columns are consecutive.
// One product then covers several images with no copy in or scatter out. size must be at least
// the kernel's panel width (gemm_panels().nr), so that a panel spans at most two images.
struct GemmColumnImages {
  std::int64_t size = 0;   // columns (positions) per image
  std::int64_t first = 0;  // the slice's first column's position in its image, [0, size)
  std::int64_t c_stride = 0;
  std::int64_t residual_stride = 0;
  std::int64_t b_stride = 0;  // gemm_packed_a_slice only
};

// gemm_packed on a k-slice of larger packs: A's panels are a_stride floats apart and B's
// b_stride apart (mr·K and nr·K for packs of depth K, with `a`/`b` offset by mr·p0 and nr·p0 for
// a slice starting at step p0). Slices that start at multiples of gemm_k_block(), chained with
// `accumulate` and the epilogue on the last one, give exactly gemm_packed's bits. With `images`,
// C and the epilogue's residual (c and residual at the slice's first column) follow its layout;
// the packed B is in plain column order.
void gemm_packed_slice(std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                       std::int64_t a_stride, const float* b, std::int64_t b_stride, float* c,
                       std::int64_t ldc, bool accumulate = false, const GemmEpilogue& epilogue = {},
                       std::int64_t row0 = 0, std::int64_t col0 = 0,
                       const GemmColumnImages* images = nullptr);
// gemm_packed_slice with op(B) read in place instead of packed: `b` is a k×n row-major block
// with row pitch ldb, and n must be a multiple of gemm_panels().nr (the panels need no zero
// padding). For a B that is already laid out that way (a 1×1 convolution's input rows), this
// saves writing and re-reading a packed copy; the result has gemm_packed_slice's bits. With
// `images`, B follows that layout too (b at the slice's first column) and n may be anything:
// the panels that straddle two images, and a last partial one, are packed on the way.
void gemm_packed_a_slice(std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                         std::int64_t a_stride, const float* b, std::int64_t ldb, float* c,
                         std::int64_t ldc, bool accumulate = false,
                         const GemmEpilogue& epilogue = {}, std::int64_t row0 = 0,
                         std::int64_t col0 = 0, const GemmColumnImages* images = nullptr);
// The k block every product is accumulated in.
std::int64_t gemm_k_block();

// Scratch memory for packed panels: 64-byte aligned floats, grown on demand, never shrunk.
// From the host allocator (nn/host_allocator.h), so a buffer made per call reuses the blocks of
// earlier calls instead of faulting in fresh pages.
class GemmBuffer {
 public:
  GemmBuffer() = default;
  GemmBuffer(const GemmBuffer&) = delete;
  GemmBuffer& operator=(const GemmBuffer&) = delete;
  ~GemmBuffer();
  float* get(std::int64_t floats);

 private:
  float* data_ = nullptr;
  std::int64_t capacity_ = 0;
};

}  // namespace repscope
