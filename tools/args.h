// A small command-line parser shared by every subcommand: declared options generate the --help
// text, and every parse error names the offending argument.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace repscope::cli {

class Args {
 public:
  // `usage` is the one-line synopsis, `description` a paragraph, `example` one or more commands.
  Args(std::string command, std::string usage, std::string description, std::string example);

  // Declares a value option ("--out FILE"); `def` empty means no default.
  Args& option(const std::string& name, const std::string& metavar, const std::string& help,
               const std::string& def = "");
  // Declares a boolean flag ("--quiet").
  Args& flag(const std::string& name, const std::string& help);
  // Declares the positional arguments' name for the help text ("IMAGE...").
  Args& positionals(const std::string& metavar, const std::string& help);

  // Parses argv (without the program and command names). Returns false when --help was given
  // (help has then been printed). Throws Error on unknown options or missing values.
  bool parse(const std::vector<std::string>& argv);

  bool has(const std::string& name) const;
  std::string get(const std::string& name) const;  // value or default; throws if neither
  std::optional<std::string> get_optional(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  bool get_flag(const std::string& name) const;
  // Throws Error "--name is required" unless the option was given or has a default.
  std::string require(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  std::string help() const;

 private:
  struct Spec {
    std::string metavar, help, def;
    bool is_flag = false;
  };
  std::string command_, usage_, description_, example_, pos_metavar_, pos_help_;
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace repscope::cli
