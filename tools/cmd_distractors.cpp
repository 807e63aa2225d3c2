// repscope distractors: edited stimuli that change saliency and semantics separately.
#include <iostream>

#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/distractors/distractors.h"

namespace repscope::cli {
namespace {

int run_distractors(const std::vector<std::string>& argv) {
  Args args(
      "distractors",
      "repscope distractors --base DIR --pool DIR --embeddings-base B.npy --embeddings-pool P.npy "
      "--out DIR [options]",
      "Pastes a distractor from --pool, scaled to --area of the base image's area (aspect kept),\n"
      "flush against a random edge of each base image at a random offset, and picks distractors "
      "so\n"
      "that four conditions separate semantic from saliency change:\n"
      "  control           similar distractor,    non-salient edit\n"
      "  salient           similar distractor,    salient edit\n"
      "  semantic          dissimilar distractor, non-salient edit\n"
      "  semantic_salient  dissimilar distractor, salient edit\n"
      "Semantic distance: cosine distance between the base's and the distractor's embedding rows\n"
      "(rows follow the sorted image lists of --base and --pool). Saliency change: cosine "
      "distance\n"
      "between the Itti–Koch saliency maps (scale 4) before and after the edit. Writes\n"
      "<out>/<condition>/<base>.png, <out>/baseline/<base>.png and <out>/manifest.csv. By default\n"
      "only bases with all four conditions are written; the others are listed (manifest status\n"
      "'unmatched' / 'not_written' and on stderr).",
      "repscope distractors --base base --pool pool --embeddings-base base_emb.npy "
      "--embeddings-pool pool_emb.npy --out stimuli --seed 1");
  args.option("base", "DIR", "base images (searched recursively, sorted)")
      .option("pool", "DIR", "distractor images (searched recursively, sorted)")
      .option("embeddings-base", "FILE", "NPY [bases, D]: one embedding row per base image")
      .option("embeddings-pool", "FILE", "NPY [pool, D]: one embedding row per pool image")
      .option("out", "DIR", "output folder")
      .option("area", "F", "distractor area as a fraction of the base image's area", "0.10")
      .option("seed", "S", "random seed", "0")
      .option("similar-below", "D", "semantic distance of a similar distractor", "0.32")
      .option("dissimilar-above", "D", "semantic distance of a dissimilar distractor", "0.92")
      .option("nonsalient-below", "D", "saliency change of a non-salient edit", "0.019")
      .option("salient-above", "D", "saliency change of a salient edit", "0.24")
      .option("max-candidates", "N", "pool items tried per base (0 = all)", "0")
      .flag("keep-incomplete", "also write bases that lack some condition")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .flag("quiet", "no progress display");
  if (!args.parse(argv)) return 0;
  check(args.positional().empty(), "distractors: unexpected argument '",
        args.positional().empty() ? "" : args.positional()[0], "'");
  distractors::SetOptions o;
  o.selection.area_fraction = args.get_double("area");
  o.selection.seed = static_cast<std::uint64_t>(args.get_int("seed"));
  o.selection.thresholds.similar_below = args.get_double("similar-below");
  o.selection.thresholds.dissimilar_above = args.get_double("dissimilar-above");
  o.selection.thresholds.nonsalient_below = args.get_double("nonsalient-below");
  o.selection.thresholds.salient_above = args.get_double("salient-above");
  o.selection.max_candidates = static_cast<int>(args.get_int("max-candidates"));
  check(o.selection.max_candidates >= 0, "--max-candidates: must be >= 0");
  o.keep_incomplete = args.get_flag("keep-incomplete");
  o.quiet = args.get_flag("quiet");
  set_num_threads(static_cast<int>(args.get_int("threads")));
  const auto s = distractors::make_distractor_set(
      args.require("base"), args.require("pool"), args.require("embeddings-base"),
      args.require("embeddings-pool"), args.require("out"), o);
  if (!s.incomplete.empty()) {
    std::cerr << "distractors: " << s.incomplete.size() << " of " << s.bases
              << " base images lack a qualifying distractor for some condition"
              << (o.keep_incomplete ? "" : " (not written)") << ":\n";
    for (const auto& line : s.incomplete) std::cerr << "  " << line << "\n";
  }
  if (!o.quiet)
    std::cerr << "distractors: " << s.complete << " of " << s.bases << " base images complete, "
              << s.written << " edited images written to " << args.get("out") << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(distractors, "distractors",
                 "distractor stimuli: control / salient / semantic / semantic+salient edits",
                 run_distractors);
}  // namespace repscope::cli
