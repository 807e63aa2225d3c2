#include "tools/distractors/distractors.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <sstream>

#include "io/file_util.h"
#include "io/image_write.h"
#include "io/npy.h"
#include "io/resize.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/distractors/image_files.h"
#include "tools/progress.h"
#include "tools/stimuli/rng.h"

namespace repscope::distractors {
namespace fs = std::filesystem;
using stimuli::hash_string;
using stimuli::Rng;

namespace {

// Embedding rows as float64, checked against the image count.
std::vector<std::vector<double>> read_embeddings(const fs::path& path, std::size_t rows,
                                                 const std::string& what) {
  const Tensor t = read_npy(path);
  check(t.ndim() == 2, what, " '", path.string(),
        "': expected a 2-D array [images, features], got shape ", shape_str(t.shape()));
  check(t.dtype() == DType::F32 || t.dtype() == DType::F64, what, " '", path.string(),
        "': expected float32 or float64, got ", dtype_name(t.dtype()));
  check(static_cast<std::size_t>(t.shape()[0]) == rows, what, " '", path.string(), "' has ",
        t.shape()[0], " rows but the folder has ", rows,
        " images (rows follow the sorted file list)");
  const auto n = static_cast<std::size_t>(t.shape()[0]), d = static_cast<std::size_t>(t.shape()[1]);
  check(d >= 1, what, " '", path.string(), "': rows have no features");
  std::vector<std::vector<double>> out(n, std::vector<double>(d));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      const double v = t.dtype() == DType::F32 ? static_cast<double>(t.data<float>()[i * d + j])
                                               : t.data<double>()[i * d + j];
      check(std::isfinite(v), what, " '", path.string(), "': non-finite value at row ", i);
      out[i][j] = v;
    }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string number(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

void write_image(const fs::path& path, const Image& image) {
  fs::create_directories(path.parent_path());
  write_png(path, image.pixels, image.width, image.height, image.channels);
}

}  // namespace

std::string_view edge_name(Edge edge) {
  switch (edge) {
    case Edge::Top:
      return "top";
    case Edge::Bottom:
      return "bottom";
    case Edge::Left:
      return "left";
    case Edge::Right:
      return "right";
  }
  return "?";
}

std::string_view condition_name(Condition c) {
  switch (c) {
    case Condition::Control:
      return "control";
    case Condition::Salient:
      return "salient";
    case Condition::Semantic:
      return "semantic";
    case Condition::SemanticSalient:
      return "semantic_salient";
  }
  return "?";
}

void validate(const Thresholds& t) {
  check(t.similar_below >= 0 && t.dissimilar_above <= 2 && t.similar_below <= t.dissimilar_above,
        "semantic thresholds: need 0 <= --similar-below <= --dissimilar-above <= 2, got ",
        t.similar_below, " and ", t.dissimilar_above);
  check(t.nonsalient_below >= 0 && t.salient_above <= 2 && t.nonsalient_below <= t.salient_above,
        "saliency thresholds: need 0 <= --nonsalient-below <= --salient-above <= 2, got ",
        t.nonsalient_below, " and ", t.salient_above);
}

bool BaseChoices::complete() const {
  return std::all_of(choices.begin(), choices.end(),
                     [](const Choice& c) { return c.distractor >= 0; });
}

std::array<int, 2> distractor_size(int base_w, int base_h, int w, int h, double area_fraction) {
  check(base_w > 0 && base_h > 0 && w > 0 && h > 0, "distractor_size: empty image");
  check(area_fraction > 0.0 && area_fraction <= 1.0, "--area: must be in (0, 1], got ",
        area_fraction);
  double s = std::sqrt(area_fraction * base_w * base_h / (static_cast<double>(w) * h));
  s = std::min({s, static_cast<double>(base_w) / w, static_cast<double>(base_h) / h});
  const int dw = std::clamp(static_cast<int>(std::lround(w * s)), 1, base_w);
  const int dh = std::clamp(static_cast<int>(std::lround(h * s)), 1, base_h);
  return {dw, dh};
}

Placement random_placement(int base_w, int base_h, int width, int height, std::uint64_t seed,
                           std::uint64_t key_a, std::uint64_t key_b) {
  Rng rng(seed, key_a, key_b);
  Placement p;
  p.edge = static_cast<Edge>(rng.below(4));
  p.width = width;
  p.height = height;
  switch (p.edge) {
    case Edge::Top:
    case Edge::Bottom:
      p.x = rng.integer(0, base_w - width);
      p.y = p.edge == Edge::Top ? 0 : base_h - height;
      break;
    case Edge::Left:
    case Edge::Right:
      p.y = rng.integer(0, base_h - height);
      p.x = p.edge == Edge::Left ? 0 : base_w - width;
      break;
  }
  return p;
}

Image paste(const Image& base, const Image& distractor, const Placement& p) {
  check(base.channels == 3 && distractor.channels == 3, "paste: images must be RGB");
  check(p.x >= 0 && p.y >= 0 && p.width >= 1 && p.height >= 1 && p.x + p.width <= base.width &&
            p.y + p.height <= base.height,
        "paste: placement outside the base image");
  const Image patch = (distractor.width == p.width && distractor.height == p.height)
                          ? distractor
                          : resize(distractor, p.width, p.height, Resample::Bicubic);
  Image out = base;
  for (int y = 0; y < p.height; ++y)
    std::copy_n(patch.row(y), patch.row_bytes(),
                out.row(p.y + y) + static_cast<std::size_t>(p.x) * 3);
  return out;
}

double cosine_distance(std::span<const double> a, std::span<const double> b) {
  check(a.size() == b.size(), "cosine_distance: vectors of lengths ", a.size(), " and ", b.size());
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa == 0 && bb == 0) return 0.0;
  if (aa == 0 || bb == 0) return 1.0;
  return 1.0 - ab / std::sqrt(aa * bb);
}

BaseChoices choose_distractors(const Image& base, std::uint64_t base_key,
                               std::span<const double> semantic_distances,
                               std::span<const std::uint64_t> pool_keys,
                               const std::function<const Image&(int)>& pool,
                               const SelectionOptions& o) {
  check(semantic_distances.size() == pool_keys.size(), "choose_distractors: size mismatch");
  const Thresholds& t = o.thresholds;
  const saliency::Map before = saliency::compute_saliency(base, o.saliency).saliency;
  std::vector<int> order(semantic_distances.size());
  std::iota(order.begin(), order.end(), 0);
  Rng(o.seed, base_key, 0x6f72646572ull).shuffle(order.data(), order.size());
  if (o.max_candidates > 0 && static_cast<std::size_t>(o.max_candidates) < order.size())
    order.resize(static_cast<std::size_t>(o.max_candidates));

  BaseChoices result;
  auto filled = [&](Condition c) {
    return result.choices[static_cast<std::size_t>(c)].distractor >= 0;
  };
  for (int j : order) {
    if (result.complete()) break;
    const double sem = semantic_distances[static_cast<std::size_t>(j)];
    const bool similar = sem<t.similar_below, dissimilar = sem> t.dissimilar_above;
    if (!similar && !dissimilar) continue;
    const Condition quiet = similar ? Condition::Control : Condition::Semantic;
    const Condition loud = similar ? Condition::Salient : Condition::SemanticSalient;
    if (filled(quiet) && filled(loud)) continue;
    const Image& d = pool(j);
    const auto size = distractor_size(base.width, base.height, d.width, d.height, o.area_fraction);
    const Placement p = random_placement(base.width, base.height, size[0], size[1], o.seed,
                                         base_key, pool_keys[static_cast<std::size_t>(j)]);
    const saliency::Map after = saliency::compute_saliency(paste(base, d, p), o.saliency).saliency;
    ++result.saliency_evaluations;
    const double change = saliency::cosine_distance(before, after);
    Condition c;
    if (change < t.nonsalient_below)
      c = quiet;
    else if (change > t.salient_above)
      c = loud;
    else
      continue;
    if (filled(c)) continue;
    result.choices[static_cast<std::size_t>(c)] = {j, p, sem, change};
  }
  return result;
}

SetSummary make_distractor_set(const fs::path& base_dir, const fs::path& pool_dir,
                               const fs::path& base_embeddings, const fs::path& pool_embeddings,
                               const fs::path& out_dir, const SetOptions& options) {
  const SelectionOptions& o = options.selection;
  validate(o.thresholds);
  saliency::validate(o.saliency);
  check(o.area_fraction > 0.0 && o.area_fraction <= 1.0, "--area: must be in (0, 1], got ",
        o.area_fraction);
  const auto bases = list_images(base_dir, "--base");
  const auto pool_files = list_images(pool_dir, "--pool");
  const auto eb = read_embeddings(base_embeddings, bases.size(), "--embeddings-base");
  const auto ep = read_embeddings(pool_embeddings, pool_files.size(), "--embeddings-pool");
  check(eb[0].size() == ep[0].size(), "embeddings: --embeddings-base has ", eb[0].size(),
        " features per row but --embeddings-pool has ", ep[0].size());
  {
    std::error_code ec;
    const auto out_abs = fs::weakly_canonical(out_dir, ec);
    for (const auto& in : {base_dir, pool_dir}) {
      const auto in_abs = fs::weakly_canonical(in, ec);
      const auto rel = out_abs.lexically_relative(in_abs);
      check(rel.empty() || *rel.begin() == "..", "--out '", out_dir.string(),
            "' may not be or lie inside the input folder '", in.string(), "'");
    }
  }
  // Output names: the base's relative path with .png; two bases may not collide.
  std::vector<fs::path> out_names(bases.size());
  {
    std::map<std::string, std::string> seen;
    for (std::size_t i = 0; i < bases.size(); ++i) {
      out_names[i] = fs::path(bases[i]).replace_extension(".png");
      const auto [it, fresh] =
          seen.emplace(out_names[i].generic_string(), bases[i].generic_string());
      check(fresh, "--base: '", it->second, "' and '", bases[i].generic_string(),
            "' would both be written as '", out_names[i].generic_string(), "'");
    }
  }

  std::vector<Image> pool(pool_files.size());
  std::vector<std::uint64_t> pool_keys(pool_files.size());
  parallel_for(0, static_cast<std::int64_t>(pool.size()), 1, [&](std::int64_t a, std::int64_t b) {
    for (auto j = static_cast<std::size_t>(a); j < static_cast<std::size_t>(b); ++j) {
      pool[j] = load_image(pool_dir / pool_files[j]);
      pool_keys[j] = hash_string(pool_files[j].generic_string());
    }
  });

  cli::Progress progress("distractors", static_cast<std::int64_t>(bases.size()), options.quiet);
  std::vector<BaseChoices> results(bases.size());
  parallel_for(0, static_cast<std::int64_t>(bases.size()), 1, [&](std::int64_t a, std::int64_t b) {
    for (auto i = static_cast<std::size_t>(a); i < static_cast<std::size_t>(b); ++i) {
      const Image base = load_image(base_dir / bases[i]);
      std::vector<double> sem(pool.size());
      for (std::size_t j = 0; j < pool.size(); ++j) sem[j] = cosine_distance(eb[i], ep[j]);
      results[i] = choose_distractors(
          base, hash_string(bases[i].generic_string()), sem, pool_keys,
          [&](int j) -> const Image& { return pool[static_cast<std::size_t>(j)]; }, o);
      if (results[i].complete() || options.keep_incomplete) {
        write_image(out_dir / "baseline" / out_names[i], base);
        for (Condition c : kConditions) {
          const Choice& ch = results[i].choices[static_cast<std::size_t>(c)];
          if (ch.distractor < 0) continue;
          write_image(out_dir / std::string(condition_name(c)) / out_names[i],
                      paste(base, pool[static_cast<std::size_t>(ch.distractor)], ch.placement));
        }
      }
      progress.advance();
    }
  });
  progress.finish();

  SetSummary summary;
  summary.bases = static_cast<int>(bases.size());
  std::string csv =
      "base,condition,status,distractor,semantic_distance,saliency_change,edge,x,y,width,height,"
      "output\n";
  for (std::size_t i = 0; i < bases.size(); ++i) {
    const bool complete = results[i].complete();
    const bool written = complete || options.keep_incomplete;
    summary.complete += complete ? 1 : 0;
    std::string missing;
    for (Condition c : kConditions) {
      const Choice& ch = results[i].choices[static_cast<std::size_t>(c)];
      const std::string cond(condition_name(c));
      csv += csv_field(bases[i].generic_string()) + "," + cond + ",";
      if (ch.distractor < 0) {
        missing += (missing.empty() ? "" : ", ") + cond;
        csv += "unmatched,,,,,,,,,\n";
        continue;
      }
      const auto out_rel = (fs::path(cond) / out_names[i]).generic_string();
      csv += std::string(written ? "ok" : "not_written") + "," +
             csv_field(pool_files[static_cast<std::size_t>(ch.distractor)].generic_string()) + "," +
             number(ch.semantic_distance) + "," + number(ch.saliency_change) + "," +
             std::string(edge_name(ch.placement.edge)) + "," + std::to_string(ch.placement.x) +
             "," + std::to_string(ch.placement.y) + "," + std::to_string(ch.placement.width) + "," +
             std::to_string(ch.placement.height) + "," + (written ? csv_field(out_rel) : "") + "\n";
      summary.written += written ? 1 : 0;
    }
    if (!complete) summary.incomplete.push_back(bases[i].generic_string() + ": no " + missing);
  }
  fs::create_directories(out_dir);
  write_text_file_atomic(out_dir / "manifest.csv", csv);
  return summary;
}

}  // namespace repscope::distractors
