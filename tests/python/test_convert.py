"""Tests weights/convert.py on checkpoints made here, in each format users download:
a torchvision state dict (.pth), OpenAI CLIP TorchScript archives (.pt, float16, like the
published RN50.pt / ViT-B-32.pt) and an open_clip training checkpoint (`module.` prefix).

Asserts every converted tensor equals the original (names, dtypes, values), then writes
expected.safetensors (images and each CLIP model's embedding, computed by OpenAI's model code)
so the C++ test can load the converted files and compare.

  python tests/python/test_convert.py --out DIR
"""

import argparse
import os
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")

import torch
import torchvision
from safetensors.torch import load_file, save_file

from clip.model import CLIP

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONVERT = os.path.join(ROOT, "weights", "convert.py")


def convert(*args):
    r = subprocess.run([sys.executable, CONVERT, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def assert_same(converted_path, expected):
    got = load_file(converted_path)
    assert sorted(got) == sorted(expected), (sorted(set(got) ^ set(expected)))[:10]
    for k, v in expected.items():
        assert got[k].dtype == v.dtype, (k, got[k].dtype, v.dtype)
        assert torch.equal(got[k], v), k


def tiny_clip(vision_layers, width, patch):
    torch.manual_seed(1)
    model = CLIP(embed_dim=32, image_resolution=64, vision_layers=vision_layers, vision_width=width,
                 vision_patch_size=patch, context_length=8, vocab_size=64, transformer_width=32,
                 transformer_heads=2, transformer_layers=1).eval()
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():  # random everything (CLIP zero-inits some), float16-representable
        for _, p in model.named_parameters():
            p.copy_((torch.randn(p.shape, generator=g) * 0.2).half().float())
        for name, b in model.named_buffers():
            if name.endswith("running_var"):
                b.copy_((0.5 + torch.rand(b.shape, generator=g)).half().float())
            elif name.endswith("running_mean"):
                b.copy_((0.1 * torch.randn(b.shape, generator=g)).half().float())
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)

    # torchvision .pth: a plain state dict, num_batches_tracked (int64) included.
    torch.manual_seed(0)
    tv = torchvision.models.resnet18()
    tv_state = {k: v.clone() for k, v in tv.state_dict().items()}
    torch.save(tv_state, os.path.join(out, "resnet18.pth"))
    convert(os.path.join(out, "resnet18.pth"), os.path.join(out, "tv_resnet18.safetensors"))
    assert_same(os.path.join(out, "tv_resnet18.safetensors"), tv_state)

    images = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    text = torch.zeros(1, 8, dtype=torch.long)
    expected = {"images": images}
    for name, (layers, width, patch) in {"vit": (1, 64, 32), "rn": ((1, 1, 1, 1), 64, 0)}.items():
        model = tiny_clip(layers, width, patch)
        with torch.no_grad():
            expected[name] = model.encode_image(images).float()
        fp32_state = {k: v.clone() for k, v in model.state_dict().items()}
        # OpenAI publishes traced TorchScript archives holding float16 weights.
        traced = torch.jit.trace(model, (images, text), check_trace=False)
        traced = traced.half()
        pt = os.path.join(out, f"clip_{name}.pt")
        torch.jit.save(traced, pt)
        half_state = {k: (v.half() if v.is_floating_point() else v) for k, v in fp32_state.items()}
        st = os.path.join(out, f"openai_{name}.safetensors")
        print(convert(pt, st).strip())
        assert_same(st, half_state)
        st_visual = os.path.join(out, f"openai_{name}_visual_f32.safetensors")
        convert(pt, st_visual, "--visual-only", "--dtype", "f32")
        assert_same(st_visual, {k[7:]: v for k, v in fp32_state.items() if k.startswith("visual.")})

    # open_clip training checkpoint: {"epoch", "state_dict": {"module." + key}}, with a non-tensor.
    oc_state = {"module." + k: v for k, v in tiny_clip(1, 64, 32).state_dict().items()}
    torch.save({"epoch": 3, "name": "run", "state_dict": oc_state}, os.path.join(out, "epoch_3.pt"))
    convert(os.path.join(out, "epoch_3.pt"), os.path.join(out, "open_clip_vit.safetensors"))
    assert_same(os.path.join(out, "open_clip_vit.safetensors"), {k[7:]: v for k, v in oc_state.items()})

    # A file that is not a checkpoint: a clear message, non-zero exit, no output left behind.
    bad = os.path.join(out, "not_a_checkpoint.pt")
    with open(bad, "w") as f:
        f.write("hello")
    r = subprocess.run([sys.executable, CONVERT, bad, os.path.join(out, "bad.safetensors")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "not_a_checkpoint.pt" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(out, "bad.safetensors"))

    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(out, "expected.safetensors"))
    print("test_convert: ok")


if __name__ == "__main__":
    main()
