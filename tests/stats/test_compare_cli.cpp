// The `repscope rdm` and `repscope compare` commands end to end: files in, files out, errors;
// compare's --correction (vs the stats library and statsmodels) and --noise-ceiling (vs the stats
// library and rsatoolbox).
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "io/file_util.h"
#include "io/npy.h"
#include "stats/compare.h"
#include "stats/inference.h"
#include "stats/multipletests.h"
#include "stats/rdm.h"
#include "tests/support/test_env.h"

namespace repscope {
namespace {

using test::quote;
using test::run_cli;

Tensor random_acts(std::int64_t n, std::uint64_t seed) {
  Tensor t = Tensor::empty({n, 3, 4}, DType::F32);
  std::uint64_t s = seed;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    t.data<float>()[i] = static_cast<float>(static_cast<double>(s >> 11) * 0x1.0p-53 - 0.5);
  }
  return t;
}

std::vector<double> as_vector(const Tensor& t) {
  return {t.data<double>(), t.data<double>() + t.numel()};
}

TEST(CompareCli, RdmThenCompareMatchesLibrary) {
  const auto dir = test::scratch_dir();
  const Tensor acts = random_acts(8, 1), target_acts = random_acts(8, 2);
  write_npy(dir / "acts.npy", acts);
  write_npy(dir / "target_acts.npy", target_acts);
  for (const char* f : {"acts", "target_acts"}) {
    const auto r =
        run_cli("rdm --acts " + quote((dir / (std::string(f) + ".npy")).string()) +
                " --metric cosine --out " + quote((dir / (std::string(f) + "_rdm.npy")).string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const std::vector<double> rdm = as_vector(read_npy(dir / "acts_rdm.npy"));
  EXPECT_EQ(rdm, stats::compute_rdm(acts, stats::RdmMetric::Cosine));
  const auto r =
      run_cli("compare --rdms " + quote((dir / "acts_rdm.npy").string()) + " --targets " +
              quote((dir / "target_acts_rdm.npy").string()) +
              " --method spearman --perm 99 --seed 5 --out " + quote((dir / "table.csv").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<double> target = as_vector(read_npy(dir / "target_acts_rdm.npy"));
  const stats::PermutationResult expected =
      stats::permutation_test(rdm, target, stats::CompareMethod::Spearman, 99, 5);
  std::ifstream in(dir / "table.csv");
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_EQ(header,
            "rdm,target,method,similarity,p_value,n_perm,p_corrected,correction,noise_lower,"
            "noise_upper,subjects");
  std::stringstream fields(row);
  std::string name, tname, method, sim, p, n;
  std::getline(fields, name, ',');
  std::getline(fields, tname, ',');
  std::getline(fields, method, ',');
  std::getline(fields, sim, ',');
  std::getline(fields, p, ',');
  std::getline(fields, n, ',');
  EXPECT_EQ(name, "acts_rdm");
  EXPECT_EQ(method, "spearman");
  EXPECT_NEAR(std::stod(sim), stats::compare_rdms(rdm, target, stats::CompareMethod::Spearman),
              1e-15);
  EXPECT_EQ(std::stod(p), expected.p_value);
  EXPECT_EQ(n, "99");
}

TEST(CompareCli, ErrorsNameTheArgumentOrFile) {
  const auto dir = test::scratch_dir();
  write_npy(dir / "acts.npy", random_acts(5, 1));
  auto r = run_cli("rdm --acts " + quote((dir / "acts.npy").string()) +
                   " --metric manhattan --out x.npy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("manhattan"), std::string::npos) << r.output;
  r = run_cli("compare --rdms " + quote((dir / "acts.npy").string()) + " --targets " +
              quote((dir / "acts.npy").string()) + " --out " + quote((dir / "t.csv").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("acts.npy"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "t.csv"));
  r = run_cli("rdm --out x.npy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--acts"), std::string::npos) << r.output;
}

// ---- --correction and --noise-ceiling -----------------------------------------------------

namespace fs = std::filesystem;
constexpr std::int64_t kStimuli = 8;

// The rows of a CSV without quoted fields: column name -> text (empty fields kept).
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& path) {
  const auto split = [](const std::string& line) {
    std::vector<std::string> out(1);
    for (char c : line) {
      if (c == ',')
        out.emplace_back();
      else
        out.back().push_back(c);
    }
    return out;
  };
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const auto fields = split(line);
    EXPECT_EQ(fields.size(), header.size()) << line;
    auto& row = rows.emplace_back();
    for (std::size_t k = 0; k < header.size() && k < fields.size(); ++k) row[header[k]] = fields[k];
  }
  return rows;
}

double number(const std::string& s) {
  return s.empty() ? std::numeric_limits<double>::quiet_NaN() : std::stod(s);
}

fs::path write_vector(const fs::path& path, const std::vector<double>& v) {
  Tensor t = Tensor::empty({static_cast<std::int64_t>(v.size())}, DType::F64);
  std::copy(v.begin(), v.end(), t.data<double>());
  write_npy(path, t);
  return path;
}

// `count` layer-like RDMs written as rdm<k>.npy; returns them and the --rdms list.
std::pair<stats::RdmList, std::string> write_rdms(const fs::path& dir, int count) {
  stats::RdmList rdms;
  std::string list;
  for (int k = 0; k < count; ++k) {
    rdms.push_back(stats::compute_rdm(random_acts(kStimuli, 10 + static_cast<std::uint64_t>(k)),
                                      stats::RdmMetric::Cosine));
    list += (k ? "," : "") +
            write_vector(dir / ("rdm" + std::to_string(k) + ".npy"), rdms.back()).string();
  }
  return {rdms, list};
}

// Per-subject RDMs of one noisy ground truth, stored [S, N, N] (square) in subjects.npy.
stats::RdmList write_subjects(const fs::path& path, std::int64_t subjects) {
  const Tensor truth = random_acts(kStimuli, 99);
  stats::RdmList out;
  Tensor stack = Tensor::empty({subjects, kStimuli, kStimuli}, DType::F64);
  for (std::int64_t s = 0; s < subjects; ++s) {
    Tensor acts = random_acts(kStimuli, 200 + static_cast<std::uint64_t>(s));
    for (std::int64_t i = 0; i < acts.numel(); ++i)
      acts.data<float>()[i] = truth.data<float>()[i] + 0.8f * acts.data<float>()[i];
    out.push_back(stats::compute_rdm(acts, stats::RdmMetric::Correlation));
    const auto sq = stats::squareform(out.back());
    std::copy(sq.begin(), sq.end(), stack.data<double>() + s * kStimuli * kStimuli);
  }
  write_npy(path, stack);
  return out;
}

TEST(CompareCli, CorrectionMatchesLibraryAndStatsmodels) {
  const auto dir = test::scratch_dir();
  const auto [rdms, rdm_list] = write_rdms(dir, 5);
  stats::RdmList targets;
  std::string target_list;
  for (int j = 0; j < 2; ++j) {
    targets.push_back(stats::compute_rdm(random_acts(kStimuli, 50 + static_cast<std::uint64_t>(j)),
                                         stats::RdmMetric::Correlation));
    target_list +=
        (j ? "," : "") +
        write_vector(dir / ("target" + std::to_string(j) + ".npy"), targets.back()).string();
  }
  const std::vector<std::string> corrections = {"bonferroni", "holm", "fdr_bh", "fdr_by", "none"};
  for (const auto& c : corrections) {
    const auto r = run_cli("compare --rdms " + quote(rdm_list) + " --targets " +
                           quote(target_list) + " --method corr --perm 39 --seed 3 --correction " +
                           c + " --out " + quote((dir / ("table_" + c + ".csv")).string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // Default (fdr_bh, as `repscope rsa`) when --correction is not given.
  auto r =
      run_cli("compare --rdms " + quote(rdm_list) + " --targets " + quote(target_list) +
              " --method corr --perm 39 --seed 3 --out " + quote((dir / "default.csv").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto default_rows = read_csv(dir / "default.csv");
  const auto bh_rows = read_csv(dir / "table_fdr_bh.csv");
  ASSERT_EQ(default_rows.size(), bh_rows.size());
  for (std::size_t k = 0; k < bh_rows.size(); ++k) EXPECT_EQ(default_rows[k], bh_rows[k]);

  std::map<std::string, std::vector<double>> ours;  // p_corrected per correction, in row order
  for (const auto& c : corrections) {
    const auto rows = read_csv(dir / ("table_" + c + ".csv"));
    ASSERT_EQ(rows.size(), rdms.size() * targets.size());
    for (std::size_t j = 0; j < targets.size(); ++j) {
      std::vector<double> p;
      for (std::size_t i = 0; i < rdms.size(); ++i) {
        const auto& row = rows[i * targets.size() + j];
        EXPECT_EQ(row.at("target"), "target" + std::to_string(j));
        EXPECT_EQ(row.at("correction"), c);
        EXPECT_EQ(row.at("noise_lower"), "");
        EXPECT_EQ(row.at("subjects"), "1");
        p.push_back(number(row.at("p_value")));
        EXPECT_EQ(p.back(),
                  stats::permutation_test(rdms[i], targets[j], stats::CompareMethod::Pearson, 39, 3)
                      .p_value);
      }
      const auto expected = stats::multipletests(p, 0.05, stats::parse_correction(c));
      for (std::size_t i = 0; i < rdms.size(); ++i)
        EXPECT_EQ(number(rows[i * targets.size() + j].at("p_corrected")), expected.p_corrected[i])
            << c << " rdm " << i << " target " << j;
    }
    for (const auto& row : rows) ours[c].push_back(number(row.at("p_corrected")));
  }

  if (test::python().empty()) return;  // the statsmodels half needs the reference venv
  const auto py = test::run_python("ref_compare_cli.py", quote(dir.string()));
  ASSERT_EQ(py.exit_code, 0) << py.output;
  for (const auto& c : corrections) {
    if (c == "none") continue;
    const auto ref = test::read_number_rows(dir / ("statsmodels_" + c + ".txt"));
    ASSERT_EQ(ref.size(), ours[c].size()) << c;
    for (std::size_t k = 0; k < ref.size(); ++k)
      EXPECT_EQ(ours[c][k], ref[k][0]) << c << " row " << k;  // bit-identical to statsmodels
  }
}

TEST(CompareCli, NoiseCeilingMatchesLibraryAndRsatoolbox) {
  const auto dir = test::scratch_dir();
  const auto [rdms, rdm_list] = write_rdms(dir, 3);
  const stats::RdmList subjects = write_subjects(dir / "subjects.npy", 4);
  // The same subjects in vector form, [S, N(N-1)/2].
  const auto pairs = static_cast<std::int64_t>(subjects[0].size());
  Tensor flat = Tensor::empty({4, pairs}, DType::F32);  // float32 files are accepted too
  for (std::int64_t s = 0; s < 4; ++s)
    for (std::int64_t k = 0; k < pairs; ++k)
      flat.data<float>()[s * pairs + k] =
          static_cast<float>(subjects[static_cast<std::size_t>(s)][static_cast<std::size_t>(k)]);
  write_npy(dir / "subjects_vec.npy", flat);
  const fs::path target = write_vector(
      dir / "single.npy", stats::compute_rdm(random_acts(kStimuli, 7), stats::RdmMetric::Cosine));

  const std::vector<std::string> methods = {"spearman", "corr", "cosine", "rho-a", "tau-a"};
  std::ofstream(dir / "ceiling_methods.txt") << "spearman corr cosine rho-a tau-a\n";
  std::map<std::string, stats::NoiseCeiling> ours;
  for (const auto& m : methods) {
    const auto csv = dir / ("nc_" + m + ".csv");
    const auto r =
        run_cli("compare --rdms " + quote(rdm_list) + " --targets " + quote(target.string()) +
                " --noise-ceiling " + quote((dir / "subjects.npy").string()) + " --method " + m +
                " --perm 19 --seed 2 --out " + quote(csv.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto method = stats::parse_compare_method(m);
    const stats::NoiseCeiling nc = stats::noise_ceiling(subjects, method);
    const auto rows = read_csv(csv);
    ASSERT_EQ(rows.size(), rdms.size() * 2);
    std::vector<double> p;
    for (std::size_t i = 0; i < rdms.size(); ++i) {
      const auto& single = rows[2 * i];
      EXPECT_EQ(single.at("target"), "single");
      EXPECT_EQ(single.at("noise_lower"), "");
      EXPECT_EQ(single.at("noise_upper"), "");
      const auto& row = rows[2 * i + 1];
      EXPECT_EQ(row.at("target"), "subjects");
      EXPECT_EQ(row.at("subjects"), "4");
      EXPECT_EQ(number(row.at("noise_lower")), nc.lower) << m;
      EXPECT_EQ(number(row.at("noise_upper")), nc.upper) << m;
      // Scored as `repscope rsa` scores a per-subject target: the mean over subjects, and a
      // permutation of the RDM's stimuli shared by all subjects.
      double sum = 0, observed = 0;
      std::vector<double> null(19, 0.0);
      for (const auto& s : subjects) {
        sum += stats::compare_rdms(rdms[i], s, method);
        const auto perm = stats::permutation_test(s, rdms[i], method, 19, 2);
        observed += perm.observed;
        for (std::size_t k = 0; k < null.size(); ++k) null[k] += perm.null_distribution[k];
      }
      EXPECT_EQ(number(row.at("similarity")), sum / 4.0) << m;
      std::int64_t ge = 0;
      for (double v : null) ge += v / 4.0 >= observed / 4.0 ? 1 : 0;
      p.push_back(number(row.at("p_value")));
      EXPECT_EQ(p.back(), static_cast<double>(1 + ge) / 20.0) << m;
    }
    const auto q = stats::multipletests(p, 0.05, stats::Correction::FdrBH);
    for (std::size_t i = 0; i < rdms.size(); ++i)
      EXPECT_EQ(number(rows[2 * i + 1].at("p_corrected")), q.p_corrected[i]) << m;
    ours[m] = nc;

    // [S, N(N-1)/2] float32 input gives the same ceiling within float32 rounding of the input.
    const auto vec_csv = dir / ("ncvec_" + m + ".csv");
    const auto rv = run_cli("compare --rdms " + quote(rdm_list) + " --noise-ceiling " +
                            quote((dir / "subjects_vec.npy").string()) + " --method " + m +
                            " --out " + quote(vec_csv.string()));
    ASSERT_EQ(rv.exit_code, 0) << rv.output;
    const auto vrows = read_csv(vec_csv);
    ASSERT_EQ(vrows.size(), rdms.size());
    EXPECT_EQ(vrows[0].at("target"), "subjects_vec");
    EXPECT_EQ(vrows[0].at("p_value"), "");
    EXPECT_EQ(vrows[0].at("p_corrected"), "");
    EXPECT_NEAR(number(vrows[0].at("noise_lower")), nc.lower, 1e-5) << m;
    EXPECT_NEAR(number(vrows[0].at("noise_upper")), nc.upper, 1e-5) << m;
  }

  if (test::python().empty()) return;  // the rsatoolbox half needs the reference venv
  const auto py = test::run_python("ref_compare_cli.py", quote(dir.string()));
  ASSERT_EQ(py.exit_code, 0) << py.output;
  for (const auto& m : methods) {
    const auto ref = test::read_number_rows(dir / ("rsatoolbox_nc_" + m + ".txt"));
    ASSERT_EQ(ref.size(), 1u);
    EXPECT_NEAR(ours[m].lower, ref[0][0], 1e-10) << m;
    EXPECT_NEAR(ours[m].upper, ref[0][1], 1e-10) << m;
  }
}

TEST(CompareCli, CorrectionAndNoiseCeilingErrors) {
  const auto dir = test::scratch_dir();
  const auto [rdms, rdm_list] = write_rdms(dir, 2);
  write_subjects(dir / "subjects.npy", 3);
  const auto out = dir / "t.csv";
  const auto expect_error = [&](const std::string& args, const std::vector<std::string>& words) {
    const auto r =
        run_cli("compare --rdms " + quote(rdm_list) + " " + args + " --out " + quote(out.string()));
    EXPECT_EQ(r.exit_code, 1) << args;
    for (const auto& w : words) EXPECT_NE(r.output.find(w), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out)) << args;
  };
  const std::string subjects = quote((dir / "subjects.npy").string());
  // Corrections need permutation p-values; unknown names are named.
  expect_error("--noise-ceiling " + subjects + " --correction holm", {"--correction", "--perm"});
  expect_error("--noise-ceiling " + subjects + " --perm 9 --correction fdr_xx",
               {"--correction", "fdr_xx"});
  // One subject: no noise ceiling.
  Tensor one = Tensor::empty({1, kStimuli * (kStimuli - 1) / 2}, DType::F64);
  std::copy(rdms[0].begin(), rdms[0].end(), one.data<double>());
  write_npy(dir / "one.npy", one);
  expect_error("--noise-ceiling " + quote((dir / "one.npy").string()),
               {"--noise-ceiling", "one.npy", "at least 2 subjects"});
  // A single square RDM is not a stack of subjects.
  Tensor sq = Tensor::empty({kStimuli, kStimuli}, DType::F64);
  const auto square = stats::squareform(rdms[0]);
  std::copy(square.begin(), square.end(), sq.data<double>());
  write_npy(dir / "square.npy", sq);
  expect_error("--noise-ceiling " + quote((dir / "square.npy").string()),
               {"--noise-ceiling", "square.npy", "one square RDM"});
  // Subjects over a different number of stimuli than the RDMs.
  write_subjects(dir / "subjects7.npy", 3);
  Tensor s7 = Tensor::empty({3, 7, 7}, DType::F64);
  const Tensor s8 = read_npy(dir / "subjects7.npy");
  for (std::int64_t s = 0; s < 3; ++s)
    for (std::int64_t i = 0; i < 7; ++i)
      for (std::int64_t j = 0; j < 7; ++j)
        s7.data<double>()[(s * 7 + i) * 7 + j] = s8.data<double>()[(s * 8 + i) * 8 + j];
  write_npy(dir / "subjects7.npy", s7);
  expect_error("--noise-ceiling " + quote((dir / "subjects7.npy").string()),
               {"subjects7.npy", "different stimulus counts"});
  // A non-RDM subject, a vector length that is no RDM, and a name clash with --targets.
  Tensor bad = read_npy(dir / "subjects.npy").to(DType::F64);
  bad.data<double>()[1 * kStimuli * kStimuli + 3] = 5.0;
  write_npy(dir / "bad.npy", bad);
  expect_error("--noise-ceiling " + quote((dir / "bad.npy").string()), {"bad.npy", "subject 1"});
  write_npy(dir / "len.npy", Tensor::empty({3, 27}, DType::F64));
  expect_error("--noise-ceiling " + quote((dir / "len.npy").string()),
               {"--noise-ceiling", "len.npy", "27"});
  fs::create_directories(dir / "other");
  write_vector(dir / "other" / "subjects.npy", rdms[1]);
  expect_error("--targets " + quote((dir / "other" / "subjects.npy").string()) +
                   " --noise-ceiling " + subjects,
               {"same name", "subjects"});
  // --correction none without permutations is fine.
  const auto r = run_cli("compare --rdms " + quote(rdm_list) + " --noise-ceiling " + subjects +
                         " --correction none --out " + quote(out.string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // --help documents both options.
  const auto help = run_cli("compare --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--noise-ceiling"), std::string::npos);
  EXPECT_NE(help.output.find("--correction"), std::string::npos);
}

}  // namespace
}  // namespace repscope
