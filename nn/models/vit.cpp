#include "nn/models/vit.h"

#include <cmath>
#include <regex>

#include "nn/error.h"
#include "nn/models/tokens.h"
#include "nn/ops.h"

namespace repscope {

namespace {

ViTConfig make(const std::string& name, const std::string& scheme, int patch, int width, int depth,
               int heads, int input = 224) {
  ViTConfig c;
  c.name = name;
  c.scheme = scheme;
  c.patch = patch;
  c.width = width;
  c.depth = depth;
  c.heads = heads;
  c.mlp_dim = 4 * width;
  c.input_size = input;
  return c;
}

}  // namespace

ViTConfig vit_config(const std::string& full_name) {
  const std::string name = full_name.substr(0, full_name.find('.'));
  if (name == "vit_b_16") return make(name, "torchvision", 16, 768, 12, 12);
  if (name == "vit_b_32") return make(name, "torchvision", 32, 768, 12, 12);
  if (name == "vit_l_16") return make(name, "torchvision", 16, 1024, 24, 16);
  if (name == "vit_l_32") return make(name, "torchvision", 32, 1024, 24, 16);
  if (name == "vit_h_14") return make(name, "torchvision", 14, 1280, 32, 16);
  static const std::regex timm_name("vit_(tiny|small|base|large|huge)_patch([0-9]+)_([0-9]+)");
  std::smatch m;
  if (std::regex_match(name, m, timm_name)) {
    const std::string size = m[1];
    const int patch = std::stoi(m[2]);
    const int input = std::stoi(m[3]);
    if (size == "tiny") return make(name, "timm", patch, 192, 12, 3, input);
    if (size == "small") return make(name, "timm", patch, 384, 12, 6, input);
    if (size == "base") return make(name, "timm", patch, 768, 12, 12, input);
    if (size == "large") return make(name, "timm", patch, 1024, 24, 16, input);
    return make(name, "timm", patch, 1280, 32, 16, input);
  }
  fail("unknown ViT '", full_name,
       "' (torchvision: vit_b_16, vit_b_32, vit_l_16, vit_l_32, vit_h_14; timm: "
       "vit_{tiny,small,base,large,huge}_patch<P>_<size>, e.g. vit_base_patch16_224)");
}

bool is_vit_name(const std::string& name) {
  try {
    vit_config(name);
    return true;
  } catch (const Error&) {
    return false;
  }
}

VisionTransformer::VisionTransformer(ViTConfig config) : config_(std::move(config)) {
  const ViTConfig& c = config_;
  check(c.input_size % c.patch == 0, "ViT ", c.name, ": input size ", c.input_size,
        " is not a multiple of the patch size ", c.patch);
  check(c.width % c.heads == 0, "ViT ", c.name, ": width ", c.width, " not divisible by ", c.heads,
        " heads");
  patch_ = Conv2d(3, c.width, c.patch, c.patch, 0, true);
  const double fan_in = 3.0 * c.patch * c.patch;
  if (!timm()) {
    // torchvision VisionTransformer.__init__: conv_proj trunc_normal(std = sqrt(1 / fan_in)).
    patch_.weight_init = Init::trunc_normal(std::sqrt(1.0 / fan_in));
    patch_.bias_init = Init::zeros();
  }
  blocks_.resize(static_cast<std::size_t>(c.depth));
  for (Block& b : blocks_) {
    b.ln1 = LayerNorm(c.width, c.ln_eps);
    b.ln2 = LayerNorm(c.width, c.ln_eps);
    b.attn = MultiheadAttention(c.width, c.heads);
    b.fc1 = Linear(c.width, c.mlp_dim);
    b.fc2 = Linear(c.mlp_dim, c.width);
    if (timm()) {
      // timm init_weights_vit_timm: every Linear trunc_normal(std .02), bias 0.
      b.attn.in_proj_weight_init = b.attn.out_proj_weight_init = Init::trunc_normal(0.02);
      b.fc1.weight_init = b.fc2.weight_init = Init::trunc_normal(0.02);
      b.fc1.bias_init = b.fc2.bias_init = Init::zeros();
    } else {
      // torchvision MLPBlock: xavier_uniform weights, normal(std 1e-6) biases.
      b.fc1.weight_init = b.fc2.weight_init =
          Init::uniform(std::sqrt(6.0 / (static_cast<double>(c.width) + c.mlp_dim)));
      b.fc1.bias_init = b.fc2.bias_init = Init::normal(1e-6);
    }
  }
  norm_ = LayerNorm(c.width, c.ln_eps);
  if (c.num_classes > 0) {
    head_ = Linear(c.width, c.num_classes);
    head_.weight_init = timm() ? Init::trunc_normal(0.02) : Init::zeros();
    head_.bias_init = Init::zeros();
  }
}

std::string VisionTransformer::block_path(int i) const {
  return timm() ? str("blocks.", i) : str("encoder.layers.encoder_layer_", i);
}

ParamList VisionTransformer::parameters() {
  const std::int64_t t = 1 + static_cast<std::int64_t>(config_.input_size / config_.patch) *
                                 (config_.input_size / config_.patch);
  const std::int64_t e = config_.width;
  ParamList out;
  const bool tm = timm();
  out.push_back({tm ? "cls_token" : "class_token",
                 &class_token_,
                 {1, 1, e},
                 tm ? Init::normal(1e-6) : Init::zeros()});
  if (tm) out.push_back({"pos_embed", &pos_embedding_, {1, t, e}, Init::trunc_normal(0.02)});
  patch_.collect(tm ? "patch_embed.proj." : "conv_proj.", out);
  if (!tm) out.push_back({"encoder.pos_embedding", &pos_embedding_, {1, t, e}, Init::normal(0.02)});
  for (int i = 0; i < config_.depth; ++i) {
    Block& b = blocks_[static_cast<std::size_t>(i)];
    const std::string p = block_path(i) + ".";
    if (tm) {
      b.ln1.collect(p + "norm1.", out);
      out.push_back(
          {p + "attn.qkv.weight", &b.attn.in_proj_weight, {3 * e, e}, b.attn.in_proj_weight_init});
      out.push_back({p + "attn.qkv.bias", &b.attn.in_proj_bias, {3 * e}, Init::zeros()});
      out.push_back(
          {p + "attn.proj.weight", &b.attn.out_proj_weight, {e, e}, b.attn.out_proj_weight_init});
      out.push_back({p + "attn.proj.bias", &b.attn.out_proj_bias, {e}, Init::zeros()});
      b.ln2.collect(p + "norm2.", out);
      b.fc1.collect(p + "mlp.fc1.", out);
      b.fc2.collect(p + "mlp.fc2.", out);
    } else {
      b.ln1.collect(p + "ln_1.", out);
      b.attn.collect(p + "self_attention.", out);
      b.ln2.collect(p + "ln_2.", out);
      b.fc1.collect(p + "mlp.0.", out);
      b.fc2.collect(p + "mlp.3.", out);
    }
  }
  norm_.collect(tm ? "norm." : "encoder.ln.", out);
  if (config_.num_classes > 0) head_.collect(tm ? "head." : "heads.head.", out);
  return out;
}

namespace {

// Names of the per-block taps, in execution order, for one scheme.
struct BlockNames {
  const char* ln1;
  const char* qkv;  // nullptr: not a module of this scheme
  const char* attn_inner;
  const char* attn;
  const char* add;
  const char* ln2;
  const char* fc1;
  const char* act;
  const char* fc2;
  const char* mlp;
  const char* add_1;
};

const BlockNames kTorchvision = {"ln_1",  nullptr, nullptr, "self_attention",
                                 "add",   "ln_2",  "mlp.0", "mlp.1",
                                 "mlp.3", "mlp",   "add_1"};
const BlockNames kTimm = {"norm1",   "attn.qkv", "attn.proj", "attn", "add",  "norm2",
                          "mlp.fc1", "mlp.act",  "mlp.fc2",   "mlp",  "add_1"};

}  // namespace

std::vector<TapInfo> VisionTransformer::taps() const {
  const ViTConfig& c = config_;
  const bool tm = timm();
  const BlockNames& n = tm ? kTimm : kTorchvision;
  const std::int64_t g = c.input_size / c.patch, t = g * g + 1, e = c.width;
  std::vector<TapInfo> out;
  auto mod = [&](const std::string& name, Shape shape, const std::string& type, bool leaf = true,
                 bool block = false) {
    out.push_back({name, std::move(shape), type, leaf, block, name});
  };
  out.push_back({"x", {3, c.input_size, c.input_size}, "input", true, false, ""});
  if (tm) {
    mod("patch_embed.proj", {e, g, g}, "Conv2d");
    mod("patch_embed", {g * g, e}, "PatchEmbed", false);
  } else {
    mod("conv_proj", {e, g, g}, "Conv2d");
  }
  for (int i = 0; i < c.depth; ++i) {
    const std::string p = block_path(i) + ".";
    mod(p + n.ln1, {t, e}, "LayerNorm");
    if (tm) {
      mod(p + n.qkv, {t, 3 * e}, "Linear");
      mod(p + n.attn_inner, {t, e}, "Linear");
      mod(p + n.attn, {t, e}, "Attention", false);
    } else {
      mod(p + n.attn, {t, e}, "MultiheadAttention");
    }
    out.push_back({p + n.add, {t, e}, "add", true, false, ""});
    mod(p + n.ln2, {t, e}, "LayerNorm");
    mod(p + n.fc1, {t, c.mlp_dim}, "Linear");
    mod(p + n.act, {t, c.mlp_dim}, "GELU");
    mod(p + n.fc2, {t, e}, "Linear");
    mod(p + n.mlp, {t, e}, tm ? "Mlp" : "MLPBlock", false);
    out.push_back({p + n.add_1, {t, e}, "add", true, false, ""});
    mod(block_path(i), {t, e}, tm ? "Block" : "EncoderBlock", false, true);
  }
  mod(tm ? "blocks" : "encoder.layers", {t, e}, "Sequential", false, false);
  mod(tm ? "norm" : "encoder.ln", {t, e}, "LayerNorm", true, true);
  if (!tm) mod("encoder", {t, e}, "Encoder", false);
  if (c.num_classes > 0) {
    mod(tm ? "head" : "heads.head", {c.num_classes}, "Linear", true, true);
    if (!tm) mod("heads", {c.num_classes}, "Sequential", false);
  }
  return out;
}

Tensor VisionTransformer::forward(const Tensor& images, TapContext& ctx) const {
  check_input(images);
  check_loaded();
  const ViTConfig& c = config_;
  check(images.dim(2) == c.input_size && images.dim(3) == c.input_size, "model ", c.name,
        ": input must be ", c.input_size, "x", c.input_size,
        " pixels (its positional embedding "
        "is fixed), got ",
        images.dim(2), "x", images.dim(3));
  const bool tm = timm();
  const BlockNames& n = tm ? kTimm : kTorchvision;
  ctx.tap("x", images);
  Tensor x = patch_.forward(images);
  ctx.tap(tm ? "patch_embed.proj" : "conv_proj", x);
  x = patches_to_tokens(x);
  if (tm) ctx.tap("patch_embed", x);
  x = prepend_class_token(x, class_token_, pos_embedding_);
  for (int i = 0; i < c.depth; ++i) {
    const Block& b = blocks_[static_cast<std::size_t>(i)];
    const std::string p = block_path(i) + ".";
    auto tap = [&](const char* leaf, const Tensor& v) { ctx.tap(p + leaf, v); };
    Tensor h = b.ln1.forward(x);
    tap(n.ln1, h);
    if (tm && ctx.wants(p + n.qkv))
      tap(n.qkv, ops::linear(h, b.attn.in_proj_weight, b.attn.in_proj_bias));
    h = b.attn.forward(h);
    if (tm) tap(n.attn_inner, h);
    tap(n.attn, h);
    x = ops::add(x, h);
    tap(n.add, x);
    h = b.ln2.forward(x);
    tap(n.ln2, h);
    h = b.fc1.forward(h);
    tap(n.fc1, h);
    h = ops::gelu(h);
    tap(n.act, h);
    h = b.fc2.forward(h);
    tap(n.fc2, h);
    tap(n.mlp, h);
    x = ops::add(x, h);
    tap(n.add_1, x);
    ctx.tap(block_path(i), x);
  }
  ctx.tap(tm ? "blocks" : "encoder.layers", x);
  x = norm_.forward(x);
  ctx.tap(tm ? "norm" : "encoder.ln", x);
  if (!tm) ctx.tap("encoder", x);
  x = select_token(x, 0);
  if (c.num_classes > 0) {
    x = head_.forward(x);
    ctx.tap(tm ? "head" : "heads.head", x);
    if (!tm) ctx.tap("heads", x);
  }
  return x;
}

}  // namespace repscope
