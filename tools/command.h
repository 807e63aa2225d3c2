// The subcommand table of the `repscope` executable. Each subcommand lives in its own
// cmd_<name>.cpp and registers itself with REPSCOPE_COMMAND; main() dispatches on the name.
#pragma once

#include <string>
#include <vector>

namespace repscope::cli {

using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  std::string name;
  std::string summary;
  CommandFn run;
};

std::vector<Command>& command_table();

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string summary, CommandFn run) {
    command_table().push_back({std::move(name), std::move(summary), run});
  }
};

}  // namespace repscope::cli

#define REPSCOPE_COMMAND(ident, name, summary, fn) \
  static ::repscope::cli::CommandRegistrar repscope_command_##ident(name, summary, fn)
