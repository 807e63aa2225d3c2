// Progress display: the line format, thread-safe counting, and silence when stderr is not a
// terminal (or with --quiet); on a pseudo-terminal it draws in place.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tests/support/test_env.h"
#include "tools/progress.h"

using namespace repscope;
using repscope::cli::Progress;

TEST(Progress, FormatsLine) {
  EXPECT_EQ(Progress::format_line("extract", 250, 1000, 10.0, false),
            "extract  250/1000  25%  25.0 it/s  ETA 0:30");
  EXPECT_EQ(Progress::format_line("extract", 1000, 1000, 125.0, true),
            "extract  1000/1000 100%  8.00 it/s  done in 2:05");
  EXPECT_EQ(Progress::format_line("scan", 7, 0, 2.0, false), "scan  7  3.50 it/s");
  EXPECT_EQ(Progress::format_duration(3723), "1:02:03");
  EXPECT_EQ(Progress::format_duration(-1), "--:--");
}

TEST(Progress, CountsFromManyThreads) {
  Progress p("count", 8000, /*quiet=*/true);
  EXPECT_FALSE(p.enabled());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) p.advance();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(p.done(), 8000);
  p.finish();
}

TEST(Progress, QuietWhenStderrIsNotATerminal) {
  const auto out = test::scratch_dir() / "s";
  // run_cli captures stderr through a pipe: no progress line may appear.
  auto r = test::run_cli("stimuli synth --out " + test::quote(out.string()) +
                         " --per-category 2 --size 32");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find('\r'), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("it/s"), std::string::npos) << r.output;
}

TEST(Progress, DrawsOnATerminalUnlessQuiet) {
  if (test::run_command("command -v script").exit_code != 0)
    GTEST_SKIP() << "util-linux 'script' missing";
  const auto out = test::scratch_dir() / "s";
  const std::string cmd = test::quote(REPSCOPE_CLI) + " stimuli synth --out " +
                          test::quote(out.string()) + " --per-category 2 --size 32";
  // `script` runs the command on a pseudo-terminal, so stderr is a TTY.
  auto r = test::run_command("TERM=xterm script -qec " + test::quote(cmd) + " /dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\rstimuli  "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("12/12 100%"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("done in"), std::string::npos) << r.output;
  r = test::run_command("TERM=xterm script -qec " + test::quote(cmd + " --quiet") + " /dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("it/s"), std::string::npos) << r.output;
}
