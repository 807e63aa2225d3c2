// OpenAI CLIP's ModifiedResNet image encoders (RN50, RN101, RN50x4, RN50x16, RN50x64): a 3-conv
// stem with an average pool, Bottlenecks whose stride is an average pool ("anti-aliased"), and
// an attention pool whose mean-token output is the image embedding.
//
// Parameter names are OpenAI's `visual.*` keys without the prefix (open_clip uses the same keys).
// Taps are the module paths of clip.model.ModifiedResNet in execution order (each ReLU is its
// own module: `relu1`..`relu3`), plus `layerS.I.add` for the residual addition. Per-image shapes
// are [C, H, W] up to the attention pool, whose tap `attnpool` is the embedding [embed_dim].
// See docs/clip.md.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "nn/layers/batch_norm2d.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/conv_bn.h"
#include "nn/layers/linear.h"
#include "nn/model.h"

namespace repscope {

struct ClipResNetConfig {
  std::string name;             // "clip_rn50"
  std::array<int, 4> blocks{};  // Bottlenecks per stage
  int width = 64;               // stem width; stage s has 4 * width << s output channels
  int embed_dim = 1024;         // attention-pool output (the image embedding)
  int input_size = 224;         // n_px; the attention pool's positional embedding fixes it
  // Attention-pool heads: OpenAI's build_model uses width * 32 / 64.
  int heads() const { return width * 32 / 64; }
};

// clip_rn50, clip_rn101, clip_rn50x4, clip_rn50x16, clip_rn50x64; throws Error for other names.
ClipResNetConfig clip_resnet_config(const std::string& name);
// The names clip_resnet_config accepts.
const std::vector<std::string>& clip_resnet_names();

class ClipResNet : public Model {
 public:
  explicit ClipResNet(ClipResNetConfig config);

  std::string name() const override { return config_.name; }
  std::string scheme() const override { return "openai-clip"; }
  std::string default_preset() const override { return "clip"; }
  int input_size() const override { return config_.input_size; }
  std::vector<TapInfo> taps() const override;
  ParamList parameters() override;
  // Folds every BatchNorm into its convolution (used when no tap observes the pair).
  void prepare() override;
  Tensor forward(const Tensor& images, TapContext& ctx) const override;
  const ClipResNetConfig& config() const { return config_; }

 private:
  struct Block {
    int stride = 1;
    ConvBn c1, c2, c3;  // convN -> bnN
    bool has_downsample = false;
    ConvBn down;  // downsample.0 -> downsample.1 (after the downsample.-1 average pool)
  };
  Tensor run_block(const Block& b, const std::string& prefix, Tensor x,
                   const TapContext& ctx) const;
  // The block on channel-blocked tensors, with no taps inside it (blocked_block()).
  Tensor run_block_blocked(const Block& b, Tensor x) const;
  // Whether the block can run on the channel-blocked layout: its convolutions are folded and
  // can, the blocked kernel is fast here, and ctx wants none of the block's inner taps.
  bool blocked_block(const Block& b, const std::string& prefix, const TapContext& ctx) const;
  // Whether stem conv2 and conv3 (and the stem's average pool) can run blocked.
  bool blocked_stem(const TapContext& ctx) const;
  Tensor attention_pool(const Tensor& x) const;

  ClipResNetConfig config_;
  std::array<ConvBn, 3> stem_;  // conv1..3 -> bn1..3
  std::array<std::vector<Block>, 4> stages_;
  // attnpool
  Tensor positional_embedding_;  // [HW + 1, E]
  Linear q_proj_, k_proj_, v_proj_, c_proj_;
};

}  // namespace repscope
