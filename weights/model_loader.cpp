#include "weights/model_loader.h"

#include <mutex>

#include "nn/error.h"
#include "nn/models/clip_resnet.h"
#include "nn/models/clip_vit.h"
#include "nn/models/registry.h"
#include "weights/clip_names.h"
#include "weights/random_init.h"

namespace repscope {

namespace {

// Architecture detection may throw for a family-shaped but unknown file; in an explicit-model
// check that is not fatal (the load report will say what is wrong).
std::string try_detect(const KeyShapes& keys, const std::string& source) {
  try {
    return detect_model(keys, source);
  } catch (const Error&) {
    return "";
  }
}

}  // namespace

void register_all_model_families() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> names = clip_resnet_names();
    names.insert(names.end(), clip_vit_names().begin(), clip_vit_names().end());
    register_model_family({"openai-clip", names, is_clip_model_name,
                           [](const std::string& n) { return make_clip_model(n); },
                           detect_clip_model_name});
  });
}

std::unique_ptr<Model> create_model_for(const std::string& model,
                                        const std::optional<std::filesystem::path>& weights) {
  register_all_model_families();
  if (model != "auto") return create_model(model);
  check(weights.has_value(),
        "--model auto needs --weights (the architecture is read from the file)");
  const KeyShapes keys = read_key_shapes(*weights);
  if (auto clip = detect_clip(keys)) return make_clip_model(*clip);
  return create_model(detect_model(keys, "weights file " + weights->string()));
}

LoadedModel load_model(const ModelSource& source) {
  check(source.weights.has_value() != source.random_seed.has_value(),
        "give exactly one of --weights FILE and --random-init SEED");
  register_all_model_families();
  LoadedModel out;
  if (source.random_seed) {
    check(source.model != "auto", "--model auto needs --weights; name the model for --random-init");
    out.model = create_model(source.model);
    random_init(*out.model, *source.random_seed);
    return out;
  }
  const std::filesystem::path& path = *source.weights;
  // CLIP files (OpenAI visual, whole OpenAI/open_clip model, HF) need scheme-specific key maps.
  if (!source.translate && detect_clip(read_key_shapes(path))) {
    out.model = load_clip_model(path, source.model == "auto" ? "" : source.model, source.allow_unused,
                                &out.warnings);
    return out;
  }
  WeightStore store = WeightStore::open(path, source.translate);
  const std::string where = "weights file " + path.string();
  if (source.model == "auto") {
    out.model = create_model(detect_model(store.shapes(), where));
  } else {
    out.model = create_model(source.model);
    const std::string detected = try_detect(store.shapes(), where);
    // A different architecture is the user's mistake: say so plainly before the key report.
    if (!detected.empty() && detected != out.model->name()) {
      auto other = create_model(detected);
      fail(where, " holds a ", detected, " (", other->scheme(), " naming) but --model is ",
           out.model->name(), " (", out.model->scheme(), " naming); use --model ", detected,
           " or --model auto");
    }
  }
  out.warnings = load_weights(*out.model, store, source.allow_unused);
  return out;
}

}  // namespace repscope
