// The GEMM driver: kernel selection, packing, cache blocking and the parallel split.
//
// Blocking (BLIS order, with both operands packed in full up front): for each k block of kKc
// steps, for each block of A panels (≈ kMcRows rows, kept in L2), for each B panel (kKc × nr,
// 48 KB: L1/L2), for each A panel in the block: one micro-kernel call. C tiles are re-read once per
// k block. Neither the k blocking nor the kernel's accumulation order depends on how m and n are
// split, which is what makes every split (and every thread count) give the same bits.
#include "nn/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nn/error.h"
#include "nn/gemm/kernel.h"
#include "nn/host_allocator.h"
#include "nn/parallel.h"

namespace repscope {
namespace {

using gemm_detail::KernelInfo;
using gemm_detail::TileArgs;

// k steps per block, and rows of A per block. A k block's terms are summed in one float
// accumulator, then added to C: longer blocks mean fewer passes over C (which in a convolution's
// output or a ViT's activations lives in L3 or memory) but a longer rounding chain. 1024 made
// ResNet-18/50 and ViT-B/16 forwards 2–3% faster (interleaved in one process) and GEMMs reach
// 82–90% of the FMA peak, but the RMS error of a K = 4608 product grew from 2.9e-7 to 5.3e-7
// (512: 4.0e-7) and the end-to-end distance from PyTorch's outputs doubled (to ~1e-6, twice
// ONNX Runtime's): 256 keeps our numbers as close to the reference as the BLAS torch calls.
constexpr std::int64_t kKc = 256;
constexpr std::int64_t kMcRows = 192;
// gemm_parallel: C tiles per task, and the size below which a product runs on one thread.
constexpr std::int64_t kTaskRows = 192;
constexpr std::int64_t kTaskCols = 384;
constexpr std::int64_t kSplitThreshold = std::int64_t{1} << 18;

bool cpu_has(GemmIsa isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (isa == GemmIsa::Avx512) return __builtin_cpu_supports("avx512f");
  if (isa == GemmIsa::Avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return isa == GemmIsa::Generic;
}

bool kernel_for(GemmIsa isa, KernelInfo& out) {
  if (!cpu_has(isa)) return false;
  switch (isa) {
    case GemmIsa::Avx512:
      return gemm_detail::avx512_kernel(out);
    case GemmIsa::Avx2:
      return gemm_detail::avx2_kernel(out);
    case GemmIsa::Generic:
      out = gemm_detail::generic_kernel();
      return true;
  }
  return false;
}

GemmIsa parse_isa(const std::string& name) {
  for (GemmIsa isa : {GemmIsa::Generic, GemmIsa::Avx2, GemmIsa::Avx512}) {
    if (name == gemm_isa_name(isa)) return isa;
  }
  fail("REPSCOPE_GEMM_ISA='", name, "': expected generic, avx2 or avx512");
}

KernelInfo initial_kernel() {
  KernelInfo info{};
  if (const char* env = std::getenv("REPSCOPE_GEMM_ISA"); env && *env) {
    const GemmIsa isa = parse_isa(env);
    if (!kernel_for(isa, info)) {
      fail("REPSCOPE_GEMM_ISA=", env, ": this CPU or build cannot run that kernel");
    }
    return info;
  }
  for (GemmIsa isa : {GemmIsa::Avx512, GemmIsa::Avx2, GemmIsa::Generic}) {
    if (kernel_for(isa, info)) return info;
  }
  return gemm_detail::generic_kernel();
}

KernelInfo& active() {
  static KernelInfo info = initial_kernel();
  return info;
}

bool has_effect(const GemmEpilogue& e) {
  return e.row_bias || e.col_bias || e.residual || e.relu;
}

// k == 0: C is 0 (or unchanged), then the epilogue.
void empty_product(std::int64_t m, std::int64_t n, float* c, std::int64_t ldc, bool accumulate,
                   const GemmEpilogue& e, std::int64_t row0, std::int64_t col0) {
  for (std::int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (!accumulate) std::fill(row, row + n, 0.0f);
    if (!has_effect(e)) continue;
    for (std::int64_t j = 0; j < n; ++j) {
      const float* residual =
          e.residual ? e.residual + (row0 + i) * e.residual_ld + col0 + j : nullptr;
      row[j] = gemm_detail::apply_epilogue(row[j], e, row0 + i, col0 + j, residual);
    }
  }
}

// MR full rows of a row-major A as one panel: the row loop unrolled (a runtime row count left
// it a loop over an array of pointers, ~3 cycles a value).
template <int MR>
void pack_a_rows(const float* a, std::int64_t lda, std::int64_t k, float* panel) {
  const float* src[MR];
  for (int r = 0; r < MR; ++r) src[r] = a + r * lda;
  for (std::int64_t p = 0; p < k; ++p) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) panel[p * MR + r] = src[r][p];
  }
}

// Packs panels [p0, p1) of op(A).
void pack_a_panels(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda, bool trans_a,
                   float* out, int mr, std::int64_t p0, std::int64_t p1) {
  for (std::int64_t ip = p0; ip < p1; ++ip) {
    float* panel = out + ip * mr * k;
    const std::int64_t i0 = ip * mr;
    const int rows = static_cast<int>(std::min<std::int64_t>(mr, m - i0));
    if (trans_a) {
      for (std::int64_t p = 0; p < k; ++p) {
        float* dst = panel + p * mr;
        std::memcpy(dst, a + p * lda + i0, static_cast<std::size_t>(rows) * sizeof(float));
        std::fill(dst + rows, dst + mr, 0.0f);
      }
    } else if (rows == mr && (mr == 8 || mr == 6 || mr == 4)) {
      if (mr == 8) pack_a_rows<8>(a + i0 * lda, lda, k, panel);
      if (mr == 6) pack_a_rows<6>(a + i0 * lda, lda, k, panel);
      if (mr == 4) pack_a_rows<4>(a + i0 * lda, lda, k, panel);
    } else {
      // A few rows at a time, written in order: sequential stores, `rows` read streams.
      constexpr int kMaxMr = 16;
      const float* src[kMaxMr];
      for (int r = 0; r < rows; ++r) src[r] = a + (i0 + r) * lda;
      for (std::int64_t p = 0; p < k; ++p) {
        float* dst = panel + p * mr;
        for (int r = 0; r < rows; ++r) dst[r] = src[r][p];
        for (int r = rows; r < mr; ++r) dst[r] = 0.0f;
      }
    }
  }
}

// Packs panels [p0, p1) of op(B).
void pack_b_panels(std::int64_t k, std::int64_t n, const float* b, std::int64_t ldb, bool trans_b,
                   float* out, int nr, std::int64_t p0, std::int64_t p1) {
  const gemm_detail::PackTransposedPanel fast_transpose =
      active().nr == nr ? active().pack_transposed : nullptr;  // it packs the kernel's width
  for (std::int64_t jp = p0; jp < p1; ++jp) {
    float* panel = out + jp * nr * k;
    const std::int64_t j0 = jp * nr;
    const std::int64_t cols = std::min<std::int64_t>(nr, n - j0);
    if (trans_b && fast_transpose != nullptr) {
      fast_transpose(b + j0 * ldb, ldb, k, static_cast<int>(cols), panel);
    } else if (trans_b) {
      // A transpose, in blocks of 16 k steps so the panel rows being written (16 × nr values)
      // stay in L1 while each of the nr source rows is read 16 values (a cache line) at a time.
      constexpr std::int64_t kBlock = 16;
      for (std::int64_t pb = 0; pb < k; pb += kBlock) {
        const std::int64_t pe = std::min(k, pb + kBlock);
        for (std::int64_t j = 0; j < nr; ++j) {
          if (j >= cols) {
            for (std::int64_t p = pb; p < pe; ++p) panel[p * nr + j] = 0.0f;
            continue;
          }
          const float* src = b + (j0 + j) * ldb;
          // nr rows read side by side are too many streams for the hardware prefetcher.
          __builtin_prefetch(src + pb + 4 * kBlock);
          for (std::int64_t p = pb; p < pe; ++p) panel[p * nr + j] = src[p];
        }
      }
    } else {
      for (std::int64_t p = 0; p < k; ++p) {
        float* dst = panel + p * nr;
        std::memcpy(dst, b + p * ldb + j0, static_cast<std::size_t>(cols) * sizeof(float));
        std::fill(dst + cols, dst + nr, 0.0f);
      }
    }
  }
}

}  // namespace

const char* gemm_isa_name(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::Generic:
      return "generic";
    case GemmIsa::Avx2:
      return "avx2";
    case GemmIsa::Avx512:
      return "avx512";
  }
  return "?";
}

bool gemm_isa_available(GemmIsa isa) {
  KernelInfo info{};
  return kernel_for(isa, info);
}

std::vector<GemmIsa> gemm_available_isas() {
  std::vector<GemmIsa> out;
  for (GemmIsa isa : {GemmIsa::Generic, GemmIsa::Avx2, GemmIsa::Avx512}) {
    if (gemm_isa_available(isa)) out.push_back(isa);
  }
  return out;
}

GemmIsa gemm_isa() {
  return active().isa;
}

void set_gemm_isa(GemmIsa isa) {
  KernelInfo info{};
  if (!kernel_for(isa, info)) {
    fail("GEMM kernel '", gemm_isa_name(isa), "' is not available on this CPU or build");
  }
  active() = info;
}

GemmPanels gemm_panels() {
  return {active().mr, active().nr};
}

float* GemmBuffer::get(std::int64_t floats) {
  if (floats > capacity_) {
    host_free(data_, static_cast<std::size_t>(capacity_) * sizeof(float));
    data_ = nullptr;
    capacity_ = 0;
    data_ =
        static_cast<float*>(host_allocate(static_cast<std::size_t>(floats) * sizeof(float), 64));
    capacity_ = floats;
  }
  return data_;
}

GemmBuffer::~GemmBuffer() {
  host_free(data_, static_cast<std::size_t>(capacity_) * sizeof(float));
}

void gemm_pack_a(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda, bool trans_a,
                 float* out) {
  const int mr = active().mr;
  pack_a_panels(m, k, a, lda, trans_a, out, mr, 0, (m + mr - 1) / mr);
}

void gemm_pack_a_panels(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda,
                        bool trans_a, float* out, std::int64_t p0, std::int64_t p1) {
  pack_a_panels(m, k, a, lda, trans_a, out, active().mr, p0, p1);
}

void gemm_pack_b(std::int64_t k, std::int64_t n, const float* b, std::int64_t ldb, bool trans_b,
                 float* out) {
  const int nr = active().nr;
  pack_b_panels(k, n, b, ldb, trans_b, out, nr, 0, (n + nr - 1) / nr);
}

std::int64_t gemm_k_block() {
  return kKc;
}

void gemm_packed(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
                 float* c, std::int64_t ldc, bool accumulate, const GemmEpilogue& epilogue,
                 std::int64_t row0, std::int64_t col0) {
  const KernelInfo& kernel = active();
  gemm_packed_slice(m, n, k, a, kernel.mr * k, b, kernel.nr * k, c, ldc, accumulate, epilogue, row0,
                    col0);
}

namespace {

// The blocked loops of gemm_packed_slice over A panels `a_stride` floats apart (packed: mr·K,
// a_lda 0; A read in place: mr·lda, a_lda = lda, every panel whole) and B panels `b_stride`
// floats apart whose k steps are `b_step` floats apart (packed panels: nr·K and nr; B read in
// place: nr and its row pitch). With `images`, the columns are positions of consecutive
// images: C, the residual and a B read in place (b_in_place) jump at each image's end, and a
// B panel read in place that straddles two images, or is partial, is packed here first.
void multiply_panels(std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                     std::int64_t a_stride, std::int64_t a_lda, const float* b,
                     std::int64_t b_stride, std::int64_t b_step, float* c, std::int64_t ldc,
                     bool accumulate, const GemmEpilogue& epilogue, std::int64_t row0,
                     std::int64_t col0, const GemmColumnImages* images = nullptr,
                     bool b_in_place = false) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    empty_product(m, n, c, ldc, accumulate, epilogue, row0, col0);
    return;
  }
  const KernelInfo& kernel = active();
  const std::int64_t mr = kernel.mr, nr = kernel.nr;
  const std::int64_t a_panels = (m + mr - 1) / mr, b_panels = (n + nr - 1) / nr;
  const std::int64_t block_panels = std::max<std::int64_t>(1, kMcRows / mr);
  const GemmEpilogue* last_epilogue = has_effect(epilogue) ? &epilogue : nullptr;
  // Panel jp's place: its first column's offset in C and in the residual (from column 0), the
  // columns before an image boundary, and for a B read in place with images, its first value.
  struct Place {
    std::int64_t c_col, residual_col;
    int cols, split;
    const float* b_first;
  };
  auto place = [&](std::int64_t jp) {
    const std::int64_t j0 = jp * nr;
    Place q{j0, j0, static_cast<int>(std::min(nr, n - j0)), 0, nullptr};
    q.split = q.cols;
    if (images) {
      // Image `image` after the first starts (stride − size)·image floats beyond where plain
      // consecutive columns would put it.
      const std::int64_t at = images->first + j0, image = at / images->size;
      q.c_col = j0 + image * (images->c_stride - images->size);
      q.residual_col = j0 + image * (images->residual_stride - images->size);
      q.split = static_cast<int>(std::min<std::int64_t>(q.cols, images->size - at % images->size));
      if (b_in_place) q.b_first = b + j0 + image * (images->b_stride - images->size);
    }
    return q;
  };
  thread_local std::vector<float> edge_panel;
  TileArgs t{};
  t.ldc = ldc;
  t.a_lda = a_lda;
  if (images) {
    t.c_jump = images->c_stride - images->size;
    t.residual_jump = images->residual_stride - images->size;
  }
  for (std::int64_t pc = 0; pc < k; pc += kKc) {
    t.kc = std::min(kKc, k - pc);
    t.accumulate = accumulate || pc > 0;
    t.epilogue = pc + t.kc >= k ? last_epilogue : nullptr;
    const float* residual = t.epilogue ? t.epilogue->residual : nullptr;
    for (std::int64_t ib = 0; ib < a_panels; ib += block_panels) {
      const std::int64_t ie = std::min(a_panels, ib + block_panels);
      for (std::int64_t jp = 0; jp < b_panels; ++jp) {
        const Place q = place(jp);
        t.cols = q.cols;
        t.split = q.split;
        t.col0 = col0 + jp * nr;
        t.b = b + jp * b_stride + pc * b_step;
        t.b_step = b_step;
        const float* next_b = jp + 1 < b_panels ? t.b + b_stride : nullptr;
        if (q.b_first) {
          t.b = q.b_first + pc * b_step;
          if (q.split < nr) {
            // Straddling two images, or the last, partial panel: packed, zero-padded.
            edge_panel.resize(static_cast<std::size_t>(kKc * nr));
            float* dst = edge_panel.data();
            const std::int64_t second = images->b_stride - images->size;
            for (std::int64_t s = 0; s < t.kc; ++s, dst += nr) {
              const float* row = t.b + s * b_step;
              std::copy(row, row + q.split, dst);
              std::copy(row + second + q.split, row + second + q.cols, dst + q.split);
              std::fill(dst + q.cols, dst + nr, 0.0f);
            }
            t.b = edge_panel.data();
            t.b_step = nr;
            next_b = nullptr;
          } else {
            // Only a next panel that is read in place too has this panel's step.
            const Place next = jp + 1 < b_panels ? place(jp + 1) : Place{};
            next_b = next.b_first && next.split == nr ? next.b_first + pc * b_step : nullptr;
          }
        }
        for (std::int64_t ip = ib; ip < ie; ++ip) {
          t.a = a + ip * a_stride + pc * (a_lda ? 1 : mr);
          t.c = c + ip * mr * ldc + q.c_col;
          t.rows = static_cast<int>(std::min(mr, m - ip * mr));
          t.row0 = row0 + ip * mr;
          t.residual = residual
                           ? residual + t.row0 * t.epilogue->residual_ld + col0 + q.residual_col
                           : nullptr;
          // B panel jp is first read with the block's first A panel, the A panels with the
          // first B panel: those calls fetch the next ones.
          t.next_b = ip == ib ? next_b : nullptr;
          t.next_a = a_lda == 0 && jp == 0 && ip + 1 < ie ? t.a + a_stride : nullptr;
          kernel.kernel(t);
        }
      }
    }
  }
}

// op(A) as the row side of a product: either packed in full (`packed`), or a row-major A read
// in place (a_lda = lda) for its whole panels, rows [whole_rows, m) (fewer than mr) coming from
// `tail`, that last panel packed.
struct RowOperand {
  float* packed = nullptr;
  const float* a = nullptr;
  std::int64_t lda = 0;
  std::int64_t whole_rows = 0;
  const float* tail = nullptr;
};

// Rows [i0, i0 + mi) of C (i0 a multiple of mr; c at row 0 of the column block j0) against B
// panels packed to depth k (b at the block's first panel).
void multiply_rows(const RowOperand& rows, std::int64_t i0, std::int64_t mi, std::int64_t nj,
                   std::int64_t k, const float* b, float* c, std::int64_t ldc, bool accumulate,
                   const GemmEpilogue& epilogue, std::int64_t j0) {
  const KernelInfo& kernel = active();
  if (rows.packed) {
    multiply_panels(mi, nj, k, rows.packed + i0 * k, kernel.mr * k, 0, b, kernel.nr * k, kernel.nr,
                    c + i0 * ldc, ldc, accumulate, epilogue, i0, j0);
    return;
  }
  const std::int64_t end = i0 + mi, whole_end = std::min(end, rows.whole_rows);
  if (whole_end > i0) {
    multiply_panels(whole_end - i0, nj, k, rows.a + i0 * rows.lda, kernel.mr * rows.lda, rows.lda,
                    b, kernel.nr * k, kernel.nr, c + i0 * ldc, ldc, accumulate, epilogue, i0, j0);
  }
  if (end > rows.whole_rows) {
    multiply_panels(end - rows.whole_rows, nj, k, rows.tail, kernel.mr * k, 0, b, kernel.nr * k,
                    kernel.nr, c + rows.whole_rows * ldc, ldc, accumulate, epilogue,
                    rows.whole_rows, j0);
  }
}

// Makes op(A)'s RowOperand: a row-major A is read in place, its last partial panel (if any)
// packed here into `buffer`; a transposed A gets `packed`, a buffer for all its panels, which
// the caller fills (in parallel if it likes).
RowOperand row_operand(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda,
                       bool trans_a, GemmBuffer& buffer) {
  const KernelInfo& kernel = active();
  RowOperand rows;
  if (trans_a) {
    rows.packed = buffer.get(GemmPanels{kernel.mr, kernel.nr}.a_floats(m, k));
    return rows;
  }
  rows.a = a;
  rows.lda = lda;
  rows.whole_rows = m / kernel.mr * kernel.mr;
  if (rows.whole_rows < m) {
    float* tail = buffer.get(kernel.mr * k);
    pack_a_panels(m - rows.whole_rows, k, a + rows.whole_rows * lda, lda, false, tail, kernel.mr, 0,
                  1);
    rows.tail = tail;
  }
  return rows;
}

}  // namespace

namespace {

void check_images(const GemmColumnImages* images, std::int64_t k, const char* fn) {
  if (!images) return;
  const std::int64_t nr = active().nr;
  check(images->size >= nr, fn, ": images of ", images->size,
        " columns are narrower than the kernel's ", nr, "-column panels");
  check(images->first >= 0 && images->first < images->size, fn, ": first column at position ",
        images->first, " of an image of ", images->size);
  check(k > 0, fn, ": a product over images needs k > 0");
}

}  // namespace

void gemm_packed_slice(std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                       std::int64_t a_stride, const float* b, std::int64_t b_stride, float* c,
                       std::int64_t ldc, bool accumulate, const GemmEpilogue& epilogue,
                       std::int64_t row0, std::int64_t col0, const GemmColumnImages* images) {
  check_images(images, k, "gemm_packed_slice");
  multiply_panels(m, n, k, a, a_stride, 0, b, b_stride, active().nr, c, ldc, accumulate, epilogue,
                  row0, col0, images);
}

void gemm_packed_a_slice(std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                         std::int64_t a_stride, const float* b, std::int64_t ldb, float* c,
                         std::int64_t ldc, bool accumulate, const GemmEpilogue& epilogue,
                         std::int64_t row0, std::int64_t col0, const GemmColumnImages* images) {
  const std::int64_t nr = active().nr;
  check(images || n % nr == 0, "gemm_packed_a_slice: n = ", n,
        " is not a multiple of the kernel's ", nr, " columns");
  check_images(images, k, "gemm_packed_a_slice");
  multiply_panels(m, n, k, a, a_stride, 0, b, nr, ldb, c, ldc, accumulate, epilogue, row0, col0,
                  images, true);
}

void gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
          bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c, std::int64_t ldc,
          bool accumulate, const GemmEpilogue& epilogue) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    empty_product(m, n, c, ldc, accumulate, epilogue, 0, 0);
    return;
  }
  thread_local GemmBuffer a_buffer, b_buffer;
  const GemmPanels panels = gemm_panels();
  const RowOperand rows = row_operand(m, k, a, lda, trans_a, a_buffer);
  if (rows.packed) gemm_pack_a(m, k, a, lda, trans_a, rows.packed);
  float* bp = b_buffer.get(panels.b_floats(k, n));
  gemm_pack_b(k, n, b, ldb, trans_b, bp);
  multiply_rows(rows, 0, m, n, k, bp, c, ldc, accumulate, epilogue, 0);
}

void gemm_parallel(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                   bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float* c,
                   std::int64_t ldc, bool accumulate, const GemmEpilogue& epilogue) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || m * n * k <= kSplitThreshold) {
    gemm(m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc, accumulate, epilogue);
    return;
  }
  const KernelInfo& kernel = active();
  const int mr = kernel.mr, nr = kernel.nr;
  const GemmPanels panels{mr, nr};
  // A row-major A is read in place (its rows are the broadcast streams; only a last partial
  // panel is packed); a transposed A is packed, alongside B.
  GemmBuffer a_buffer, b_buffer;
  const RowOperand rows = row_operand(m, k, a, lda, trans_a, a_buffer);
  float* ap = rows.packed;
  float* bp = b_buffer.get(panels.b_floats(k, n));
  const std::int64_t a_panels = (m + mr - 1) / mr, b_panels = (n + nr - 1) / nr;
  const std::int64_t packed_a = ap ? a_panels : 0;
  parallel_for(0, packed_a + b_panels, 1, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      if (p < packed_a) {
        pack_a_panels(m, k, a, lda, trans_a, ap, mr, p, p + 1);
      } else {
        pack_b_panels(k, n, b, ldb, trans_b, bp, nr, p - packed_a, p - packed_a + 1);
      }
    }
  });
  // Task tiles are whole panels, so each starts at a panel boundary of both packs.
  const std::int64_t task_panels_a = std::max<std::int64_t>(1, kTaskRows / mr);
  const std::int64_t task_panels_b = std::max<std::int64_t>(1, kTaskCols / nr);
  const std::int64_t tiles_m = (a_panels + task_panels_a - 1) / task_panels_a;
  const std::int64_t tiles_n = (b_panels + task_panels_b - 1) / task_panels_b;
  parallel_for(0, tiles_m * tiles_n, 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t i0 = (t / tiles_n) * task_panels_a * mr;
      const std::int64_t j0 = (t % tiles_n) * task_panels_b * nr;
      const std::int64_t mi = std::min(task_panels_a * mr, m - i0);
      const std::int64_t nj = std::min(task_panels_b * nr, n - j0);
      multiply_rows(rows, i0, mi, nj, k, bp + j0 * k, c + j0, ldc, accumulate, epilogue, j0);
    }
  });
}

}  // namespace repscope
