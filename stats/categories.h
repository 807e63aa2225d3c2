// Stimulus categories and the domains they belong to: the built-in fLoc map, the Lu & Wang (2025)
// design, and user maps from a CSV file.
//
// A category is what a stimulus is labelled with (an fLoc folder such as "adult"); a domain is
// what selectivity is tested for ("faces" = adult + child). Domains marked as controls (fLoc's
// scrambled images) are part of the "other" images every target is compared with, but are not
// targets themselves.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace repscope::stats {

struct Domain {
  std::string name;
  bool target = true;  // false: a control domain (compared against, never tested)
};

class DomainMap {
 public:
  // fLoc (Stigliani et al. 2015): faces = adult + child, bodies = body + limb,
  // places = corridor + house, characters = word + number, objects = car + instrument;
  // scrambled = scrambled (control).
  static DomainMap floc();
  // Lu & Wang (2025): faces, bodies, scenes, words as targets; scrambled_scenes and
  // scrambled_words as controls. Each category is its own domain (folder names as listed).
  static DomainMap lu_wang_2025();
  // Every category is its own target domain (categories given in order).
  static DomainMap identity(const std::vector<std::string>& categories);
  // A CSV file with header "category,domain[,role]"; role is "target" (default) or "control".
  // Domains are ordered by first appearance. Throws Error naming the file and line.
  static DomainMap read_csv(const std::filesystem::path& path);
  // "floc", "lu-wang-2025", or a CSV path.
  static DomainMap named_or_file(const std::string& spec);

  // Adds a category → domain mapping, creating the domain when new.
  void add(const std::string& category, const std::string& domain, bool target = true);

  const std::vector<Domain>& domains() const { return domains_; }
  int num_domains() const { return static_cast<int>(domains_.size()); }
  // Index of the domain `category` maps to, or −1 when the category is not mapped.
  int domain_of(std::string_view category) const;
  int domain_index(std::string_view domain) const;  // −1 when unknown
  const std::map<std::string, int, std::less<>>& categories() const { return category_domain_; }

  // Domain index per image from category labels; unmapped categories throw Error naming the
  // label (or give −1, excluded from every test, when `allow_unmapped`).
  std::vector<int> image_domains(const std::vector<std::string>& labels,
                                 bool allow_unmapped = false) const;

 private:
  std::vector<Domain> domains_;
  std::map<std::string, int, std::less<>> category_domain_;
};

}  // namespace repscope::stats
