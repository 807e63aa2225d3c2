// Shared by the RSA tests: the scipy/rsatoolbox reference arrays written by
// tests/python/ref_rsa.py, generated once per build tree and reused by every test process.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/test_env.h"

namespace repscope::test {

// The directory holding the reference arrays; empty (and the test skipped by the caller's
// REPSCOPE_REQUIRE_PYTHON_OR_SKIP) when Python is missing. Regenerated when ref_rsa.py changes.
inline std::filesystem::path rsa_reference_dir() {
  namespace fs = std::filesystem;
  const fs::path script = source_dir() / "tests/python/ref_rsa.py";
  const std::string stamp = std::to_string(fs::file_size(script)) + ":" +
                            std::to_string(fs::last_write_time(script).time_since_epoch().count());
  const fs::path dir = fs::path(REPSCOPE_TEST_WORK) / "rsa-ref";
  const auto read_stamp = [&] {
    std::ifstream in(dir / "stamp");
    std::string s;
    std::getline(in, s);
    return s;
  };
  if (fs::exists(dir / "stamp") && read_stamp() == stamp) return dir;
  // Generate into a private directory, then rename: concurrent test processes never see a
  // half-written reference set.
  const fs::path tmp = fs::path(REPSCOPE_TEST_WORK) / ("rsa-ref.tmp" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  const CommandResult r = run_python("ref_rsa.py", quote(tmp.string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ofstream(tmp / "stamp") << stamp << "\n";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp);  // another process won the race; its copy is identical
  return dir;
}

inline std::vector<double> read_f64(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing reference " << file;
  std::vector<double> v(
      std::filesystem::exists(file) ? std::filesystem::file_size(file) / sizeof(double) : 0);
  in.read(reinterpret_cast<char*>(v.data()),
          static_cast<std::streamsize>(v.size() * sizeof(double)));
  return v;
}

// Element-wise |a − b| ≤ atol + rtol·|b|, NaN only where the reference is NaN.
inline void expect_close(const std::vector<double>& got, const std::vector<double>& want,
                         double rtol, double atol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << "[" << i << "] = " << got[i] << ", reference NaN";
      continue;
    }
    const double err = std::abs(got[i] - want[i]);
    worst = std::max(worst, err);
    EXPECT_LE(err, atol + rtol * std::abs(want[i]))
        << what << "[" << i << "]: " << got[i] << " vs " << want[i];
  }
  ::testing::Test::RecordProperty(what + "_max_abs_err", std::to_string(worst));
}

}  // namespace repscope::test
