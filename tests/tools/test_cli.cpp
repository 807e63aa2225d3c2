#include <gtest/gtest.h>

#include "tests/support/test_env.h"

using namespace repscope;

TEST(Cli, HelpListsCommands) {
  auto r = test::run_cli("--help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("usage: repscope <command>"), std::string::npos) << r.output;
}

TEST(Cli, UnknownCommandFails) {
  auto r = test::run_cli("frobnicate");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("frobnicate"), std::string::npos);
}
