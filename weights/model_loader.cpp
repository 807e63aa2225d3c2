#include "weights/model_loader.h"

#include "nn/error.h"
#include "nn/models/registry.h"
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

std::unique_ptr<Model> create_model_for(const std::string& model,
                                        const std::optional<std::filesystem::path>& weights) {
  if (model != "auto") return create_model(model);
  check(weights.has_value(),
        "--model auto needs --weights (the architecture is read from the file)");
  return create_model(detect_model(read_key_shapes(*weights), "weights file " + weights->string()));
}

LoadedModel load_model(const ModelSource& source) {
  check(source.weights.has_value() != source.random_seed.has_value(),
        "give exactly one of --weights FILE and --random-init SEED");
  LoadedModel out;
  if (source.random_seed) {
    check(source.model != "auto", "--model auto needs --weights; name the model for --random-init");
    out.model = create_model(source.model);
    random_init(*out.model, *source.random_seed);
    return out;
  }
  const std::filesystem::path& path = *source.weights;
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
