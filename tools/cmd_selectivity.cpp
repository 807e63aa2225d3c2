// repscope selectivity: per-unit category selectivity of stored activations (one NPY, or every
// layer of a `repscope extract` directory), with layer summaries (stats/selectivity_tables.h).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "io/file_util.h"
#include "io/json.h"
#include "io/npy.h"
#include "io/report/csv_table.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "stats/categories.h"
#include "stats/selectivity_tables.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/pipeline/extract.h"
#include "tools/pipeline/localizer.h"
#include "tools/progress.h"

namespace fs = std::filesystem;

namespace repscope::cli {
namespace {

constexpr int kMinImagesPerCategory = 3;

struct LayerFile {
  std::string name;
  fs::path file;
};

// The layers of --acts: the one file, or a directory's layers in the order of its
// manifest.json (extract's execution order), else every *.npy sorted by name.
std::vector<LayerFile> find_layers(const fs::path& acts) {
  std::vector<LayerFile> layers;
  if (!fs::is_directory(acts)) {
    check(fs::is_regular_file(acts), "--acts ", acts.string(), ": no such file or directory");
    layers.push_back({acts.stem().string(), acts});
    return layers;
  }
  const fs::path manifest = acts / "manifest.json";
  if (fs::is_regular_file(manifest)) {
    const Json m = read_json_file(manifest);
    if (const Json* list = m.find("layers"); list != nullptr && list->is_array()) {
      for (const auto& entry : list->elements()) {
        check(entry.is_object() && entry.contains("name"), manifest.string(),
              ": 'layers' entries must be objects with a 'name'");
        const std::string name = entry.at("name").as_string();
        const fs::path file = acts / (entry.contains("file") ? entry.at("file").as_string()
                                                             : pipeline::layer_file_name(name));
        check(fs::is_regular_file(file), "--acts ", acts.string(), ": layer '", name,
              "' listed in manifest.json has no file ", file.filename().string());
        layers.push_back({name, file});
      }
      check(!layers.empty(), manifest.string(), ": lists no layers");
      return layers;
    }
  }
  for (const auto& e : fs::directory_iterator(acts)) {
    if (e.is_regular_file() && e.path().extension() == ".npy")
      layers.push_back({e.path().stem().string(), e.path()});
  }
  std::sort(layers.begin(), layers.end(),
            [](const LayerFile& a, const LayerFile& b) { return a.file < b.file; });
  check(!layers.empty(), "--acts ", acts.string(), ": no .npy files in the directory");
  return layers;
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::vector<std::string> lines;
  std::string text = read_text_file(path), line;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// The category of every activation row from a labels CSV: column `category` (or `label`), one
// row per activation row; with an `image` column and the extract's images.txt, matched by image.
std::vector<std::string> labels_from_csv(const fs::path& path,
                                         const std::optional<std::vector<std::string>>& order) {
  const auto table = report::CsvTable::read(path);
  const bool has_category = table.has_column("category");
  check(has_category || table.has_column("label"), "--labels ", path.string(),
        ": needs a 'category' (or 'label') column; header is ", [&] {
          std::string h;
          for (const auto& c : table.header()) h += (h.empty() ? "" : ",") + c;
          return h;
        }());
  const std::size_t col = table.column(has_category ? "category" : "label");
  std::vector<std::string> labels;
  for (std::size_t r = 0; r < table.rows(); ++r) labels.push_back(table.text(r, col));
  if (!order || !table.has_column("image")) return labels;
  std::map<std::string, std::string> by_image;
  const std::size_t img = table.column("image");
  for (std::size_t r = 0; r < table.rows(); ++r) by_image[table.text(r, img)] = labels[r];
  std::vector<std::string> out;
  for (std::size_t i = 0; i < order->size(); ++i) {
    const auto it = by_image.find((*order)[i]);
    check(it != by_image.end(), "--labels ", path.string(), ": image '", (*order)[i],
          "' (images.txt line ", i + 1, ") is not in its 'image' column");
    out.push_back(it->second);
  }
  return out;
}

// The category of every activation row from a folder-per-category stimulus directory: in the
// extract's images.txt order when given (each line matched to an image under DIR, exactly or by
// its trailing path), else in sorted order.
std::vector<std::string> labels_from_stimuli(const fs::path& dir,
                                             const std::optional<std::vector<std::string>>& order) {
  check(fs::is_directory(dir), "--stimuli ", dir.string(), ": no such directory");
  const pipeline::ImageList images = pipeline::list_images(dir, "--stimuli");
  std::map<std::string, std::string, std::less<>> category_of;
  std::vector<std::string> sorted_categories;
  for (const auto& label : images.labels) {
    const auto slash = label.find('/');
    check(slash != std::string::npos, "--stimuli ", dir.string(),
          ": images must sit in one folder per category, but ", label, " lies directly in it");
    category_of[label] = label.substr(0, slash);
    sorted_categories.push_back(label.substr(0, slash));
  }
  if (!order) return sorted_categories;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < order->size(); ++i) {
    const std::string& line = (*order)[i];
    auto it = category_of.find(line);
    for (std::size_t pos = line.find('/'); it == category_of.end() && pos != std::string::npos;
         pos = line.find('/', pos + 1)) {
      it = category_of.find(std::string_view(line).substr(pos + 1));
    }
    check(it != category_of.end(), "images.txt line ", i + 1, " '", line,
          "' is not an image under --stimuli ", dir.string());
    out.push_back(it->second);
  }
  return out;
}

// auto: fLoc's map when every category is an fLoc folder, Lu & Wang's design when every one is
// one of its six, otherwise each category its own domain with scrambled* as controls.
stats::DomainMap domain_map(const std::string& spec, const std::vector<std::string>& categories,
                            std::string& design) {
  auto covers = [&](const stats::DomainMap& m) {
    return std::all_of(categories.begin(), categories.end(),
                       [&](const std::string& c) { return m.domain_of(c) >= 0; });
  };
  design = spec;
  if (spec == "identity") return stats::DomainMap::identity(categories);
  if (spec == "auto" || spec == "folders") {
    if (spec == "auto" && covers(stats::DomainMap::floc())) {
      design = "floc";
      return stats::DomainMap::floc();
    }
    if (spec == "auto" && covers(stats::DomainMap::lu_wang_2025())) {
      design = "lu-wang-2025";
      return stats::DomainMap::lu_wang_2025();
    }
    design = "folders";
    stats::DomainMap m;
    for (const auto& c : categories) m.add(c, c, c.rfind("scrambled", 0) != 0);
    return m;
  }
  return stats::DomainMap::named_or_file(spec);
}

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

int run_selectivity(const std::vector<std::string>& argv) {
  Args args(
      "selectivity",
      "--acts DIR|FILE.npy (--labels labels.csv | --stimuli DIR) --out DIR [options]",
      "Tests every unit of every layer for category selectivity: for each target domain a\n"
      "two-sample t-test against each other domain (each: a conjunction, Prince et al. 2024) or\n"
      "against all other images (pooled), corrected over units; d', SI, CSI per unit.\n"
      "--acts is one NPY [N, ...] or a `repscope extract` directory (its layers in manifest\n"
      "order; rows in its images.txt order). Categories come from --labels (CSV with a\n"
      "'category' column, one row per image, or matched by an 'image' column to images.txt) or\n"
      "from --stimuli (folder per category; order = images.txt, else sorted paths).\n"
      "Writes DIR/selectivity_summary.csv (per layer and category: proportion selective,\n"
      "exclusivity, d'/CSI/SI distribution, spread over channels), DIR/selectivity_layers.csv,\n"
      "DIR/selectivity_consistency.csv (Jaccard overlap of selective channels and response-\n"
      "profile correlation between layers), DIR/<layer>/{t,p,q,dprime,si,csi,selective,mean}.npy\n"
      "([units, targets]; targets.txt names the columns) and DIR/manifest.json. Formulas:\n"
      "docs/selectivity.md.",
      "repscope selectivity --acts ext-r50/ --stimuli floc/ --out sel-r50/\n"
      "  repscope selectivity --acts layer4.npy --labels labels.csv --criterion pooled "
      "--unit channel --out sel/");
  args.option("acts", "DIR|FILE.npy", "activations: an extract directory or one NPY [N, ...]")
      .option("labels", "CSV", "category per image: column 'category' (optional 'image')")
      .option("stimuli", "DIR", "folder-per-category stimulus set the activations came from")
      .option("domains", "MAP",
              "category -> domain: auto, floc, lu-wang-2025, identity, folders, or a CSV "
              "(category,domain[,role])",
              "auto")
      .option("criterion", "C", "each (vs every other domain: conjunction) or pooled (vs rest)",
              "each")
      .option("correction", "M", "over units: fdr_by, fdr_bh, bonferroni, holm, none", "fdr_by")
      .option("alpha", "A", "significance level after correction", "0.05")
      .option("alternative", "H", "greater (one-sided), two-sided (scipy's default), less",
              "greater")
      .option("min-dprime", "D", "also require d' >= D (effect-size threshold)")
      .option("unit", "U", "element (of the flattened tensor) or channel (mean over space/tokens)",
              "element")
      .option("consistency", "PAIRS", "layer pairs for selectivity_consistency.csv: all, adjacent",
              "all")
      .flag("welch", "Welch's t instead of Student's")
      .flag("auc", "also compute the AUC per unit (one sort per unit: slower)")
      .flag("no-unit-arrays", "write only the CSV tables, not DIR/<layer>/*.npy")
      .option("out", "DIR", "output folder")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .flag("quiet", "no progress output");
  if (!args.parse(argv)) return 0;
  set_num_threads(static_cast<int>(args.get_int("threads")));

  // Everything is checked before the first layer is analysed.
  const fs::path acts = args.require("acts");
  const fs::path out = args.require("out");
  const auto labels_csv = args.get_optional("labels");
  const auto stimuli = args.get_optional("stimuli");
  check(labels_csv.has_value() != stimuli.has_value(),
        "give exactly one of --labels CSV and --stimuli DIR");
  stats::LayerAnalysisOptions opt;
  opt.selectivity.criterion = stats::parse_criterion(args.get("criterion"));
  opt.selectivity.correction = stats::parse_correction(args.get("correction"));
  opt.selectivity.alpha = args.get_double("alpha");
  check(opt.selectivity.alpha > 0 && opt.selectivity.alpha < 1, "--alpha must be in (0, 1), got ",
        opt.selectivity.alpha);
  opt.selectivity.alternative = stats::parse_alternative(args.get("alternative"));
  opt.selectivity.equal_var = !args.get_flag("welch");
  opt.selectivity.compute_auc = args.get_flag("auc");
  if (args.get_optional("min-dprime")) {
    opt.selectivity.min_dprime = args.get_double("min-dprime");
    check(std::isfinite(opt.selectivity.min_dprime), "--min-dprime must be a finite number");
  }
  const std::string unit = args.get("unit");
  check(unit == "element" || unit == "channel", "--unit: '", unit,
        "' is not one of element, channel");
  opt.channel_units = unit == "channel";
  opt.consistency_pairs = stats::parse_layer_pairs(args.get("consistency"));
  opt.write_unit_arrays = !args.get_flag("no-unit-arrays");

  const std::vector<LayerFile> layers = find_layers(acts);
  std::optional<std::vector<std::string>> order;
  if (fs::is_directory(acts) && fs::is_regular_file(acts / "images.txt"))
    order = read_lines(acts / "images.txt");
  const std::vector<std::string> labels =
      labels_csv ? labels_from_csv(*labels_csv, order) : labels_from_stimuli(*stimuli, order);
  const std::string label_source = labels_csv ? "--labels " + *labels_csv : "--stimuli " + *stimuli;
  std::map<std::string, std::int64_t> counts;
  for (const auto& l : labels) counts[l] += 1;
  std::vector<std::string> small, categories;
  for (const auto& [c, n] : counts) {
    categories.push_back(c);
    if (n < kMinImagesPerCategory) small.push_back(c + " (" + std::to_string(n) + ")");
  }
  check(small.empty(), label_source, ": every category needs at least ", kMinImagesPerCategory,
        " images; too few in: ", joined(small));

  std::string design;
  const stats::DomainMap full = domain_map(args.get("domains"), categories, design);
  std::vector<std::string> unmapped;
  for (const auto& c : categories)
    if (full.domain_of(c) < 0) unmapped.push_back(c);
  check(unmapped.empty(), label_source, ": categories not in the '", design,
        "' domain map: ", joined(unmapped), " (use --domains folders or a CSV map)");
  stats::DomainMap map;  // only the domains that have images, in the map's order
  for (int d = 0; d < full.num_domains(); ++d) {
    for (const auto& c : categories) {
      if (full.domain_of(c) == d) {
        const auto& dom = full.domains()[static_cast<std::size_t>(d)];
        map.add(c, dom.name, dom.target);
      }
    }
  }
  int targets = 0;
  for (const auto& d : map.domains()) targets += d.target ? 1 : 0;
  check(map.num_domains() >= 2 && targets >= 1, label_source,
        ": need at least two domains, one of them a target; found ", map.num_domains(),
        " domain(s) with ", targets, " target(s)");
  const std::vector<int> image_domain = map.image_domains(labels);

  for (const auto& l : layers) {
    const auto header = NpyMappedFile::open(l.file).header();
    check(!header.shape.empty(), l.file.string(), ": a 0-d array has no image rows");
    check(header.dtype == DType::F32 || header.dtype == DType::F64 || header.dtype == DType::F16,
          l.file.string(), ": activations must be float32, float64 or float16, got ",
          dtype_name(header.dtype));
    check(header.shape[0] == static_cast<std::int64_t>(labels.size()), l.file.string(), ": ",
          header.shape[0], " rows (shape ", shape_str(header.shape), ") but ", label_source,
          " gives ", labels.size(), " images", order ? " (in images.txt order)" : "");
  }
  pipeline::check_writable_dir(out);

  stats::SelectivityTables tables(out, opt);
  Progress progress("selectivity", static_cast<std::int64_t>(layers.size()),
                    args.get_flag("quiet"));
  for (const auto& l : layers) {
    tables.add_layer(l.name, map_npy(l.file), image_domain, map);
    progress.advance();
  }
  progress.finish();
  tables.write();

  Json manifest = Json::object();
  manifest.set("command", "selectivity");
  manifest.set("acts", fs::absolute(acts).string());
  if (fs::is_directory(acts) && fs::is_regular_file(acts / "manifest.json")) {
    const Json m = read_json_file(acts / "manifest.json");
    for (const char* key : {"model", "weights", "weights_sha256", "random_init_seed", "note"})
      if (const Json* v = m.find(key)) manifest.set(key, *v);
  }
  manifest.set("labels", labels_csv ? fs::absolute(*labels_csv).string()
                                    : fs::absolute(*stimuli).string() + " (folders)");
  manifest.set("image_order", order ? "images.txt of --acts" : "as listed / sorted paths");
  manifest.set("design", design);
  Json domains = Json::array();
  for (int d = 0; d < map.num_domains(); ++d) {
    const auto& dom = map.domains()[static_cast<std::size_t>(d)];
    Json entry = Json::object();
    entry.set("name", dom.name);
    entry.set("role", dom.target ? "target" : "control");
    Json cats = Json::array();
    for (const auto& [cat, idx] : map.categories())
      if (idx == d) cats.push_back(cat);
    entry.set("categories", cats);
    entry.set("images",
              static_cast<std::int64_t>(std::count(image_domain.begin(), image_domain.end(), d)));
    domains.push_back(entry);
  }
  manifest.set("domains", domains);
  manifest.set("images", static_cast<std::int64_t>(labels.size()));
  pipeline::record_selectivity_settings(manifest, opt.selectivity, opt.channel_units);
  Json names = Json::array();
  for (const auto& l : layers) names.push_back(l.name);
  manifest.set("layers", names);
  write_json_file(out / "manifest.json", manifest);

  std::cout << "selectivity: " << layers.size() << " layer(s), " << labels.size() << " images, "
            << targets << " target domain(s) -> " << (out / "selectivity_summary.csv").string()
            << "\n";
  return 0;
}

}  // namespace
}  // namespace repscope::cli

REPSCOPE_COMMAND(selectivity, "selectivity",
                 "per-unit category selectivity of stored activations, with layer summaries",
                 repscope::cli::run_selectivity);
