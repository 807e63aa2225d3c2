"""Reference for the CLIP image encoders: seeded random weights in every naming scheme, the
reference preprocessing of real images, and every tap of OpenAI's own model code.

Writes into --out:
  input.safetensors          "images": [N, 3, n_px, n_px] float32 from clip's own transform
  weights_openai_visual.safetensors   the visual tower alone (OpenAI keys, no prefix), float32
  weights_openai_full_f16.safetensors whole CLIP model (tiny text tower), `visual.` prefix, float16
  weights_open_clip.safetensors       open_clip CLIP model state dict (visual. prefix), float32
  weights_hf.safetensors              HF CLIPVisionModelWithProjection (ViT only), float32
  taps.safetensors           tap name -> [N, ...per-image shape], batch first, float32
  taps.txt                   tap names in execution order, one per line (with --no-taps: only
                             "output", the final embedding)
  summary.txt                cross-implementation checks (open_clip / HF vs OpenAI), max abs diff

With --f16-exact the weights are rounded to float16 first, so every file holds the same values and
the C++ side must produce identical outputs from each of them.
"""

import argparse
import os
import sys
import warnings
from collections import OrderedDict

warnings.filterwarnings("ignore")

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

import clip
from clip.model import CLIP, ModifiedResNet, VisionTransformer

RN_CONFIGS = {  # stage blocks, width, embed dim, input px
    "rn50": ([3, 4, 6, 3], 64, 1024, 224),
    "rn101": ([3, 4, 23, 3], 64, 512, 224),
    "rn50x4": ([4, 6, 10, 6], 80, 640, 288),
    "rn50x16": ([6, 8, 18, 8], 96, 768, 384),
    "rn50x64": ([3, 15, 36, 10], 128, 1024, 448),
}
VIT_CONFIGS = {  # px, patch, width, layers, heads, embed
    "vit_b_32": (224, 32, 768, 12, 12, 512),
    "vit_b_16": (224, 16, 768, 12, 12, 512),
    "vit_l_14": (224, 14, 1024, 24, 16, 768),
    "vit_l_14_336": (336, 14, 1024, 24, 16, 768),
}


def build(arch, depth):
    if arch in RN_CONFIGS:
        layers, width, embed, px = RN_CONFIGS[arch]
        if depth:
            layers = [int(d) for d in depth.split(",")]
        model = ModifiedResNet(layers, embed, width * 32 // 64, px, width)
        cfg = dict(kind="rn", layers=layers, width=width, embed=embed, px=px, patch=None, heads=width // 2)
    else:
        px, patch, width, layers, heads, embed = VIT_CONFIGS[arch]
        if depth:
            layers = int(depth)
        model = VisionTransformer(px, patch, width, layers, heads, embed)
        cfg = dict(kind="vit", layers=layers, width=width, embed=embed, px=px, patch=patch, heads=heads)
    return model.eval(), cfg


def randomize(model, seed, f16_exact):
    """Every parameter and BatchNorm statistic gets seeded random values around its usual scale,
    so biases, LayerNorm affine terms and running statistics are all exercised."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 and name.endswith("weight"):  # norm scales
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel() if p.ndim > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in**0.5)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=g))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=g))
        if f16_exact:
            for t in list(model.parameters()) + list(model.buffers()):
                if t.is_floating_point():
                    t.copy_(t.half().float())


def tensors_of(state):
    return OrderedDict((k, v.detach().contiguous().clone()) for k, v in state.items())


def record_taps(model, cfg, images):
    """Forward hooks on every module of the OpenAI model; functional residual additions are
    recorded as fx names them (`add`, `add_1`) from the input of the module that follows them.
    Sequence-first (L, N, E) transformer outputs are stored batch first (N, L, E)."""
    taps = OrderedDict()

    def store(name, value):
        if isinstance(value, tuple):
            value = value[0]
        value = value.detach().clone()  # the model's ReLUs and `out += identity` run in place
        if name.startswith("transformer") and value.ndim == 3:
            value = value.permute(1, 0, 2)
        assert name not in taps, name
        taps[name] = value.contiguous()

    handles = []
    for name, module in model.named_modules():
        if name == "":
            continue
        handles.append(module.register_forward_hook(lambda m, i, o, name=name: store(name, o)))
        if cfg["kind"] == "rn" and name.endswith(".relu3") and name.count(".") == 2:
            block = name.rsplit(".", 1)[0]
            handles.append(module.register_forward_pre_hook(lambda m, i, block=block: store(block + ".add", i[0])))
        if cfg["kind"] == "vit" and name.endswith(".ln_2"):
            block = name.rsplit(".", 1)[0]
            handles.append(module.register_forward_pre_hook(lambda m, i, block=block: store(block + ".add", i[0])))
    if cfg["kind"] == "vit":
        # add_1 is the block's output: record it when the block finishes, before the block's own hook.
        for name, module in model.named_modules():
            if name.count(".") == 2 and name.startswith("transformer.resblocks."):
                module.register_forward_hook(lambda m, i, o, name=name: store(name + ".add_1", o))
                # move it ahead of the generic hook registered above so the order is add_1, block
                hooks = module._forward_hooks
                last = next(reversed(hooks))
                hooks.move_to_end(last, last=False)
    with torch.no_grad():
        out = model(images)
    for h in handles:
        h.remove()
    if cfg["kind"] == "vit":
        taps["proj"] = out.detach().clone()  # `x @ proj`: not a module, named after the parameter
    else:
        assert torch.equal(taps["attnpool"], out)  # the attention pool's output is the embedding
    return taps


def to_hf(visual_state, cfg):
    """OpenAI ViT keys -> HF CLIPVisionModelWithProjection keys (q/k/v split, projection transposed)."""
    hf = OrderedDict()
    p = "vision_model."
    hf[p + "embeddings.class_embedding"] = visual_state["class_embedding"]
    hf[p + "embeddings.patch_embedding.weight"] = visual_state["conv1.weight"]
    hf[p + "embeddings.position_embedding.weight"] = visual_state["positional_embedding"]
    hf[p + "pre_layrnorm.weight"] = visual_state["ln_pre.weight"]
    hf[p + "pre_layrnorm.bias"] = visual_state["ln_pre.bias"]
    for i in range(cfg["layers"]):
        o = f"transformer.resblocks.{i}."
        h = f"{p}encoder.layers.{i}."
        w = visual_state[o + "attn.in_proj_weight"].chunk(3, 0)
        b = visual_state[o + "attn.in_proj_bias"].chunk(3, 0)
        for j, qkv in enumerate("qkv"):
            hf[h + f"self_attn.{qkv}_proj.weight"] = w[j]
            hf[h + f"self_attn.{qkv}_proj.bias"] = b[j]
        for ours, theirs in [("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"),
                             ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2"), ("ln_2", "layer_norm2")]:
            hf[h + theirs + ".weight"] = visual_state[o + ours + ".weight"]
            hf[h + theirs + ".bias"] = visual_state[o + ours + ".bias"]
    hf[p + "post_layernorm.weight"] = visual_state["ln_post.weight"]
    hf[p + "post_layernorm.bias"] = visual_state["ln_post.bias"]
    hf["visual_projection.weight"] = visual_state["proj"].t()
    return hf


def load_images(paths, n_px):
    transform = clip.clip._transform(n_px)
    return torch.stack([transform(Image.open(p)) for p in paths])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=sorted(RN_CONFIGS) + sorted(VIT_CONFIGS))
    ap.add_argument("--depth", default="", help="override: 'a,b,c,d' stage blocks (RN) or layers (ViT)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--images", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--schemes", default="openai_visual", help="comma list: openai_visual,openai_full_f16,open_clip,hf")
    ap.add_argument("--f16-exact", action="store_true")
    ap.add_argument("--no-taps", action="store_true", help="only the final output")
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(args.seed)
    model, cfg = build(args.arch, args.depth)
    randomize(model, args.seed, args.f16_exact)
    images = load_images(args.images, cfg["px"])
    save_file({"images": images.contiguous()}, os.path.join(args.out, "input.safetensors"))

    if args.no_taps:
        with torch.no_grad():
            taps = OrderedDict(output=model(images).detach().clone())
    else:
        taps = record_taps(model, cfg, images)
    save_file(dict(taps), os.path.join(args.out, "taps.safetensors"))
    with open(os.path.join(args.out, "taps.txt"), "w") as f:
        f.write("".join(name + "\n" for name in taps))

    final = next(reversed(taps.values()))
    visual_state = tensors_of(model.state_dict())
    summary = []
    schemes = [s for s in args.schemes.split(",") if s]
    for scheme in schemes:
        path = os.path.join(args.out, f"weights_{scheme}.safetensors")
        if scheme == "openai_visual":
            save_file(dict(visual_state), path)
        elif scheme == "openai_full_f16":
            vision_layers = tuple(cfg["layers"]) if cfg["kind"] == "rn" else cfg["layers"]
            full = CLIP(cfg["embed"], cfg["px"], vision_layers, cfg["width"], cfg["patch"] or 0,
                        context_length=8, vocab_size=64, transformer_width=32, transformer_heads=2,
                        transformer_layers=1).eval()
            full.visual.load_state_dict(visual_state, strict=True)
            state = tensors_of(full.state_dict())
            save_file({k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}, path)
        elif scheme == "open_clip":
            import open_clip
            vision_cfg = dict(layers=cfg["layers"], width=cfg["width"], image_size=cfg["px"])
            if cfg["kind"] == "vit":
                vision_cfg["patch_size"] = cfg["patch"]
                vision_cfg["head_width"] = cfg["width"] // cfg["heads"]
            else:
                vision_cfg["head_width"] = 64
            oc = open_clip.model.CLIP(cfg["embed"], vision_cfg,
                                      dict(context_length=8, vocab_size=64, width=32, heads=2, layers=1),
                                      quick_gelu=True).eval()
            missing, unexpected = oc.visual.load_state_dict(visual_state, strict=False)
            assert not missing and not unexpected, (missing, unexpected)
            with torch.no_grad():
                diff = (oc.encode_image(images) - final).abs().max().item()
            summary.append(f"open_clip_vs_openai_max_abs {diff:.3g}")
            save_file(dict(tensors_of(oc.state_dict())), path)
        elif scheme == "hf":
            assert cfg["kind"] == "vit", "HF has no CLIP ResNet"
            hf_state = to_hf(visual_state, cfg)
            try:
                from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
            except ImportError:
                summary.append("hf_model unavailable: keys written from the documented layout")
            else:
                hf_cfg = CLIPVisionConfig(hidden_size=cfg["width"], intermediate_size=4 * cfg["width"],
                                          num_hidden_layers=cfg["layers"], num_attention_heads=cfg["heads"],
                                          image_size=cfg["px"], patch_size=cfg["patch"],
                                          projection_dim=cfg["embed"], hidden_act="quick_gelu",
                                          layer_norm_eps=1e-5)
                hf_model = CLIPVisionModelWithProjection(hf_cfg).eval()
                hf_model.load_state_dict(hf_state, strict=True)
                with torch.no_grad():
                    diff = (hf_model(pixel_values=images).image_embeds - final).abs().max().item()
                summary.append(f"hf_vs_openai_max_abs {diff:.3g}")
                hf_state = tensors_of(hf_model.state_dict())
            save_file(dict(hf_state), path)
        else:
            sys.exit(f"unknown scheme {scheme}")
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write("".join(line + "\n" for line in summary))
    print("\n".join(summary))


if __name__ == "__main__":
    main()
