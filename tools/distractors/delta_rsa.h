// ΔRSA: how much an edit changes each layer's RSA, ΔRSA = RSA(condition) − RSA(baseline), from the
// rsa.csv tables that `repscope rsa` writes (one run per model and condition, same layers and
// targets). Several models are compared side by side in one table and one report.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace repscope::distractors {

// One `repscope rsa` output folder: model name, condition name ("baseline" is the reference).
struct RsaRun {
  std::string model, condition;
  std::filesystem::path dir;
};
// Parses "MODEL:CONDITION=DIR" (the --run argument). Throws Error naming the text otherwise.
RsaRun parse_rsa_run(const std::string& text);

struct DeltaRow {
  std::string model, layer, target, condition;
  double r_baseline = 0, r = 0, delta = 0;
};

// For every model, every non-baseline condition, every (layer, target) of the baseline's rsa.csv:
// the row of delta_rsa.csv. Layers keep the baseline's order. Throws Error naming the file when a
// model has no (or two) baseline runs, or a condition's table lacks a (layer, target).
std::vector<DeltaRow> compute_delta_rsa(const std::vector<RsaRun>& runs);

// Writes <out>/delta_rsa.csv (model, layer, target, condition, r_baseline, r, delta) and, unless
// `report` is false, <out>/report.html: per target, per model, RSA per layer (baseline and every
// condition) and ΔRSA per layer (one line per condition).
void write_delta_rsa(const std::filesystem::path& out_dir, const std::vector<RsaRun>& runs,
                     const std::vector<DeltaRow>& rows, bool report = true);

}  // namespace repscope::distractors
