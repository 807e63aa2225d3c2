// repscope localizer: category selectivity of every unit of every layer over a folder-per-category
// stimulus set (tools/pipeline/localizer.h), with tables and an HTML report.
#include <filesystem>
#include <iostream>

#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/model_options.h"
#include "tools/pipeline/localizer.h"

namespace fs = std::filesystem;

namespace repscope::cli {
namespace {

int run_localizer_command(const std::vector<std::string>& argv) {
  Args args(
      "localizer",
      "repscope localizer --model M (--weights W | --random-init SEED) --stimuli DIR --out DIR "
      "[options]",
      "A DNN functional localizer. Every sub-folder of --stimuli is a category (fLoc's folders "
      "map to\nfaces, bodies, places, characters, objects and scrambled; `repscope stimuli "
      "synth` gives\nthe Lu & Wang (2025) set: faces, bodies, scenes, words, scrambled_scenes, "
      "scrambled_words).\nThe model runs over all images (streamed to DIR/activations, resumable), "
      "and every unit of\nevery selected layer is tested: target domain vs each other domain "
      "(each) or vs the rest\n(pooled), one-sided Student t, corrected over units. Writes "
      "DIR/selectivity_summary.csv\n(proportion of selective units per layer and category), "
      "DIR/stimuli.csv, DIR/manifest.json and\nDIR/report.html. Folders with fewer than 3 "
      "images and an unwritable --out are reported\nbefore any work. Compare two runs with "
      "`repscope report RUN1 RUN2 --out cmp.html`.",
      "repscope localizer --model resnet18 --random-init 1 --stimuli floc/ --out loc-r18/\n"
      "  repscope localizer --model resnet50 --weights resnet50.safetensors --stimuli stim/ "
      "--unit channel --out loc-r50/");
  add_model_options(args);
  args.option("stimuli", "DIR", "folder with one sub-folder of images per category")
      .option("domains", "MAP",
              "category -> domain map: auto, floc, lu-wang-2025, folders, or a CSV "
              "(category,domain[,role])",
              "auto")
      .option("layers", "SPEC", "layer names, globs or presets (all, blocks, leaves, paper1)",
              "blocks")
      .option("unit", "U", "element (of the flattened tensor) or channel (mean over space)",
              "element")
      .option("criterion", "C", "each (vs every other domain: conjunction) or pooled (vs rest)",
              "each")
      .option("correction", "M", "over units: fdr_by, fdr_bh, bonferroni, holm, none", "fdr_by")
      .option("alpha", "A", "significance level after correction", "0.05")
      .option("min-dprime", "D", "also require d' >= D (effect-size threshold)")
      .flag("welch", "Welch's t instead of Student's")
      .option("out", "DIR", "output folder")
      .option("batch", "N", "images per batch", "16")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .option("device", "D", "cpu or cuda", "cpu")
      .option("on-error", "E", "an unreadable image: stop or skip (listed in the manifest)", "stop")
      .flag("keep-activations", "keep DIR/activations/*.npy (removed after the run otherwise)")
      .flag("unit-arrays", "also write per-unit arrays DIR/<layer>/{t,p,q,dprime,si,csi,selective}.npy")
      .flag("no-report", "do not write DIR/report.html")
      .flag("quiet", "no progress output");
  if (!args.parse(argv)) return 0;
  set_num_threads(static_cast<int>(args.get_int("threads")));
  pipeline::check_device(args.get("device"));
  pipeline::LocalizerOptions opt;
  opt.source = model_source(args);
  opt.stimuli = args.require("stimuli");
  opt.domains = args.get("domains");
  opt.layers = args.get("layers");
  opt.unit = pipeline::parse_unit(args.get("unit"));
  opt.selectivity.criterion = stats::parse_criterion(args.get("criterion"));
  opt.selectivity.correction = stats::parse_correction(args.get("correction"));
  opt.selectivity.alpha = args.get_double("alpha");
  opt.selectivity.equal_var = !args.get_flag("welch");
  if (args.get_optional("min-dprime")) opt.selectivity.min_dprime = args.get_double("min-dprime");
  opt.out_dir = args.require("out");
  opt.batch = args.get_int("batch");
  check(opt.batch > 0, "--batch must be positive, got ", opt.batch);
  opt.on_error = pipeline::parse_on_error(args.get("on-error"));
  opt.keep_activations = args.get_flag("keep-activations");
  opt.unit_arrays = args.get_flag("unit-arrays");
  opt.report = !args.get_flag("no-report");
  opt.quiet = args.get_flag("quiet");
  const auto result = pipeline::run_localizer(opt);
  std::cout << "wrote " << (opt.out_dir / "selectivity_summary.csv").string()
            << " (+ selectivity_layers.csv, selectivity_consistency.csv)\n";
  if (!result.report.empty()) std::cout << "report: " << result.report.string() << "\n";
  return 0;
}

}  // namespace
}  // namespace repscope::cli

REPSCOPE_COMMAND(localizer, "localizer",
                 "category selectivity of every unit of every layer over a stimulus folder",
                 repscope::cli::run_localizer_command);
