#include "stats/categories.h"

#include <fstream>
#include <sstream>

#include "nn/error.h"

namespace repscope::stats {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ',');) fields.push_back(trim(f));
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

}  // namespace

void DomainMap::add(const std::string& category, const std::string& domain, bool target) {
  check(!category.empty() && !domain.empty(), "domain map: empty category or domain name");
  int d = domain_index(domain);
  if (d < 0) {
    d = num_domains();
    domains_.push_back({domain, target});
  } else {
    check(domains_[static_cast<std::size_t>(d)].target == target, "domain map: domain '", domain,
          "' is given both as a target and as a control");
  }
  const auto [it, inserted] = category_domain_.emplace(category, d);
  check(inserted || it->second == d, "domain map: category '", category,
        "' is mapped to two domains");
}

DomainMap DomainMap::floc() {
  DomainMap m;
  m.add("adult", "faces");
  m.add("child", "faces");
  m.add("body", "bodies");
  m.add("limb", "bodies");
  m.add("corridor", "places");
  m.add("house", "places");
  m.add("word", "characters");
  m.add("number", "characters");
  m.add("car", "objects");
  m.add("instrument", "objects");
  m.add("scrambled", "scrambled", false);
  return m;
}

DomainMap DomainMap::lu_wang_2025() {
  DomainMap m;
  for (const char* d : {"faces", "bodies", "scenes", "words"}) m.add(d, d);
  for (const char* d : {"scrambled_scenes", "scrambled_words"}) m.add(d, d, false);
  return m;
}

DomainMap DomainMap::identity(const std::vector<std::string>& categories) {
  DomainMap m;
  for (const auto& c : categories)
    if (m.domain_of(c) < 0) m.add(c, c);
  return m;
}

DomainMap DomainMap::read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  check(static_cast<bool>(in), "domain map ", path.string(), ": cannot open");
  std::string line;
  check(static_cast<bool>(std::getline(in, line)), "domain map ", path.string(), ": empty file");
  const auto header = split_csv_line(line);
  check(header.size() >= 2 && header[0] == "category" && header[1] == "domain" &&
            (header.size() == 2 || (header.size() == 3 && header[2] == "role")),
        "domain map ", path.string(),
        ": header must be 'category,domain' or 'category,domain,role'");
  DomainMap m;
  for (int line_no = 2; std::getline(in, line); ++line_no) {
    if (trim(line).empty()) continue;
    const auto f = split_csv_line(line);
    check(f.size() == header.size(), "domain map ", path.string(), " line ", line_no, ": expected ",
          header.size(), " fields, got ", f.size());
    bool target = true;
    if (f.size() == 3) {
      check(f[2] == "target" || f[2] == "control", "domain map ", path.string(), " line ", line_no,
            ": role must be 'target' or 'control', got '", f[2], "'");
      target = f[2] == "target";
    }
    try {
      m.add(f[0], f[1], target);
    } catch (const Error& e) {
      fail(path.string(), " line ", line_no, ": ", e.what());
    }
  }
  check(m.num_domains() > 0, "domain map ", path.string(), ": no categories");
  return m;
}

DomainMap DomainMap::named_or_file(const std::string& spec) {
  if (spec == "floc") return floc();
  if (spec == "lu-wang-2025") return lu_wang_2025();
  check(std::filesystem::exists(spec), "domain map '", spec,
        "' is neither a built-in map (floc, lu-wang-2025) nor an existing CSV file");
  return read_csv(spec);
}

int DomainMap::domain_of(std::string_view category) const {
  const auto it = category_domain_.find(category);
  return it == category_domain_.end() ? -1 : it->second;
}

int DomainMap::domain_index(std::string_view domain) const {
  for (std::size_t i = 0; i < domains_.size(); ++i)
    if (domains_[i].name == domain) return static_cast<int>(i);
  return -1;
}

std::vector<int> DomainMap::image_domains(const std::vector<std::string>& labels,
                                          bool allow_unmapped) const {
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out[i] = domain_of(labels[i]);
    check(out[i] >= 0 || allow_unmapped, "image ", i, ": category '", labels[i],
          "' is not in the domain map");
  }
  return out;
}

}  // namespace repscope::stats
