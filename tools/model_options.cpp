#include "tools/model_options.h"

namespace repscope::cli {

void add_model_options(Args& args) {
  args.option("model", "M", "model name, or auto to infer it from --weights", "auto")
      .option("weights", "FILE", "safetensors weights (any supported naming scheme)")
      .option("random-init", "SEED",
              "untrained model with seeded random weights, initialised as the reference does")
      .flag("allow-unused", "warn about (instead of rejecting) unused tensors in --weights");
}

ModelSource model_source(const Args& args) {
  ModelSource source;
  source.model = args.get("model");
  if (auto w = args.get_optional("weights")) source.weights = std::filesystem::path(*w);
  if (args.get_optional("random-init")) {
    source.random_seed = static_cast<std::uint64_t>(args.get_int("random-init"));
  }
  source.allow_unused = args.get_flag("allow-unused");
  return source;
}

}  // namespace repscope::cli
