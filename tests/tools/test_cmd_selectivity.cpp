// `repscope selectivity` end to end: an extract-style directory (manifest order, shuffled
// images.txt) with a folder-per-category stimulus set, and a single NPY with a labels CSV; every
// output recomputed with scipy / statsmodels / pandas (tests/python/check_selectivity_tables.py);
// errors raised before any work; the result directory read by `repscope report`.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "io/json.h"
#include "io/npy.h"
#include "nn/tensor.h"
#include "tests/support/test_env.h"

namespace fs = std::filesystem;

namespace repscope {
namespace {

const std::vector<std::string> kFlocFolders = {"adult",    "body",      "car",        "child",
                                               "corridor", "house",     "instrument", "limb",
                                               "number",   "scrambled", "word"};

// Activations [N, row_shape...] with every third unit boosted for images of `boosted`.
Tensor activations(const std::vector<std::string>& labels, Shape row_shape,
                   const std::vector<std::string>& boosted, std::uint32_t seed) {
  Shape shape{static_cast<std::int64_t>(labels.size())};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  Tensor x = Tensor::empty(shape, DType::F32);
  const std::int64_t units = x.numel() / shape[0];
  std::mt19937 gen(seed);
  std::normal_distribution<float> noise(0.f, 1.f);
  float* d = x.data<float>();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const bool boost = std::find(boosted.begin(), boosted.end(), labels[i]) != boosted.end();
    for (std::int64_t u = 0; u < units; ++u)
      d[static_cast<std::int64_t>(i) * units + u] =
          noise(gen) + (boost && u % 3 == 0 ? 2.5f : 0.f) + (u % 7 == 0 ? 100.f : 0.f);
  }
  return x;
}

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "not decoded";
}

struct ExtractFixture {
  fs::path root, acts, stimuli;
  std::vector<std::string> order;       // images.txt lines
  std::vector<std::string> categories;  // per row
};

// An fLoc-like stimulus folder (3 images per category) and an extract directory whose rows follow
// a shuffled images.txt, with three layers listed in manifest.json.
ExtractFixture make_extract(const fs::path& root) {
  ExtractFixture f;
  f.root = root;
  f.acts = root / "acts";
  f.stimuli = root / "stim";
  for (const auto& c : kFlocFolders)
    for (int i = 0; i < 3; ++i) {
      const std::string label = c + "/" + c + "-" + std::to_string(i) + ".jpg";
      touch(f.stimuli / label);
      f.order.push_back(label);
    }
  std::mt19937 gen(5);
  std::shuffle(f.order.begin(), f.order.end(), gen);
  for (const auto& l : f.order) f.categories.push_back(l.substr(0, l.find('/')));
  fs::create_directories(f.acts);
  write_npy(f.acts / "layer1.npy", activations(f.categories, {4, 3, 3}, {"adult", "child"}, 1));
  write_npy(f.acts / "blocks_2.npy",
            activations(f.categories, {5, 6}, {"house", "corridor"}, 2));  // [N, T, E]
  write_npy(f.acts / "fc.npy", activations(f.categories, {10}, {"word", "number"}, 3));
  std::string text;
  for (const auto& l : f.order) text += l + "\n";
  write_text_file_atomic(f.acts / "images.txt", text);
  Json manifest = Json::object();
  manifest.set("model", "test");
  Json layers = Json::array();
  for (const auto& [name, file] : std::vector<std::pair<std::string, std::string>>{
           {"layer1", "layer1.npy"}, {"blocks/2", "blocks_2.npy"}, {"fc", "fc.npy"}}) {
    Json e = Json::object();
    e.set("name", name);
    e.set("file", file);
    layers.push_back(e);
  }
  manifest.set("layers", layers);
  write_json_file(f.acts / "manifest.json", manifest);
  return f;
}

Json floc_domains() {
  Json d = Json::array();
  const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> map = {
      {"faces", "target", {"adult", "child"}},      {"bodies", "target", {"body", "limb"}},
      {"places", "target", {"corridor", "house"}},  {"characters", "target", {"word", "number"}},
      {"objects", "target", {"car", "instrument"}}, {"scrambled", "control", {"scrambled"}}};
  for (const auto& [name, role, cats] : map) {
    Json e = Json::array();
    e.push_back(name);
    e.push_back(role);
    Json c = Json::array();
    for (const auto& x : cats) c.push_back(x);
    e.push_back(c);
    d.push_back(e);
  }
  return d;
}

// Runs the Python recomputation and checks its report.
void check_with_python(const fs::path& out, const Json& spec, const fs::path& spec_path) {
  write_json_file(spec_path, spec);
  const auto r =
      test::run_python("check_selectivity_tables.py",
                       test::quote(out.string()) + " " + test::quote(spec_path.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string last = r.output.substr(r.output.rfind('{'));
  const Json res = parse_json(last, "check_selectivity_tables.py output");
  std::cout << "  scipy/statsmodels/pandas recomputation: " << last;
  // Both sides compute in float64 from the same float32 values.
  EXPECT_LE(res.at("t").as_double(), 1e-10);
  EXPECT_LE(res.at("p").as_double(), 1e-10);
  EXPECT_LE(res.at("q").as_double(), 1e-10);
  EXPECT_LE(res.at("dprime").as_double(), 1e-6);  // stored as float32
  EXPECT_EQ(res.at("mask_mismatch").as_int(), 0);
  EXPECT_LE(res.at("summary").as_double(), 1e-6);  // d'/CSI summaries of float32 values
  EXPECT_LE(res.at("layers").as_double(), 1e-12);
  EXPECT_LE(res.at("consistency").as_double(), 1e-12);
  EXPECT_EQ(res.at("missing").size(), 0u);
  EXPECT_EQ(res.at("consistency_rows").as_int(), res.at("expected_consistency_rows").as_int());
}

TEST(CmdSelectivity, ExtractDirectoryWithStimuliMatchesScipy) {
  const auto f = make_extract(test::scratch_dir());
  const fs::path out = f.root / "out";
  const auto r =
      test::run_cli("selectivity --quiet --acts " + test::quote(f.acts.string()) + " --stimuli " +
                    test::quote(f.stimuli.string()) + " --out " + test::quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* file : {"selectivity_summary.csv", "selectivity_layers.csv",
                           "selectivity_consistency.csv", "manifest.json"})
    EXPECT_TRUE(fs::exists(out / file)) << file;
  for (const char* arr : {"t", "p", "q", "dprime", "si", "csi", "selective", "mean"})
    EXPECT_TRUE(fs::exists(out / "blocks_2" / (std::string(arr) + ".npy"))) << arr;
  EXPECT_EQ(read_npy(out / "layer1" / "t.npy").shape(), (Shape{36, 5}));
  const Json manifest = read_json_file(out / "manifest.json");
  EXPECT_EQ(manifest.at("design").as_string(), "floc");
  EXPECT_EQ(manifest.at("layers").at(1).as_string(), "blocks/2");

  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  Json spec = Json::object();
  Json layers = Json::array();
  for (const auto& [name, file] : std::vector<std::pair<std::string, std::string>>{
           {"layer1", "layer1.npy"}, {"blocks/2", "blocks_2.npy"}, {"fc", "fc.npy"}}) {
    Json e = Json::object();
    e.set("name", name);
    e.set("file", (f.acts / file).string());
    layers.push_back(e);
  }
  spec.set("layers", layers);
  Json labels = Json::array();
  for (const auto& c : f.categories) labels.push_back(c);
  spec.set("labels", labels);
  spec.set("domains", floc_domains());
  spec.set("criterion", "each");
  spec.set("alternative", "greater");
  spec.set("correction", "fdr_by");
  spec.set("alpha", 0.05);
  spec.set("unit", "element");
  check_with_python(out, spec, f.root / "spec.json");

  // The result directory is what `repscope report` reads.
  const auto rep = test::run_cli("report " + test::quote(out.string()) + " --out " +
                                 test::quote((f.root / "report.html").string()));
  EXPECT_EQ(rep.exit_code, 0) << rep.output;
  EXPECT_TRUE(fs::exists(f.root / "report.html"));
}

TEST(CmdSelectivity, SingleFileWithLabelsPooledChannelUnits) {
  const fs::path root = test::scratch_dir();
  std::vector<std::string> cats;
  for (const char* c : {"cats", "dogs", "cars", "faces"})
    for (int i = 0; i < 4; ++i) cats.push_back(c);
  write_npy(root / "conv.npy", activations(cats, {6, 2, 2}, {"faces"}, 9));
  std::string csv = "image,category\n";
  for (std::size_t i = 0; i < cats.size(); ++i)
    csv += "img" + std::to_string(i) + ".png," + cats[i] + "\n";
  write_text_file_atomic(root / "labels.csv", csv);
  const fs::path out = root / "out";
  const auto r = test::run_cli(
      "selectivity --quiet --acts " + test::quote((root / "conv.npy").string()) + " --labels " +
      test::quote((root / "labels.csv").string()) +
      " --domains identity --criterion pooled --alternative two-sided --correction fdr_bh "
      "--unit channel --out " +
      test::quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_npy(out / "conv" / "selective.npy").shape(), (Shape{6, 4}));

  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  Json spec = Json::object();
  Json layers = Json::array();
  Json e = Json::object();
  e.set("name", "conv");
  e.set("file", (root / "conv.npy").string());
  layers.push_back(e);
  spec.set("layers", layers);
  Json labels = Json::array();
  for (const auto& c : cats) labels.push_back(c);
  spec.set("labels", labels);
  Json domains = Json::array();
  for (const char* c : {"cars", "cats", "dogs", "faces"}) {  // identity: sorted categories
    Json d = Json::array();
    d.push_back(c);
    d.push_back("target");
    Json l = Json::array();
    l.push_back(c);
    d.push_back(l);
    domains.push_back(d);
  }
  spec.set("domains", domains);
  spec.set("criterion", "pooled");
  spec.set("alternative", "two-sided");
  spec.set("correction", "fdr_bh");
  spec.set("alpha", 0.05);
  spec.set("unit", "channel");
  check_with_python(out, spec, root / "spec.json");
}

void expect_error(const std::string& args, const std::vector<std::string>& needles,
                  const fs::path& out) {
  const auto r =
      test::run_cli("selectivity --quiet " + args + " --out " + test::quote(out.string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("repscope selectivity: error:"), std::string::npos) << r.output;
  for (const auto& n : needles) EXPECT_NE(r.output.find(n), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out / "selectivity_summary.csv")) << "work started: " << args;
}

TEST(CmdSelectivity, ErrorsBeforeAnyWork) {
  const auto f = make_extract(test::scratch_dir());
  const fs::path out = f.root / "out";
  const std::string acts = " --acts " + test::quote(f.acts.string());
  // Label count differs from the rows (a single file: no images.txt).
  std::string csv = "category\n";
  for (int i = 0; i < 30; ++i) csv += kFlocFolders[static_cast<std::size_t>(i % 10)] + "\n";
  write_text_file_atomic(f.root / "labels30.csv", csv);
  expect_error("--acts " + test::quote((f.acts / "fc.npy").string()) + " --labels " +
                   test::quote((f.root / "labels30.csv").string()),
               {"fc.npy", "33 rows", "30 images"}, out);
  // A category with fewer than 3 images, named with its count.
  std::string small = "category\n";
  for (std::size_t i = 0; i < 33; ++i)
    small += (i < 2 ? std::string("odd") : f.categories[i]) + "\n";
  write_text_file_atomic(f.root / "small.csv", small);
  expect_error("--acts " + test::quote((f.acts / "fc.npy").string()) + " --labels " +
                   test::quote((f.root / "small.csv").string()) + " --domains folders",
               {"at least 3", "odd (2)"}, out);
  // Neither or both label sources.
  expect_error(acts, {"--labels", "--stimuli"}, out);
  // A category the chosen map does not know.
  expect_error(acts + " --stimuli " + test::quote(f.stimuli.string()) + " --domains lu-wang-2025",
               {"lu-wang-2025", "adult"}, out);
  // An images.txt line not under --stimuli.
  fs::remove_all(f.stimuli / "car");
  expect_error(acts + " --stimuli " + test::quote(f.stimuli.string()), {"images.txt line", "car/"},
               out);
  // Bad option values name the option.
  expect_error(acts + " --stimuli x --criterion best", {"best"}, out);
  expect_error(acts + " --labels x.csv --alpha 2", {"--alpha"}, out);
  expect_error("--acts " + test::quote((f.root / "missing").string()) + " --labels x.csv",
               {"--acts", "missing"}, out);
}

}  // namespace
}  // namespace repscope
