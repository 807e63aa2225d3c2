// An interrupted `repscope extract` continues from its last complete batch, and the finished
// files are byte-identical to those of an uninterrupted run; bad images stop the run with their
// name or are skipped and listed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "io/json.h"
#include "io/npy.h"
#include "tests/tools/test_localizer_support.h"

namespace fs = std::filesystem;
using namespace repscope;

namespace {

// 10 images in 4 batches of 3 (the last holds 1).
const char* kArgs =
    " --model resnet18 --random-init 7 --layers layer1.0,layer3,avgpool,fc --batch 3 --quiet";

fs::path make_images(const fs::path& root) {
  const fs::path dir = root / "images";
  test::make_floc_subset(dir, {"adult", "house"}, 5);
  return dir;
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

void expect_identical_dirs(const fs::path& a, const fs::path& b) {
  const auto names = listing(a);
  EXPECT_EQ(names, listing(b));
  for (const auto& n : names) {
    EXPECT_TRUE(test::file_bytes(a / n) == test::file_bytes(b / n)) << n << " differs";
  }
}

}  // namespace

TEST(ExtractResume, KillMidBatchThenRerunGivesIdenticalFiles) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  const fs::path images = make_images(root);
  const std::string base = " --images " + test::quote(images.string()) + kArgs;
  auto full = test::run_cli("extract" + base + " --out " + test::quote((root / "full").string()));
  ASSERT_EQ(full.exit_code, 0) << full.output;
  EXPECT_EQ(listing(root / "full"),
            (std::set<std::string>{"avgpool.npy", "fc.npy", "images.txt", "layer1.0.npy",
                                   "layer3.npy", "manifest.json"}));

  // Killed (SIGKILL) after 2 complete batches, with batch 3 half stored.
  const fs::path out = root / "resumed";
  auto killed =
      test::run_command("REPSCOPE_TEST_KILL_AFTER_BATCHES=2 " + test::quote(REPSCOPE_CLI) +
                        " extract" + base + " --out " + test::quote(out.string()));
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  // Only incomplete files: no finished output appears.
  for (const auto& n : listing(out)) {
    EXPECT_TRUE(n == "extract_progress.json" || n.ends_with(".npy.partial")) << n;
  }
  const Json record = read_json_file(out / "extract_progress.json");
  EXPECT_EQ(record.at("batches_done").as_int(), 2);
  EXPECT_EQ(record.at("rows").as_int(), 6);
  // The first layer already holds rows of batch 3 that the resume must drop.
  EXPECT_EQ(map_npy(out / "layer1.0.npy.partial").dim(0), 9);

  auto resumed = test::run_cli("extract" + base + " --out " + test::quote(out.string()));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  expect_identical_dirs(root / "full", out);
}

TEST(ExtractResume, ExternalSigkillThenRerunGivesIdenticalFiles) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  const fs::path images = make_images(root);
  const std::string base = " --images " + test::quote(images.string()) + kArgs;
  ASSERT_EQ(
      test::run_cli("extract" + base + " --out " + test::quote((root / "full").string())).exit_code,
      0);
  // A real kill -9 from outside as soon as the first batch is recorded.
  const fs::path out = root / "killed";
  const std::string cmd = test::quote(REPSCOPE_CLI) + " extract" + base + " --out " +
                          test::quote(out.string()) + " & pid=$!; for i in $(seq 600); do [ -f " +
                          test::quote((out / "extract_progress.json").string()) +
                          " ] && break; sleep 0.05; done; kill -9 $pid; wait $pid; echo rc=$?";
  auto killed = test::run_command("bash -c " + test::quote(cmd));
  EXPECT_NE(killed.output.find("rc="), std::string::npos) << killed.output;
  auto resumed = test::run_cli("extract" + base + " --out " + test::quote(out.string()));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  expect_identical_dirs(root / "full", out);
}

TEST(ExtractResume, OtherSettingsStartOver) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  const fs::path images = make_images(root);
  const fs::path out = root / "out";
  const std::string base = " --images " + test::quote(images.string()) + kArgs;
  auto killed =
      test::run_command("REPSCOPE_TEST_KILL_AFTER_BATCHES=1 " + test::quote(REPSCOPE_CLI) +
                        " extract" + base + " --out " + test::quote(out.string()));
  EXPECT_NE(killed.exit_code, 0);
  // A different layer set: the partial files are not reused.
  auto rerun = test::run_cli("extract --images " + test::quote(images.string()) +
                             " --model resnet18 --random-init 7 --layers fc --batch 3 --out " +
                             test::quote(out.string()));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("starting over"), std::string::npos) << rerun.output;
  EXPECT_EQ(map_npy(out / "fc.npy").dim(0), 10);
  EXPECT_FALSE(fs::exists(out / "extract_progress.json"));
}

TEST(ExtractResume, CorruptImageStopsWithItsNameOrIsSkipped) {
  REPSCOPE_REQUIRE_FLOC_OR_SKIP();
  const fs::path root = test::scratch_dir();
  const fs::path images = make_images(root);
  { std::ofstream(images / "adult" / "adult-broken.jpg") << "not a jpeg"; }
  const std::string base = " --images " + test::quote(images.string()) +
                           " --model resnet18 --random-init 7 --layers fc --batch 4 --quiet";
  auto stop = test::run_cli("extract" + base + " --out " + test::quote((root / "a").string()));
  EXPECT_NE(stop.exit_code, 0);
  EXPECT_NE(stop.output.find("adult-broken.jpg"), std::string::npos) << stop.output;
  EXPECT_FALSE(fs::exists(root / "a" / "fc.npy"));

  auto skip = test::run_cli("extract" + base + " --on-error skip --out " +
                            test::quote((root / "b").string()));
  ASSERT_EQ(skip.exit_code, 0) << skip.output;
  EXPECT_EQ(map_npy(root / "b" / "fc.npy").dim(0), 10);
  const std::string order = test::file_bytes(root / "b" / "images.txt");
  EXPECT_EQ(order.find("broken"), std::string::npos);
  const Json manifest = read_json_file(root / "b" / "manifest.json");
  ASSERT_EQ(manifest.at("skipped_images").size(), 1u);
  EXPECT_EQ(manifest.at("skipped_images").at(0).at("image").as_string(), "adult/adult-broken.jpg");
  EXPECT_EQ(manifest.at("images").as_int(), 10);
}

TEST(ExtractResume, DeviceCudaWithoutCudaIsAClearError) {
  auto r = test::run_cli(
      "extract --device cuda --model resnet18 --random-init 1 --images x "
      "--layers fc --out y");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--device cuda"), std::string::npos) << r.output;
}
