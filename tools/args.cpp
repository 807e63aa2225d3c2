#include "tools/args.h"

#include <charconv>
#include <iostream>
#include <sstream>

#include "nn/error.h"

namespace repscope::cli {

Args::Args(std::string command, std::string usage, std::string description, std::string example)
    : command_(std::move(command)),
      usage_(std::move(usage)),
      description_(std::move(description)),
      example_(std::move(example)) {}

Args& Args::option(const std::string& name, const std::string& metavar, const std::string& help,
                   const std::string& def) {
  specs_[name] = Spec{metavar, help, def, false};
  order_.push_back(name);
  return *this;
}

Args& Args::flag(const std::string& name, const std::string& help) {
  specs_[name] = Spec{"", help, "", true};
  order_.push_back(name);
  return *this;
}

Args& Args::positionals(const std::string& metavar, const std::string& help) {
  pos_metavar_ = metavar;
  pos_help_ = help;
  return *this;
}

bool Args::parse(const std::vector<std::string>& argv) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << help();
      return false;
    }
    if (a.size() > 2 && a.starts_with("--")) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      auto it = specs_.find(name);
      check(it != specs_.end(), command_, ": unknown option --", name, " (see 'repscope ", command_, " --help')");
      if (it->second.is_flag) {
        check(!inline_value, command_, ": --", name, " takes no value");
        values_[name] = "1";
      } else {
        if (!inline_value) {
          check(i + 1 < argv.size(), command_, ": --", name, " needs a value (", it->second.metavar, ")");
          value = argv[++i];
        }
        values_[name] = value;
      }
    } else {
      check(!pos_metavar_.empty() || a == "-", command_, ": unexpected argument '", a, "'");
      positional_.push_back(a);
    }
  }
  return true;
}

bool Args::has(const std::string& name) const { return values_.contains(name); }

std::optional<std::string> Args::get_optional(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (auto it = specs_.find(name); it != specs_.end() && !it->second.def.empty()) return it->second.def;
  return std::nullopt;
}

std::string Args::get(const std::string& name) const {
  auto v = get_optional(name);
  check(v.has_value(), command_, ": --", name, " is required");
  return *v;
}

std::string Args::require(const std::string& name) const { return get(name); }

std::int64_t Args::get_int(const std::string& name) const {
  const std::string v = get(name);
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  check(ec == std::errc() && p == v.data() + v.size(), command_, ": --", name, " expects an integer, got '", v, "'");
  return out;
}

double Args::get_double(const std::string& name) const {
  const std::string v = get(name);
  try {
    std::size_t used = 0;
    double out = std::stod(v, &used);
    if (used == v.size()) return out;
  } catch (const std::exception&) {
  }
  fail(command_, ": --", name, " expects a number, got '", v, "'");
}

bool Args::get_flag(const std::string& name) const { return values_.contains(name); }

std::string Args::help() const {
  std::ostringstream out;
  // Commands give their synopsis with or without the "repscope <command>" prefix.
  const std::string prefix = "repscope " + command_;
  const std::string synopsis = usage_.starts_with(prefix) ? usage_ : prefix + " " + usage_;
  out << "usage: " << synopsis << "\n\n" << description_ << "\n";
  if (!pos_metavar_.empty()) out << "\narguments:\n  " << pos_metavar_ << "\n      " << pos_help_ << "\n";
  if (!order_.empty()) out << "\noptions:\n";
  for (const auto& name : order_) {
    const Spec& s = specs_.at(name);
    out << "  --" << name;
    if (!s.is_flag) out << " " << s.metavar;
    out << "\n      " << s.help;
    if (!s.def.empty()) out << " (default: " << s.def << ")";
    out << "\n";
  }
  out << "  --help\n      Show this help.\n";
  if (!example_.empty()) out << "\nexample:\n  " << example_ << "\n";
  return out.str();
}

}  // namespace repscope::cli
