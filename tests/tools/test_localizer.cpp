// `repscope localizer` end to end on fLoc images with a random-init resnet18: the tables equal the
// stats library run directly on the same activations; errors are reported before any work; the
// report is written and two runs compare in one report.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/json.h"
#include "io/npy.h"
#include "io/report/csv_table.h"
#include "stats/selectivity.h"
#include "tests/tools/test_localizer_support.h"
#include "tools/pipeline/localizer.h"
#include "tools/pipeline/stimuli.h"

namespace fs = std::filesystem;
using namespace repscope;

namespace {

const std::vector<std::string> kCategories = {"adult", "body", "corridor", "word", "scrambled"};

struct LocalizerRun {
  fs::path stimuli, out;
  test::CommandResult result;
};

// A localizer run over 6 images of each of 5 fLoc categories (30 images) in `root`.
LocalizerRun floc_run(const fs::path& root, const std::string& extra) {
  LocalizerRun r;
  r.stimuli = root / "stimuli";
  r.out = root / "out";
  if (!fs::exists(r.stimuli)) test::make_floc_subset(r.stimuli, kCategories, 6);
  r.result = test::run_cli("localizer --model resnet18 --random-init 3 --stimuli " +
                           test::quote(r.stimuli.string()) + " --batch 8 --quiet " + extra +
                           " --out " + test::quote(r.out.string()));
  return r;
}

}  // namespace

TEST(Localizer, TablesMatchTheStatsLibraryOnTheSameActivations) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const auto run =
      floc_run(test::scratch_dir(),
               "--layers layer1.0,layer2,layer4,avgpool,fc --correction fdr_bh --alpha 0.2 "
               "--keep-activations");
  ASSERT_EQ(run.result.exit_code, 0) << run.result.output;
  EXPECT_NE(run.result.output.find("report: "), std::string::npos);
  const std::string html = test::file_bytes(run.out / "report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("random init: untrained"), std::string::npos);

  const auto set = pipeline::scan_stimulus_folders(run.stimuli, "auto");
  EXPECT_EQ(set.design, "floc");
  std::vector<std::size_t> all(set.images.files.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const auto domains = pipeline::kept_domains(set, all);

  const auto table = report::CsvTable::read(run.out / "selectivity_summary.csv");
  const std::vector<std::string> layers = {"layer1.0", "layer2", "layer4", "avgpool", "fc"};
  const std::vector<std::string> targets = {"faces", "bodies", "places", "characters"};
  ASSERT_EQ(table.rows(), layers.size() * targets.size());
  stats::SelectivityOptions options;  // the CLI's defaults and options
  options.criterion = stats::Criterion::Each;
  options.correction = stats::Correction::FdrBH;
  options.alpha = 0.2;
  std::int64_t total_selective = 0;
  std::size_t row = 0;
  for (const auto& layer : layers) {
    const Tensor acts = read_npy(run.out / "activations" / (layer + ".npy"));
    ASSERT_EQ(acts.dim(0), 30);
    const auto r = stats::compute_selectivity(acts, domains, set.domains, options);
    ASSERT_EQ(r.num_targets(), 4);
    const auto* sel = r.selective.data<std::uint8_t>();
    for (int k = 0; k < 4; ++k, ++row) {
      std::int64_t n = 0;
      for (std::int64_t u = 0; u < r.units; ++u) n += sel[u * 4 + k];
      total_selective += n;
      EXPECT_EQ(table.text(row, table.column("layer")), layer);
      EXPECT_EQ(table.text(row, table.column("category")), targets[static_cast<std::size_t>(k)]);
      EXPECT_EQ(table.number(row, table.column("n_units")), static_cast<double>(r.units));
      EXPECT_EQ(table.number(row, table.column("n_selective")), static_cast<double>(n));
      EXPECT_DOUBLE_EQ(table.number(row, table.column("proportion")),
                       static_cast<double>(n) / static_cast<double>(r.units));
    }
  }
  // A random network still sees low-level category differences: some units pass (at a lenient
  // level; with the default fdr_by at 0.05 none of these 30 images' units do).
  EXPECT_GT(total_selective, 0);

  const auto stimuli = report::CsvTable::read(run.out / "stimuli.csv");
  EXPECT_EQ(stimuli.rows(), 30u);
  EXPECT_EQ(stimuli.text(0, stimuli.column("domain")), "faces");
  const Json manifest = read_json_file(run.out / "manifest.json");
  EXPECT_EQ(manifest.at("design").as_string(), "floc");
  EXPECT_EQ(manifest.at("domains").size(), 5u);
  EXPECT_EQ(manifest.at("domains").at(4).at("role").as_string(), "control");
}

TEST(Localizer, ReportIsWrittenAndTwoRunsCompare) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  const auto run = floc_run(root, "--layers layer2,layer4");
  ASSERT_EQ(run.result.exit_code, 0) << run.result.output;
  EXPECT_FALSE(fs::exists(run.out / "activations"));
  EXPECT_NE(test::file_bytes(run.out / "report.html").find("faces"), std::string::npos);

  const fs::path second = root / "channel";
  auto r = test::run_cli("localizer --model resnet18 --random-init 3 --stimuli " +
                         test::quote(run.stimuli.string()) +
                         " --layers layer2,layer4 --unit channel --criterion pooled --no-report "
                         "--quiet --out " +
                         test::quote(second.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(second / "activations"));
  EXPECT_FALSE(fs::exists(second / "report.html"));
  const auto t = report::CsvTable::read(second / "selectivity_summary.csv");
  EXPECT_EQ(t.number(0, t.column("n_units")), 128.0);  // layer2 channels
  const fs::path cmp = second.parent_path() / "compare.html";
  auto c = test::run_cli("report " + test::quote(run.out.string()) + " " +
                         test::quote(second.string()) + " --out " + test::quote(cmp.string()));
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(test::file_bytes(cmp).find("<svg"), std::string::npos);
}

TEST(Localizer, TooFewImagesIsReportedBeforeAnyWork) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  test::make_floc_subset(root / "stim", {"adult", "body"}, 4);
  test::make_floc_subset(root / "stim", {"house"}, 2);
  auto r = test::run_cli("localizer --model resnet18 --random-init 1 --stimuli " +
                         test::quote((root / "stim").string()) + " --out " +
                         test::quote((root / "out").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("house (2)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("at least 3"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root / "out"));
}

TEST(Localizer, UnwritableOutputAndLooseImagesAreReportedBeforeAnyWork) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  test::make_floc_subset(root / "stim", {"adult", "body"}, 3);
  { std::ofstream(root / "a_file") << "x"; }
  auto r = test::run_cli("localizer --model resnet18 --random-init 1 --stimuli " +
                         test::quote((root / "stim").string()) + " --out " +
                         test::quote((root / "a_file" / "out").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("a_file/out"), std::string::npos) << r.output;

  fs::create_symlink(test::floc_dir() / "car" / "car-1.jpg", root / "stim" / "car-1.jpg");
  auto loose = test::run_cli("localizer --model resnet18 --random-init 1 --stimuli " +
                             test::quote((root / "stim").string()) + " --out " +
                             test::quote((root / "out").string()));
  EXPECT_NE(loose.exit_code, 0);
  EXPECT_NE(loose.output.find("car-1.jpg"), std::string::npos) << loose.output;
  EXPECT_FALSE(fs::exists(root / "out"));
}

TEST(Localizer, SyntheticSetUsesTheLuWangDesign) {
  const fs::path root = test::scratch_dir();
  auto s = test::run_cli("stimuli synth --out " + test::quote((root / "stim").string()) +
                         " --per-category 3 --size 64 --quiet");
  ASSERT_EQ(s.exit_code, 0) << s.output;
  const auto set = pipeline::scan_stimulus_folders(root / "stim", "auto");
  EXPECT_EQ(set.design, "lu-wang-2025");
  ASSERT_EQ(set.domains.num_domains(), 6);
  int targets = 0;
  for (const auto& d : set.domains.domains()) targets += d.target ? 1 : 0;
  EXPECT_EQ(targets, 4);
  EXPECT_EQ(set.images.files.size(), 18u);
}

TEST(Localizer, HelpHasAnExample) {
  for (const char* cmd : {"localizer", "rsa", "extract"}) {
    auto r = test::run_cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.output.find("--device"), std::string::npos) << cmd;
    EXPECT_NE(r.output.find("repscope " + std::string(cmd) + " --model"), std::string::npos)
        << r.output;
  }
}
