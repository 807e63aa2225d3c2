// The GEMM (nn/gemm.h) on every micro-kernel this CPU can run, against a float64 loop on random
// shapes, transpositions, leading dimensions, accumulation and epilogues; plus the properties
// the callers rely on: gemm_parallel == gemm bit for bit at any thread count, and packed
// sub-products equal the whole product.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "nn/error.h"
#include "nn/gemm.h"
#include "nn/parallel.h"

namespace repscope {
namespace {

struct Product {
  std::int64_t m, n, k, lda, ldb, ldc;
  bool ta, tb, accumulate;
  std::vector<float> a, b, c, row_bias, col_bias, residual;
  GemmEpilogue epilogue;
};

Product make(std::mt19937& rng, std::int64_t m, std::int64_t n, std::int64_t k, bool ta, bool tb,
             bool accumulate, int epilogue_kind) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::uniform_int_distribution<int> pad(0, 3);
  Product p{m, n, k, 0, 0, 0, ta, tb, accumulate, {}, {}, {}, {}, {}, {}, {}};
  p.lda = (ta ? m : k) + pad(rng);
  p.ldb = (tb ? k : n) + pad(rng);
  p.ldc = n + pad(rng);
  auto fill = [&](std::vector<float>& v, std::int64_t count) {
    v.resize(static_cast<std::size_t>(std::max<std::int64_t>(count, 1)));
    for (float& x : v) x = dist(rng);
  };
  fill(p.a, (ta ? k : m) * p.lda);
  fill(p.b, (tb ? n : k) * p.ldb);
  fill(p.c, m * p.ldc);
  fill(p.row_bias, m);
  fill(p.col_bias, n);
  fill(p.residual, m * (n + 2));
  if (epilogue_kind & 1) p.epilogue.row_bias = p.row_bias.data();
  if (epilogue_kind & 2) p.epilogue.col_bias = p.col_bias.data();
  if (epilogue_kind & 4) p.epilogue.relu = true;
  if (epilogue_kind & 8) {
    p.epilogue.residual = p.residual.data();
    p.epilogue.residual_ld = n + 2;
  }
  return p;
}

// Float64 reference of one element, and the scale its float rounding error is measured against.
void reference(const Product& p, std::int64_t i, std::int64_t j, double& value, double& scale) {
  double sum = 0.0, abs_sum = 0.0;
  for (std::int64_t q = 0; q < p.k; ++q) {
    const double a = p.ta ? p.a[q * p.lda + i] : p.a[i * p.lda + q];
    const double b = p.tb ? p.b[j * p.ldb + q] : p.b[q * p.ldb + j];
    sum += a * b;
    abs_sum += std::fabs(a * b);
  }
  if (p.accumulate) sum += p.c[i * p.ldc + j];
  if (p.epilogue.row_bias) sum += p.epilogue.row_bias[i];
  if (p.epilogue.col_bias) sum += p.epilogue.col_bias[j];
  if (p.epilogue.residual) sum += p.epilogue.residual[i * p.epilogue.residual_ld + j];
  if (p.epilogue.relu) sum = std::max(sum, 0.0);
  value = sum;
  scale = abs_sum + 1.0;
}

std::vector<float> run(const Product& p, bool parallel) {
  std::vector<float> c = p.c;
  (parallel ? gemm_parallel : gemm)(p.m, p.n, p.k, p.a.data(), p.lda, p.ta, p.b.data(), p.ldb, p.tb,
                                    c.data(), p.ldc, p.accumulate, p.epilogue);
  return c;
}

TEST(Gemm, GenericKernelIsAlwaysAvailable) {
  EXPECT_TRUE(gemm_isa_available(GemmIsa::Generic));
  EXPECT_TRUE(gemm_isa_available(gemm_isa()));
}

TEST(Gemm, EveryKernelMatchesFloat64OnRandomShapes) {
  ScopedGemmIsa restore;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> small(0, 70), big(1, 300);
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    for (int trial = 0; trial < 60; ++trial) {
      const bool large = trial % 4 == 0;
      const std::int64_t m = large ? big(rng) : small(rng);
      const std::int64_t n = large ? big(rng) : small(rng);
      // k beyond one k block in some trials, so blocks accumulate.
      const std::int64_t k = trial % 5 == 0 ? gemm_k_block() + 100 + small(rng) : small(rng);
      const Product p = make(rng, m, n, k, trial & 1, trial & 2, trial % 3 == 0, trial % 16);
      const std::vector<float> got = run(p, trial % 2 == 0);
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < p.ldc; ++j) {
          const float c = got[static_cast<std::size_t>(i * p.ldc + j)];
          if (j >= n) {  // padding columns of C are never written
            ASSERT_EQ(c, p.c[static_cast<std::size_t>(i * p.ldc + j)]);
            continue;
          }
          double value = 0, scale = 0;
          reference(p, i, j, value, scale);
          ASSERT_NEAR(c, value, 1e-6 * scale)
              << gemm_isa_name(isa) << " m=" << m << " n=" << n << " k=" << k << " ta=" << p.ta
              << " tb=" << p.tb << " acc=" << p.accumulate << " at (" << i << ", " << j << ")";
        }
      }
    }
  }
}

TEST(Gemm, ParallelIsBitIdenticalToSerialForAnyThreadCount) {
  ScopedGemmIsa restore;
  const int before = num_threads();
  std::mt19937 rng(11);
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    for (auto [m, n, k] : {std::array<std::int64_t, 3>{333, 517, gemm_k_block() + 190},
                           {1000, 40, 300},
                           {37, 1200, 260},
                           {1200, 100, 290}}) {
      // gemm_parallel reads a row-major A in place when m is whole panels (1200: every
      // kernel's mr; 1000: 8 and 4), else packs it; gemm packs it.
      for (bool ta : {false, true}) {
        const Product p = make(rng, m, n, k, ta, !ta, ta, 11);
        const std::vector<float> serial = run(p, false);
        for (int threads : {1, 2, 3}) {
          set_num_threads(threads);
          EXPECT_EQ(run(p, true), serial)
              << gemm_isa_name(isa) << " threads " << threads << (ta ? " trans_a" : "");
        }
      }
    }
  }
  set_num_threads(before);
}

TEST(Gemm, PackedSubProductsEqualTheWholeProduct) {
  std::mt19937 rng(3);
  const std::int64_t m = 70, n = 150, k = gemm_k_block() + 44;
  const Product p = make(rng, m, n, k, false, false, false, 15);
  const std::vector<float> whole = run(p, false);
  const GemmPanels panels = gemm_panels();
  std::vector<float> ap(static_cast<std::size_t>(panels.a_floats(m, k)));
  std::vector<float> bp(static_cast<std::size_t>(panels.b_floats(k, n)));
  gemm_pack_a(m, k, p.a.data(), p.lda, false, ap.data());
  gemm_pack_b(k, n, p.b.data(), p.ldb, false, bp.data());
  std::vector<float> c = p.c;
  // Split at panel boundaries: rows [0, mr) and the rest; columns [0, nr) and the rest.
  const std::int64_t i1 = panels.mr, j1 = panels.nr;
  for (auto [i0, ie] : {std::pair<std::int64_t, std::int64_t>{0, i1}, {i1, m}}) {
    for (auto [j0, je] : {std::pair<std::int64_t, std::int64_t>{0, j1}, {j1, n}}) {
      gemm_packed(ie - i0, je - j0, k, ap.data() + i0 * k, bp.data() + j0 * k,
                  c.data() + i0 * p.ldc + j0, p.ldc, false, p.epilogue, i0, j0);
    }
  }
  EXPECT_EQ(c, whole);
}

// A transposed B (a linear layer's weight W, B = Wᵀ) packs into the panel layout exactly, under
// every kernel (AVX-512 transposes 16 × 16 blocks in registers): partial blocks of k, partial
// and single-row last panels, a row pitch wider than k.
TEST(Gemm, TransposedPackIsThePanelLayout) {
  ScopedGemmIsa restore;
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    const GemmPanels panels = gemm_panels();
    for (auto [k, n] : {std::pair<std::int64_t, std::int64_t>{16, panels.nr},
                        {37, 3 * panels.nr},
                        {1, 5},
                        {300, 2 * panels.nr + 1},
                        {33, panels.nr + 17}}) {
      const std::int64_t ldw = k + 3;
      std::vector<float> w(static_cast<std::size_t>(n * ldw));
      for (float& v : w) v = dist(rng);
      std::vector<float> packed(static_cast<std::size_t>(panels.b_floats(k, n)), -7.0f);
      gemm_pack_b(k, n, w.data(), ldw, true, packed.data());
      std::int64_t wrong = 0;
      for (std::int64_t j = 0; j < (n + panels.nr - 1) / panels.nr * panels.nr; ++j) {
        for (std::int64_t p = 0; p < k; ++p) {
          const float want = j < n ? w[static_cast<std::size_t>(j * ldw + p)] : 0.0f;
          const float got = packed[static_cast<std::size_t>(j / panels.nr * panels.nr * k +
                                                            p * panels.nr + j % panels.nr)];
          wrong += std::memcmp(&want, &got, sizeof(float)) != 0;
        }
      }
      EXPECT_EQ(wrong, 0) << gemm_isa_name(isa) << " k " << k << " n " << n;
    }
  }
}

// B read in place (a 1x1 convolution's input rows) gives the bits of B packed first, under
// every kernel; a width that is not whole panels is refused.
TEST(Gemm, InPlaceBEqualsPackedB) {
  ScopedGemmIsa restore;
  std::mt19937 rng(4);
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    const GemmPanels panels = gemm_panels();
    const std::int64_t m = 37, n = 3 * panels.nr, k = gemm_k_block() + 274, ldb = n + 13;
    Product p = make(rng, m, n, k, false, false, false, 15);
    std::vector<float> b(static_cast<std::size_t>(k * ldb));
    for (std::int64_t q = 0; q < k; ++q) {
      std::copy(p.b.begin() + q * p.ldb, p.b.begin() + q * p.ldb + n, b.begin() + q * ldb);
    }
    std::vector<float> ap(static_cast<std::size_t>(panels.a_floats(m, k)));
    std::vector<float> bp(static_cast<std::size_t>(panels.b_floats(k, n)));
    gemm_pack_a(m, k, p.a.data(), p.lda, false, ap.data());
    gemm_pack_b(k, n, p.b.data(), p.ldb, false, bp.data());
    std::vector<float> packed = p.c, in_place = p.c;
    gemm_packed_slice(m, n, k, ap.data(), panels.mr * k, bp.data(), panels.nr * k, packed.data(),
                      p.ldc, true, p.epilogue);
    gemm_packed_a_slice(m, n, k, ap.data(), panels.mr * k, b.data(), ldb, in_place.data(), p.ldc,
                        true, p.epilogue);
    EXPECT_EQ(in_place, packed) << gemm_isa_name(isa);
    EXPECT_THROW(gemm_packed_a_slice(m, n - 1, k, ap.data(), panels.mr * k, b.data(), ldb,
                                     in_place.data(), p.ldc),
                 Error);
  }
}

// A product whose columns are positions of consecutive images (GemmColumnImages, a conv's
// N·OH·OW outputs in NCHW) gives the plain product's bits, wherever the images' blocks lie:
// panels straddling two images, a slice starting and ending inside images, a last partial
// panel, k blocks accumulated, the whole epilogue; and writes nothing between the images.
TEST(Gemm, ColumnImagesEqualThePlainProduct) {
  ScopedGemmIsa restore;
  std::mt19937 rng(23);
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    const GemmPanels panels = gemm_panels();
    const std::int64_t size = panels.nr + 5, first = 3;
    const std::int64_t m = 37, k = gemm_k_block() + 274, n = 4 * size - first - 7;
    Product p = make(rng, m, n, k, false, false, true, 15);
    std::vector<float> ap(static_cast<std::size_t>(panels.a_floats(m, k)));
    std::vector<float> bp(static_cast<std::size_t>(panels.b_floats(k, n)));
    gemm_pack_a(m, k, p.a.data(), p.lda, false, ap.data());
    gemm_pack_b(k, n, p.b.data(), p.ldb, false, bp.data());
    std::vector<float> plain = p.c;
    gemm_packed_slice(m, n, k, ap.data(), panels.mr * k, bp.data(), panels.nr * k, plain.data(),
                      p.ldc, true, p.epilogue);

    // Each operand as [image][row][position], rows `pitch` apart, images `stride` apart.
    struct Layout {
      std::int64_t size, first, pitch, stride;
      std::vector<float> buffer;
      float* at(std::int64_t row, std::int64_t j) {
        const std::int64_t q = first + j;
        return buffer.data() + q / size * stride + row * pitch + q % size;
      }
    };
    const std::int64_t images = (first + n + size - 1) / size;
    auto layout = [&](std::int64_t rows, std::int64_t pitch, std::int64_t gap) {
      return Layout{
          size, first, pitch, rows * pitch + gap,
          std::vector<float>(static_cast<std::size_t>(images * (rows * pitch + gap)), -7.0f)};
    };
    Layout c = layout(m, size + 2, 11), res = layout(m, size, 5), b = layout(k, size + 1, 3);
    for (std::int64_t j = 0; j < n; ++j) {
      for (std::int64_t i = 0; i < m; ++i) {
        *c.at(i, j) = p.c[i * p.ldc + j];
        *res.at(i, j) = p.residual[i * (n + 2) + j];
      }
      for (std::int64_t q = 0; q < k; ++q) *b.at(q, j) = p.b[q * p.ldb + j];
    }
    const GemmColumnImages layout_of{size, first, c.stride, res.stride, b.stride};
    GemmEpilogue e = p.epilogue;
    e.residual = res.at(0, 0);
    e.residual_ld = res.pitch;
    for (bool b_in_place : {false, true}) {
      Layout out = c;
      if (b_in_place) {
        gemm_packed_a_slice(m, n, k, ap.data(), panels.mr * k, b.at(0, 0), b.pitch, out.at(0, 0),
                            out.pitch, true, e, 0, 0, &layout_of);
      } else {
        gemm_packed_slice(m, n, k, ap.data(), panels.mr * k, bp.data(), panels.nr * k, out.at(0, 0),
                          out.pitch, true, e, 0, 0, &layout_of);
      }
      std::vector<float> got(plain.size(), 0.0f), expected(plain.size(), 0.0f);
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          got[i * p.ldc + j] = *out.at(i, j);
          expected[i * p.ldc + j] = plain[i * p.ldc + j];
          *out.at(i, j) = -7.0f;
        }
      }
      EXPECT_EQ(got, expected) << gemm_isa_name(isa) << (b_in_place ? ", B in place" : "");
      EXPECT_EQ(out.buffer, std::vector<float>(out.buffer.size(), -7.0f))
          << "wrote outside the columns, " << gemm_isa_name(isa);
    }
    const GemmColumnImages narrow{panels.nr - 1, 0, c.stride, res.stride, b.stride};
    EXPECT_THROW(gemm_packed_slice(m, n, k, ap.data(), panels.mr * k, bp.data(), panels.nr * k,
                                   c.at(0, 0), c.pitch, false, {}, 0, 0, &narrow),
                 Error);
  }
}

TEST(Gemm, EmptyDepthGivesZeroOrKeepsCThenTheEpilogue) {
  float c[2] = {5.0f, -5.0f};
  const float bias[2] = {1.0f, -3.0f};
  GemmEpilogue e;
  e.col_bias = bias;
  e.relu = true;
  gemm(1, 2, 0, nullptr, 1, false, nullptr, 2, false, c, 2, false, e);
  EXPECT_EQ(c[0], 1.0f);
  EXPECT_EQ(c[1], 0.0f);
}

TEST(Gemm, FusedResidualAndReluEqualSeparateSteps) {
  // The conv + add + relu fusion relies on this: same bits as bias-only, then + residual, then
  // relu.
  ScopedGemmIsa restore;
  std::mt19937 rng(17);
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    Product p = make(rng, 45, 101, 300, false, false, false, 1);
    const std::vector<float> biased = run(p, false);
    p.epilogue.residual = p.residual.data();
    p.epilogue.residual_ld = p.n + 2;
    p.epilogue.relu = true;
    const std::vector<float> fused = run(p, true);
    for (std::int64_t i = 0; i < p.m; ++i) {
      for (std::int64_t j = 0; j < p.n; ++j) {
        float v = biased[static_cast<std::size_t>(i * p.ldc + j)] +
                  p.residual[static_cast<std::size_t>(i * (p.n + 2) + j)];
        v = v < 0.0f ? 0.0f : v;
        ASSERT_EQ(fused[static_cast<std::size_t>(i * p.ldc + j)], v) << gemm_isa_name(isa);
      }
    }
  }
}

TEST(Gemm, ReluKeepsNaN) {
  ScopedGemmIsa restore;
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> a = {nan, -1.0f}, b(16, 1.0f), c(32, 0.0f);
    GemmEpilogue e;
    e.relu = true;
    gemm(2, 16, 1, a.data(), 1, false, b.data(), 16, false, c.data(), 16, false, e);
    for (int j = 0; j < 16; ++j) {
      EXPECT_TRUE(std::isnan(c[static_cast<std::size_t>(j)])) << gemm_isa_name(isa);
      EXPECT_EQ(c[static_cast<std::size_t>(16 + j)], 0.0f) << gemm_isa_name(isa);
    }
  }
}

TEST(Gemm, UnavailableKernelIsAnError) {
  for (GemmIsa isa : {GemmIsa::Avx2, GemmIsa::Avx512}) {
    if (!gemm_isa_available(isa)) {
      EXPECT_ANY_THROW(set_gemm_isa(isa));
    }
  }
}

}  // namespace
}  // namespace repscope
