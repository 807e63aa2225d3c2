// OpenAI CLIP's VisionTransformer image encoders (ViT-B/32, ViT-B/16, ViT-L/14, ViT-L/14@336px):
// a bias-free patch conv, a class embedding, positional embeddings, ln_pre, pre-norm residual
// blocks with QuickGELU MLPs, ln_post on the class token and the projection `x @ proj`.
//
// Parameters are named in one of two schemes, fixed at construction:
//  - ClipVitScheme::OpenAI: OpenAI's `visual.*` keys without the prefix (open_clip: the same).
//  - ClipVitScheme::HF: Hugging Face CLIPVisionModelWithProjection / CLIPModel keys
//    (`vision_model.*` with separate q/k/v projections, `visual_projection.weight` = proj^T).
// The computation is the same either way: HF's q/k/v are stacked into OpenAI's in_proj and the
// projection transposed at run time, so the same weights give bit-identical outputs.
//
// Taps are OpenAI module paths whatever the scheme, in execution order: `conv1` [width, g, g],
// `ln_pre`, `transformer.resblocks.N.{ln_1, attn, add, ln_2, mlp.c_fc, mlp.gelu, mlp.c_proj, mlp,
// add_1}`, `transformer.resblocks.N` (the residual stream after block N), `transformer.resblocks`,
// `transformer`, `ln_post` [width] and `proj` [embed_dim], the image embedding. Token taps are
// per image [L, E] (L = grid^2 + 1, class token first): batch first, although OpenAI's
// transformer runs sequence first (L, N, E). See docs/clip.md.
#pragma once

#include <string>
#include <vector>

#include "nn/layers/conv2d.h"
#include "nn/layers/layer_norm.h"
#include "nn/layers/linear.h"
#include "nn/layers/multihead_attention.h"
#include "nn/model.h"

namespace repscope {

struct ClipVitConfig {
  std::string name;      // "clip_vit_b_32"
  int input_size = 224;  // n_px
  int patch = 32;
  int width = 768;
  int layers = 12;
  int heads = 12;
  int embed_dim = 512;
  // OpenAI's models (and open_clip's `-quickgelu` ones) use QuickGELU; open_clip models trained
  // without it (e.g. ViT-B-32 laion2b_*) use exact GELU. Keys are identical, so files cannot tell.
  bool quick_gelu = true;
  int grid() const { return input_size / patch; }
  int tokens() const { return grid() * grid() + 1; }
};

// clip_vit_b_32, clip_vit_b_16, clip_vit_l_14, clip_vit_l_14_336; throws Error otherwise.
ClipVitConfig clip_vit_config(const std::string& name);
const std::vector<std::string>& clip_vit_names();

enum class ClipVitScheme { OpenAI, HF };

class ClipVit : public Model {
 public:
  explicit ClipVit(ClipVitConfig config, ClipVitScheme scheme = ClipVitScheme::OpenAI);

  std::string name() const override { return config_.name; }
  std::string scheme() const override;  // "openai-clip" or "hf-clip"
  std::string default_preset() const override { return "clip"; }
  int input_size() const override { return config_.input_size; }
  std::vector<TapInfo> taps() const override;
  ParamList parameters() override;
  // HF files may carry the `position_ids` buffer; num_batches_tracked never occurs.
  bool ignorable_key(const std::string& key) const override;
  Tensor forward(const Tensor& images, TapContext& ctx) const override;
  const ClipVitConfig& config() const { return config_; }
  ClipVitScheme naming() const { return scheme_; }

 private:
  struct Block {
    LayerNorm ln_1, ln_2;
    MultiheadAttention attn;
    Tensor q_weight, k_weight, v_weight, q_bias, k_bias, v_bias;  // HF scheme only
    Linear c_fc, c_proj;
  };
  Tensor embed(const Tensor& patches) const;

  ClipVitConfig config_;
  ClipVitScheme scheme_;
  Conv2d conv1_;
  Tensor class_embedding_;       // [width]
  Tensor positional_embedding_;  // [tokens, width]
  LayerNorm ln_pre_, ln_post_;
  std::vector<Block> blocks_;
  Tensor proj_;  // OpenAI: [width, embed]; HF: visual_projection.weight [embed, width]
};

}  // namespace repscope
