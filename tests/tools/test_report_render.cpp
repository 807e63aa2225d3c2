// Renders a report in headless Chromium: the screenshot must show the plots (not a blank page),
// the DOM must hold the expected titles and SVGs, and the browser must log no console errors or
// failed loads. Skipped when Chromium is not installed (scripts/install-deps.sh installs it),
// unless REPSCOPE_REQUIRE_CHROMIUM=1.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "io/file_util.h"
#include "tests/support/test_env.h"
#include "tests/tools/test_report_fixture.h"
#include "tools/scramble.h"

using namespace repscope;

namespace {

std::string chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    auto r = test::run_command(std::string("command -v ") + name);
    if (r.exit_code == 0 && !r.output.empty()) return r.output.substr(0, r.output.find('\n'));
  }
  return "";
}

std::string browser_command(const std::string& bin, const std::filesystem::path& profile,
                            const std::string& args) {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return "timeout 120 " + test::quote(bin) +
         " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run" +
         // No background fetches (component updates, safe browsing): without a network they log
         // net::ERR lines that have nothing to do with the page.
         " --disable-background-networking --disable-component-update --disable-sync" +
         " --user-data-dir=" + test::quote(profile.string()) + " " + args;
}

}  // namespace

TEST(ReportRender, ChromiumShowsThePlots) {
  const std::string bin = chromium();
  if (bin.empty()) {
    const char* req = std::getenv("REPSCOPE_REQUIRE_CHROMIUM");
    if (req != nullptr && std::string(req) == "1") FAIL() << "chromium missing";
    GTEST_SKIP() << "chromium not installed (scripts/install-deps.sh installs it)";
  }
  const auto dir = test::scratch_dir();
  test::write_report_fixture(dir / "resnet50");
  test::write_report_fixture(dir / "clip_rn50", 1.0);
  const auto html = dir / "compare.html";
  auto r = test::run_cli("report " + test::quote((dir / "resnet50").string()) + " " +
                         test::quote((dir / "clip_rn50").string()) + " --out " +
                         test::quote(html.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string url = "file://" + std::filesystem::absolute(html).string();

  // DOM: the titles and every SVG are there after the browser parsed the page.
  r = test::run_command(browser_command(bin, dir / "profile", "--dump-dom " + test::quote(url)) +
                        " 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* title : {"repscope report: resnet50 vs clip_rn50",
                            "Proportion of category-selective units per layer",
                            "RSA with IT, human", "RSA with V1", "MDS: fc", "layer3.2"}) {
    EXPECT_NE(r.output.find(title), std::string::npos) << title;
  }
  std::size_t svgs = 0;
  for (auto p = r.output.find("<svg"); p != std::string::npos; p = r.output.find("<svg", p + 1))
    ++svgs;
  EXPECT_EQ(svgs, 4u + 2u * (3u + 1u));

  // Screenshot, with the browser's log on stderr: no console errors, no failed loads.
  const auto shot = dir / "report.png";
  r = test::run_command(
      browser_command(bin, dir / "profile",
                      "--enable-logging=stderr --v=0 --window-size=1300,2600 --screenshot=" +
                          test::quote(shot.string()) + " " + test::quote(url)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Script errors anywhere; load failures only where they concern the page's own (file://)
  // resources — the report loads nothing else (test_tool_report checks it is self-contained).
  std::istringstream log(r.output);
  for (std::string line; std::getline(log, line);) {
    for (const char* bad : {"Uncaught", "CONSOLE("})
      EXPECT_EQ(line.find(bad), std::string::npos) << bad << " in:\n" << r.output;
    if (line.find("file://") == std::string::npos) continue;
    for (const char* bad : {"ERR_FILE_NOT_FOUND", "net::ERR", "Failed to load", "Refused to"})
      EXPECT_EQ(line.find(bad), std::string::npos) << bad << " in:\n" << r.output;
  }
  ASSERT_TRUE(std::filesystem::exists(shot)) << r.output;
  const auto img = scramble::read_image(shot);
  ASSERT_GE(img.width, 1000);
  ASSERT_GE(img.channels, 3);
  // Not blank: many colours, and the plot colours (Tableau blue lines, viridis heatmap) appear.
  std::set<std::uint32_t> colours;
  std::size_t blue = 0, viridis_dark = 0, non_white = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const int R = img.at(x, y, 0), G = img.at(x, y, 1), B = img.at(x, y, 2);
      colours.insert(static_cast<std::uint32_t>(R << 16 | G << 8 | B));
      if (std::abs(R - 0x4e) < 12 && std::abs(G - 0x79) < 12 && std::abs(B - 0xa7) < 12) ++blue;
      if (R < 90 && G < 60 && B > 70 && B < 150) ++viridis_dark;
      if (R < 240 || G < 240 || B < 240) ++non_white;
    }
  }
  EXPECT_GT(colours.size(), 500u);
  EXPECT_GT(blue, 200u);
  EXPECT_GT(viridis_dark, 200u);
  EXPECT_GT(non_white,
            static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) / 10);
}
