// Vision Transformers with torchvision naming (`vit_b_16`, `vit_b_32`, `vit_l_16`, `vit_l_32`,
// `vit_h_14`) or timm naming (`vit_base_patch16_224` and relatives): one implementation, two
// parameter/tap naming schemes. Pre-norm blocks, LayerNorm eps 1e-6, exact erf GELU, class-token
// head.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layers/conv2d.h"
#include "nn/layers/layer_norm.h"
#include "nn/layers/linear.h"
#include "nn/layers/multihead_attention.h"
#include "nn/model.h"

namespace repscope {

struct ViTConfig {
  std::string name;                    // "vit_b_16", "vit_base_patch16_224", ...
  std::string scheme = "torchvision";  // "torchvision" or "timm"
  int patch = 16;
  int width = 768;
  int depth = 12;
  int heads = 12;
  int mlp_dim = 3072;
  int num_classes = 1000;  // 0 = no head (the output is the normed class token)
  int input_size = 224;
  float ln_eps = 1e-6f;
};

// torchvision names (vit_b_16 ...) and timm names vit_{tiny,small,base,large,huge}_patch{P}_{S}
// (a ".tag" suffix is ignored). Throws Error for other names.
ViTConfig vit_config(const std::string& name);
bool is_vit_name(const std::string& name);

class VisionTransformer : public Model {
 public:
  explicit VisionTransformer(ViTConfig config);

  std::string name() const override { return config_.name; }
  std::string scheme() const override { return config_.scheme; }
  std::string default_preset() const override {
    return config_.scheme == "timm" ? "timm-vit" : "imagenet";
  }
  int input_size() const override { return config_.input_size; }
  std::vector<TapInfo> taps() const override;
  ParamList parameters() override;
  using Model::forward;
  Tensor forward(const Tensor& images, TapContext& ctx) const override;
  const ViTConfig& config() const { return config_; }

 private:
  struct Block {
    LayerNorm ln1, ln2;
    MultiheadAttention attn;  // timm: qkv = in_proj, proj = out_proj
    Linear fc1, fc2;
  };
  // Module paths of the scheme: blocks, their parts and the top-level modules.
  std::string block_path(int i) const;
  bool timm() const { return config_.scheme == "timm"; }

  ViTConfig config_;
  Conv2d patch_;
  Tensor class_token_, pos_embedding_;
  std::vector<Block> blocks_;
  LayerNorm norm_;
  Linear head_;
};

}  // namespace repscope
