// repscope scramble: block- or phase-scrambled copies of a folder of images.
#include <iostream>

#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/scramble.h"

namespace repscope::cli {
namespace {

int run_scramble(const std::vector<std::string>& argv) {
  Args args(
      "scramble", "repscope scramble --in DIR --out DIR [--mode block|phase] [--grid N] [--seed S]",
      "Writes a scrambled copy of every image under --in to the same relative path under --out, as "
      "PNG.\n"
      "block: the image is cut into an N×N grid of equal tiles which are shuffled (a margin of "
      "fewer than N\n"
      "pixels, when the size is not a multiple of N, stays in place). phase: the Fourier amplitude "
      "spectrum\n"
      "is kept and a random phase field (the same for every colour channel) is added to the phase; "
      "the result\n"
      "is rounded and clipped to 0..255. Each image's randomness is keyed by (seed, relative "
      "path).",
      "repscope scramble --in stimuli/scenes --out stimuli/scrambled_scenes --mode phase --seed 7");
  args.option("in", "DIR", "folder of images (searched recursively)")
      .option("out", "DIR", "output folder (must not lie inside --in)")
      .option("mode", "MODE", "block or phase", "phase")
      .option("grid", "N", "tiles per side in block mode", "8")
      .option("seed", "S", "random seed", "0")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .flag("quiet", "no progress display");
  if (!args.parse(argv)) return 0;
  scramble::DirectoryOptions o;
  o.mode = scramble::parse_mode(args.get("mode"));
  o.grid = static_cast<int>(args.get_int("grid"));
  o.seed = static_cast<std::uint64_t>(args.get_int("seed"));
  o.quiet = args.get_flag("quiet");
  set_num_threads(static_cast<int>(args.get_int("threads")));
  const auto r = scramble::scramble_directory(args.require("in"), args.require("out"), o);
  if (!o.quiet) {
    std::cerr << "scramble: wrote " << r.images << " images to " << args.get("out");
    if (r.skipped > 0) std::cerr << " (" << r.skipped << " non-image files skipped)";
    std::cerr << "\n";
  }
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(scramble, "scramble", "block- or phase-scramble a folder of images", run_scramble);
}  // namespace repscope::cli
