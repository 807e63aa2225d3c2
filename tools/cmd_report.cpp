// repscope report: a self-contained HTML report of one result directory, or a comparison of two.
#include <iostream>

#include "io/report/run_report.h"
#include "nn/error.h"
#include "tools/args.h"
#include "tools/command.h"

namespace repscope::cli {
namespace {

int run_report(const std::vector<std::string>& argv) {
  Args args("report", "repscope report DIR [DIR2 ...] [--out FILE]",
            "Builds one self-contained HTML file (inline SVG plots, no external resources) from "
            "the tables in\n"
            "result directories: manifest.json, selectivity_summary.csv (layer, category, "
            "proportion, ...),\n"
            "rsa.csv (layer, target, r, p, nc_lower, nc_upper), rdm_<layer>.npy (+ stimuli.csv "
            "with a category\n"
            "column), mds_<layer>.csv (x, y, label, category) and any other CSV as a table. Absent "
            "files are\n"
            "skipped; a malformed one is an error naming it. With two or more directories the runs "
            "are overlaid\n"
            "in the same plots. The file is written atomically.",
            "repscope report out/resnet50\n  repscope report out/resnet50 out/clip_rn50 --out "
            "compare.html");
  args.positionals("DIR", "result directories (one, or several to compare)")
      .option("out", "FILE",
              "output HTML file (default DIR/report.html; required with several DIRs)")
      .option("title", "TEXT", "report title")
      .option("max-rdms", "N", "RDM heatmaps per run (evenly spaced layers)", "12");
  if (!args.parse(argv)) return 0;
  const auto& dirs = args.positional();
  check(!dirs.empty(), "report: give at least one result directory (see 'repscope report --help')");
  std::string out;
  if (auto o = args.get_optional("out")) {
    out = *o;
  } else {
    check(dirs.size() == 1, "report: --out is required when comparing ", dirs.size(),
          " directories");
    out = (std::filesystem::path(dirs[0]) / "report.html").string();
  }
  report::RunReportOptions options;
  if (auto t = args.get_optional("title")) options.title = *t;
  options.max_rdms = static_cast<int>(args.get_int("max-rdms"));
  check(options.max_rdms >= 1, "--max-rdms must be at least 1");
  std::vector<std::filesystem::path> paths(dirs.begin(), dirs.end());
  report::write_run_report(paths, out, options);
  std::cerr << "report: wrote " << out << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(report, "report",
                 "HTML report of result directories (RSA, selectivity, RDMs, MDS)", run_report);
}  // namespace repscope::cli
