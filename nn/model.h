// The Model interface and the one tap mechanism every architecture uses.
//
// A *tap* is a named intermediate value of a forward pass (a layer's output). Models call
// ctx.tap(name, value) at every tap point in execution order; the TapContext forwards the values
// the user selected to a sink as soon as they are produced (streaming, e.g. into NPY files) and
// drops the rest, whose storage is then freed by reference counting.
//
// Tap names follow the weights' naming scheme (`named_modules()` paths); a module called several
// times and functional residual additions get torch.fx-style names (`relu`, `relu_1`, `add`).
// For torchvision ResNets the non-container taps are exactly
// torchvision.models.feature_extraction.get_graph_node_names(model)[1] (eval), `x` included.
// See docs/models.md.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers/param.h"
#include "nn/tensor.h"

namespace repscope {

// One tap point of a model.
struct TapInfo {
  std::string name;  // "layer1.0.conv1", "blocks.3.attn.qkv", "layer1.0" ...
  Shape shape;       // per image, for the model's native input size (batch dim omitted)
  std::string
      module_type;     // "Conv2d", "BatchNorm2d", "ReLU", "add", "block", "stage", "input", ...
  bool leaf = true;    // an op / leaf module, not a container
  bool block = false;  // a block or stage output, or the final embedding / output
  // The module path a PyTorch forward hook would report this value under, when it would (a hook
  // on a module called several times keeps only the last call, e.g. `layer1.0.relu_2` -> hook
  // name `layer1.0.relu`). Empty for functional ops (adds, flatten, the input).
  std::string hook_name;
};

// Which taps to deliver: a subset of a model's taps, kept in execution order.
class TapSelection {
 public:
  TapSelection() = default;  // selects nothing

  // Parses a comma-separated list of exact tap names, globs (`layer4.*`, `blocks.?.attn`) and
  // presets: `all`, `blocks` (block and stage outputs plus the final embedding/output), `leaves`,
  // `paper1` (outputs of Conv2d, Linear, LayerNorm, BatchNorm2d, ReLU, MaxPool2d, AvgPool2d,
  // AdaptiveAvgPool2d and MultiheadAttention modules as forward hooks see them: last call only),
  // `none`. Throws Error naming any item that matches no tap.
  static TapSelection parse(const std::string& spec, const std::vector<TapInfo>& taps);
  static TapSelection of_names(const std::vector<std::string>& names,
                               const std::vector<TapInfo>& taps);

  // Takes `names` as given (already validated, in execution order).
  static TapSelection of_names_unchecked(std::vector<std::string> names);

  bool contains(const std::string& name) const;
  const std::vector<std::string>& names() const { return names_; }
  bool empty() const { return names_.empty(); }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> sorted_;  // for lookups
};

// Receives each selected tap for the whole batch: value is [N, ...per-image shape].
using TapSink = std::function<void(const std::string& name, const Tensor& value)>;

// Passed through a forward pass; decides what happens to each tap.
class TapContext {
 public:
  TapContext() = default;  // taps nothing
  TapContext(TapSelection selection, TapSink sink);

  // True when `name` is selected (lets a model skip work or fusions a tap would observe).
  bool wants(const std::string& name) const { return selection_.contains(name); }
  // True when a selected tap's name extends `prefix` ("layer1.0." -> the block's inner taps).
  bool wants_under(const std::string& prefix) const;
  // Hands `value` to the sink when `name` is selected.
  void tap(const std::string& name, const Tensor& value) const;
  const TapSelection& selection() const { return selection_; }

 private:
  TapSelection selection_;
  TapSink sink_;
};

// A network with named parameters and taps. Instances come from nn/models/registry.h.
class Model {
 public:
  virtual ~Model() = default;

  // CLI / registry name: "resnet50", "vit_b_16", "vit_base_patch16_224", ...
  virtual std::string name() const = 0;
  // Weight naming scheme: "torchvision", "timm", "openai-clip", ...
  virtual std::string scheme() const = 0;
  // Preprocessing preset of io/preprocess.h the reference implementation uses ("imagenet", ...).
  virtual std::string default_preset() const = 0;
  // Native square input size in pixels.
  virtual int input_size() const = 0;

  // Every tap in execution order with its per-image shape at input_size().
  virtual std::vector<TapInfo> taps() const = 0;
  // Every parameter and buffer the weights file must provide, in a fixed order.
  virtual ParamList parameters() = 0;
  // Keys a weights file may hold that the model does not use (e.g. BatchNorm's
  // `num_batches_tracked`); not reported as unexpected.
  virtual bool ignorable_key(const std::string& key) const;
  // Called after every parameter is set (by the weight loaders, random_init and
  // cuda::move_parameters); builds derived weights such as BatchNorms folded into the preceding
  // convolutions. Must be called again after parameters change; until then forward() never uses
  // stale derived weights (it falls back to the plain path). The default does nothing.
  virtual void prepare() {}

  // Runs images [N, 3, H, W] (float32, preprocessed) and returns the final output, tapping into
  // ctx along the way. Throws Error when the weights are not loaded or the input shape is wrong.
  virtual Tensor forward(const Tensor& images, TapContext& ctx) const = 0;

  // Convenience forms: no taps; or collect the selected taps into name -> tensor.
  Tensor forward(const Tensor& images) const;
  std::map<std::string, Tensor> run(const Tensor& images, const TapSelection& selection) const;

 protected:
  // Throws Error unless every parameter is defined (weights loaded or initialised).
  void check_loaded() const;
  void check_input(const Tensor& images, int channels = 3) const;
};

// Shell-style glob match: `*` any run of characters (dots included), `?` one character.
bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace repscope
