// Distractor stimuli for the saliency/semantics study (Opiełka, Loke & Scholte 2024): a distractor
// image, scaled to a fraction of the base image's area (aspect kept), is pasted flush against a
// random edge of the base at a random offset. For each base image, distractors from a pool are
// chosen so that four conditions separate semantic change from saliency change:
//
//   condition          semantic distance (base vs distractor)   saliency change (map before/after)
//   control            similar   (< similar_below)              non-salient (< nonsalient_below)
//   salient            similar                                  salient     (> salient_above)
//   semantic           dissimilar (> dissimilar_above)          non-salient
//   semantic_salient   dissimilar                               salient
//
// Semantic distance = cosine distance between the base's and the distractor's embedding rows;
// saliency change = cosine distance between the Itti–Koch saliency maps (io/saliency, at
// map_level) of the base and of the edited image. Everything random is keyed by (seed, base path,
// distractor path), so results do not depend on thread count or processing order.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/image.h"
#include "io/saliency/itti_koch.h"

namespace repscope::distractors {

enum class Edge { Top, Bottom, Left, Right };
std::string_view edge_name(Edge edge);

// Where a distractor goes: its top-left corner and size in base-image pixels.
struct Placement {
  Edge edge = Edge::Top;
  int x = 0, y = 0, width = 0, height = 0;
};

// Size of a w×h distractor scaled to `area_fraction` of a base_w×base_h image with its aspect ratio
// kept (rounded to whole pixels, at least 1), shrunk further if needed to fit inside the base.
std::array<int, 2> distractor_size(int base_w, int base_h, int w, int h, double area_fraction);

// A placement flush against a uniformly chosen edge, at a uniformly chosen offset along it, from
// the stream (seed, key_a, key_b).
Placement random_placement(int base_w, int base_h, int width, int height, std::uint64_t seed,
                           std::uint64_t key_a, std::uint64_t key_b);

// The base with the distractor resized to placement.width × placement.height (Pillow-exact
// bicubic, io/resize.h) pasted opaquely at the placement. Both images are RGB.
Image paste(const Image& base, const Image& distractor, const Placement& placement);

// Cosine distance 1 − a·b/(‖a‖‖b‖) of two vectors; 1 when one of them is all zero (0 when both).
double cosine_distance(std::span<const double> a, std::span<const double> b);

enum class Condition { Control = 0, Salient = 1, Semantic = 2, SemanticSalient = 3 };
inline constexpr std::array<Condition, 4> kConditions{
    Condition::Control, Condition::Salient, Condition::Semantic, Condition::SemanticSalient};
// Folder names: control, salient, semantic, semantic_salient.
std::string_view condition_name(Condition condition);

// The study's thresholds are the defaults.
struct Thresholds {
  double similar_below = 0.32;      // semantic distance of a "similar" distractor
  double dissimilar_above = 0.92;   // semantic distance of a "dissimilar" distractor
  double nonsalient_below = 0.019;  // saliency change of a "non-salient" edit
  double salient_above = 0.24;      // saliency change of a "salient" edit
};
void validate(const Thresholds& thresholds);

// The distractor found for one condition of one base image (distractor < 0: none qualified).
struct Choice {
  int distractor = -1;  // index into the pool list
  Placement placement;
  double semantic_distance = 0.0;
  double saliency_change = 0.0;
};

// Everything searched for one base image.
struct BaseChoices {
  std::array<Choice, 4> choices;  // indexed by Condition
  int saliency_evaluations = 0;   // edited images whose saliency was computed
  bool complete() const;
};

struct SelectionOptions {
  double area_fraction = 0.10;
  std::uint64_t seed = 0;
  Thresholds thresholds;
  saliency::IttiKochOptions saliency;
  int max_candidates = 0;  // pool items tried per base (0 = the whole pool)
};

// Chooses distractors for one base image. Candidates are tried in a random order keyed by
// (seed, base_key); the first that qualifies fills a condition. `semantic_distances[j]` is the
// distance of pool item j to this base, `pool_keys[j]` keys its placement, `pool(j)` returns its
// image. Candidates that are neither similar nor dissimilar are skipped without computing saliency.
BaseChoices choose_distractors(const Image& base, std::uint64_t base_key,
                               std::span<const double> semantic_distances,
                               std::span<const std::uint64_t> pool_keys,
                               const std::function<const Image&(int)>& pool,
                               const SelectionOptions& options);

// The whole command: reads the folders and embeddings, writes <out>/<condition>/<base>.png,
// <out>/baseline/<base>.png and <out>/manifest.csv.
struct SetOptions {
  SelectionOptions selection;
  bool keep_incomplete = false;  // also write bases lacking some condition
  bool quiet = false;
};
struct SetSummary {
  int bases = 0;
  int complete = 0;                     // bases with all four conditions
  std::vector<std::string> incomplete;  // "base: missing cond, cond"
  int written = 0;                      // edited images written
};
SetSummary make_distractor_set(const std::filesystem::path& base_dir,
                               const std::filesystem::path& pool_dir,
                               const std::filesystem::path& base_embeddings,
                               const std::filesystem::path& pool_embeddings,
                               const std::filesystem::path& out_dir, const SetOptions& options);

}  // namespace repscope::distractors
