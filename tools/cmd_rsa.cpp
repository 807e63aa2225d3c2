// repscope rsa: a model's layer RDMs against target RDMs (tools/pipeline/rsa.h), with permutation
// p-values, correction across layers, noise ceilings, MDS, tables and an HTML report.
#include <filesystem>
#include <iostream>

#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/model_options.h"
#include "tools/pipeline/rsa.h"

namespace fs = std::filesystem;

namespace repscope::cli {
namespace {

std::vector<fs::path> split_paths(const std::string& list) {
  std::vector<fs::path> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t end = list.find(',', pos);
    if (end == std::string::npos) end = list.size();
    if (end > pos) out.emplace_back(list.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

int run_rsa_command(const std::vector<std::string>& argv) {
  Args args(
      "rsa",
      "repscope rsa --model M (--weights W | --random-init SEED) --images DIR|LIST "
      "--targets T1.npy[,T2.npy...] --out DIR [options]",
      "Representational similarity analysis of every selected layer against target RDMs. The "
      "images\n(a folder, sorted by relative path, or a list file) define the RDM order; every "
      "target .npy\nmust follow it: [N(N-1)/2] vector-form or [N, N] square RDM, [N, P] feature "
      "matrix (turned\ninto an RDM with --metric), or [S, N, N] per-subject RDMs (r = mean over "
      "subjects, with\nthe rsatoolbox noise ceiling). p-values come from stimulus-label "
      "permutations of the layer\nRDM and are corrected across layers per target. Writes "
      "DIR/rsa.csv, DIR/rdm_<layer>.npy,\nDIR/mds_<layer>.csv, DIR/manifest.json and "
      "DIR/report.html.",
      "repscope rsa --model resnet50 --weights resnet50.safetensors --images stim/ "
      "--targets it.npy,v4.npy --out rsa-r50/ --perm 5000");
  add_model_options(args);
  args.option("images", "DIR|LIST", "image folder (recursive) or a text file of paths")
      .option("targets", "FILES", "comma-separated target .npy files")
      .option("layers", "SPEC", "layer names, globs or presets (all, blocks, leaves, paper1)",
              "blocks")
      .option("metric", "D",
              "RDM dissimilarity: cosine, correlation, euclidean, sqeuclidean, rsa-euclidean",
              "cosine")
      .option("method", "C",
              "RDM comparison: spearman, corr, tau-a, tau-b, rho-a, cosine, cosine_cov, corr_cov",
              "spearman")
      .option("perm", "N", "stimulus-label permutations for p-values (0: none)", "1000")
      .option("seed", "S", "permutation seed", "1")
      .option("correction", "M", "across layers: fdr_bh, fdr_by, bonferroni, holm, none", "fdr_bh")
      .option("alpha", "A", "significance level after correction", "0.05")
      .option("pool", "P", "reduce each layer first: none, mean (over space/tokens), cls", "none")
      .option("out", "DIR", "output folder")
      .option("batch", "N", "images per batch", "16")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .option("device", "D", "cpu or cuda", "cpu")
      .option("on-error", "E", "an unreadable image: stop or skip (listed in the manifest)", "stop")
      .flag("no-mds", "do not write mds_<layer>.csv")
      .flag("keep-activations", "keep DIR/activations/*.npy (removed after the run otherwise)")
      .flag("no-report", "do not write DIR/report.html")
      .flag("quiet", "no progress output");
  if (!args.parse(argv)) return 0;
  set_num_threads(static_cast<int>(args.get_int("threads")));
  pipeline::check_device(args.get("device"));
  pipeline::RsaOptions opt;
  opt.source = model_source(args);
  opt.targets = split_paths(args.require("targets"));
  opt.layers = args.get("layers");
  opt.metric = stats::parse_rdm_metric(args.get("metric"));
  opt.method = stats::parse_compare_method(args.get("method"));
  opt.n_perm = args.get_int("perm");
  opt.seed = static_cast<std::uint64_t>(args.get_int("seed"));
  opt.correction = stats::parse_correction(args.get("correction"));
  opt.alpha = args.get_double("alpha");
  opt.pool = pipeline::parse_pool(args.get("pool"));
  opt.out_dir = args.require("out");
  opt.batch = args.get_int("batch");
  check(opt.batch > 0, "--batch must be positive, got ", opt.batch);
  opt.on_error = pipeline::parse_on_error(args.get("on-error"));
  opt.mds = !args.get_flag("no-mds");
  opt.keep_activations = args.get_flag("keep-activations");
  opt.report = !args.get_flag("no-report");
  opt.quiet = args.get_flag("quiet");
  opt.images = pipeline::list_images(args.require("images"));
  const auto result = pipeline::run_rsa(opt);
  std::cout << "wrote " << (opt.out_dir / "rsa.csv").string() << "\n";
  if (!result.report.empty()) std::cout << "report: " << result.report.string() << "\n";
  return 0;
}

}  // namespace
}  // namespace repscope::cli

REPSCOPE_COMMAND(rsa, "rsa", "layer RDMs against target RDMs, with permutation tests and a report",
                 repscope::cli::run_rsa_command);
