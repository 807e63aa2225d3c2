#include "tools/pipeline/stimuli.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "io/file_util.h"
#include "nn/error.h"

namespace fs = std::filesystem;

namespace repscope::pipeline {
namespace {

bool all_mapped(const stats::DomainMap& map, const std::vector<std::string>& folders) {
  return std::all_of(folders.begin(), folders.end(),
                     [&](const std::string& f) { return map.domain_of(f) >= 0; });
}

stats::DomainMap folders_map(const std::vector<std::string>& folders) {
  stats::DomainMap m;
  for (const auto& f : folders) m.add(f, f, f.rfind("scrambled", 0) != 0);
  return m;
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

}  // namespace

StimulusSet scan_stimulus_folders(const fs::path& dir, const std::string& domains, int min_images) {
  check(fs::is_directory(dir), "--stimuli ", dir.string(), ": no such directory");
  StimulusSet set;
  set.images = list_images(dir, "--stimuli");
  std::map<std::string, int> counts;
  std::vector<std::string> loose;
  for (const auto& label : set.images.labels) {
    const auto slash = label.find('/');
    if (slash == std::string::npos) {
      loose.push_back(label);
      set.categories.emplace_back();
      continue;
    }
    set.categories.push_back(label.substr(0, slash));
    counts[set.categories.back()] += 1;
  }
  if (!loose.empty()) {  // not check(): its message arguments are evaluated eagerly
    fail("--stimuli ", dir.string(), ": images must sit in one folder per category, but ",
         loose.size(), " lie directly in it (e.g. ", loose.front(), ")");
  }
  for (const auto& [folder, n] : counts) set.folders.push_back(folder);

  std::vector<std::string> small;
  for (const auto& [folder, n] : counts) {
    if (n < min_images) small.push_back(folder + " (" + std::to_string(n) + ")");
  }
  check(small.empty(), "--stimuli ", dir.string(), ": every category needs at least ", min_images,
        " images; too few in: ", join(small));

  stats::DomainMap base;
  if (domains == "auto") {
    if (all_mapped(stats::DomainMap::floc(), set.folders)) {
      base = stats::DomainMap::floc();
      set.design = "floc";
    } else if (all_mapped(stats::DomainMap::lu_wang_2025(), set.folders)) {
      base = stats::DomainMap::lu_wang_2025();
      set.design = "lu-wang-2025";
    } else {
      base = folders_map(set.folders);
      set.design = "folders";
    }
  } else if (domains == "folders") {
    base = folders_map(set.folders);
    set.design = "folders";
  } else {
    base = stats::DomainMap::named_or_file(domains);
    set.design = domains;
  }
  std::vector<std::string> unmapped;
  for (const auto& f : set.folders) {
    if (base.domain_of(f) < 0) unmapped.push_back(f);
  }
  check(unmapped.empty(), "--stimuli ", dir.string(), ": folders not in the '", set.design,
        "' domain map: ", join(unmapped), " (use --domains folders or a CSV map)");

  // Keep only the domains that have images, in the map's order.
  for (int d = 0; d < base.num_domains(); ++d) {
    for (const auto& f : set.folders) {
      if (base.domain_of(f) == d) {
        const auto& dom = base.domains()[static_cast<std::size_t>(d)];
        set.domains.add(f, dom.name, dom.target);
      }
    }
  }
  int targets = 0;
  for (const auto& d : set.domains.domains()) targets += d.target ? 1 : 0;
  check(set.domains.num_domains() >= 2 && targets >= 1, "--stimuli ", dir.string(),
        ": need at least two domains, one of them a target; found ", set.domains.num_domains(),
        " domain(s) with ", targets, " target(s)");
  return set;
}

std::vector<int> kept_domains(const StimulusSet& set, const std::vector<std::size_t>& kept) {
  std::vector<int> out;
  out.reserve(kept.size());
  for (auto k : kept) out.push_back(set.domains.domain_of(set.categories[k]));
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void write_stimuli_csv(const fs::path& path, const StimulusSet& set,
                       const std::vector<std::size_t>& kept) {
  std::string text = "image,category,domain\n";
  for (auto k : kept) {
    const int d = set.domains.domain_of(set.categories[k]);
    text += csv_field(set.images.labels[k]) + "," + csv_field(set.categories[k]) + "," +
            csv_field(set.domains.domains()[static_cast<std::size_t>(d)].name) + "\n";
  }
  write_text_file_atomic(path, text);
}

}  // namespace repscope::pipeline
