// REPSCOPE_CHECK: message arguments are evaluated only on failure; the message matches check().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nn/error.h"

namespace repscope {
namespace {

int g_evaluations = 0;

std::string counted(const std::string& s) {
  ++g_evaluations;
  return s;
}

TEST(RepscopeCheck, PassingConditionEvaluatesNoMessageArgument) {
  g_evaluations = 0;
  REPSCOPE_CHECK(1 + 1 == 2, "never built: ", counted("a"), counted("b"));
  EXPECT_EQ(g_evaluations, 0);
  // An argument valid only on failure (front() of an empty vector) is safe when cond holds.
  const std::vector<int> empty;
  REPSCOPE_CHECK(empty.empty(), "first is ", empty.front());
}

TEST(RepscopeCheck, FailingConditionThrowsTheSameMessageAsCheck) {
  g_evaluations = 0;
  std::string from_macro, from_function;
  try {
    REPSCOPE_CHECK(2 < 1, "tensor '", counted("x"), "' has ", 3, " dims");
  } catch (const Error& e) {
    from_macro = e.what();
  }
  try {
    check(2 < 1, "tensor '", counted("x"), "' has ", 3, " dims");
  } catch (const Error& e) {
    from_function = e.what();
  }
  EXPECT_EQ(from_macro, "tensor 'x' has 3 dims");
  EXPECT_EQ(from_macro, from_function);
  EXPECT_EQ(g_evaluations, 2);
}

TEST(RepscopeCheck, IsOneStatement) {
  // do/while(0): safe as the body of an unbraced if/else.
  bool reached_else = false;
  if (false)
    REPSCOPE_CHECK(false, "not reached");
  else
    reached_else = true;
  EXPECT_TRUE(reached_else);
}

}  // namespace
}  // namespace repscope
