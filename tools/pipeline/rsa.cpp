#include "tools/pipeline/rsa.h"

#include <cmath>
#include <iostream>
#include <limits>
#include <set>

#include "io/file_util.h"
#include "io/json.h"
#include "io/npy.h"
#include "io/report/run_report.h"
#include "nn/error.h"
#include "stats/inference.h"
#include "stats/mds.h"
#include "stats/rdm.h"
#include "tools/pipeline/stimuli.h"
#include "tools/progress.h"

namespace fs = std::filesystem;

namespace repscope::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> as_doubles(const Tensor& t, const fs::path& path) {
  check(t.dtype() == DType::F32 || t.dtype() == DType::F64 || t.dtype() == DType::F16, "--targets ",
        path.string(), ": dtype ", dtype_name(t.dtype()), " is not a floating-point type");
  const Tensor d = t.dtype() == DType::F64 ? t : t.to(DType::F64);
  const double* p = d.data<double>();
  return std::vector<double>(p, p + d.numel());
}

std::string category_of(const std::string& label) {
  const auto slash = label.find('/');
  return slash == std::string::npos ? std::string() : label.substr(0, slash);
}

}  // namespace

Target read_target(const fs::path& path, std::int64_t n, stats::RdmMetric feature_metric) {
  Target t;
  t.name = path.stem().string();
  const Tensor x = read_npy(path);
  const Shape& s = x.shape();
  const std::int64_t pairs = n * (n - 1) / 2;
  const std::string what = "--targets " + path.string() + ": shape " + shape_str(s);
  if (s.size() == 1) {
    check(s[0] == pairs, what, " is not a vector-form RDM of ", n, " images (", pairs, " entries)");
    t.kind = "rdm";
    t.rdms.push_back(as_doubles(x, path));
  } else if (s.size() == 2) {
    check(s[0] == n, what, " does not have one row per image (", n,
          " images): expected [N, N], [N, P], [N(N-1)/2] or [S, N, N]");
    const auto m = as_doubles(x, path);
    if (s[1] == n && stats::is_square_rdm(m.data(), n)) {
      t.kind = "rdm-square";
      t.rdms.push_back(stats::upper_triangle(m, n));
    } else {
      t.kind = "features";
      t.rdms.push_back(stats::compute_rdm(m.data(), n, s[1], feature_metric));
    }
  } else if (s.size() == 3) {
    check(s[1] == n && s[2] == n, what, " is not [S, N, N] per-subject RDMs of ", n, " images");
    const auto m = as_doubles(x, path);
    t.kind = "subjects";
    for (std::int64_t k = 0; k < s[0]; ++k) {
      const double* sub = m.data() + k * n * n;
      check(stats::is_square_rdm(sub, n), "--targets ", path.string(), ": subject ", k,
            " is not a symmetric matrix with a zero diagonal");
      t.rdms.push_back(
          stats::upper_triangle(std::span<const double>(sub, static_cast<std::size_t>(n * n)), n));
    }
    check(!t.rdms.empty(), what, " holds no subject");
  } else {
    fail(what, ": expected [N(N-1)/2], [N, N], [N, P] or [S, N, N] for ", n, " images");
  }
  return t;
}

Target subset_target(const Target& target, const std::vector<std::size_t>& kept) {
  Target t = target;
  std::vector<std::int64_t> idx(kept.begin(), kept.end());
  for (auto& r : t.rdms) r = stats::subsample_rdm(r, idx);
  return t;
}

double permutation_p(std::span<const double> layer_rdm, const Target& target,
                     stats::CompareMethod method, std::int64_t n_perm, std::uint64_t seed) {
  if (n_perm <= 0) return kNaN;
  std::vector<double> null(static_cast<std::size_t>(n_perm), 0.0);
  double observed = 0;
  for (const auto& rdm : target.rdms) {
    const auto res = stats::permutation_test(rdm, layer_rdm, method, n_perm, seed);
    if (target.rdms.size() == 1) return res.p_value;
    observed += res.observed;
    for (std::size_t k = 0; k < null.size(); ++k) null[k] += res.null_distribution[k];
  }
  const double s = static_cast<double>(target.rdms.size());
  observed /= s;
  std::int64_t ge = 0;
  for (double v : null) ge += (v / s >= observed) ? 1 : 0;
  return static_cast<double>(1 + ge) / static_cast<double>(1 + n_perm);
}

RsaResult run_rsa(const RsaOptions& opt) {
  // Everything checkable is checked before the model runs.
  check(!opt.targets.empty(), "--targets: at least one target file is needed");
  check(opt.n_perm >= 0, "--perm must be >= 0, got ", opt.n_perm);
  check(opt.alpha > 0 && opt.alpha < 1, "--alpha must be in (0, 1), got ", opt.alpha);
  const auto n_images = static_cast<std::int64_t>(opt.images.files.size());
  check(n_images >= 3, "--images: RSA needs at least 3 images, found ", n_images);
  std::vector<Target> targets;
  std::set<std::string> names;
  for (const auto& path : opt.targets) {
    targets.push_back(read_target(path, n_images, opt.metric));
    check(names.insert(targets.back().name).second, "--targets: two files are named '",
          targets.back().name, "' (targets are named after the file stem)");
  }
  check_writable_dir(opt.out_dir);

  ExtractOptions ex;
  ex.source = opt.source;
  ex.layers = opt.layers;
  ex.images = opt.images;
  ex.out_dir = opt.out_dir / "activations";
  ex.batch = opt.batch;
  ex.pool = opt.pool;
  ex.on_error = opt.on_error;
  ex.quiet = opt.quiet;
  const ExtractResult extracted = run_extraction(ex);
  if (extracted.kept.size() != opt.images.files.size()) {
    check(extracted.kept.size() >= 3, "fewer than 3 readable images");
    for (auto& t : targets) t = subset_target(t, extracted.kept);
  }

  RsaResult result;
  cli::Progress progress("rsa", static_cast<std::int64_t>(extracted.layers.size()), opt.quiet);
  const bool squared = opt.metric == stats::RdmMetric::SquaredEuclidean ||
                       opt.metric == stats::RdmMetric::MeanSquaredEuclidean;
  std::vector<std::string> labels;
  for (auto k : extracted.kept) labels.push_back(opt.images.labels[k]);
  std::vector<std::string> mds_notes;
  for (const auto& layer : extracted.layers) {
    const Tensor acts = map_npy(layer.file);
    const auto rdm = stats::compute_rdm(acts, opt.metric, {}, layer.name);
    const auto n = static_cast<std::int64_t>(labels.size());
    const auto square = stats::squareform(rdm);
    Tensor sq = Tensor::empty({n, n}, DType::F64);
    std::copy(square.begin(), square.end(), sq.data<double>());
    write_npy(opt.out_dir / ("rdm_" + layer_file_name(layer.name)), sq);
    if (opt.mds) {
      try {
        const auto mds = stats::classical_mds(rdm, 2, squared);
        std::string text = "x,y,label,category\n";
        for (std::int64_t i = 0; i < n; ++i) {
          const auto& label = labels[static_cast<std::size_t>(i)];
          text += csv_number(mds.coordinates[static_cast<std::size_t>(2 * i)]) + "," +
                  csv_number(mds.coordinates[static_cast<std::size_t>(2 * i + 1)]) + "," +
                  csv_field(label) + "," + csv_field(category_of(label)) + "\n";
        }
        std::string stem = layer_file_name(layer.name);
        stem.resize(stem.size() - 4);  // ".npy"
        write_text_file_atomic(opt.out_dir / ("mds_" + stem + ".csv"), text);
      } catch (const Error& e) {
        mds_notes.push_back(layer.name + ": " + e.what());
      }
    }
    for (const auto& t : targets) {
      RsaRow row;
      row.layer = layer.name;
      row.target = t.name;
      row.subjects = static_cast<std::int64_t>(t.rdms.size());
      double sum = 0;
      for (const auto& trdm : t.rdms) sum += stats::compare_rdms(rdm, trdm, opt.method);
      row.r = sum / static_cast<double>(t.rdms.size());
      row.p = permutation_p(rdm, t, opt.method, opt.n_perm, opt.seed);
      if (t.rdms.size() >= 2) {
        const auto nc = stats::noise_ceiling(t.rdms, opt.method);
        row.nc_lower = nc.lower;
        row.nc_upper = nc.upper;
      } else {
        row.nc_lower = row.nc_upper = kNaN;
      }
      result.rows.push_back(row);
    }
    progress.advance();
  }
  progress.finish();

  // Correction across layers, separately for each target.
  const std::size_t n_targets = targets.size();
  const std::size_t n_layers = extracted.layers.size();
  for (std::size_t j = 0; j < n_targets; ++j) {
    std::vector<double> p(n_layers);
    for (std::size_t l = 0; l < n_layers; ++l) p[l] = result.rows[l * n_targets + j].p;
    if (opt.n_perm <= 0) {
      for (std::size_t l = 0; l < n_layers; ++l) result.rows[l * n_targets + j].p_corrected = kNaN;
      continue;
    }
    const auto mt = stats::multipletests(p, opt.alpha, opt.correction);
    for (std::size_t l = 0; l < n_layers; ++l) {
      auto& row = result.rows[l * n_targets + j];
      row.p_corrected = mt.p_corrected[l];
      row.significant = mt.reject[l] != 0;
    }
  }

  std::string text = "layer,target,r,p,p_corrected,significant,nc_lower,nc_upper,subjects\n";
  for (const auto& r : result.rows) {
    text += csv_field(r.layer) + "," + csv_field(r.target) + "," + csv_number(r.r) + "," +
            csv_number(r.p) + "," + csv_number(r.p_corrected) + "," + (r.significant ? "1" : "0") +
            "," + csv_number(r.nc_lower) + "," + csv_number(r.nc_upper) + "," +
            std::to_string(r.subjects) + "\n";
  }
  write_text_file_atomic(opt.out_dir / "rsa.csv", text);

  bool categorised = !labels.empty();
  for (const auto& l : labels) categorised = categorised && !category_of(l).empty();
  if (categorised) {
    std::string st = "image,category\n";
    for (const auto& l : labels) st += csv_field(l) + "," + csv_field(category_of(l)) + "\n";
    write_text_file_atomic(opt.out_dir / "stimuli.csv", st);
  }

  Json manifest = Json::object();
  manifest.set("pipeline", "rsa");
  for (const char* key : {"repscope_version", "model", "naming", "weights", "weights_sha256",
                          "random_init_seed", "note", "preset", "input_size", "pool"}) {
    if (const Json* v = extracted.manifest.find(key)) manifest.set(key, *v);
  }
  manifest.set("images", static_cast<std::int64_t>(labels.size()));
  manifest.set("image_order", "RDM rows follow the sorted image list (stimuli.csv when present)");
  manifest.set("rdm_metric", std::string(stats::rdm_metric_name(opt.metric)));
  manifest.set("compare_method", std::string(stats::compare_method_name(opt.method)));
  manifest.set("permutations", opt.n_perm);
  manifest.set("seed", static_cast<std::int64_t>(opt.seed));
  manifest.set("correction",
               std::string(stats::correction_name(opt.correction)) + " across layers, per target");
  manifest.set("alpha", opt.alpha);
  Json tj = Json::array();
  for (std::size_t j = 0; j < targets.size(); ++j) {
    Json e = Json::object();
    e.set("name", targets[j].name);
    e.set("file", fs::absolute(opt.targets[j]).string());
    e.set("kind", targets[j].kind);
    e.set("rdms", static_cast<std::int64_t>(targets[j].rdms.size()));
    tj.push_back(e);
  }
  manifest.set("targets", tj);
  Json layers = Json::array();
  for (const auto& l : extracted.layers) layers.push_back(l.name);
  manifest.set("layers", layers);
  manifest.set("skipped_images", extracted.manifest.at("skipped_images"));
  if (!mds_notes.empty()) {
    Json notes = Json::array();
    for (const auto& m : mds_notes) notes.push_back(m);
    manifest.set("mds_skipped", notes);
  }
  write_json_file(opt.out_dir / "manifest.json", manifest);

  if (!opt.keep_activations) {
    std::error_code ec;
    fs::remove_all(opt.out_dir / "activations", ec);
  }
  if (opt.report) {
    report::RunReportOptions ro;
    ro.title = "repscope rsa: " + extracted.manifest.at("model").as_string() +
               (opt.source.weights ? "" : " (random init: untrained)");
    result.report = opt.out_dir / "report.html";
    report::write_run_report({opt.out_dir}, result.report, ro);
  }
  return result;
}

}  // namespace repscope::pipeline
