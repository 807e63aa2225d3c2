"""Reference for the ViT parity tests (tests/nn/test_vit.cpp).

usage: ref_vit.py ARCH OUT_DIR FLOC_DIR [--depth D] [--images N] [--names-only] [--timm-copy NAME]
ARCH is a torchvision name (vit_b_16 ...) or a timm name (vit_base_patch16_224 ...). Writes
weights.safetensors (seeded random weights; tensors the reference zero-initialises get small
noise), input.safetensors (fLoc images through the model's reference transform),
taps.safetensors (every module output via forward hooks, Identity and Dropout modules excepted,
plus the residual adds as `<block>.add` / `<block>.add_1`), hook_order.txt, params.txt.
--timm-copy NAME (torchvision ARCH only): also writes timm_weights.safetensors, the same weights
under the timm model NAME's keys, after checking in torch that both models agree.
"""
import argparse
import os

import timm
import torch
import torchvision
from torchvision.models.vision_transformer import VisionTransformer

import model_ref_common as common

SKIP = (torch.nn.Identity, torch.nn.Dropout)


TV_CONFIGS = {  # patch, layers, heads, width, mlp (torchvision.models.vit_*)
    "vit_b_16": (16, 12, 12, 768, 3072), "vit_b_32": (32, 12, 12, 768, 3072),
    "vit_l_16": (16, 24, 16, 1024, 4096), "vit_l_32": (32, 24, 16, 1024, 4096),
    "vit_h_14": (14, 32, 16, 1280, 5120)}


def build(arch, depth, image_size=None):
    """image_size other than the default only for --names-only (module order is size-free)."""
    if arch in TV_CONFIGS:
        if depth is None and image_size is None:
            return getattr(torchvision.models, arch)(), "torchvision"
        patch, layers, heads, width, mlp = TV_CONFIGS[arch]
        return VisionTransformer(image_size=image_size or 224, patch_size=patch,
                                 num_layers=depth or layers, num_heads=heads, hidden_dim=width,
                                 mlp_dim=mlp), "torchvision"
    kwargs = {} if depth is None else {"depth": depth}
    if image_size:
        kwargs["img_size"] = image_size
    return timm.create_model(arch, pretrained=False, **kwargs), "timm"


def tv_to_timm_key(k):
    k = k.replace("encoder.layers.encoder_layer_", "blocks.")
    for a, b in [("class_token", "cls_token"), ("encoder.pos_embedding", "pos_embed"),
                 ("conv_proj.", "patch_embed.proj."), (".ln_1.", ".norm1."), (".ln_2.", ".norm2."),
                 (".self_attention.in_proj_weight", ".attn.qkv.weight"),
                 (".self_attention.in_proj_bias", ".attn.qkv.bias"),
                 (".self_attention.out_proj.", ".attn.proj."), (".mlp.0.", ".mlp.fc1."),
                 (".mlp.3.", ".mlp.fc2."), ("encoder.ln.", "norm."), ("heads.head.", "head.")]:
        k = k.replace(a, b)
    return k


def model_input(model, scheme, paths):
    if scheme == "torchvision":
        return common.torchvision_input(paths)
    from PIL import Image
    cfg = timm.data.resolve_data_config({}, model=model)
    tf = timm.data.create_transform(**cfg)
    return torch.stack([tf(Image.open(p).convert("RGB")) for p in paths])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch")
    ap.add_argument("out")
    ap.add_argument("floc")
    ap.add_argument("--depth", type=int)
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--names-only", action="store_true")
    ap.add_argument("--timm-copy")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed + 1)
    model, scheme = build(a.arch, a.depth)
    model.eval()
    common.randomize_zeros(model, g)
    common.write_lines(os.path.join(a.out, "params.txt"),
                       [f"{k} {list(v.shape)}" for k, v in model.state_dict().items()])
    if a.names_only:
        # The hook order does not depend on the image size: run a 2x2-patch image instead.
        patch = model.patch_size if scheme == "torchvision" else model.patch_embed.patch_size[0]
        model, scheme = build(a.arch, a.depth, image_size=2 * patch)
        model.eval()
    names = [n for n, m in model.named_modules() if n and not isinstance(m, SKIP)]
    taps, order = common.hook_modules(model, names)
    blocks = [n for n, m in model.named_modules()
              if type(m).__name__ in ("EncoderBlock", "Block")]
    modules = dict(model.named_modules())
    for b in blocks:
        ln2 = modules[b + (".ln_2" if scheme == "torchvision" else ".norm2")]

        def pre(_m, inp, name=b + ".add"):
            taps[name] = inp[0]
        ln2.register_forward_pre_hook(pre)
    if a.names_only:
        x = torch.zeros(1, 3, 2 * patch, 2 * patch)
    else:
        x = model_input(model, scheme, common.floc_images(a.floc, a.images))
    with torch.no_grad():
        y = model(x)
    for b in blocks:
        taps[b + ".add_1"] = taps[b]
    taps["x"] = x
    common.write_lines(os.path.join(a.out, "hook_order.txt"), order)
    if a.names_only:
        return
    common.save_state(model, os.path.join(a.out, "weights.safetensors"))
    common.save_taps({"input": x, "output": y}, os.path.join(a.out, "input.safetensors"))
    common.save_taps(taps, os.path.join(a.out, "taps.safetensors"))
    if a.timm_copy:
        kwargs = {} if a.depth is None else {"depth": a.depth}
        other = timm.create_model(a.timm_copy, pretrained=False, **kwargs).eval()
        state = {tv_to_timm_key(k): v for k, v in model.state_dict().items()}
        other.load_state_dict(state, strict=True)
        with torch.no_grad():
            y2 = other(x)
        diff = (y - y2).abs().max().item() / y.abs().max().item()
        if diff > 1e-5:
            common.die(f"torchvision and timm disagree: {diff}")
        common.save_state(other, os.path.join(a.out, "timm_weights.safetensors"))


if __name__ == "__main__":
    main()
