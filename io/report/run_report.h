// The report of one or more result directories (`repscope report DIR [DIR2] [--out FILE]`).
//
// Files read from each directory (every one optional; absent files are skipped, a malformed one
// is an Error naming the file):
//   manifest.json              the run's manifest, shown pretty-printed
//   selectivity_summary.csv    columns layer, category, proportion (+ any others, shown in the
//   table) rsa.csv                    columns layer, target, r (+ optional p, nc_lower, nc_upper)
//   rdm_<layer>.npy            an N×N RDM (float32/float64), drawn as a heatmap
//   stimuli.csv                column category (one row per stimulus, RDM order): RDM block labels
//   mds_<layer>.csv            columns x, y (+ optional label, category)
//   any other *.csv            shown as a table (first 50 rows)
// With several directories, line plots overlay the runs (same colour per category/target, a
// different dash per run) so two models or two conditions can be compared in one file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/report/html_report.h"

namespace repscope::report {

struct RunReportOptions {
  std::string title;  // empty: "repscope report: <run names>"
  int max_rdms = 12;  // per run; more RDM files are subsampled evenly (a note says so)
  int max_other_rows = 50;
};

HtmlReport build_run_report(const std::vector<std::filesystem::path>& dirs,
                            const RunReportOptions& options = {});
// build_run_report(...).write(out), atomically.
void write_run_report(const std::vector<std::filesystem::path>& dirs,
                      const std::filesystem::path& out, const RunReportOptions& options = {});

}  // namespace repscope::report
