// The one error type of repscope. Every failure a user can cause (a bad file, a wrong shape,
// a bad argument) throws repscope::Error with a message that names the file, tensor or argument.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace repscope {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// str("tensor '", name, "' has ", n, " elements"): streams every argument into one string.
// (GCC 12 has no <format>; this keeps messages readable without another dependency.)
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// fail("file ", path, ": truncated"): throws Error with the concatenated message.
// Cold and out of line: a failure branch in a hot function costs a call, not the message code.
template <typename... Args>
[[noreturn, gnu::cold, gnu::noinline]] void fail(const Args&... args) {
  throw Error(str(args...));
}

// check(cond, "...", ...): throws Error when cond is false. For user-facing validation.
// The message arguments are evaluated even when cond holds: never pass one that is only valid
// on failure (v.front() of a possibly empty v), and avoid ones that do work (shape_str(...),
// string building) on paths run per op or per element; use REPSCOPE_CHECK there.
template <typename... Args>
void check(bool condition, const Args&... args) {
  if (!condition) throw Error(str(args...));
}

}  // namespace repscope

// REPSCOPE_CHECK(cond, "...", ...): check() whose message arguments are evaluated only when cond
// is false, so `REPSCOPE_CHECK(t.ndim() == 4, "x has shape ", shape_str(t.shape()))` costs one
// comparison when it passes, and an argument valid only on failure (v.front()) is safe. A macro
// because a function's arguments are always evaluated before the call. (__builtin_expect, not
// [[unlikely]]: nvcc compiles the CUDA sources as C++17.) Use it on hot paths
// (nn/ops/ops.cpp, tensor accessors); check() stays fine elsewhere.
#define REPSCOPE_CHECK(cond, ...)                                    \
  do {                                                               \
    if (__builtin_expect(!(cond), 0)) ::repscope::fail(__VA_ARGS__); \
  } while (0)
