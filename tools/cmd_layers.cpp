// repscope layers: the tap points of a model (name, per-image shape, module type).
#include <cstdio>
#include <iostream>

#include "nn/error.h"
#include "nn/models/registry.h"
#include "tools/args.h"
#include "tools/command.h"
#include "weights/model_loader.h"

namespace repscope::cli {
namespace {

int run_layers(const std::vector<std::string>& argv) {
  Args args("layers", "repscope layers --model M [--weights W] [--layers SPEC]",
            "Lists every layer (tap) of a model in execution order with its per-image output "
            "shape at the\nmodel's native input size and its module type. Names are the module "
            "paths of the weights'\nnaming scheme (torchvision, timm, ...); for torchvision "
            "ResNets the non-container names are\nexactly torchvision's get_graph_node_names. "
            "Flags: B = in the `blocks` preset, C = container\nmodule, P = in the `paper1` preset.",
            "repscope layers --model resnet50\nrepscope layers --model auto --weights "
            "vit.safetensors --layers 'blocks.*'");
  std::string names;
  for (const auto& n : model_names()) names += (names.empty() ? "" : ", ") + n;
  args.option("model", "M", "model name or auto (" + names + ")")
      .option("weights", "FILE", "safetensors file (needed for --model auto)")
      .option("layers", "SPEC",
              "only these layers (names, globs, presets: all, blocks, leaves, paper1)", "all");
  if (!args.parse(argv)) return 0;
  std::optional<std::filesystem::path> weights;
  if (auto w = args.get_optional("weights")) weights = *w;
  const auto model = create_model_for(args.require("model"), weights);
  const auto taps = model->taps();
  const auto selection = TapSelection::parse(args.get("layers"), taps);
  const auto paper1 = TapSelection::parse("paper1", taps);
  std::cout << "# " << model->name() << " (" << model->scheme() << " naming, input "
            << model->input_size() << " px, preprocessing preset " << model->default_preset()
            << "): " << selection.names().size() << " of " << taps.size() << " layers\n";
  for (const auto& t : taps) {
    if (!selection.contains(t.name)) continue;
    std::string flags;
    flags += t.block ? 'B' : '-';
    flags += t.leaf ? '-' : 'C';
    flags += paper1.contains(t.name) ? 'P' : '-';
    std::printf("%-52s %-22s %-18s %s\n", t.name.c_str(), shape_str(t.shape).c_str(),
                t.module_type.c_str(), flags.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace repscope::cli

REPSCOPE_COMMAND(layers, "layers", "list a model's layers (taps) with shapes and module types",
                 repscope::cli::run_layers);
