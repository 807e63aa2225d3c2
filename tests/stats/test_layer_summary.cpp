// Layer summaries of selectivity (stats/selectivity_summary.h) on hand-computed cases, their
// properties on random data, and the per-layer table writer (stats/selectivity_tables.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "io/npy.h"
#include "io/report/csv_table.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/selectivity.h"
#include "stats/selectivity_summary.h"
#include "stats/selectivity_tables.h"
#include "tests/support/test_env.h"

namespace repscope::stats {
namespace {

TEST(LayerSummary, EntropyAndGiniByHand) {
  const std::vector<std::int64_t> even{1, 1, 1, 1}, one{4, 0, 0, 0}, mixed{2, 1, 1, 0};
  EXPECT_DOUBLE_EQ(normalized_entropy(even), 1.0);
  EXPECT_DOUBLE_EQ(gini(even), 0.0);
  EXPECT_DOUBLE_EQ(normalized_entropy(one), 0.0);
  EXPECT_DOUBLE_EQ(gini(one), 0.75);  // (bins − 1)/bins
  // p = (1/2, 1/4, 1/4): H = 1.5 ln 2, / ln 4 = 0.75. Σ|c_i − c_j| over ordered pairs = 12,
  // / (2 · 16 · mean 1) = 0.375.
  EXPECT_NEAR(normalized_entropy(mixed), 0.75, 1e-15);
  EXPECT_DOUBLE_EQ(gini(mixed), 0.375);
  const std::vector<std::int64_t> empty{0, 0}, single{5};
  EXPECT_TRUE(std::isnan(normalized_entropy(empty)));
  EXPECT_TRUE(std::isnan(gini(empty)));
  EXPECT_TRUE(std::isnan(normalized_entropy(single)));
  EXPECT_DOUBLE_EQ(gini(single), 0.0);
}

TEST(LayerSummary, ValueSummaryIsNumpyQuantiles) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // numpy: np.quantile([1, 2, 3, 4], [.25, .5, .75]) = [1.75, 2.5, 3.25]
  const ValueSummary s = summarize_values({nan, 4, 1, 3, 2});
  EXPECT_EQ(s.n, 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.q25, 1.75);
  EXPECT_DOUBLE_EQ(s.q75, 3.25);
  const ValueSummary none = summarize_values({nan});
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.mean) && std::isnan(none.median));
  const ValueSummary one = summarize_values({7});
  EXPECT_DOUBLE_EQ(one.q25, 7);
  EXPECT_DOUBLE_EQ(one.q75, 7);
}

// A hand-made result: 6 units in 2 channels (units 0–2 in channel 0, 3–5 in channel 1),
// targets faces and places, domains faces, places, scrambled (control).
SelectivityResult hand_result() {
  SelectivityResult r;
  r.domains = {"faces", "places", "scrambled"};
  r.targets = {0, 1};
  r.units = 6;
  auto f32 = [](std::vector<float> v) {
    Tensor t = Tensor::empty({6, 2}, DType::F32);
    std::copy(v.begin(), v.end(), t.data<float>());
    return t;
  };
  // selective (faces, places): u0 F; u1 F+P; u2 -; u3 P; u4 F; u5 -
  r.selective = Tensor::empty({6, 2}, DType::Bool);
  const std::uint8_t sel[12] = {1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0};
  std::copy(sel, sel + 12, r.selective.data<std::uint8_t>());
  r.dprime = f32({1, 0, 3, 2, 0, 0, 0, 4, 2, 0, 0, 0});
  r.csi = f32({0.5f, -1, 0.1f, 0.2f, 0, 0, -1, 0.3f, std::nanf(""), 0, 0, 0});
  r.si = f32({0.2f, 0, 0.4f, 0.4f, 0, 0, 0, 0.6f, 0.6f, 0, 0, 0});
  r.mean = Tensor::empty({6, 3}, DType::F64);
  const double mean[18] = {3, 1, 2,  // u0
                           3, 1, 2,  // u1
                           0, 0, 0,  // u2
                           1, 5, 3,  // u3
                           2, 2, 2,  // u4: all equal, left out of the profile
                           0, 0, 0};
  std::copy(mean, mean + 18, r.mean.data<double>());
  return r;
}

TEST(LayerSummary, HandComputedLayer) {
  const SelectivityResult r = hand_result();
  const std::vector<std::int64_t> channel{0, 0, 0, 1, 1, 1};
  const auto s = summarize_layer_selectivity("layer1", r, channel, 2);
  ASSERT_EQ(s.categories.size(), 2u);
  const CategorySummary& f = s.categories[0];
  EXPECT_EQ(f.layer, "layer1");
  EXPECT_EQ(f.category, "faces");
  EXPECT_EQ(f.n_units, 6);
  EXPECT_EQ(f.n_selective, 3);
  EXPECT_DOUBLE_EQ(f.proportion, 0.5);
  EXPECT_EQ(f.n_exclusive, 2);  // u0, u4
  EXPECT_DOUBLE_EQ(f.exclusive_fraction, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(f.dprime.mean, 2.0);  // d' 1, 3, 2
  EXPECT_DOUBLE_EQ(f.dprime.median, 2.0);
  EXPECT_EQ(f.csi.n, 2);  // u4's CSI is NaN
  EXPECT_NEAR(f.csi.mean, 0.3, 1e-7);
  EXPECT_EQ(f.channels, 2);
  EXPECT_EQ(f.channels_with_selective, 2);
  // counts (2, 1): H = −(2/3 ln 2/3 + 1/3 ln 1/3)/ln 2; Gini = 2/(2·4·1.5) = 1/6
  const double h = -(2.0 / 3 * std::log(2.0 / 3) + 1.0 / 3 * std::log(1.0 / 3)) / std::log(2.0);
  EXPECT_NEAR(f.channel_entropy, h, 1e-15);
  EXPECT_NEAR(f.channel_gini, 1.0 / 6, 1e-15);
  EXPECT_DOUBLE_EQ(f.top_channel_fraction, 2.0 / 3);

  const CategorySummary& p = s.categories[1];
  EXPECT_EQ(p.category, "places");
  EXPECT_EQ(p.n_selective, 2);  // u1, u3
  EXPECT_EQ(p.n_exclusive, 1);  // u3
  EXPECT_DOUBLE_EQ(p.exclusive_fraction, 0.5);
  EXPECT_DOUBLE_EQ(p.channel_entropy, 1.0);
  EXPECT_DOUBLE_EQ(p.channel_gini, 0.0);

  const LayerOverview& o = s.overview;
  EXPECT_EQ(o.n_selective_any, 4);
  EXPECT_EQ(o.n_selective_one, 3);
  EXPECT_EQ(o.n_selective_multi, 1);
  EXPECT_DOUBLE_EQ(o.proportion_any, 4.0 / 6);
  EXPECT_DOUBLE_EQ(o.specificity, 0.75);

  // Faces profile: u0 and u1 have means (3, 1, 2): z = (√1.5, −√1.5, 0); u4 is constant.
  const auto& fp = s.fingerprint;
  ASSERT_EQ(fp.profile.size(), 2u);
  EXPECT_NEAR(fp.profile[0][0], std::sqrt(1.5), 1e-15);
  EXPECT_NEAR(fp.profile[0][1], -std::sqrt(1.5), 1e-15);
  EXPECT_NEAR(fp.profile[0][2], 0.0, 1e-15);
  EXPECT_EQ(fp.selective_channels[1], (std::vector<std::uint8_t>{1, 1}));
}

TEST(LayerSummary, NoSelectiveUnitsGiveNaN) {
  SelectivityResult r = hand_result();
  std::fill_n(r.selective.data<std::uint8_t>(), 12, std::uint8_t{0});
  const std::vector<std::int64_t> channel{0, 0, 0, 1, 1, 1};
  const auto s = summarize_layer_selectivity("x", r, channel, 2);
  for (const auto& c : s.categories) {
    EXPECT_EQ(c.n_selective, 0);
    EXPECT_DOUBLE_EQ(c.proportion, 0.0);
    EXPECT_TRUE(std::isnan(c.exclusive_fraction));
    EXPECT_TRUE(std::isnan(c.dprime.mean));
    EXPECT_TRUE(std::isnan(c.channel_entropy));
    EXPECT_TRUE(std::isnan(c.channel_gini));
  }
  EXPECT_TRUE(std::isnan(s.overview.specificity));
  EXPECT_TRUE(std::isnan(s.fingerprint.profile[0][0]));
}

TEST(LayerSummary, BadSizesAreErrors) {
  const SelectivityResult r = hand_result();
  const std::vector<std::int64_t> short_channels{0, 0, 1};
  EXPECT_THROW(summarize_layer_selectivity("x", r, short_channels, 2), Error);
  const std::vector<std::int64_t> out_of_range{0, 0, 0, 1, 1, 2};
  try {
    summarize_layer_selectivity("conv9", r, out_of_range, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv9"), std::string::npos);
  }
}

LayerFingerprint fingerprint(const std::string& name, std::int64_t channels,
                             std::vector<std::uint8_t> sel, std::vector<double> profile) {
  LayerFingerprint f;
  f.layer = name;
  f.channels = channels;
  f.targets = {"faces"};
  f.domains = {"faces", "places", "objects"};
  f.selective_channels = {std::move(sel)};
  f.n_selective = {1};
  f.profile = {std::move(profile)};
  return f;
}

TEST(LayerConsistency, JaccardAndProfilesByHand) {
  const auto a = fingerprint("a", 4, {1, 1, 0, 0}, {1, 2, 3});
  const auto b = fingerprint("b", 4, {0, 1, 1, 1}, {2, 4, 7});
  const auto c = fingerprint("c", 8, {1, 0, 0, 0, 0, 0, 0, 0}, {3, 2, 1});
  const auto all = layer_consistency({a, b, c}, LayerPairs::All);
  ASSERT_EQ(all.size(), 3u);
  const ConsistencyRow& ab = all[0];
  EXPECT_EQ(ab.layer_a, "a");
  EXPECT_EQ(ab.layer_b, "b");
  EXPECT_EQ(ab.category, "faces");
  EXPECT_EQ(ab.selective_channels_a, 2);
  EXPECT_EQ(ab.selective_channels_b, 3);
  EXPECT_EQ(ab.selective_channels_both, 1);
  EXPECT_DOUBLE_EQ(ab.jaccard, 0.25);  // 1 / (2 + 3 − 1)
  // centred a = (−1, 0, 1), b = (−7/3, −1/3, 8/3): r = 5 / (√2 · √114 / 3) = 15/√228
  EXPECT_NEAR(ab.profile_pearson, 15 / std::sqrt(228.0), 1e-14);
  EXPECT_DOUBLE_EQ(ab.profile_spearman, 1.0);
  const ConsistencyRow& ac = all[1];
  EXPECT_EQ(ac.layer_b, "c");
  EXPECT_TRUE(std::isnan(ac.jaccard));  // different channel counts
  EXPECT_EQ(ac.selective_channels_both, -1);
  EXPECT_NEAR(ac.profile_pearson, -1.0, 1e-14);
  EXPECT_NEAR(ac.profile_spearman, -1.0, 1e-14);
  EXPECT_EQ(layer_consistency({a, b, c}, LayerPairs::Adjacent).size(), 2u);
  EXPECT_TRUE(layer_consistency({a}, LayerPairs::All).empty());

  const auto none = fingerprint("n", 4, {0, 0, 0, 0}, {std::nan(""), std::nan(""), std::nan("")});
  const auto an = layer_consistency({none, none}, LayerPairs::All);
  EXPECT_TRUE(std::isnan(an[0].jaccard));  // empty union
  EXPECT_TRUE(std::isnan(an[0].profile_pearson));

  auto other = b;
  other.targets = {"bodies"};
  EXPECT_THROW(layer_consistency({a, other}, LayerPairs::All), Error);
  EXPECT_EQ(parse_layer_pairs("adjacent"), LayerPairs::Adjacent);
  EXPECT_THROW(parse_layer_pairs("some"), Error);
}

// Random activations [N, C, H, W] with units of channel 0 made face-selective.
Tensor planted(std::int64_t n, std::int64_t c, std::int64_t hw, const std::vector<int>& domain,
               std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> noise(0.f, 1.f);
  Tensor x = Tensor::empty({n, c, hw, 1}, DType::F32);
  float* d = x.data<float>();
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t k = 0; k < hw; ++k) {
        const bool boost = (ch == 0 && domain[static_cast<std::size_t>(i)] == 0) ||
                           (ch == 1 && k % 2 == 0 && domain[static_cast<std::size_t>(i)] == 1);
        d[(i * c + ch) * hw + k] = noise(gen) + (boost ? 3.f : 0.f) + 1.f;
      }
  return x;
}

std::vector<int> domains_for(std::int64_t n) {
  std::vector<int> dom;
  for (std::int64_t i = 0; i < n; ++i) dom.push_back(static_cast<int>(i % 3));
  return dom;
}

TEST(LayerSummary, PropertiesOnRandomData) {
  const DomainMap map = DomainMap::identity({"faces", "places", "objects"});
  const auto dom = domains_for(60);
  const Tensor x = planted(60, 6, 8, dom, 7);
  const auto r = compute_selectivity(x, dom, map);
  const auto ch = unit_channels(x.shape(), 1);
  const auto s = summarize_layer_selectivity("l", r, ch, 6);
  std::int64_t total = 0;
  for (const auto& c : s.categories) {
    EXPECT_GE(c.proportion, 0.0);
    EXPECT_LE(c.proportion, 1.0);
    EXPECT_LE(c.n_exclusive, c.n_selective);
    EXPECT_LE(c.channels_with_selective, c.channels);
    if (c.n_selective > 0) {
      EXPECT_GE(c.channel_entropy, 0.0);
      EXPECT_LE(c.channel_entropy, 1.0 + 1e-12);
      EXPECT_GE(c.channel_gini, 0.0);
      EXPECT_LE(c.channel_gini, 5.0 / 6 + 1e-12);
      EXPECT_GE(c.top_channel_fraction, 1.0 / 6 - 1e-12);
    }
    total += c.n_selective;
  }
  // Faces: channel 0 (8 units) planted; places: half of channel 1.
  EXPECT_GE(s.categories[0].n_selective, 6);
  EXPECT_GE(s.categories[1].n_selective, 3);
  EXPECT_GT(s.categories[0].channel_gini, 0.5);
  EXPECT_EQ(s.overview.n_selective_one + s.overview.n_selective_multi, s.overview.n_selective_any);
  EXPECT_GE(total, s.overview.n_selective_any);
  // A layer against itself: Jaccard 1, profile correlation 1.
  const auto self = layer_consistency({s.fingerprint, s.fingerprint});
  for (const auto& row : self) {
    if (row.selective_channels_a == 0) continue;
    EXPECT_DOUBLE_EQ(row.jaccard, 1.0);
    EXPECT_NEAR(row.profile_pearson, 1.0, 1e-12);
    EXPECT_NEAR(row.profile_spearman, 1.0, 1e-12);
  }
}

TEST(SelectivityTables, WritesTablesAndUnitArrays) {
  const auto dir = test::scratch_dir() / "tables";
  const DomainMap map = DomainMap::identity({"faces", "places", "objects"});
  const auto dom = domains_for(30);
  LayerAnalysisOptions opt;
  opt.selectivity.criterion = Criterion::Each;
  SelectivityTables tables(dir, opt);
  tables.add_layer("stage/one", planted(30, 4, 6, dom, 1), dom, map);
  tables.add_layer("stage2", planted(30, 4, 6, dom, 2).to(DType::F16), dom, map);
  tables.add_layer("fc", planted(30, 5, 1, dom, 3).reshape({30, 5}), dom, map);
  tables.write();

  const auto summary = report::CsvTable::read(dir / "selectivity_summary.csv");
  summary.require_columns({"layer", "category", "proportion", "n_selective", "n_units",
                           "exclusive_fraction", "channel_entropy", "channel_gini"});
  ASSERT_EQ(summary.rows(), 9u);
  EXPECT_EQ(summary.text(0, 0), "stage/one");
  EXPECT_EQ(summary.text(0, 1), "faces");
  EXPECT_EQ(summary.text(0, summary.column("n_units")), "24");
  EXPECT_EQ(summary.text(6, summary.column("n_units")), "5");
  const auto layers = report::CsvTable::read(dir / "selectivity_layers.csv");
  EXPECT_EQ(layers.rows(), 3u);
  const auto cons = report::CsvTable::read(dir / "selectivity_consistency.csv");
  EXPECT_EQ(cons.rows(), 9u);  // 3 pairs × 3 targets
  // stage/one and stage2 share 4 channels: Jaccard defined; fc has 5.
  EXPECT_NE(cons.text(0, cons.column("jaccard")), "nan");
  EXPECT_EQ(cons.text(3, cons.column("jaccard")), "nan");

  const Tensor t = read_npy(dir / "stage_one" / "t.npy");
  EXPECT_EQ(t.shape(), (Shape{24, 3}));
  EXPECT_EQ(read_npy(dir / "stage_one" / "selective.npy").dtype(), DType::Bool);
  EXPECT_EQ(read_npy(dir / "fc" / "mean.npy").shape(), (Shape{5, 3}));
  EXPECT_TRUE(std::filesystem::exists(dir / "stage2" / "targets.txt"));
}

TEST(SelectivityTables, ChannelUnitsAndErrors) {
  const auto dir = test::scratch_dir() / "tables_channel";
  const DomainMap map = DomainMap::identity({"faces", "places", "objects"});
  const auto dom = domains_for(30);
  LayerAnalysisOptions opt;
  opt.channel_units = true;
  opt.write_unit_arrays = false;
  SelectivityTables tables(dir, opt);
  const auto& s = tables.add_layer("conv", planted(30, 4, 6, dom, 1), dom, map);
  EXPECT_EQ(s.overview.n_units, 4);
  EXPECT_EQ(s.overview.channels, 4);
  EXPECT_GE(s.categories[0].n_selective, 1);  // channel 0's mean is face-selective
  EXPECT_FALSE(std::filesystem::exists(dir / "conv"));
  try {
    tables.add_layer("short", planted(29, 4, 6, dom, 1), dom, map);
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("short"), std::string::npos) << m;
    EXPECT_NE(m.find("30 image labels"), std::string::npos) << m;
  }
  EXPECT_THROW(tables.add_layer("conv", planted(30, 4, 6, dom, 1), dom, map), Error);  // twice
}

TEST(SelectivityTables, SummariesIndependentOfThreadCount) {
  const DomainMap map = DomainMap::identity({"faces", "places", "objects"});
  const auto dom = domains_for(45);
  const Tensor x = planted(45, 8, 40, dom, 11);
  auto run = [&](int threads) {
    set_num_threads(threads);
    LayerAnalysisOptions opt;
    opt.write_unit_arrays = false;
    opt.selectivity.block_units = 16;
    SelectivityTables tables(test::scratch_dir() / "threads", opt);
    tables.add_layer("l", x, dom, map);
    return tables.layers().front();
  };
  const auto one = run(1), two = run(2);
  set_num_threads(0);
  for (std::size_t k = 0; k < one.categories.size(); ++k) {
    EXPECT_EQ(one.categories[k].n_selective, two.categories[k].n_selective);
    EXPECT_EQ(
        std::memcmp(&one.categories[k].dprime.mean, &two.categories[k].dprime.mean, sizeof(double)),
        0);
    const auto& pa = one.fingerprint.profile[k];
    const auto& pb = two.fingerprint.profile[k];
    EXPECT_EQ(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(double)), 0);
  }
}

}  // namespace
}  // namespace repscope::stats
