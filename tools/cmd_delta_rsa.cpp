// repscope delta-rsa: ΔRSA = RSA(condition) − RSA(baseline) per layer from `repscope rsa` runs.
#include <iostream>

#include "nn/error.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/distractors/delta_rsa.h"

namespace repscope::cli {
namespace {

int run_delta_rsa(const std::vector<std::string>& argv) {
  Args args("delta-rsa", "repscope delta-rsa --run MODEL:CONDITION=DIR ... --out DIR",
            "Reads rsa.csv from `repscope rsa` output folders, one per model and condition (the\n"
            "condition 'baseline' is the reference of each model), and writes <out>/delta_rsa.csv\n"
            "(model, layer, target, condition, r_baseline, r, delta = r − r_baseline) and\n"
            "<out>/report.html with RSA and ΔRSA per layer, models side by side. --run repeats;\n"
            "positional arguments are taken as more --run values.",
            "repscope delta-rsa --run rn50:baseline=rsa/rn50_base --run rn50:salient=rsa/rn50_sal "
            "--out delta");
  args.positionals("MODEL:CONDITION=DIR...", "runs (same as --run)")
      .option("run", "MODEL:CONDITION=DIR", "one rsa output folder (may be repeated)")
      .option("out", "DIR", "output folder")
      .flag("no-report", "write only delta_rsa.csv");
  // Args keeps one value per option: collect repeated --run values here first.
  std::vector<std::string> rest, runs_text;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--run") {
      check(i + 1 < argv.size(), "--run: missing value");
      runs_text.push_back(argv[++i]);
    } else if (argv[i].rfind("--run=", 0) == 0) {
      runs_text.push_back(argv[i].substr(6));
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!args.parse(rest)) return 0;
  for (const auto& p : args.positional()) runs_text.push_back(p);
  std::vector<distractors::RsaRun> runs;
  for (const auto& t : runs_text) runs.push_back(distractors::parse_rsa_run(t));
  const auto rows = distractors::compute_delta_rsa(runs);
  distractors::write_delta_rsa(args.require("out"), runs, rows, !args.get_flag("no-report"));
  std::cerr << "delta-rsa: " << rows.size() << " rows written to " << args.get("out") << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(delta_rsa, "delta-rsa",
                 "ΔRSA per layer: conditions against a baseline, models side by side",
                 run_delta_rsa);
}  // namespace repscope::cli
