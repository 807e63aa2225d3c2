// Folder-per-category stimulus sets (`--stimuli DIR`: DIR/<category>/<images>), checked before
// any work starts, and the domains their categories are tested as.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "stats/categories.h"
#include "tools/pipeline/extract.h"

namespace repscope::pipeline {

struct StimulusSet {
  ImageList images;                     // sorted by relative path ("<category>/<file>")
  std::vector<std::string> categories;  // per image: its category folder
  std::vector<std::string> folders;     // the category folders, sorted
  stats::DomainMap domains;             // restricted to the domains that have images
  std::string design;                   // "floc", "lu-wang-2025", "folders" or the CSV path
};

// Scans `dir`: every sub-folder holding images is a category (images deeper inside it count
// for it). `domains` picks how categories become domains:
//   auto          fLoc's map when every folder is an fLoc folder (adult, child, ... scrambled),
//                 the Lu & Wang (2025) design when every folder is one of its six, otherwise
//                 each folder is its own domain, and folders named scrambled* are controls;
//   floc, lu-wang-2025, folders, or a CSV file (category,domain[,role]).
// Throws Error, naming every offending folder at once, when `dir` is missing, images lie
// directly in `dir`, a folder has fewer than `min_images` images, a folder is not in the chosen
// map, or fewer than two domains (one of them a target) remain.
StimulusSet scan_stimulus_folders(const std::filesystem::path& dir, const std::string& domains,
                                  int min_images = 3);

// Domain index per image of `kept` (indices into set.images).
std::vector<int> kept_domains(const StimulusSet& set, const std::vector<std::size_t>& kept);

// stimuli.csv: image, category, domain per kept image (the report's RDM block labels).
void write_stimuli_csv(const std::filesystem::path& path, const StimulusSet& set,
                       const std::vector<std::size_t>& kept);

// CSV field quoting (RFC 4180) for the tables the pipelines write.
std::string csv_field(const std::string& s);
// Shortest round-trip formatting of a double; NaN as "nan".
std::string csv_number(double v);

}  // namespace repscope::pipeline
