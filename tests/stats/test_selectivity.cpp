// Per-unit selectivity against scipy/statsmodels run unit by unit
// (tests/python/ref_selectivity.py), thread-count determinism, channel means and the domain maps.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "io/npy.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/categories.h"
#include "stats/selectivity.h"
#include "tests/support/test_env.h"

namespace repscope::stats {
namespace {

std::vector<std::string> read_labels(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::string> labels;
  while (std::getline(in, line)) labels.push_back(line.substr(line.find(',') + 1));
  return labels;
}

// Compares one [U, T] array with the reference: NaN ↔ NaN, ±inf exactly, else relative `rel`.
// Unit `skip_unit` (−1: none) is left out.
void expect_array_close(const Tensor& ours, const Tensor& ref_in, double rel, double abs,
                        const std::string& what, std::int64_t skip_unit = -1) {
  const Tensor got = ours.to(DType::F64), ref = ref_in.to(DType::F64);
  ASSERT_EQ(got.numel(), ref.numel()) << what;
  int bad = 0;
  double worst = 0;
  const std::int64_t columns = ref.numel() / ref.dim(0);
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    if (i / columns == skip_unit) continue;
    const double g = got.data<double>()[i], r = ref.data<double>()[i];
    bool ok;
    if (std::isnan(r))
      ok = std::isnan(g);
    else if (std::isinf(r))
      ok = g == r;
    else {
      const double e = std::fabs(g - r);
      ok = e <= std::max(rel * std::fabs(r), abs);
      if (r != 0) worst = std::max(worst, e / std::fabs(r));
    }
    if (!ok && bad++ < 5) ADD_FAILURE() << what << "[" << i << "]: got " << g << ", want " << r;
  }
  EXPECT_EQ(bad, 0) << what;
  std::cout << "  " << what << ": max relative difference " << worst << "\n";
}

TEST(SelectivityVsScipy, AllConfigurations) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("ref_selectivity.py", test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const DomainMap map = DomainMap::floc();
  const auto domains = map.image_domains(read_labels(dir / "labels.csv"));
  struct Config {
    std::string name;
    Criterion criterion;
    bool equal_var;
    Alternative alt;
    Correction correction;
  };
  const std::vector<Config> configs{
      {"pooled_student", Criterion::Pooled, true, Alternative::Greater, Correction::FdrBY},
      {"each_student", Criterion::Each, true, Alternative::Greater, Correction::FdrBY},
      {"pooled_welch_twosided_bh", Criterion::Pooled, false, Alternative::TwoSided,
       Correction::FdrBH}};
  for (const auto& c : configs) {
    for (const std::string dtype : {"f64", "f32"}) {
      SCOPED_TRACE(c.name + " " + dtype);
      std::cout << c.name << " " << dtype << "\n";
      const Tensor acts =
          read_npy(dir / ("acts" + std::string(dtype == "f64" ? "64" : "32") + ".npy"));
      SelectivityOptions opt;
      opt.criterion = c.criterion;
      opt.equal_var = c.equal_var;
      opt.alternative = c.alt;
      opt.correction = c.correction;
      opt.compute_auc = true;
      opt.block_units = 37;  // blocks that do not divide the unit count
      const SelectivityResult res = compute_selectivity(acts, domains, map, opt);
      ASSERT_EQ(res.num_targets(), 5);
      EXPECT_EQ(res.target_name(0), "faces");
      const auto ref = [&](const std::string& a) {
        return read_npy(dir / (c.name + "_" + dtype + "_" + a + ".npy"));
      };
      // float64: 1e-10; float32 input: scipy computes in float32, so 1e-5.
      const double rel = dtype == "f64" ? 1e-10 : 1e-5;
      const std::int64_t skip = -1;
      // t near 0 in float32: scipy's float32 mean difference cancels, so also 1e-5 absolute.
      expect_array_close(res.t, ref("t"), rel, dtype == "f64" ? 1e-12 : 1e-5, "t", skip);
      expect_array_close(res.p, ref("p"), dtype == "f64" ? 1e-10 : 1e-4, 1e-300, "p", skip);
      expect_array_close(res.q, ref("q"), dtype == "f64" ? 1e-10 : 1e-4, 1e-300, "q", skip);
      // Effect sizes are stored as float32.
      expect_array_close(res.dprime, ref("dprime"), 1e-5, 1e-6, "dprime", skip);
      expect_array_close(res.si, ref("si"), 1e-5, 1e-6, "si", skip);
      expect_array_close(res.csi, ref("csi"), 1e-5, 1e-6, "csi", skip);
      expect_array_close(res.auc, ref("auc"), 1e-6, 1e-7, "auc", skip);
      const Tensor sel = ref("selective");
      int mismatches = 0, selective = 0;
      for (std::int64_t i = 0; i < sel.numel(); ++i) {
        const bool want = sel.data<std::uint8_t>()[i] != 0;
        if (i / 5 == skip) continue;
        mismatches += (res.selective.data<std::uint8_t>()[i] != 0) != want;
        selective += want;
      }
      EXPECT_EQ(mismatches, 0);
      EXPECT_GT(selective, 10);
    }
  }
}

Tensor random_acts(std::int64_t n, std::int64_t u, unsigned seed) {
  Tensor t = Tensor::empty({n, u}, DType::F32);
  std::uint64_t s = seed;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    t.data<float>()[i] = static_cast<float>(static_cast<double>(s >> 11) / 9007199254740992.0);
  }
  return t;
}

TEST(Selectivity, DeterministicForAnyThreadCount) {
  const DomainMap map = DomainMap::identity({"a", "b", "c"});
  std::vector<int> dom(90);
  for (std::size_t i = 0; i < dom.size(); ++i) dom[i] = static_cast<int>(i % 3);
  const Tensor acts = random_acts(90, 1000, 3);
  SelectivityOptions opt;
  opt.criterion = Criterion::Each;
  opt.block_units = 16;
  opt.compute_auc = true;
  set_num_threads(1);
  const auto a = compute_selectivity(acts, dom, map, opt);
  set_num_threads(2);
  const auto b = compute_selectivity(acts, dom, map, opt);
  set_num_threads(0);
  for (const auto& [x, y] :
       {std::pair{&a.t, &b.t}, std::pair{&a.q, &b.q}, std::pair{&a.mean, &b.mean}})
    EXPECT_EQ(std::memcmp(x->raw_data(), y->raw_data(), x->nbytes()), 0);
  EXPECT_EQ(std::memcmp(a.auc.raw_data(), b.auc.raw_data(), a.auc.nbytes()), 0);
}

TEST(Selectivity, ValidatesInputs) {
  const DomainMap map = DomainMap::identity({"a", "b"});
  const Tensor acts = random_acts(6, 4, 1);
  const std::vector<int> ok{0, 1, 0, 1, 0, 1}, short_labels{0, 1}, one_b{0, 0, 0, 0, 0, 1},
      bad{0, 1, 0, 1, 0, 7};
  EXPECT_NO_THROW(compute_selectivity(acts, ok, map));
  EXPECT_THROW(compute_selectivity(acts, short_labels, map), Error);
  EXPECT_THROW(compute_selectivity(acts, one_b, map), Error);
  EXPECT_THROW(compute_selectivity(acts, bad, map), Error);
  EXPECT_THROW(compute_selectivity(Tensor::zeros({6}), ok, map), Error);
  EXPECT_THROW(compute_selectivity(Tensor::zeros({6, 2}, DType::I32), ok, map), Error);
  SelectivityOptions opt;
  opt.alpha = 2;
  EXPECT_THROW(compute_selectivity(acts, ok, map, opt), Error);
  EXPECT_THROW(parse_criterion("all"), Error);
}

TEST(Selectivity, ChannelMeansAndUnitChannels) {
  // [N=2, C=3, H=1, W=2]
  const std::vector<float> v{1, 3, 5, 7, 9, 11, 0, 2, 4, 6, 8, 10};
  const Tensor x = Tensor::from_vector({2, 3, 1, 2}, v);
  const Tensor m = channel_means(x, 1);
  ASSERT_EQ(m.shape(), (Shape{2, 3}));
  EXPECT_EQ(m.at(0), 2.f);
  EXPECT_EQ(m.at(2), 10.f);
  EXPECT_EQ(m.at(3), 1.f);
  // [N, tokens, width]: channel = last axis
  const Tensor tok = Tensor::from_vector({2, 2, 3}, v);
  const Tensor mt = channel_means(tok, -1);
  EXPECT_EQ(mt.at(0), 4.f);  // (1 + 7) / 2
  EXPECT_EQ(unit_channels({2, 3, 1, 2}, 1), (std::vector<std::int64_t>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(unit_channels({2, 2, 3}, -1), (std::vector<std::int64_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_THROW(channel_means(x, 0), Error);
}

TEST(DomainMaps, BuiltInAndCsv) {
  const DomainMap f = DomainMap::floc();
  EXPECT_EQ(f.num_domains(), 6);
  EXPECT_EQ(f.domains()[static_cast<std::size_t>(f.domain_of("limb"))].name, "bodies");
  EXPECT_FALSE(f.domains()[static_cast<std::size_t>(f.domain_of("scrambled"))].target);
  EXPECT_EQ(f.domain_of("dog"), -1);
  EXPECT_THROW(f.image_domains({"adult", "dog"}), Error);
  EXPECT_EQ(f.image_domains({"adult", "dog"}, true), (std::vector<int>{0, -1}));
  const DomainMap lw = DomainMap::lu_wang_2025();
  EXPECT_EQ(lw.num_domains(), 6);
  EXPECT_FALSE(lw.domains()[5].target);
  const auto dir = test::scratch_dir();
  {
    std::ofstream(dir / "map.csv")
        << "category,domain,role\nadult,faces,target\nchild,faces,target\n"
           "noise,noise,control\n";
    std::ofstream(dir / "bad.csv") << "category,domain\nadult,faces\nadult,bodies\n";
    std::ofstream(dir / "badrole.csv") << "category,domain,role\nadult,faces,maybe\n";
  }
  const DomainMap m = DomainMap::named_or_file((dir / "map.csv").string());
  EXPECT_EQ(m.num_domains(), 2);
  EXPECT_EQ(m.domain_of("child"), 0);
  EXPECT_THROW(DomainMap::read_csv(dir / "bad.csv"), Error);
  EXPECT_THROW(DomainMap::read_csv(dir / "badrole.csv"), Error);
  EXPECT_THROW(DomainMap::named_or_file("no-such-map"), Error);
}

}  // namespace
}  // namespace repscope::stats
