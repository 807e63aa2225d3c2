// repscope rdm: the RDM of an activation file (NPY, N stimuli × any feature shape).
#include <iostream>

#include "io/npy.h"
#include "nn/error.h"
#include "stats/rdm.h"
#include "tools/args.h"
#include "tools/command.h"

namespace repscope::cli {
namespace {

int run_rdm(const std::vector<std::string>& argv) {
  Args args("rdm", "repscope rdm --acts FILE.npy [--metric M] [--square] --out RDM.npy",
            "Computes the representational dissimilarity matrix of the activations in FILE.npy\n"
            "(shape N × ..., each stimulus flattened; float32, float64 or float16). The file is\n"
            "memory-mapped and streamed over features, so it may be larger than memory. Output:\n"
            "float64 NPY, vector form (upper triangle, scipy squareform order, N(N-1)/2 entries)\n"
            "or, with --square, the N × N matrix. Metrics: correlation (1 - Pearson r), cosine\n"
            "(1 - cos), euclidean, sqeuclidean, rsa-euclidean (squared / P, rsatoolbox's\n"
            "'euclidean').",
            "repscope rdm --acts out/layer4.npy --metric correlation --out out/rdm_layer4.npy");
  args.option("acts", "FILE.npy", "activations, N stimuli × features")
      .option("metric", "M", "correlation | cosine | euclidean | sqeuclidean | rsa-euclidean",
              "correlation")
      .option("out", "RDM.npy", "output file (written atomically)")
      .option("tile", "P", "features converted to float64 per pass", "2048")
      .flag("square", "write the N × N matrix instead of the vector form");
  if (!args.parse(argv)) return 0;
  const std::string acts = args.require("acts");
  const std::string out = args.require("out");
  const stats::RdmMetric metric = stats::parse_rdm_metric(args.get("metric"));
  stats::RdmOptions options;
  options.tile_features = args.get_int("tile");
  check(options.tile_features >= 1, "--tile must be positive, got ", options.tile_features);
  Tensor x = map_npy(acts);
  if (x.dtype() == DType::F16 || x.dtype() == DType::BF16) x = x.to(DType::F32);
  check(x.ndim() >= 1 && x.dim(0) >= 2, "--acts ", acts,
        ": need at least 2 stimuli along the first axis, shape is ", shape_str(x.shape()));
  const std::vector<double> rdm = stats::compute_rdm(x, metric, options, acts);
  const std::int64_t n = x.dim(0);
  const std::vector<double> data = args.get_flag("square") ? stats::squareform(rdm) : rdm;
  Tensor t = Tensor::empty(
      args.get_flag("square") ? Shape{n, n} : Shape{static_cast<std::int64_t>(rdm.size())},
      DType::F64);
  std::copy(data.begin(), data.end(), t.data<double>());
  write_npy(out, t);
  std::cerr << "rdm: " << n << " stimuli × " << x.numel() / n << " features, "
            << stats::rdm_metric_name(metric) << " -> " << out << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(rdm, "rdm", "RDM of an activation NPY (correlation, cosine, euclidean, ...)",
                 run_rdm);
}  // namespace repscope::cli
