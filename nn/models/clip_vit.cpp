#include "nn/models/clip_vit.h"

#include <cmath>

#include "nn/error.h"
#include "nn/models/tokens.h"
#include "nn/ops.h"
#include "nn/parallel.h"

namespace repscope {

const std::vector<std::string>& clip_vit_names() {
  static const std::vector<std::string> names = {"clip_vit_b_32", "clip_vit_b_16", "clip_vit_l_14",
                                                 "clip_vit_l_14_336"};
  return names;
}

ClipVitConfig clip_vit_config(const std::string& name) {
  if (name == "clip_vit_b_32") return {name, 224, 32, 768, 12, 12, 512, true};
  if (name == "clip_vit_b_16") return {name, 224, 16, 768, 12, 12, 512, true};
  if (name == "clip_vit_l_14") return {name, 224, 14, 1024, 24, 16, 768, true};
  if (name == "clip_vit_l_14_336") return {name, 336, 14, 1024, 24, 16, 768, true};
  fail("unknown CLIP ViT '", name,
       "' (clip_vit_b_32, clip_vit_b_16, clip_vit_l_14, clip_vit_l_14_336)");
}

namespace {

constexpr float kLayerNormEps = 1e-5f;

// [R, C] -> [C, R].
Tensor transpose2d(const Tensor& m) {
  const std::int64_t r = m.dim(0), c = m.dim(1);
  Tensor out = Tensor::empty({c, r});
  const float* src = m.data<float>();
  float* dst = out.data<float>();
  parallel_for(0, c, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j) {
      for (std::int64_t i = 0; i < r; ++i) dst[j * r + i] = src[i * c + j];
    }
  });
  return out;
}

// Stacks HF's separate projections into torch's packed in_proj layout.
Tensor stack0(const Tensor& a, const Tensor& b, const Tensor& c) {
  const Tensor parts[] = {a, b, c};
  return concat0(parts, 3);
}

}  // namespace

ClipVit::ClipVit(ClipVitConfig config, ClipVitScheme scheme)
    : config_(std::move(config)), scheme_(scheme) {
  const ClipVitConfig& c = config_;
  check(c.patch >= 1 && c.input_size >= c.patch && c.input_size % c.patch == 0, "CLIP ViT ", c.name,
        ": input size ", c.input_size, " is not a multiple of the patch size ", c.patch);
  check(c.layers >= 1 && c.heads >= 1 && c.width % c.heads == 0 && c.embed_dim >= 1, "CLIP ViT ",
        c.name, ": bad config (width ", c.width, ", heads ", c.heads, ", layers ", c.layers, ")");
  conv1_ = Conv2d(3, c.width, c.patch, c.patch, 0, /*bias=*/false);
  conv1_.weight_init = Init::uniform(1.0 / std::sqrt(3.0 * c.patch * c.patch));
  ln_pre_ = LayerNorm(c.width, kLayerNormEps);
  ln_post_ = LayerNorm(c.width, kLayerNormEps);
  blocks_.resize(static_cast<std::size_t>(c.layers));
  for (Block& b : blocks_) {
    b.ln_1 = LayerNorm(c.width, kLayerNormEps);
    b.ln_2 = LayerNorm(c.width, kLayerNormEps);
    b.attn = MultiheadAttention(c.width, c.heads);
    b.c_fc = Linear(c.width, 4 * c.width);
    b.c_proj = Linear(4 * c.width, c.width);
  }
}

std::string ClipVit::scheme() const {
  return scheme_ == ClipVitScheme::HF ? "hf-clip" : "openai-clip";
}

bool ClipVit::ignorable_key(const std::string& key) const {
  const std::string suffix = "position_ids";
  return key.size() >= suffix.size() &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ParamList ClipVit::parameters() {
  ParamList out;
  const std::int64_t w = config_.width, e = config_.embed_dim, tokens = config_.tokens();
  // VisionTransformer.__init__: scale * randn with scale = width^-1/2.
  const Init scaled = Init::normal(1.0 / std::sqrt(static_cast<double>(w)));
  if (scheme_ == ClipVitScheme::OpenAI) {
    conv1_.collect("conv1.", out);
    out.push_back({"class_embedding", &class_embedding_, {w}, scaled});
    out.push_back({"positional_embedding", &positional_embedding_, {tokens, w}, scaled});
    ln_pre_.collect("ln_pre.", out);
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      Block& b = blocks_[i];
      const std::string p = str("transformer.resblocks.", i, ".");
      b.attn.collect(p + "attn.", out);
      b.ln_1.collect(p + "ln_1.", out);
      b.c_fc.collect(p + "mlp.c_fc.", out);
      b.c_proj.collect(p + "mlp.c_proj.", out);
      b.ln_2.collect(p + "ln_2.", out);
    }
    ln_post_.collect("ln_post.", out);
    out.push_back({"proj", &proj_, {w, e}, scaled});
    return out;
  }
  const std::string v = "vision_model.";
  out.push_back({v + "embeddings.class_embedding", &class_embedding_, {w}, scaled});
  conv1_.collect(v + "embeddings.patch_embedding.", out);
  out.push_back(
      {v + "embeddings.position_embedding.weight", &positional_embedding_, {tokens, w}, scaled});
  ln_pre_.collect(v + "pre_layrnorm.", out);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    Block& b = blocks_[i];
    const std::string p = str(v, "encoder.layers.", i, ".");
    const Init qkv_init = b.attn.in_proj_weight_init;
    out.push_back({p + "self_attn.k_proj.weight", &b.k_weight, {w, w}, qkv_init});
    out.push_back({p + "self_attn.k_proj.bias", &b.k_bias, {w}, Init::zeros()});
    out.push_back({p + "self_attn.v_proj.weight", &b.v_weight, {w, w}, qkv_init});
    out.push_back({p + "self_attn.v_proj.bias", &b.v_bias, {w}, Init::zeros()});
    out.push_back({p + "self_attn.q_proj.weight", &b.q_weight, {w, w}, qkv_init});
    out.push_back({p + "self_attn.q_proj.bias", &b.q_bias, {w}, Init::zeros()});
    out.push_back({p + "self_attn.out_proj.weight",
                   &b.attn.out_proj_weight,
                   {w, w},
                   b.attn.out_proj_weight_init});
    out.push_back({p + "self_attn.out_proj.bias", &b.attn.out_proj_bias, {w}, Init::zeros()});
    b.ln_1.collect(p + "layer_norm1.", out);
    b.c_fc.collect(p + "mlp.fc1.", out);
    b.c_proj.collect(p + "mlp.fc2.", out);
    b.ln_2.collect(p + "layer_norm2.", out);
  }
  ln_post_.collect(v + "post_layernorm.", out);
  out.push_back({"visual_projection.weight", &proj_, {e, w}, scaled});
  return out;
}

std::vector<TapInfo> ClipVit::taps() const {
  std::vector<TapInfo> t;
  auto module = [&](const std::string& name, Shape shape, const std::string& type, bool leaf,
                    bool block) {
    t.push_back({name, std::move(shape), type, leaf, block, name});
  };
  const std::int64_t w = config_.width, g = config_.grid(), l = config_.tokens();
  module("conv1", {w, g, g}, "Conv2d", true, false);
  module("ln_pre", {l, w}, "LayerNorm", true, false);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const std::string p = str("transformer.resblocks.", i);
    module(p + ".ln_1", {l, w}, "LayerNorm", true, false);
    module(p + ".attn", {l, w}, "MultiheadAttention", true, false);
    t.push_back({p + ".add", {l, w}, "add", true, false, ""});
    module(p + ".ln_2", {l, w}, "LayerNorm", true, false);
    module(p + ".mlp.c_fc", {l, 4 * w}, "Linear", true, false);
    module(p + ".mlp.gelu", {l, 4 * w}, config_.quick_gelu ? "QuickGELU" : "GELU", true, false);
    module(p + ".mlp.c_proj", {l, w}, "Linear", true, false);
    module(p + ".mlp", {l, w}, "Sequential", false, false);
    t.push_back({p + ".add_1", {l, w}, "add", true, false, ""});
    module(p, {l, w}, "ResidualAttentionBlock", false, true);
  }
  module("transformer.resblocks", {l, w}, "Sequential", false, false);
  module("transformer", {l, w}, "Transformer", false, true);
  module("ln_post", {w}, "LayerNorm", true, false);
  // `x @ proj` is not a module; its tap is named after the parameter.
  t.push_back({"proj", {config_.embed_dim}, "matmul", true, true, ""});
  return t;
}

// [N, width, g, g] patches -> [N, L, width] tokens: class token first, positions added.
Tensor ClipVit::embed(const Tensor& patches) const {
  const std::int64_t n = patches.dim(0), w = patches.dim(1), hw = patches.dim(2) * patches.dim(3);
  const std::int64_t l = hw + 1;
  check(l == positional_embedding_.dim(0), "model ", name(), ": expects ", config_.input_size, "x",
        config_.input_size, " images (", positional_embedding_.dim(0) - 1, " patches), got ", hw,
        " patches");
  // On a device the two token kernels give the same single float add per element as the loop.
  if (patches.device() != Device::CPU) {
    return prepend_class_token(patches_to_tokens(patches), class_embedding_, positional_embedding_);
  }
  Tensor tokens = Tensor::empty({n, l, w});
  const float* src = patches.data<float>();
  const float* cls = class_embedding_.data<float>();
  const float* pos = positional_embedding_.data<float>();
  float* dst = tokens.data<float>();
  parallel_for(0, n * l, 8, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t nl = begin; nl < end; ++nl) {
      const std::int64_t img = nl / l, tok = nl % l;
      float* row = dst + nl * w;
      const float* p = pos + tok * w;
      if (tok == 0) {
        for (std::int64_t c = 0; c < w; ++c) row[c] = cls[c] + p[c];
      } else {
        const float* plane = src + img * w * hw + (tok - 1);
        for (std::int64_t c = 0; c < w; ++c) row[c] = plane[c * hw] + p[c];
      }
    }
  });
  return tokens;
}

Tensor ClipVit::forward(const Tensor& images, TapContext& ctx) const {
  check_loaded();
  check_input(images);
  Tensor x = conv1_.forward(images);
  ctx.tap("conv1", x);
  x = ln_pre_.forward(embed(x));
  ctx.tap("ln_pre", x);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    const std::string p = str("transformer.resblocks.", i);
    Tensor h = b.ln_1.forward(x);
    ctx.tap(p + ".ln_1", h);
    if (scheme_ == ClipVitScheme::HF) {
      h = ops::multi_head_attention(h, h, h, stack0(b.q_weight, b.k_weight, b.v_weight),
                                    stack0(b.q_bias, b.k_bias, b.v_bias), b.attn.out_proj_weight,
                                    b.attn.out_proj_bias, b.attn.num_heads);
    } else {
      h = b.attn.forward(h);
    }
    ctx.tap(p + ".attn", h);
    x = ops::add(x, h);
    ctx.tap(p + ".add", x);
    h = b.ln_2.forward(x);
    ctx.tap(p + ".ln_2", h);
    h = b.c_fc.forward(h);
    ctx.tap(p + ".mlp.c_fc", h);
    h = config_.quick_gelu ? ops::quick_gelu(h) : ops::gelu(h);
    ctx.tap(p + ".mlp.gelu", h);
    h = b.c_proj.forward(h);
    ctx.tap(p + ".mlp.c_proj", h);
    ctx.tap(p + ".mlp", h);
    x = ops::add(x, h);
    ctx.tap(p + ".add_1", x);
    ctx.tap(p, x);
  }
  ctx.tap("transformer.resblocks", x);
  ctx.tap("transformer", x);
  // ln_post on the class token only.
  Tensor cls = ln_post_.forward(select_token(x, 0));
  ctx.tap("ln_post", cls);
  Tensor out;
  if (scheme_ != ClipVitScheme::HF) {
    out = ops::matmul(cls, proj_);
  } else if (cls.device() == Device::CPU) {
    out = ops::matmul(cls, transpose2d(proj_));
  } else {
    out = ops::linear(cls, proj_, Tensor{});  // HF stores proj^T: x @ proj = linear(x, proj^T)
  }
  ctx.tap("proj", out);
  return out;
}

}  // namespace repscope
