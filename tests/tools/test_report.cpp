// The report: SVG plotting helpers, the CSV reader, the HTML builder and `repscope report`.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "io/file_util.h"
#include "io/report/csv_table.h"
#include "io/report/html_report.h"
#include "io/report/run_report.h"
#include "io/report/svg_plot.h"
#include "nn/error.h"
#include "tests/support/test_env.h"
#include "tests/tools/test_report_fixture.h"

using namespace repscope;
using namespace repscope::report;

namespace {
std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}
}  // namespace

TEST(SvgPlot, NiceTicksCoverTheRange) {
  auto t = nice_ticks(0.03, 0.47);
  ASSERT_GE(t.size(), 3u);
  EXPECT_LE(t.front(), 0.03);
  EXPECT_GE(t.back(), 0.47);
  EXPECT_NEAR(t[1] - t[0], 0.1, 1e-12);
  auto u = nice_ticks(-3, 12);
  EXPECT_LE(u.front(), -3);
  EXPECT_GE(u.back(), 12);
  EXPECT_EQ(nice_ticks(1, 1).size(), 1u);
}

TEST(SvgPlot, FormatsAndEscapes) {
  EXPECT_EQ(format_number(0.25), "0.25");
  EXPECT_EQ(format_number(120), "120");
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  EXPECT_EQ(viridis(0), "#440154");
  EXPECT_EQ(viridis(1), "#fde725");
}

TEST(SvgPlot, LinePlotHasSeriesBandsLegendAndGaps) {
  LinePlot p;
  p.title = "RSA <with> IT";
  p.x_categories = {"conv1", "layer1", "layer2", "fc"};
  p.series.push_back(
      {"r", {0.1, std::nan(""), 0.3, 0.4}, {}, "", false, {true, false, false, true}});
  p.bands.push_back({"noise ceiling", {}, {0.3, 0.3, 0.3, 0.3}, {0.5, 0.5, 0.5, 0.5}});
  const std::string svg = render_line_plot(p);
  EXPECT_TRUE(svg.starts_with("<svg"));
  EXPECT_NE(svg.find("RSA &lt;with&gt; IT"), std::string::npos);
  EXPECT_EQ(count(svg, "class=\"band\""), 1u);
  // The NaN splits the line: two "M" moves.
  const auto path = svg.substr(svg.find("class=\"series\" d=\""), 200);
  EXPECT_EQ(count(path.substr(0, path.find("\" fill")), "M"), 2u) << path;
  EXPECT_NE(svg.find("noise ceiling"), std::string::npos);
  EXPECT_NE(svg.find("layer2"), std::string::npos);
}

TEST(SvgPlot, HeatmapValidatesSizeAndEmbedsPng) {
  Heatmap h;
  h.title = "rdm";
  h.rows = h.cols = 2;
  h.values = {0, 1, 1};
  EXPECT_THROW(render_heatmap(h), Error);
  h.values = {0, 1, 1, 0};
  h.groups = {"faces", "bodies"};
  const auto svg = render_heatmap(h);
  EXPECT_NE(svg.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // PNG signature
  EXPECT_NE(svg.find(">faces<"), std::string::npos);
}

TEST(SvgPlot, ScatterAndBars) {
  ScatterPlot s;
  s.title = "MDS";
  s.points = {{0, 0, "a", "faces"}, {1, 1, "b", "words"}};
  const auto svg = render_scatter(s);
  EXPECT_EQ(count(svg, "class=\"point\""), 2u);
  BarChart b;
  b.title = "bars";
  b.categories = {"faces", "words"};
  b.series = {{"run", {0.2, -0.1}, {}, "", false, {}}};
  EXPECT_EQ(count(render_bar_chart(b), "class=\"bar\""), 2u);
  b.series[0].y.push_back(1);
  EXPECT_THROW(render_bar_chart(b), Error);
}

TEST(CsvTable, ParsesQuotesCrlfAndBom) {
  auto t = CsvTable::parse(
      "\xEF\xBB\xBFlayer,target,r\r\nconv1,\"IT, \"\"human\"\"\",0.5\r\n\r\nfc,V1,nan\r\n",
      "t.csv");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.text(0, 1), "IT, \"human\"");
  EXPECT_DOUBLE_EQ(t.number(0, t.column("r")), 0.5);
  EXPECT_TRUE(std::isnan(t.number(1, 2)));
}

TEST(CsvTable, ErrorsNameFileLineAndColumn) {
  try {
    CsvTable::parse("a,b\n1,2\n3\n", "dir/rsa.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dir/rsa.csv: line 3"), std::string::npos) << e.what();
  }
  auto t = CsvTable::parse("layer,r\nconv1,abc\n", "rsa.csv");
  try {
    t.number(0, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rsa.csv: line 2, column 'r': 'abc' is not a number"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(CsvTable::parse("a,b\n\"unterminated\n", "x.csv"), Error);
  EXPECT_THROW(CsvTable::parse("a,a\n1,2\n", "x.csv"), Error);
  try {
    t.require_columns({"layer", "target", "p"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing column(s) 'target', 'p'"), std::string::npos)
        << e.what();
  }
}

TEST(HtmlReport, SelfContainedAndEscaped) {
  HtmlReport r("Title <1>");
  r.section("Tables");
  r.table({"a", "b"}, {{"x<y", "1.5"}});
  r.json("{\"k\": [1, 2]}", "manifest.json");
  EXPECT_THROW(r.json("{\"k\": [1, 2}", "bad/manifest.json"), Error);
  const auto html = r.html();
  EXPECT_NE(html.find("Title &lt;1&gt;"), std::string::npos);
  EXPECT_NE(html.find("x&lt;y"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">1.5</td>"), std::string::npos);
  EXPECT_NE(html.find("&quot;k&quot;: ["), std::string::npos);
  // Nothing is loaded from elsewhere.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(RunReport, FullDirectory) {
  const auto dir = test::scratch_dir() / "run";
  test::write_report_fixture(dir);
  auto r = test::run_cli("report " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto html = read_text_file(dir / "report.html");
  for (const char* s :
       {"Proportion of category-selective units per layer", "RSA with IT, human", "RSA with V1",
        "Mean proportion selective across layers", "MDS: fc", "layer3.2", "noise ceiling",
        "unit_counts.csv", "&quot;model&quot;: &quot;resnet50&quot;"}) {
    EXPECT_NE(html.find(s), std::string::npos) << s;
  }
  EXPECT_EQ(count(html, "<svg"), 2u + 2u + 3u + 1u);  // selectivity 2, RSA 2, RDMs 3, MDS 1
  EXPECT_EQ(html.find("http://"),
            html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  // No temporary files are left behind.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST(RunReport, AbsentTablesAreSkipped) {
  const auto dir = test::scratch_dir() / "empty";
  std::filesystem::create_directories(dir);
  auto r = test::run_cli("report " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto html = read_text_file(dir / "report.html");
  EXPECT_NE(html.find("no result files found"), std::string::npos);
  write_text_file_atomic(dir / "rsa.csv", "layer,target,r\nconv1,IT,0.2\n");
  ASSERT_EQ(test::run_cli("report " + test::quote(dir.string())).exit_code, 0);
  EXPECT_NE(read_text_file(dir / "report.html").find("RSA with IT"), std::string::npos);
}

TEST(RunReport, MalformedInputsNameTheFile) {
  const auto dir = test::scratch_dir() / "bad";
  test::write_report_fixture(dir);
  write_text_file_atomic(dir / "selectivity_summary.csv",
                         "layer,category,proportion\nconv1,faces,0.1\nconv2,faces\n");
  auto r = test::run_cli("report " + test::quote(dir.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("selectivity_summary.csv: line 3 has 2 fields"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "report.html"));

  test::write_report_fixture(dir);
  write_text_file_atomic(dir / "rsa.csv", "layer,r\nconv1,0.1\n");
  r = test::run_cli("report " + test::quote(dir.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("rsa.csv: missing column(s) 'target'"), std::string::npos) << r.output;

  test::write_report_fixture(dir);
  write_text_file_atomic(dir / "manifest.json", "{\"model\": ");
  r = test::run_cli("report " + test::quote(dir.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("manifest.json"), std::string::npos) << r.output;

  test::write_report_fixture(dir);
  write_npy(dir / "rdm_bad.npy", Tensor::zeros({3, 4}));
  r = test::run_cli("report " + test::quote(dir.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("rdm_bad.npy: an RDM must be a square"), std::string::npos) << r.output;

  r = test::run_cli("report " + test::quote((dir / "missing").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("missing: not a directory"), std::string::npos) << r.output;
}

TEST(RunReport, ComparesTwoRuns) {
  const auto root = test::scratch_dir();  // (each call makes a fresh, empty directory)
  const auto a = root / "resnet50", b = root / "clip_rn50";
  test::write_report_fixture(a);
  test::write_report_fixture(b, 1.0);
  auto r = test::run_cli("report " + test::quote(a.string()) + " " + test::quote(b.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--out is required"), std::string::npos) << r.output;
  const auto out = root / "compare.html";
  r = test::run_cli("report " + test::quote(a.string()) + " " + test::quote(b.string()) +
                    " --out " + test::quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto html = read_text_file(out);
  EXPECT_NE(html.find("repscope report: resnet50 vs clip_rn50"), std::string::npos);
  EXPECT_NE(html.find("clip_rn50: faces"), std::string::npos);
  EXPECT_NE(html.find("stroke-dasharray"), std::string::npos);
}

TEST(RunReport, HelpHasAnExample) {
  auto r = test::run_cli("report --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("repscope report out/resnet50 out/clip_rn50 --out compare.html"),
            std::string::npos)
      << r.output;
}
