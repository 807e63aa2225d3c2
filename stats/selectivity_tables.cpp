#include "stats/selectivity_tables.h"

#include <charconv>
#include <cmath>
#include <numeric>

#include "io/file_util.h"
#include "io/npy.h"
#include "nn/error.h"

namespace fs = std::filesystem;

namespace repscope::stats {
namespace {

// RFC 4180 quoting, only when needed.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Shortest round-trip text; NaN as "nan" (pandas reads it as NaN).
std::string num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string num(std::int64_t v) {
  return std::to_string(v);
}

std::string join_lines(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += i + "\n";
  return s;
}

void append_value_summary(std::string& line, const ValueSummary& v) {
  line += "," + num(v.mean) + "," + num(v.median) + "," + num(v.q25) + "," + num(v.q75);
}

}  // namespace

SelectivityTables::SelectivityTables(fs::path out_dir, LayerAnalysisOptions options)
    : out_dir_(std::move(out_dir)), options_(std::move(options)) {}

const LayerSelectivitySummary& SelectivityTables::add_layer(const std::string& layer,
                                                            const Tensor& activations,
                                                            std::span<const int> image_domain,
                                                            const DomainMap& map) {
  check(activations.ndim() >= 1, "layer '", layer, "': activations must be [N, ...], got a scalar");
  const std::int64_t rows = activations.dim(0);
  check(static_cast<std::int64_t>(image_domain.size()) == rows, "layer '", layer,
        "': ", image_domain.size(), " image labels but the activations have ", rows, " rows (",
        shape_str(activations.shape()), ")");
  Tensor acts = activations;
  if (acts.dtype() != DType::F32 && acts.dtype() != DType::F64) acts = acts.to(DType::F32);
  if (acts.ndim() == 1) acts = acts.reshape({rows, 1});
  int axis = options_.channel_axis.value_or(default_channel_axis(acts.shape()));
  if (axis < 0) axis += acts.ndim();
  check(axis >= 1 && axis < acts.ndim(), "layer '", layer, "': channel axis ",
        options_.channel_axis.value_or(axis), " is not a non-batch axis of ",
        shape_str(acts.shape()));
  if (options_.channel_units && acts.ndim() > 2) {
    acts = channel_means(acts, axis);  // [N, C]: one unit per channel
    axis = 1;
  }
  const std::int64_t channels = acts.dim(axis);
  const std::vector<std::int64_t> unit_channel = unit_channels(acts.shape(), axis);

  SelectivityResult result;
  try {
    result = compute_selectivity(acts, image_domain, map, options_.selectivity);
  } catch (const Error& e) {
    fail("layer '", layer, "': ", e.what());
  }
  if (options_.write_unit_arrays) write_unit_arrays(out_dir_ / unit_array_folder(layer), result);
  return add_result(layer, result, unit_channel, channels);
}

const LayerSelectivitySummary& SelectivityTables::add_result(
    const std::string& layer, const SelectivityResult& result,
    std::span<const std::int64_t> unit_channel, std::int64_t channels) {
  for (const auto& l : layers_)
    check(l.overview.layer != layer, "layer '", layer, "' was added twice");
  layers_.push_back(summarize_layer_selectivity(layer, result, unit_channel, channels));
  return layers_.back();
}

std::vector<ConsistencyRow> SelectivityTables::consistency() const {
  std::vector<LayerFingerprint> fps;
  fps.reserve(layers_.size());
  for (const auto& l : layers_) fps.push_back(l.fingerprint);
  return layer_consistency(fps, options_.consistency_pairs);
}

void SelectivityTables::write() const {
  std::error_code ec;
  fs::create_directories(out_dir_, ec);
  check(!ec, "cannot create ", out_dir_.string(), ": ", ec.message());
  write_selectivity_summary_csv(out_dir_ / "selectivity_summary.csv", layers_);
  write_selectivity_layers_csv(out_dir_ / "selectivity_layers.csv", layers_);
  const auto rows = consistency();
  write_selectivity_consistency_csv(out_dir_ / "selectivity_consistency.csv", rows);
}

std::string unit_array_folder(const std::string& layer) {
  std::string s = layer;
  for (char& c : s)
    if (c == '/' || c == '\\') c = '_';
  check(!s.empty() && s != "." && s != "..", "layer name '", layer,
        "' cannot name a folder of unit arrays");
  return s;
}

void write_unit_arrays(const fs::path& dir, const SelectivityResult& r) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  check(!ec, "cannot create ", dir.string(), ": ", ec.message());
  write_npy(dir / "t.npy", r.t);
  write_npy(dir / "p.npy", r.p);
  write_npy(dir / "q.npy", r.q);
  write_npy(dir / "dprime.npy", r.dprime);
  write_npy(dir / "si.npy", r.si);
  write_npy(dir / "csi.npy", r.csi);
  write_npy(dir / "selective.npy", r.selective);
  write_npy(dir / "mean.npy", r.mean);
  if (r.auc.defined()) write_npy(dir / "auc.npy", r.auc);
  std::vector<std::string> targets;
  for (int k = 0; k < r.num_targets(); ++k) targets.push_back(r.target_name(k));
  write_text_file_atomic(dir / "targets.txt", join_lines(targets));
  write_text_file_atomic(dir / "domains.txt", join_lines(r.domains));
}

void write_selectivity_summary_csv(const fs::path& path,
                                   std::span<const LayerSelectivitySummary> layers) {
  // The first nine columns are those `repscope localizer` wrote first; keep them in place.
  std::string text =
      "layer,category,proportion,n_units,n_selective,mean_dprime_selective,mean_csi_selective,"
      "channels,channels_with_selective,n_exclusive,exclusive_fraction,"
      "dprime_median,dprime_q25,dprime_q75,csi_mean,csi_median,csi_q25,csi_q75,"
      "si_mean,si_median,si_q25,si_q75,channel_entropy,channel_gini,top_channel_fraction\n";
  for (const auto& l : layers) {
    for (const auto& s : l.categories) {
      std::string line = field(s.layer) + "," + field(s.category) + "," + num(s.proportion) + "," +
                         num(s.n_units) + "," + num(s.n_selective) + "," + num(s.dprime.mean) +
                         "," + num(s.csi.mean) + "," + num(s.channels) + "," +
                         num(s.channels_with_selective) + "," + num(s.n_exclusive) + "," +
                         num(s.exclusive_fraction) + "," + num(s.dprime.median) + "," +
                         num(s.dprime.q25) + "," + num(s.dprime.q75);
      append_value_summary(line, s.csi);
      append_value_summary(line, s.si);
      line += "," + num(s.channel_entropy) + "," + num(s.channel_gini) + "," +
              num(s.top_channel_fraction) + "\n";
      text += line;
    }
  }
  write_text_file_atomic(path, text);
}

void write_selectivity_layers_csv(const fs::path& path,
                                  std::span<const LayerSelectivitySummary> layers) {
  std::string text =
      "layer,n_units,channels,n_selective_any,n_selective_one,n_selective_multi,proportion_any,"
      "specificity\n";
  for (const auto& l : layers) {
    const LayerOverview& o = l.overview;
    text += field(o.layer) + "," + num(o.n_units) + "," + num(o.channels) + "," +
            num(o.n_selective_any) + "," + num(o.n_selective_one) + "," + num(o.n_selective_multi) +
            "," + num(o.proportion_any) + "," + num(o.specificity) + "\n";
  }
  write_text_file_atomic(path, text);
}

void write_selectivity_consistency_csv(const fs::path& path, std::span<const ConsistencyRow> rows) {
  std::string text =
      "layer_a,layer_b,category,channels_a,channels_b,selective_channels_a,selective_channels_b,"
      "selective_channels_both,jaccard,profile_pearson,profile_spearman\n";
  for (const auto& r : rows) {
    text += field(r.layer_a) + "," + field(r.layer_b) + "," + field(r.category) + "," +
            num(r.channels_a) + "," + num(r.channels_b) + "," + num(r.selective_channels_a) + "," +
            num(r.selective_channels_b) + "," +
            (r.selective_channels_both < 0 ? std::string() : num(r.selective_channels_both)) + "," +
            num(r.jaccard) + "," + num(r.profile_pearson) + "," + num(r.profile_spearman) + "\n";
  }
  write_text_file_atomic(path, text);
}

}  // namespace repscope::stats
