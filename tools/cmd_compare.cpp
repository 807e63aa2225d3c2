// repscope compare: every RDM against every target RDM, optionally with permutation p-values
// corrected across the RDMs (per target) and the noise ceiling of a per-subject target.
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>

#include "io/file_util.h"
#include "io/npy.h"
#include "nn/error.h"
#include "stats/compare.h"
#include "stats/inference.h"
#include "stats/multipletests.h"
#include "stats/rdm.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/pipeline/rsa.h"

namespace repscope::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The number of stimuli of a vector-form RDM of `length` entries; the error names the file.
std::int64_t stimuli_of_length(std::int64_t length, const std::string& what) {
  try {
    return stats::rdm_size_from_length(length);
  } catch (const Error& e) {
    fail(what, ": ", e.what());
  }
}

// A vector-form (1-D) or square (N × N, upper triangle used) RDM from an NPY file.
std::vector<double> load_rdm(const std::string& option, const std::string& path) {
  const Tensor t = read_npy(path).to(DType::F64);
  const double* d = t.data<double>();
  if (t.ndim() == 1) {
    stimuli_of_length(t.numel(), "--" + option + " " + path);
    return {d, d + t.numel()};
  }
  check(t.ndim() == 2 && t.dim(0) == t.dim(1), "--", option, " ", path,
        ": an RDM file must be 1-D (vector form) or N × N, shape is ", shape_str(t.shape()));
  return stats::upper_triangle(std::span<const double>(d, static_cast<std::size_t>(t.numel())),
                               t.dim(0));
}

// Per-subject RDMs of one target: [S, N(N-1)/2] (vector form) or [S, N, N] (square), S ≥ 2.
pipeline::Target load_subjects(const std::string& path) {
  const Tensor t = read_npy(path).to(DType::F64);
  const std::string what = "--noise-ceiling " + path;
  const std::string shape = shape_str(t.shape());
  check(t.ndim() == 2 || t.ndim() == 3, what, ": shape ", shape,
        " is not [S, N(N-1)/2] or [S, N, N] per-subject RDMs");
  const std::int64_t s = t.dim(0);
  const double* d = t.data<double>();
  pipeline::Target target;
  target.name = std::filesystem::path(path).stem().string();
  target.kind = "subjects";
  if (t.ndim() == 2) {
    check(!(s == t.dim(1) && s > 1 && stats::is_square_rdm(d, s)), what, ": shape ", shape,
          " is one square RDM, not a stack of per-subject RDMs (the noise ceiling needs "
          "[S, N(N-1)/2] or [S, N, N])");
    stimuli_of_length(t.dim(1), what + " (shape " + shape + ")");
    for (std::int64_t k = 0; k < s; ++k)
      target.rdms.emplace_back(d + k * t.dim(1), d + (k + 1) * t.dim(1));
  } else {
    const std::int64_t n = t.dim(1);
    check(t.dim(2) == n && n >= 2, what, ": shape ", shape, " is not [S, N, N] with N >= 2");
    for (std::int64_t k = 0; k < s; ++k) {
      const double* sub = d + k * n * n;
      check(stats::is_square_rdm(sub, n), what, ": subject ", k,
            " is not a symmetric matrix with a zero diagonal");
      target.rdms.push_back(
          stats::upper_triangle(std::span<const double>(sub, static_cast<std::size_t>(n * n)), n));
    }
  }
  check(s >= 2, what, ": holds ", s,
        " subject RDM; the noise ceiling needs at least 2 subjects (shape ", shape, ")");
  return target;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Shortest text that reads back to the same double; NaN is an empty field (pandas: NaN).
// Integral values keep a ".0" so that pandas types a column of them (p = 1 everywhere after
// Bonferroni) as float64, not int64.
std::string fmt(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

struct Row {
  double similarity = kNaN, p = kNaN, p_corrected = kNaN, nc_lower = kNaN, nc_upper = kNaN;
};

int run_compare(const std::vector<std::string>& argv) {
  Args args(
      "compare",
      "repscope compare --rdms A.npy,B.npy,... (--targets T1.npy,... | --noise-ceiling "
      "SUBJECTS.npy) [--method M] [--perm N] [--correction C] --out table.csv",
      "Compares every RDM with every target RDM (many vs many). RDM files hold float NPY in "
      "vector\n"
      "form (N(N-1)/2 entries, scipy squareform order) or as N × N matrices. NaN entries are "
      "dropped\n"
      "jointly. Methods (rsatoolbox names): corr, spearman, tau-a, tau-b, rho-a, cosine, "
      "cosine_cov,\n"
      "corr_cov. With --perm N each pair gets a stimulus-label permutation test (rows and columns\n"
      "of the target permuted together), p = (1 + #{null >= observed}) / (1 + N), and the "
      "p-values\n"
      "are corrected across the --rdms separately per target (--correction, statsmodels\n"
      "multipletests). --noise-ceiling adds one more target: a stack of per-subject RDMs, "
      "compared\n"
      "as `repscope rsa` does (similarity = mean over subjects, permutation of the RDM's stimuli\n"
      "shared by all subjects) with the rsatoolbox noise ceiling (boot_noise_ceiling) of the\n"
      "subjects. Output: CSV with columns\n"
      "rdm,target,method,similarity,p_value,n_perm,p_corrected,correction,noise_lower,noise_upper,"
      "\nsubjects (empty fields where not applicable; pandas reads them as NaN).",
      "repscope compare --rdms out/rdm_layer3.npy,out/rdm_layer4.npy --targets fmri/ffa.npy "
      "--method spearman --perm 10000 --out rsa.csv\n"
      "repscope compare --rdms out/rdm_layer3.npy,out/rdm_layer4.npy --noise-ceiling "
      "fmri/ffa_subjects.npy --perm 1000 --correction holm --out ceiling.csv");
  args.option("rdms", "A.npy,...", "comma-separated RDM files (e.g. one per layer)")
      .option("targets", "T.npy,...",
              "comma-separated target RDM files (optional with --noise-ceiling)")
      .option("noise-ceiling", "SUBJECTS.npy",
              "per-subject RDMs of one more target, [S, N(N-1)/2] or [S, N, N], S >= 2: adds it "
              "with its noise ceiling (noise_lower, noise_upper)")
      .option("method", "M", "comparison method", "spearman")
      .option("perm", "N", "permutations per pair (0 = none)", "0")
      .option("seed", "S", "random seed of the permutations", "0")
      .option("correction", "C",
              "correction of the permutation p-values across the --rdms, per target: fdr_bh, "
              "fdr_by, bonferroni, holm, none (needs --perm > 0)",
              "fdr_bh")
      .option("out", "FILE.csv", "output table (written atomically)");
  if (!args.parse(argv)) return 0;
  const std::vector<std::string> rdm_files = split_list(args.require("rdms"));
  const auto subjects_file = args.get_optional("noise-ceiling");
  const std::vector<std::string> target_files = subjects_file && !args.has("targets")
                                                    ? std::vector<std::string>{}
                                                    : split_list(args.require("targets"));
  check(!rdm_files.empty(), "--rdms lists no files");
  check(!target_files.empty() || subjects_file, "--targets lists no files");
  const std::string out = args.require("out");
  const stats::CompareMethod method = stats::parse_compare_method(args.get("method"));
  const std::int64_t n_perm = args.get_int("perm");
  check(n_perm >= 0, "--perm must be >= 0, got ", n_perm);
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed"));
  stats::Correction correction{};
  try {
    correction = stats::parse_correction(args.get("correction"));
  } catch (const Error& e) {
    fail("--correction: ", e.what());
  }
  check(n_perm > 0 || !args.has("correction") || correction == stats::Correction::None,
        "--correction ", args.get("correction"),
        " corrects permutation p-values, but there are none: give --perm N (N > 0)");

  stats::RdmList rdms;
  std::vector<pipeline::Target> targets;
  for (const auto& f : rdm_files) rdms.push_back(load_rdm("rdms", f));
  for (const auto& f : target_files) {
    pipeline::Target t;
    t.name = std::filesystem::path(f).stem().string();
    t.kind = "rdm";
    t.rdms.push_back(load_rdm("targets", f));
    targets.push_back(std::move(t));
  }
  std::vector<std::string> target_sources;  // "--targets FILE" / "--noise-ceiling FILE"
  for (const auto& f : target_files) target_sources.push_back("--targets " + f);
  if (subjects_file) {
    targets.push_back(load_subjects(*subjects_file));
    target_sources.push_back("--noise-ceiling " + *subjects_file);
    for (std::size_t j = 0; j + 1 < targets.size(); ++j)
      check(targets[j].name != targets.back().name, "--noise-ceiling ", *subjects_file,
            " and --targets ", target_files[j], " have the same name '", targets.back().name,
            "' (targets are named after the file stem)");
  }
  const std::size_t pairs = targets[0].rdms[0].size();
  for (std::size_t i = 0; i < rdms.size(); ++i)
    check(rdms[i].size() == pairs, "--rdms ", rdm_files[i], " has ", rdms[i].size(),
          " entries but ", target_sources[0], " has ", pairs,
          " per RDM (different stimulus counts)");
  for (std::size_t j = 0; j < targets.size(); ++j)
    check(targets[j].rdms[0].size() == pairs, target_sources[j], " has ", targets[j].rdms[0].size(),
          " entries per RDM but ", target_sources[0], " has ", pairs,
          " (different stimulus counts)");

  const std::size_t n_rdms = rdms.size(), n_targets = targets.size();
  std::vector<Row> rows(n_rdms * n_targets);  // rdm-major
  for (std::size_t j = 0; j < n_targets; ++j) {
    const pipeline::Target& t = targets[j];
    stats::NoiseCeiling nc{kNaN, kNaN};
    if (t.rdms.size() >= 2) nc = stats::noise_ceiling(t.rdms, method);
    for (std::size_t i = 0; i < n_rdms; ++i) {
      Row& row = rows[i * n_targets + j];
      if (t.rdms.size() == 1) {
        row.similarity = stats::compare_rdms(rdms[i], t.rdms[0], method);
        if (n_perm > 0)
          row.p = stats::permutation_test(rdms[i], t.rdms[0], method, n_perm, seed).p_value;
      } else {  // as `repscope rsa` scores a per-subject target
        double sum = 0;
        for (const auto& s : t.rdms) sum += stats::compare_rdms(rdms[i], s, method);
        row.similarity = sum / static_cast<double>(t.rdms.size());
        row.p = pipeline::permutation_p(rdms[i], t, method, n_perm, seed);
      }
      row.nc_lower = nc.lower;
      row.nc_upper = nc.upper;
    }
    if (n_perm > 0) {  // across the RDMs, separately for each target
      std::vector<double> p(n_rdms);
      for (std::size_t i = 0; i < n_rdms; ++i) p[i] = rows[i * n_targets + j].p;
      const auto mt = stats::multipletests(p, 0.05, correction);
      for (std::size_t i = 0; i < n_rdms; ++i)
        rows[i * n_targets + j].p_corrected = mt.p_corrected[i];
    }
  }

  const std::string corr_name = n_perm > 0 ? std::string(stats::correction_name(correction)) : "";
  std::string csv =
      "rdm,target,method,similarity,p_value,n_perm,p_corrected,correction,noise_lower,noise_upper,"
      "subjects\n";
  for (std::size_t i = 0; i < n_rdms; ++i)
    for (std::size_t j = 0; j < n_targets; ++j) {
      const Row& row = rows[i * n_targets + j];
      csv += csv_field(std::filesystem::path(rdm_files[i]).stem().string()) + "," +
             csv_field(targets[j].name) + "," + std::string(stats::compare_method_name(method)) +
             "," + fmt(row.similarity) + "," + fmt(row.p) + "," + std::to_string(n_perm) + "," +
             fmt(row.p_corrected) + "," + corr_name + "," + fmt(row.nc_lower) + "," +
             fmt(row.nc_upper) + "," + std::to_string(targets[j].rdms.size()) + "\n";
    }
  write_text_file_atomic(out, csv);
  std::cerr << "compare: " << n_rdms << " × " << n_targets << " "
            << stats::compare_method_name(method) << " -> " << out << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(compare, "compare", "many-vs-many RDM comparison table with permutation p-values",
                 run_compare);
}  // namespace repscope::cli
