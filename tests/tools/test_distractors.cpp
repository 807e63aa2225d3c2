// repscope distractors: placement geometry, and an end-to-end run on a generated set whose
// manifest is checked by recomputing every distance from the written files (saliency change with
// the independent NumPy reference when the Python environment is there).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/file_util.h"
#include "io/image.h"
#include "io/image_write.h"
#include "io/npy.h"
#include "io/report/csv_table.h"
#include "io/resize.h"
#include "io/saliency/itti_koch.h"
#include "nn/error.h"
#include "stats/compare.h"
#include "stats/rdm.h"
#include "tests/support/test_env.h"
#include "tools/distractors/distractors.h"
#include "tools/stimuli/rng.h"

using namespace repscope;
using namespace repscope::distractors;
namespace fs = std::filesystem;

namespace {

void save(const fs::path& path, const Image& img) {
  fs::create_directories(path.parent_path());
  write_png(path, img.pixels, img.width, img.height, img.channels);
}

// Uniform grey with faint noise and a coloured ellipse in the middle.
Image base_image(int i) {
  const int w = 96, h = 96;
  Image img(w, h, 3);
  stimuli::Rng rng(100 + static_cast<std::uint64_t>(i));
  const std::uint8_t col[3] = {static_cast<std::uint8_t>(60 + 40 * i), 150,
                               static_cast<std::uint8_t>(200 - 30 * i)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double ex = (x - 48.0) / 22, ey = (y - 50.0) / 14;
      const bool in = ex * ex + ey * ey < 1;
      for (int c = 0; c < 3; ++c)
        img.row(y)[x * 3 + c] =
            in ? col[c]
               : static_cast<std::uint8_t>(std::clamp(128 + rng.normal() * 1.5, 0.0, 255.0));
    }
  return img;
}

// "quiet": flat grey like the background; "loud": saturated checkerboard.
Image pool_image(bool loud, int k) {
  const int w = 40 + 8 * k, h = 30;
  Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const bool on = ((x / 5) + (y / 5)) % 2 == 0;
      for (int c = 0; c < 3; ++c)
        img.row(y)[x * 3 + c] = !loud ? 128 : (on ? (c == k % 3 ? 255 : 0) : (c == 2 ? 255 : 10));
    }
  return img;
}

void write_rows(const fs::path& path, const std::vector<std::vector<float>>& rows) {
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  write_npy(path, Tensor::from_vector({static_cast<std::int64_t>(rows.size()),
                                       static_cast<std::int64_t>(rows[0].size())},
                                      flat));
}

// The generated study: 4 completable bases + 1 whose embedding is far from every pool item (so
// no similar distractor exists), pool of quiet/loud × similar/dissimilar/in-between items.
struct Fixture {
  fs::path dir;
  std::vector<std::vector<float>> eb, ep;
  std::vector<std::string> pool_names;
};

Fixture make_fixture() {
  Fixture f;
  f.dir = test::scratch_dir();
  for (int i = 0; i < 5; ++i) {
    save(f.dir / "base" / ("b" + std::to_string(i) + ".png"), base_image(i));
    f.eb.push_back(i < 4 ? std::vector<float>{1.0f, 0.0f, 0.03f * static_cast<float>(i), 0.0f}
                         : std::vector<float>{0.0f, 0.0f, 0.0f, 1.0f});
  }
  // Sorted names decide the row order: p00..p13.
  struct Item {
    bool loud;
    std::vector<float> emb;
  };
  const std::vector<Item> items = {
      {false, {1, 0.05f, 0, 0}}, {false, {1, 0.1f, 0, 0}},   // quiet, similar
      {true, {1, 0.02f, 0, 0}},  {true, {1, 0.08f, 0, 0}},   // loud, similar
      {false, {0, 1, 0, 0}},     {false, {-0.1f, 1, 0, 0}},  // quiet, dissimilar
      {true, {0, 1, 0.05f, 0}},  {true, {0.02f, 1, 0, 0}},   // loud, dissimilar
      {true, {0.6f, 1, 0, 0}},   {false, {0.6f, 1, 0, 0}},   // in between: never chosen
      {true, {0, 1, 0, 0.02f}},  {true, {0.05f, 1, 0, 0}},   // loud, dissimilar
      {true, {1, 0, 0.1f, 0}},   {false, {1, 0, 0, 0.1f}},   // loud / quiet, similar
  };
  for (std::size_t j = 0; j < items.size(); ++j) {
    const std::string name = (j < 10 ? "p0" : "p") + std::to_string(j) + ".png";
    save(f.dir / "pool" / name, pool_image(items[j].loud, static_cast<int>(j % 4)));
    f.ep.push_back(items[j].emb);
    f.pool_names.push_back(name);
  }
  write_rows(f.dir / "eb.npy", f.eb);
  write_rows(f.dir / "ep.npy", f.ep);
  return f;
}

std::string command(const Fixture& f, const std::string& out, const std::string& extra = "") {
  return "distractors --base " + test::quote((f.dir / "base").string()) + " --pool " +
         test::quote((f.dir / "pool").string()) + " --embeddings-base " +
         test::quote((f.dir / "eb.npy").string()) + " --embeddings-pool " +
         test::quote((f.dir / "ep.npy").string()) + " --out " +
         test::quote((f.dir / out).string()) + " --seed 3 " + extra;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  return 1 - ab / std::sqrt(aa * bb);
}

}  // namespace

TEST(Distractors, SizeAndPlacement) {
  auto s = distractor_size(100, 100, 50, 25, 0.10);  // 1000 px² at 2:1 -> ~44.7 x 22.4
  EXPECT_EQ(s[0], 45);
  EXPECT_EQ(s[1], 22);
  s = distractor_size(100, 50, 10, 200, 0.5);  // would be taller than the base: fitted
  EXPECT_LE(s[1], 50);
  EXPECT_EQ(s[1], 50);
  EXPECT_THROW(distractor_size(100, 100, 10, 10, 0.0), Error);
  std::set<Edge> edges;
  for (std::uint64_t k = 0; k < 200; ++k) {
    const Placement p = random_placement(120, 80, 30, 20, 1, k, 7);
    edges.insert(p.edge);
    EXPECT_GE(p.x, 0);
    EXPECT_GE(p.y, 0);
    EXPECT_LE(p.x + p.width, 120);
    EXPECT_LE(p.y + p.height, 80);
    switch (p.edge) {
      case Edge::Top:
        EXPECT_EQ(p.y, 0);
        break;
      case Edge::Bottom:
        EXPECT_EQ(p.y + p.height, 80);
        break;
      case Edge::Left:
        EXPECT_EQ(p.x, 0);
        break;
      case Edge::Right:
        EXPECT_EQ(p.x + p.width, 120);
        break;
    }
    const Placement q = random_placement(120, 80, 30, 20, 1, k, 7);
    EXPECT_EQ(q.x, p.x);
    EXPECT_EQ(q.y, p.y);
  }
  EXPECT_EQ(edges.size(), 4u);
}

TEST(Distractors, EndToEnd) {
  const Fixture f = make_fixture();
  auto r = test::run_cli(command(f, "out", "--quiet"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The base without a similar distractor is reported, not silently dropped.
  EXPECT_NE(r.output.find("b4.png: no control, salient"), std::string::npos) << r.output;

  const auto m = report::CsvTable::read(f.dir / "out" / "manifest.csv");
  m.require_columns({"base", "condition", "status", "distractor", "semantic_distance",
                     "saliency_change", "edge", "x", "y", "width", "height", "output"});
  ASSERT_EQ(m.rows(), 5u * 4u);
  const Thresholds t;
  std::vector<std::string> change_args;
  std::map<std::string, double> reported_change;
  int ok = 0;
  for (std::size_t i = 0; i < m.rows(); ++i) {
    const std::string base = m.text(i, m.column("base")), cond = m.text(i, m.column("condition"));
    const std::string status = m.text(i, m.column("status"));
    if (base == "b4.png") {
      EXPECT_EQ(status, cond == "control" || cond == "salient" ? "unmatched" : "not_written")
          << cond;
      continue;
    }
    ASSERT_EQ(status, "ok") << base << " " << cond;
    ++ok;
    const int bi = base[1] - '0';
    const std::string dname = m.text(i, m.column("distractor"));
    const auto dj = static_cast<std::size_t>(
        std::find(f.pool_names.begin(), f.pool_names.end(), dname) - f.pool_names.begin());
    ASSERT_LT(dj, f.pool_names.size());
    // Semantic distance recomputed from the embedding rows.
    const double sem = m.number(i, m.column("semantic_distance"));
    EXPECT_NEAR(sem, cosine(f.eb[static_cast<std::size_t>(bi)], f.ep[dj]), 1e-12);
    const double change = m.number(i, m.column("saliency_change"));
    const bool similar = cond == "control" || cond == "salient";
    const bool salient = cond == "salient" || cond == "semantic_salient";
    EXPECT_TRUE(similar ? sem < t.similar_below : sem > t.dissimilar_above) << cond << " " << sem;
    EXPECT_TRUE(salient ? change > t.salient_above : change < t.nonsalient_below)
        << cond << " " << change;

    // The edited image: the base everywhere but the placement, which holds the resized
    // distractor flush against the stated edge, at 10% of the area.
    const fs::path out = f.dir / "out" / m.text(i, m.column("output"));
    const Image edited = load_image(out), before = load_image(f.dir / "out" / "baseline" / base);
    EXPECT_EQ(before.pixels, load_image(f.dir / "base" / base).pixels);
    const int x = static_cast<int>(m.number(i, m.column("x"))),
              y = static_cast<int>(m.number(i, m.column("y")));
    const int w = static_cast<int>(m.number(i, m.column("width"))),
              h = static_cast<int>(m.number(i, m.column("height")));
    EXPECT_NEAR(w * h, 0.10 * 96 * 96, 0.5 * (w + h) + 1);
    const std::string edge = m.text(i, m.column("edge"));
    if (edge == "top") {
      EXPECT_EQ(y, 0);
    }
    if (edge == "bottom") {
      EXPECT_EQ(y + h, 96);
    }
    if (edge == "left") {
      EXPECT_EQ(x, 0);
    }
    if (edge == "right") {
      EXPECT_EQ(x + w, 96);
    }
    const Image patch = resize(load_image(f.dir / "pool" / dname), w, h, Resample::Bicubic);
    for (int yy = 0; yy < 96; ++yy)
      for (int xx = 0; xx < 96; ++xx)
        for (int c = 0; c < 3; ++c) {
          const bool inside = xx >= x && xx < x + w && yy >= y && yy < y + h;
          const auto got = edited.row(yy)[xx * 3 + c];
          const auto want =
              inside ? patch.row(yy - y)[(xx - x) * 3 + c] : before.row(yy)[xx * 3 + c];
          ASSERT_EQ(got, want) << out << " at " << xx << "," << yy;
        }
    // Saliency change recomputed from the written files with the library...
    const double again = saliency::cosine_distance(saliency::compute_saliency(before).saliency,
                                                   saliency::compute_saliency(edited).saliency);
    EXPECT_NEAR(change, again, 1e-12);
    reported_change[out.string()] = change;
    change_args.push_back(out.string());
  }
  EXPECT_EQ(ok, 16);
  EXPECT_FALSE(fs::exists(f.dir / "out" / "control" / "b4.png"));
  EXPECT_FALSE(fs::exists(f.dir / "out" / "baseline" / "b4.png"));

  // ...and with the independent NumPy reference, one base at a time.
  if (!test::python().empty()) {
    for (int bi = 0; bi < 4; ++bi) {
      const std::string base = "b" + std::to_string(bi) + ".png";
      std::string args = "change " +
                         test::quote((f.dir / ("change" + std::to_string(bi) + ".csv")).string()) +
                         " " + test::quote((f.dir / "out" / "baseline" / base).string());
      for (const auto& a : change_args)
        if (fs::path(a).filename() == base) args += " " + test::quote(a);
      const auto pr = test::run_python("saliency_ref.py", args);
      ASSERT_EQ(pr.exit_code, 0) << pr.output;
      std::ifstream in(f.dir / ("change" + std::to_string(bi) + ".csv"));
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        const auto comma = line.rfind(',');
        EXPECT_NEAR(std::stod(line.substr(comma + 1)), reported_change.at(line.substr(0, comma)),
                    1e-7)
            << line;
        ++n;
      }
      EXPECT_EQ(n, 4);
    }
  }

  // Deterministic for a seed and thread count; another seed moves the distractors.
  r = test::run_cli(command(f, "again", "--quiet --threads 1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_text_file(f.dir / "out" / "manifest.csv"),
            read_text_file(f.dir / "again" / "manifest.csv"));
  r = test::run_cli(command(f, "other", "--quiet --seed 4"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(read_text_file(f.dir / "out" / "manifest.csv"),
            read_text_file(f.dir / "other" / "manifest.csv"));

  // --keep-incomplete writes what b4 has.
  r = test::run_cli(command(f, "keep", "--quiet --keep-incomplete"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(f.dir / "keep" / "semantic" / "b4.png"));
  EXPECT_TRUE(fs::exists(f.dir / "keep" / "baseline" / "b4.png"));
}

TEST(Distractors, BadInputsNameTheArgument) {
  const Fixture f = make_fixture();
  auto wrong = f.ep;
  wrong.pop_back();
  write_rows(f.dir / "short.npy", wrong);
  auto r = test::run_cli("distractors --base " + test::quote((f.dir / "base").string()) +
                         " --pool " + test::quote((f.dir / "pool").string()) +
                         " --embeddings-base " + test::quote((f.dir / "eb.npy").string()) +
                         " --embeddings-pool " + test::quote((f.dir / "short.npy").string()) +
                         " --out " + test::quote((f.dir / "o").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--embeddings-pool"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("13 rows but the folder has 14 images"), std::string::npos) << r.output;
  r = test::run_cli(command(f, "o", "--area 1.5"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--area"), std::string::npos) << r.output;
  r = test::run_cli(command(f, "o", "--similar-below 0.95"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--similar-below"), std::string::npos) << r.output;
  r = test::run_cli(command(f, "base/inside"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("may not be or lie inside"), std::string::npos) << r.output;
}

// ΔRSA tables: r values made with the stats library from synthetic layer and target RDMs, written
// as `repscope rsa` writes rsa.csv; delta-rsa must give r(condition) − r(baseline) per model,
// layer, target and condition, and name what is missing.
TEST(DeltaRsa, TablesMatchTheStatsLibrary) {
  const fs::path dir = test::scratch_dir();
  stimuli::Rng rng(11);
  const std::int64_t n = 8, p = 5;
  auto rdm_of = [&](double noise, const std::vector<double>& base) {
    std::vector<double> x(static_cast<std::size_t>(n * p));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = base[i] + noise * rng.normal();
    return stats::compute_rdm(x.data(), n, p, stats::RdmMetric::Cosine);
  };
  std::vector<double> latent(static_cast<std::size_t>(n * p));
  for (auto& v : latent) v = rng.normal();
  const std::map<std::string, std::vector<double>> targets = {{"saliency", rdm_of(0.5, latent)},
                                                              {"semantic", rdm_of(1.0, latent)}};
  std::map<std::string, double> expected;  // "model/cond/layer/target" -> r
  std::string args = "delta-rsa --out " + test::quote((dir / "delta").string());
  for (const std::string model : {"netA", "netB"})
    for (const std::string cond : {"baseline", "salient", "semantic"}) {
      std::string csv = "layer,target,r,p\n";
      for (const std::string layer : {"layer1", "layer2", "layer3"}) {
        const auto layer_rdm =
            rdm_of(0.3 + 0.3 * (cond != "baseline") + 0.2 * (layer == "layer3"), latent);
        for (const auto& [tname, trdm] : targets) {
          const double r = stats::compare_rdms(layer_rdm, trdm, stats::CompareMethod::Spearman);
          expected[model + "/" + cond + "/" + layer + "/" + tname] = r;
          std::ostringstream line;
          line.precision(17);
          line << layer << "," << tname << "," << r << ",0.01\n";
          csv += line.str();
        }
      }
      fs::create_directories(dir / (model + "_" + cond));
      write_text_file_atomic(dir / (model + "_" + cond) / "rsa.csv", csv);
      args +=
          " --run " + test::quote(model + ":" + cond + "=" + (dir / (model + "_" + cond)).string());
    }
  auto r = test::run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto t = report::CsvTable::read(dir / "delta" / "delta_rsa.csv");
  ASSERT_EQ(t.rows(), 2u * 2u * 3u * 2u);  // models × conditions × layers × targets
  for (std::size_t i = 0; i < t.rows(); ++i) {
    const std::string key_tail = t.text(i, t.column("layer")) + "/" + t.text(i, t.column("target"));
    const std::string model = t.text(i, t.column("model")), cond = t.text(i, t.column("condition"));
    const double rb = expected.at(model + "/baseline/" + key_tail),
                 rc = expected.at(model + "/" + cond + "/" + key_tail);
    EXPECT_DOUBLE_EQ(t.number(i, t.column("r_baseline")), rb);
    EXPECT_DOUBLE_EQ(t.number(i, t.column("r")), rc);
    EXPECT_NEAR(t.number(i, t.column("delta")), rc - rb, 1e-15);
  }
  const std::string html = read_text_file(dir / "delta" / "report.html");
  EXPECT_NE(html.find("netB: ΔRSA with semantic"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);

  // A model without a baseline, and a condition table lacking a row, are errors naming them.
  r = test::run_cli("delta-rsa --out " + test::quote((dir / "x").string()) + " --run " +
                    test::quote("netC:salient=" + (dir / "netA_salient").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("'netC' has no baseline"), std::string::npos) << r.output;
  fs::create_directories(dir / "short");
  write_text_file_atomic(dir / "short" / "rsa.csv", "layer,target,r\nlayer1,saliency,0.5\n");
  r = test::run_cli("delta-rsa --out " + test::quote((dir / "x").string()) + " --run " +
                    test::quote("netA:baseline=" + (dir / "netA_baseline").string()) + " --run " +
                    test::quote("netA:odd=" + (dir / "short").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no row for layer 'layer1' and target 'semantic'"), std::string::npos)
      << r.output;
}

// The study's pipeline end to end on the generated set: distractor conditions → saliency targets
// (per condition, from the edited images) and a semantic target (the bases' embeddings) →
// `repscope rsa` per condition on a random-init network → `repscope delta-rsa`. Every r is
// recomputed with the stats library from the written layer RDMs, and every ΔRSA from those.
TEST(DeltaRsa, EndToEndThroughRepscopeRsa) {
  const Fixture f = make_fixture();
  auto r = test::run_cli(command(f, "conds", "--quiet"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // `distractors` writes the unedited bases it completed as the baseline (b4 has no match).
  for (const char* b : {"b0.png", "b1.png", "b2.png", "b3.png"})
    ASSERT_TRUE(fs::exists(f.dir / "conds" / "baseline" / b)) << b;
  std::vector<std::vector<float>> semantic(f.eb.begin(), f.eb.begin() + 4);
  write_rows(f.dir / "semantic.npy", semantic);

  const std::vector<std::string> conditions = {"baseline", "control", "salient", "semantic",
                                               "semantic_salient"};
  const std::vector<std::string> layers = {"layer1", "layer4"};
  std::map<std::string, double> r_of;  // "cond/layer/target" -> r from the stats library
  std::string delta_args = "delta-rsa --out " + test::quote((f.dir / "delta").string());
  for (const auto& cond : conditions) {
    const fs::path images = f.dir / "conds" / cond;
    ASSERT_TRUE(fs::is_directory(images)) << cond;
    // Same file name in every condition, so the target is "saliency" throughout (names = stems).
    fs::create_directories(f.dir / ("sal_" + cond));
    const fs::path sal = f.dir / ("sal_" + cond) / "saliency.npy";
    r = test::run_cli("saliency " + test::quote(images.string()) + " --out " +
                      test::quote((f.dir / ("maps_" + cond)).string()) + " --features " +
                      test::quote(sal.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const fs::path out = f.dir / ("rsa_" + cond);
    r = test::run_cli(
        "rsa --model resnet18 --random-init 1 --images " + test::quote(images.string()) +
        " --targets " + test::quote(sal.string() + "," + (f.dir / "semantic.npy").string()) +
        " --layers layer1,layer4 --perm 0 --no-report --quiet --out " + test::quote(out.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Tensor sal_features = read_npy(sal);
    ASSERT_EQ(sal_features.dim(0), 4) << cond;
    const auto sal_rdm = stats::compute_rdm(sal_features, stats::RdmMetric::Cosine);
    const auto sem_rdm =
        stats::compute_rdm(read_npy(f.dir / "semantic.npy"), stats::RdmMetric::Cosine);
    for (const auto& layer : layers) {
      const Tensor rdm_t = read_npy(out / ("rdm_" + layer + ".npy")).to(DType::F64);
      ASSERT_EQ(rdm_t.shape(), (Shape{4, 4}));  // stored square; compare the upper triangle
      std::vector<double> rdm;
      for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j) rdm.push_back(rdm_t.data<double>()[i * 4 + j]);
      ASSERT_EQ(rdm.size(), 6u);
      r_of[cond + "/" + layer + "/saliency"] =
          stats::compare_rdms(rdm, sal_rdm, stats::CompareMethod::Spearman);
      r_of[cond + "/" + layer + "/semantic"] =
          stats::compare_rdms(rdm, sem_rdm, stats::CompareMethod::Spearman);
    }
    // rsa.csv holds exactly those values.
    const auto t = report::CsvTable::read(out / "rsa.csv");
    for (std::size_t i = 0; i < t.rows(); ++i) {
      const std::string key =
          cond + "/" + t.text(i, t.column("layer")) + "/" + t.text(i, t.column("target"));
      ASSERT_TRUE(r_of.count(key)) << key;
      const double want = r_of.at(key);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(t.number(i, t.column("r")))) << key;
      } else {
        EXPECT_NEAR(t.number(i, t.column("r")), want, 1e-12) << key;
      }
    }
    delta_args += " --run " + test::quote("rn18:" + cond + "=" + out.string());
  }
  r = test::run_cli(delta_args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto d = report::CsvTable::read(f.dir / "delta" / "delta_rsa.csv");
  EXPECT_EQ(d.rows(), 4u * 2u * 2u);  // conditions × layers × targets
  for (std::size_t i = 0; i < d.rows(); ++i) {
    const std::string cond = d.text(i, d.column("condition"));
    const std::string tail = d.text(i, d.column("layer")) + "/" + d.text(i, d.column("target"));
    const double rc = r_of.at(cond + "/" + tail), rb = r_of.at("baseline/" + tail);
    EXPECT_NEAR(d.number(i, d.column("delta")), rc - rb, 1e-12) << cond << " " << tail;
  }
}
