#include "tests/support/test_env.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace repscope::test {

std::filesystem::path source_dir() { return REPSCOPE_SOURCE_DIR; }
std::filesystem::path floc_dir() { return REPSCOPE_FLOC_DIR; }

std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "scratch";
  for (char& c : name) if (c == '/') c = '_';
  auto dir = std::filesystem::path(REPSCOPE_TEST_WORK) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string python() {
  if (const char* env = std::getenv("REPSCOPE_PYTHON"); env && *env) return env;
  std::filesystem::path p = REPSCOPE_PYTHON;
  return std::filesystem::exists(p) ? p.string() : std::string();
}

bool python_required() {
  const char* env = std::getenv("REPSCOPE_REQUIRE_PYTHON");
  return env && std::string(env) == "1";
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

CommandResult run_command(const std::string& command_line) {
  CommandResult r;
  FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (!pipe) return {127, "popen failed"};
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

CommandResult run_python(const std::string& script, const std::string& args) {
  return run_command(quote(python()) + " " + quote((source_dir() / "tests/python" / script).string()) + " " + args);
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<std::vector<double>> read_number_rows(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::vector<double> row;
    for (std::string f; fields >> f;) row.push_back(std::strtod(f.c_str(), nullptr));
    rows.push_back(row);
  }
  return rows;
}

CommandResult run_cli(const std::string& args) { return run_command(quote(REPSCOPE_CLI) + " " + args); }

}  // namespace repscope::test
