// Paths and helpers every test shares: the Python reference environment, the fLoc images,
// a scratch directory, and running the CLI or a Python script.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace repscope::test {

std::filesystem::path source_dir();
std::filesystem::path floc_dir();
// A fresh empty directory under the build tree's test-work/, named after the current test.
std::filesystem::path scratch_dir();
// The reference Python, or empty when scripts/setup-python.sh has not been run.
std::string python();
// Skips the current test (GTEST_SKIP) when the Python reference environment is missing, unless
// REPSCOPE_REQUIRE_PYTHON=1 (set by CI), where a missing environment fails the test instead.
#define REPSCOPE_REQUIRE_PYTHON_OR_SKIP()                                          \
  do {                                                                              \
    if (::repscope::test::python().empty()) {                                       \
      if (::repscope::test::python_required()) FAIL() << "reference Python missing"; \
      GTEST_SKIP() << "reference Python missing: run scripts/setup-python.sh";     \
    }                                                                               \
  } while (0)
bool python_required();

struct CommandResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line, capturing its output.
CommandResult run_command(const std::string& command_line);
// Runs `python tests/python/<script> args...` with the reference Python.
CommandResult run_python(const std::string& script, const std::string& args);
// Runs the repscope CLI with the given argument string.
CommandResult run_cli(const std::string& args);
std::string quote(const std::string& s);

// The non-empty lines of a text file (tap lists written by the reference scripts).
std::vector<std::string> read_lines(const std::filesystem::path& path);
// A whitespace-separated table of numbers, one row per line ("nan"/"inf" allowed).
std::vector<std::vector<double>> read_number_rows(const std::filesystem::path& path);

}  // namespace repscope::test
