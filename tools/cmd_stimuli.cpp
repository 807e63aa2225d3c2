// repscope stimuli synth: a procedural localizer stimulus set (no downloads needed).
#include <iostream>

#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/stimuli/synth.h"

namespace repscope::cli {
namespace {

int run_stimuli(const std::vector<std::string>& argv) {
  Args args(
      "stimuli", "repscope stimuli synth --out DIR [options]",
      "Generates a small stimulus set procedurally, in the folder-per-category layout a localizer "
      "reads:\n"
      "faces/ (schematic faces), bodies/ (stick figures in varied poses), scenes/ (corridors, "
      "rooms and\n"
      "houses in perspective), words/ (rendered words, DejaVu fonts or a built-in fallback),\n"
      "scrambled_scenes/ and scrambled_words/. Greyscale rendered into RGB PNGs; the same seed "
      "gives the\n"
      "same images on every machine and thread count.",
      "repscope stimuli synth --out stimuli --per-category 24 --size 224 --seed 1");
  args.positionals("ACTION", "what to do; only 'synth' exists")
      .option("out", "DIR", "output folder (created; files in it are overwritten)")
      .option("per-category", "N", "images per category", "24")
      .option("size", "PX", "image width and height in pixels", "224")
      .option("seed", "S", "random seed", "1")
      .option("scramble", "MODE", "how the scrambled categories are made: phase or block", "phase")
      .option("grid", "N", "tiles per side for --scramble block", "8")
      .option("font-dir", "DIR",
              "folder with the DejaVu TrueType fonts (fallback font when absent)",
              stimuli::kDefaultFontDir)
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .flag("quiet", "no progress display");
  if (!args.parse(argv)) return 0;
  check(args.positional().size() == 1 && args.positional()[0] == "synth",
        "stimuli: expected the action 'synth' (see 'repscope stimuli --help')");
  stimuli::SynthOptions o;
  o.per_category = static_cast<int>(args.get_int("per-category"));
  o.size = static_cast<int>(args.get_int("size"));
  o.seed = static_cast<std::uint64_t>(args.get_int("seed"));
  o.scramble_mode = scramble::parse_mode(args.get("scramble"), "--scramble");
  o.scramble_grid = static_cast<int>(args.get_int("grid"));
  o.font_dir = args.get("font-dir");
  o.quiet = args.get_flag("quiet");
  set_num_threads(static_cast<int>(args.get_int("threads")));
  const auto out = args.require("out");
  const auto n = stimuli::write_synth_set(out, o);
  if (!o.quiet) std::cerr << "stimuli: wrote " << n << " images to " << out << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(stimuli, "stimuli", "generate a synthetic localizer stimulus set (stimuli synth)",
                 run_stimuli);
}  // namespace repscope::cli
