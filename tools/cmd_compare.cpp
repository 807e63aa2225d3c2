// repscope compare: every RDM against every target RDM, optionally with permutation p-values.
#include <charconv>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "io/file_util.h"
#include "io/npy.h"
#include "nn/error.h"
#include "stats/compare.h"
#include "stats/inference.h"
#include "stats/rdm.h"
#include "tools/args.h"
#include "tools/command.h"

namespace repscope::cli {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// A vector-form (1-D) or square (N × N, upper triangle used) RDM from an NPY file.
std::vector<double> load_rdm(const std::string& path) {
  const Tensor t = read_npy(path).to(DType::F64);
  const double* d = t.data<double>();
  if (t.ndim() == 1) {
    stats::rdm_size_from_length(t.numel());  // validates the length
    return {d, d + t.numel()};
  }
  check(t.ndim() == 2 && t.dim(0) == t.dim(1), "RDM file ", path,
        " must be 1-D (vector form) or N × N, shape is ", shape_str(t.shape()));
  return stats::upper_triangle(std::span<const double>(d, static_cast<std::size_t>(t.numel())),
                               t.dim(0));
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Shortest text that reads back to the same double.
std::string fmt(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

int run_compare(const std::vector<std::string>& argv) {
  Args args(
      "compare",
      "repscope compare --rdms A.npy,B.npy,... --targets T1.npy,... [--method M] [--perm N] --out "
      "table.csv",
      "Compares every RDM with every target RDM (many vs many). RDM files hold float NPY in "
      "vector\n"
      "form (N(N-1)/2 entries, scipy squareform order) or as N × N matrices. NaN entries are "
      "dropped\n"
      "jointly. Methods (rsatoolbox names): corr, spearman, tau-a, tau-b, rho-a, cosine, "
      "cosine_cov,\n"
      "corr_cov. With --perm N each pair gets a stimulus-label permutation test (rows and columns\n"
      "of the target permuted together), p = (1 + #{null >= observed}) / (1 + N). Output: CSV "
      "with\n"
      "columns rdm,target,method,similarity,p_value,n_perm (p_value empty without --perm).",
      "repscope compare --rdms out/rdm_layer3.npy,out/rdm_layer4.npy --targets fmri/ffa.npy "
      "--method spearman --perm 10000 --out rsa.csv");
  args.option("rdms", "A.npy,...", "comma-separated RDM files (e.g. one per layer)")
      .option("targets", "T.npy,...", "comma-separated target RDM files")
      .option("method", "M", "comparison method", "spearman")
      .option("perm", "N", "permutations per pair (0 = none)", "0")
      .option("seed", "S", "random seed of the permutations", "0")
      .option("out", "FILE.csv", "output table (written atomically)");
  if (!args.parse(argv)) return 0;
  const std::vector<std::string> rdm_files = split_list(args.require("rdms"));
  const std::vector<std::string> target_files = split_list(args.require("targets"));
  check(!rdm_files.empty(), "--rdms lists no files");
  check(!target_files.empty(), "--targets lists no files");
  const std::string out = args.require("out");
  const stats::CompareMethod method = stats::parse_compare_method(args.get("method"));
  const std::int64_t n_perm = args.get_int("perm");
  check(n_perm >= 0, "--perm must be >= 0, got ", n_perm);
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed"));

  stats::RdmList rdms, targets;
  for (const auto& f : rdm_files) rdms.push_back(load_rdm(f));
  for (const auto& f : target_files) targets.push_back(load_rdm(f));
  for (std::size_t i = 0; i < rdms.size(); ++i)
    check(rdms[i].size() == targets[0].size(), "--rdms ", rdm_files[i], " has ", rdms[i].size(),
          " entries but --targets ", target_files[0], " has ", targets[0].size(),
          " (different stimulus counts)");
  for (std::size_t j = 0; j < targets.size(); ++j)
    check(targets[j].size() == targets[0].size(), "--targets ", target_files[j], " has ",
          targets[j].size(), " entries but ", target_files[0], " has ", targets[0].size());

  const std::vector<double> sims = stats::compare_many(rdms, targets, method);
  std::string csv = "rdm,target,method,similarity,p_value,n_perm\n";
  for (std::size_t i = 0; i < rdms.size(); ++i)
    for (std::size_t j = 0; j < targets.size(); ++j) {
      std::string p;
      if (n_perm > 0)
        p = fmt(stats::permutation_test(rdms[i], targets[j], method, n_perm, seed).p_value);
      csv += csv_field(std::filesystem::path(rdm_files[i]).stem().string()) + "," +
             csv_field(std::filesystem::path(target_files[j]).stem().string()) + "," +
             std::string(stats::compare_method_name(method)) + "," +
             fmt(sims[i * targets.size() + j]) + "," + p + "," + std::to_string(n_perm) + "\n";
    }
  write_text_file_atomic(out, csv);
  std::cerr << "compare: " << rdms.size() << " × " << targets.size() << " "
            << stats::compare_method_name(method) << " -> " << out << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(compare, "compare", "many-vs-many RDM comparison table with permutation p-values",
                 run_compare);
}  // namespace repscope::cli
