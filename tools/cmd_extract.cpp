// repscope extract: run a model over images and write the selected layers' activations as NPY.
// The work is pipeline::run_extraction (tools/pipeline/extract.h), shared with localizer and rsa.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/model_options.h"
#include "tools/pipeline/device.h"
#include "tools/pipeline/extract.h"

namespace fs = std::filesystem;

namespace repscope::cli {
namespace {

int run_extract(const std::vector<std::string>& argv) {
  Args args(
      "extract",
      "repscope extract --model M (--weights W | --random-init SEED) --images DIR|LIST "
      "--layers SPEC --out DIR [options]",
      "Runs the model over the images batch by batch and writes, per selected layer, "
      "DIR/<layer>.npy of\nshape (N_images, ...per-image shape) (or pooled), plus "
      "DIR/images.txt (the image order) and\nDIR/manifest.json (model, weights sha256, "
      "preset, layers and shapes, versions, precision).\nImages from a directory are all "
      "image files below it, sorted by relative path (byte order).\nFiles are streamed: "
      "memory does not grow with the number of images; each file appears only\nwhen "
      "complete. An interrupted run (killed, crashed, a bad image) continues from its "
      "last\ncomplete batch when rerun with the same settings (--no-resume starts over). At the "
      "end it says\nhow long the images took (read, forward, written) and the set-up "
      "before them.",
      "repscope extract --model resnet50 --weights resnet50.safetensors --images floc/ "
      "--layers paper1 --out acts/");
  add_model_options(args);
  args.option("images", "DIR|LIST", "image folder (recursive) or a text file of paths")
      .option("layers", "SPEC",
              "names, globs, presets (all, blocks, leaves, paper1), comma-separated")
      .option("out", "DIR", "output folder")
      .option("preset", "P", "preprocessing preset (default: the model's)")
      .option("batch", "N", "images per batch", "16")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .option("device", "D", "cpu, cuda or cuda:N (needs a CUDA build and a GPU)", "cpu")
      .option("precision", "P",
              "CUDA math: exact (fp32), tf32, fp16 or bf16 (conv/GEMM operands; recorded in the "
              "manifest); the CPU runs exact only",
              "exact")
      .option("dtype", "T", "stored precision: f32 or f16", "f32")
      .option("pool", "P", "none, mean (over space or tokens) or cls (token 0)", "none")
      .option("on-error", "E",
              "an unreadable image: stop (the run fails naming it) or skip (listed in the "
              "manifest)",
              "stop")
      .flag("no-resume", "start over even when an interrupted run of the same settings exists")
      .flag("quiet", "no progress output and no closing timing line");
  if (!args.parse(argv)) return 0;
  set_num_threads(static_cast<int>(args.get_int("threads")));
  pipeline::ExtractOptions opt;
  opt.source = model_source(args);
  opt.out_dir = args.require("out");
  opt.batch = args.get_int("batch");
  opt.dtype = parse_dtype(args.get("dtype"), "--dtype");
  opt.pool = pipeline::parse_pool(args.get("pool"));
  opt.on_error = pipeline::parse_on_error(args.get("on-error"));
  opt.layers = args.require("layers");
  opt.preset = args.get_optional("preset");
  opt.resume = !args.get_flag("no-resume");
  opt.quiet = args.get_flag("quiet");
  opt.device = args.get("device");
  opt.precision = args.get("precision");
  // Settings that cannot work are reported before anything touches the disk.
  pipeline::parse_compute_device(opt.device, opt.precision);
  opt.images = pipeline::list_images(args.require("images"));
  const pipeline::ExtractResult r = pipeline::run_extraction(opt);
  if (!opt.quiet) {
    const double rate = static_cast<double>(r.images_this_run) / std::max(r.images_seconds, 1e-9);
    std::cerr << std::fixed << std::setprecision(3) << "extract: " << r.images_this_run
              << " images in " << r.images_seconds << " s (" << std::setprecision(1) << rate
              << " images/s) after " << std::setprecision(2) << r.setup_seconds
              << " s of setup (model, weights and their SHA-256)\n";
  }
  return 0;
}

}  // namespace
}  // namespace repscope::cli

REPSCOPE_COMMAND(extract, "extract", "write layer activations of a model over images as NPY files",
                 repscope::cli::run_extract);
