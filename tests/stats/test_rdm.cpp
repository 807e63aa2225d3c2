// RDM parity against scipy pdist and rsatoolbox calc_rdm, plus layout, edge and error cases.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/mds.h"
#include "stats/rdm.h"
#include "tests/stats/test_rdm_util.h"

namespace repscope::stats {
namespace {

using test::expect_close;
using test::read_f64;

struct Case {
  const char* name;
  std::int64_t n, p;
  bool f32;
};

void check_case(const Case& c, const std::filesystem::path& ref, double rtol, double atol) {
  const std::vector<double> x = read_f64(ref / (std::string(c.name) + "_x.bin"));
  ASSERT_EQ(static_cast<std::int64_t>(x.size()), c.n * c.p);
  std::vector<float> xf(x.begin(), x.end());  // exact: the reference values came from float32
  const auto rdm = [&](RdmMetric m, std::int64_t tile) {
    RdmOptions o;
    o.tile_features = tile;
    return c.f32 ? compute_rdm(xf.data(), c.n, c.p, m, o) : compute_rdm(x.data(), c.n, c.p, m, o);
  };
  for (std::int64_t tile : {std::int64_t{3}, std::int64_t{2048}}) {
    const std::string tag = std::string(c.name) + " tile " + std::to_string(tile) + " ";
    for (const char* m : {"correlation", "cosine", "euclidean", "sqeuclidean"})
      expect_close(rdm(parse_rdm_metric(m), tile),
                   read_f64(ref / (std::string(c.name) + "_" + m + ".bin")), rtol, atol, tag + m);
    expect_close(rdm(RdmMetric::MeanSquaredEuclidean, tile),
                 read_f64(ref / (std::string(c.name) + "_rsa_euclidean.bin")), rtol, atol,
                 tag + "rsatoolbox euclidean");
    expect_close(rdm(RdmMetric::Correlation, tile),
                 read_f64(ref / (std::string(c.name) + "_rsa_correlation.bin")), rtol, atol,
                 tag + "rsatoolbox correlation");
  }
}

TEST(RdmParity, Float64AgainstScipyAndRsatoolbox) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  check_case({"small", 9, 17, false}, test::rsa_reference_dir(), 1e-10, 1e-12);
}

TEST(RdmParity, Float32WithLargeOffset) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  // Patterns ≈ 100 ± 1: the mean removal keeps float64 accumulation far from cancellation.
  check_case({"f32", 10, 1000, true}, test::rsa_reference_dir(), 1e-9, 1e-12);
}

TEST(RdmParity, EdgeSizes) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  check_case({"p1", 3, 1, false}, ref, 1e-10, 1e-12);     // P = 1: correlation is NaN
  check_case({"const", 4, 5, false}, ref, 1e-10, 1e-12);  // a constant pattern
}

Tensor tensor_f64(const std::vector<double>& v, Shape shape) {
  Tensor t = Tensor::empty(std::move(shape), DType::F64);
  std::copy(v.begin(), v.end(), t.data<double>());
  return t;
}

TEST(RdmParity, MahalanobisAndCrossnobis) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const Tensor x = tensor_f64(read_f64(ref / "maha_x.bin"), {5, 6});
  const Tensor precision = tensor_f64(read_f64(ref / "maha_precision.bin"), {6, 6});
  expect_close(mahalanobis_rdm(x, precision), read_f64(ref / "maha_rdm.bin"), 1e-10, 1e-12,
               "mahalanobis");

  const std::vector<double> all = read_f64(ref / "cn_folds.bin");
  std::vector<Tensor> folds;
  for (int f = 0; f < 3; ++f)
    folds.push_back(
        tensor_f64(std::vector<double>(all.begin() + f * 48, all.begin() + (f + 1) * 48), {6, 8}));
  expect_close(crossnobis_rdm(folds), read_f64(ref / "cn_rdm.bin"), 1e-10, 1e-12, "crossnobis");
  std::vector<double> two_i(64, 0.0);
  for (int i = 0; i < 8; ++i) two_i[static_cast<std::size_t>(i * 9)] = 2.0;
  expect_close(crossnobis_rdm(folds, tensor_f64(two_i, {8, 8})), read_f64(ref / "cn_rdm_prec.bin"),
               1e-10, 1e-12, "crossnobis with precision");
}

TEST(RdmParity, ClassicalMds) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto ref = test::rsa_reference_dir();
  const std::vector<double> subjects = read_f64(ref / "nc_model.bin");
  const MdsResult r = classical_mds(subjects, 2);
  expect_close(r.coordinates, read_f64(ref / "mds_coords.bin"), 1e-9, 1e-10, "mds coordinates");
  expect_close(r.eigenvalues, read_f64(ref / "mds_eig.bin"), 1e-9, 1e-10, "mds eigenvalues");
}

TEST(Rdm, VectorLayoutIsScipySquareformOrder) {
  const std::vector<double> x = {0, 1, 3, 7};  // 4 patterns of 1 feature
  const std::vector<double> d = compute_rdm(x.data(), 4, 1, RdmMetric::Euclidean);
  EXPECT_EQ(d, (std::vector<double>{1, 3, 7, 2, 6, 4}));
  const std::vector<double> sq = squareform(d);
  EXPECT_EQ(sq[1 * 4 + 3], 6.0);
  EXPECT_EQ(sq[3 * 4 + 1], 6.0);
  EXPECT_EQ(sq[2 * 4 + 2], 0.0);
  EXPECT_EQ(upper_triangle(sq, 4), d);
  EXPECT_EQ(rdm_size_from_length(6), 4);
  EXPECT_THROW(rdm_size_from_length(5), Error);
}

TEST(Rdm, IdenticalForAnyThreadCountAndTile) {
  std::mt19937_64 gen(7);
  std::normal_distribution<float> normal;
  const std::int64_t n = 300, p = 777;
  std::vector<float> x(static_cast<std::size_t>(n * p));
  for (float& v : x) v = normal(gen);
  set_num_threads(1);
  const auto one = compute_rdm(x.data(), n, p, RdmMetric::Correlation);
  set_num_threads(2);
  const auto two = compute_rdm(x.data(), n, p, RdmMetric::Correlation);
  set_num_threads(0);
  EXPECT_EQ(one, two);
  RdmOptions small;
  small.tile_features = 64;
  const auto tiled = compute_rdm(x.data(), n, p, RdmMetric::Correlation, small);
  for (std::size_t i = 0; i < one.size(); ++i) ASSERT_NEAR(one[i], tiled[i], 1e-12);
}

TEST(Rdm, TensorInputAndErrors) {
  Tensor t = Tensor::zeros({3, 2, 2}, DType::F32);
  t.data<float>()[4] = 1.0f;
  const auto d = compute_rdm(t, RdmMetric::SquaredEuclidean);
  EXPECT_EQ(d, (std::vector<double>{1, 0, 1}));
  EXPECT_THROW(compute_rdm(Tensor::zeros({1, 4}), RdmMetric::Cosine), Error);
  EXPECT_THROW(compute_rdm(Tensor::zeros({3, 4}, DType::I32), RdmMetric::Cosine), Error);
  try {
    compute_rdm(Tensor::zeros({3, 4}, DType::I32), RdmMetric::Cosine, {}, "layer1.0.relu");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer1.0.relu"), std::string::npos);
  }
  EXPECT_THROW(parse_rdm_metric("manhattan"), Error);
  EXPECT_THROW(mahalanobis_rdm(Tensor::zeros({3, 4}), Tensor::zeros({3, 3})), Error);
  const std::vector<Tensor> one_fold = {Tensor::zeros({3, 4})};
  EXPECT_THROW(crossnobis_rdm(one_fold), Error);
}

}  // namespace
}  // namespace repscope::stats
