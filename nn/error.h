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
template <typename... Args>
[[noreturn]] void fail(const Args&... args) {
  throw Error(str(args...));
}

// check(cond, "...", ...): throws Error when cond is false. For user-facing validation.
// The message arguments are evaluated even when cond holds: never pass one that is only valid
// on failure (v.front() of a possibly empty v); write `if (!cond) fail(...)` then.
template <typename... Args>
void check(bool condition, const Args&... args) {
  if (!condition) throw Error(str(args...));
}

}  // namespace repscope
