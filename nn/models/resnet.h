// torchvision ResNet-18/34/50/101/152 (v1.5: the stride sits in the 3x3 conv of a Bottleneck),
// with torchvision's parameter names and get_graph_node_names() tap names.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers/batch_norm2d.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/conv_bn.h"
#include "nn/layers/linear.h"
#include "nn/model.h"

namespace repscope {

struct ResNetConfig {
  std::string name;             // "resnet50"
  bool bottleneck = true;       // Bottleneck (expansion 4) or BasicBlock
  std::array<int, 4> blocks{};  // blocks per stage
  int num_classes = 1000;       // 0 = no fc (the model ends at flatten)
  int input_size = 224;
};

// resnet18, resnet34, resnet50, resnet101, resnet152; throws Error for other names.
ResNetConfig resnet_config(const std::string& name);

class ResNet : public Model {
 public:
  explicit ResNet(ResNetConfig config);

  std::string name() const override { return config_.name; }
  std::string scheme() const override { return "torchvision"; }
  std::string default_preset() const override { return "imagenet"; }
  int input_size() const override { return config_.input_size; }
  std::vector<TapInfo> taps() const override;
  ParamList parameters() override;
  // Folds every BatchNorm into its convolution (used when no tap observes the pair).
  void prepare() override;
  using Model::forward;
  Tensor forward(const Tensor& images, TapContext& ctx) const override;
  const ResNetConfig& config() const { return config_; }

 private:
  struct Block {
    ConvBn c1, c2, c3;  // conv1 -> bn1, conv2 -> bn2, conv3 -> bn3 (no c3 in a BasicBlock)
    bool has_downsample = false;
    ConvBn down;  // downsample.0 -> downsample.1
  };
  Tensor run_block(const Block& b, const std::string& prefix, Tensor x,
                   const TapContext& ctx) const;
  // The block on channel-blocked tensors, with no taps inside it (blocked_block()).
  Tensor run_block_blocked(const Block& b, Tensor x) const;
  // Whether the block can run on the channel-blocked layout: its convolutions are folded and
  // can, the blocked kernel is fast here, and ctx wants none of the block's inner taps.
  bool blocked_block(const Block& b, const std::string& prefix, const TapContext& ctx) const;

  ResNetConfig config_;
  ConvBn stem_;  // conv1 -> bn1
  std::array<std::vector<Block>, 4> stages_;
  Linear fc_;
};

}  // namespace repscope
