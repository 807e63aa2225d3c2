// repscope: run vision networks and analyse every layer's activations (RSA, category selectivity).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "nn/error.h"
#include "tools/command.h"
#include "tools/version.h"

namespace repscope::cli {

std::vector<Command>& command_table() {
  static std::vector<Command> table;
  return table;
}

namespace {

void print_help() {
  auto cmds = command_table();
  std::sort(cmds.begin(), cmds.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  std::cout << "repscope " << kVersion << " — layer activations of vision networks, and their statistics\n\n"
            << "usage: repscope <command> [options]   (repscope <command> --help for each)\n\ncommands:\n";
  for (const auto& c : cmds) {
    std::printf("  %-14s %s\n", c.name.c_str(), c.summary.c_str());
  }
  std::cout << "\nEvery command writes its outputs under a temporary name and renames them when complete.\n"
               "Errors name the file, tensor or argument at fault and exit with status 1.\n";
}

}  // namespace
}  // namespace repscope::cli

int main(int argc, char** argv) {
  using namespace repscope::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "repscope " << kVersion << "\n";
    return 0;
  }
  const auto& table = command_table();
  auto it = std::find_if(table.begin(), table.end(), [&](const Command& c) { return c.name == args[0]; });
  if (it == table.end()) {
    std::cerr << "repscope: unknown command '" << args[0] << "' (see 'repscope --help')\n";
    return 2;
  }
  try {
    return it->run(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const repscope::Error& e) {
    std::cerr << "repscope " << args[0] << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "repscope " << args[0] << ": internal error: " << e.what() << "\n";
    return 1;
  }
}
