// `repscope rsa`: layer RDMs of a model over a set of images compared with target RDMs, with
// permutation p-values, correction across layers, noise ceilings and MDS; tables and the HTML
// report. See docs/pipelines.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "stats/compare.h"
#include "stats/multipletests.h"
#include "stats/rdm.h"
#include "tools/pipeline/extract.h"

namespace repscope::pipeline {

// One target: S ≥ 1 RDMs in vector form over the run's images (S > 1: per-subject RDMs).
struct Target {
  std::string name;     // the file's stem
  std::string kind;     // "rdm", "rdm-square", "features", "subjects"
  stats::RdmList rdms;  // vector form, N(N−1)/2 each
};

// Reads a target .npy for `n_images` stimuli (in image order):
//   [N(N−1)/2]   a vector-form RDM;
//   [N, N]       a square RDM when symmetric with a zero diagonal, otherwise an N×N feature
//                matrix (like any [N, P]);
//   [N, P]       a feature matrix, turned into an RDM with `feature_metric`;
//   [S, N, N]    S per-subject square RDMs (noise ceiling when S ≥ 2).
// Throws Error naming the file and its shape otherwise.
Target read_target(const std::filesystem::path& path, std::int64_t n_images,
                   stats::RdmMetric feature_metric);

// The target restricted to the stimuli `kept` (used when images were skipped).
Target subset_target(const Target& target, const std::vector<std::size_t>& kept);

struct RsaOptions {
  ModelSource source;
  std::string layers = "blocks";
  ImageList images;
  std::vector<std::filesystem::path> targets;
  std::filesystem::path out_dir;
  stats::RdmMetric metric = stats::RdmMetric::Cosine;  // layer RDMs (and feature targets)
  stats::CompareMethod method = stats::CompareMethod::Spearman;
  std::int64_t n_perm = 1000;  // 0: no permutation test
  std::uint64_t seed = 1;
  stats::Correction correction = stats::Correction::FdrBH;  // across layers, per target
  double alpha = 0.05;
  bool mds = true;
  std::int64_t batch = 16;
  Pool pool = Pool::None;
  OnError on_error = OnError::Stop;
  bool keep_activations = false;
  bool report = true;
  bool quiet = false;
};

// One row of rsa.csv.
struct RsaRow {
  std::string layer, target;
  double r = 0;            // mean over the target's RDMs of compare(layer RDM, target RDM)
  double p = 1;            // permutation p (NaN without permutations)
  double p_corrected = 1;  // across layers, per target
  bool significant = false;
  double nc_lower = 0, nc_upper = 0;  // NaN for single-RDM targets
  std::int64_t subjects = 1;
};

// The permutation test of the mean similarity over a target's RDMs: the layer RDM's stimuli
// are permuted (the same permutation k for every subject), p = (1 + #{null ≥ r}) / (1 + n_perm).
double permutation_p(std::span<const double> layer_rdm, const Target& target,
                     stats::CompareMethod method, std::int64_t n_perm, std::uint64_t seed);

struct RsaResult {
  std::vector<RsaRow> rows;  // layer-major, targets in the given order
  std::filesystem::path report;
};

// Reads and checks the targets and the output directory before any work, then extracts into
// out_dir/activations (resumable) and writes rsa.csv, rdm_<layer>.npy, mds_<layer>.csv,
// stimuli.csv (when the images sit in category folders), manifest.json and report.html.
RsaResult run_rsa(const RsaOptions& options);

}  // namespace repscope::pipeline
