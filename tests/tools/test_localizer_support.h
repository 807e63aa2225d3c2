// Shared by the pipeline tests: small stimulus folders made of links to the fLoc JPEGs (never
// copies), and whole-file byte comparison.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_env.h"

namespace repscope::test {

// dir/<category>/<category>-<i>.jpg -> fLoc's file, for i = 1..per_category.
inline void make_floc_subset(const std::filesystem::path& dir,
                             const std::vector<std::string>& categories, int per_category) {
  for (const auto& c : categories) {
    std::filesystem::create_directories(dir / c);
    for (int i = 1; i <= per_category; ++i) {
      const std::string name = c + "-" + std::to_string(i) + ".jpg";
      std::filesystem::create_symlink(floc_dir() / c / name, dir / c / name);
    }
  }
}

inline std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Skips the test when the fLoc images are not present.
#define REPSCOPE_REQUIRE_FLOC_OR_SKIP()                                                   \
  do {                                                                                    \
    if (!std::filesystem::exists(::repscope::test::floc_dir() / "adult" / "adult-1.jpg")) \
      GTEST_SKIP() << "fLoc images missing at " << ::repscope::test::floc_dir();          \
  } while (0)

}  // namespace repscope::test
