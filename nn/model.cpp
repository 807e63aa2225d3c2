#include "nn/model.h"

#include <algorithm>
#include <set>

#include "nn/error.h"

namespace repscope {

bool glob_match(const std::string& pattern, const std::string& text) {
  // Iterative matcher with single-star backtracking: linear in practice for tap names.
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

const std::set<std::string>& paper1_types() {
  static const std::set<std::string> types = {
      "Conv2d",    "Linear",    "LayerNorm",         "BatchNorm2d",       "ReLU",
      "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "MultiheadAttention"};
  return types;
}

std::vector<std::string> split_spec(const std::string& spec) {
  std::vector<std::string> items;
  std::string cur;
  for (char c : spec + ",") {
    if (c == ',') {
      const auto b = cur.find_first_not_of(" \t");
      const auto e = cur.find_last_not_of(" \t");
      if (b != std::string::npos) items.push_back(cur.substr(b, e - b + 1));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return items;
}

TapSelection from_flags(const std::vector<TapInfo>& taps, const std::vector<bool>& chosen);

}  // namespace

TapSelection TapSelection::parse(const std::string& spec, const std::vector<TapInfo>& taps) {
  const auto items = split_spec(spec);
  check(!items.empty(), "--layers: empty layer selection (use a name, a glob, or one of all, ",
        "blocks, leaves, paper1)");
  std::vector<bool> chosen(taps.size(), false);
  for (const auto& item : items) {
    bool matched = false;
    if (item == "none") continue;
    for (std::size_t i = 0; i < taps.size(); ++i) {
      const TapInfo& t = taps[i];
      bool hit = false;
      if (item == "all") {
        hit = true;
      } else if (item == "blocks") {
        hit = t.block;
      } else if (item == "leaves") {
        hit = t.leaf && t.module_type != "input";
      } else if (item == "paper1") {
        hit = !t.hook_name.empty() && paper1_types().count(t.module_type) > 0;
      } else if (item.find_first_of("*?") != std::string::npos) {
        hit = glob_match(item, t.name);
      } else {
        hit = item == t.name;
      }
      if (hit) chosen[i] = matched = true;
    }
    if (!matched) {
      std::string hint;
      for (const auto& t : taps) {
        if (t.name.rfind(item.substr(0, item.find('.')), 0) == 0) {
          hint = str(" (e.g. '", t.name, "')");
          break;
        }
      }
      fail("--layers: '", item, "' matches no layer of this model", hint,
           "; 'repscope layers --model M' lists them");
    }
  }
  return from_flags(taps, chosen);
}

TapSelection TapSelection::of_names(const std::vector<std::string>& names,
                                    const std::vector<TapInfo>& taps) {
  std::vector<bool> chosen(taps.size(), false);
  for (const auto& n : names) {
    auto it = std::find_if(taps.begin(), taps.end(), [&](const TapInfo& t) { return t.name == n; });
    check(it != taps.end(), "no layer named '", n, "' in this model");
    chosen[static_cast<std::size_t>(it - taps.begin())] = true;
  }
  return from_flags(taps, chosen);
}

namespace {
TapSelection from_flags(const std::vector<TapInfo>& taps, const std::vector<bool>& chosen) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < taps.size(); ++i) {
    if (chosen[i]) names.push_back(taps[i].name);
  }
  return TapSelection::of_names_unchecked(std::move(names));
}
}  // namespace

TapSelection TapSelection::of_names_unchecked(std::vector<std::string> names) {
  TapSelection s;
  s.names_ = std::move(names);
  s.sorted_ = s.names_;
  std::sort(s.sorted_.begin(), s.sorted_.end());
  return s;
}

bool TapSelection::contains(const std::string& name) const {
  return std::binary_search(sorted_.begin(), sorted_.end(), name);
}

TapContext::TapContext(TapSelection selection, TapSink sink)
    : selection_(std::move(selection)), sink_(std::move(sink)) {}

bool TapContext::wants_under(const std::string& prefix) const {
  for (const std::string& name : selection_.names())
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

void TapContext::tap(const std::string& name, const Tensor& value) const {
  if (sink_ && selection_.contains(name)) sink_(name, value);
}

bool Model::ignorable_key(const std::string& key) const {
  const std::string suffix = "num_batches_tracked";
  return key.size() >= suffix.size() &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Tensor Model::forward(const Tensor& images) const {
  TapContext none;
  return forward(images, none);
}

std::map<std::string, Tensor> Model::run(const Tensor& images,
                                         const TapSelection& selection) const {
  std::map<std::string, Tensor> out;
  TapContext ctx(selection,
                 [&](const std::string& name, const Tensor& value) { out[name] = value; });
  forward(images, ctx);
  return out;
}

void Model::check_loaded() const {
  // parameters() only hands out pointers; nothing is modified here.
  for (const Param& p : const_cast<Model*>(this)->parameters()) {
    check(p.tensor->defined(), "model ", name(), ": parameter '", p.name,
          "' is not set (load weights with --weights or use --random-init)");
  }
}

void Model::check_input(const Tensor& images, int channels) const {
  check(images.defined() && images.ndim() == 4 && images.dim(1) == channels, "model ", name(),
        ": input must be [N, ", channels, ", H, W], got ",
        images.defined() ? shape_str(images.shape()) : std::string("an undefined tensor"));
  check(images.dtype() == DType::F32, "model ", name(), ": input must be f32, got ",
        dtype_name(images.dtype()));
}

}  // namespace repscope
