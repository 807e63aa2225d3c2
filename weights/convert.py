#!/usr/bin/env python3
"""Convert a PyTorch checkpoint into a safetensors file repscope loads.

The only Python in repscope's runtime story: run it once per checkpoint, where PyTorch is
installed (any version >= 1.10), then give the .safetensors file to `repscope --weights`.

Inputs it understands:
  * torchvision / timm state dicts saved with torch.save (`resnet50-0676ba61.pth`, ...);
  * OpenAI CLIP `.pt` files (`RN50.pt`, `ViT-B-32.pt`, ...): TorchScript archives, read with
    torch.jit.load (plain pickled state dicts work too);
  * open_clip checkpoints: `open_clip_pytorch_model.bin` state dicts and training checkpoints
    ({"epoch", "state_dict": {"module.visual...."}}: the `module.` prefix is removed);
  * .safetensors files (to drop the text tower or change the dtype).

Keys are written unchanged (repscope maps every naming scheme itself); non-tensor entries are
skipped and reported. Tensors keep their dtype unless --dtype says otherwise (OpenAI CLIP holds
float16: repscope converts on load, so keeping it halves the file).

  python3 weights/convert.py RN50.pt clip_rn50.safetensors [--visual-only] [--dtype keep|f32|f16]
"""

import argparse
import os
import sys
import zipfile

WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "module", "net")


def is_torchscript(path):
    """TorchScript archives are zip files holding a `constants.pkl` / `code/` tree."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(n.endswith("constants.pkl") or "/code/" in n for n in z.namelist())


def load_checkpoint(path):
    import torch

    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path), "safetensors"
    if is_torchscript(path):
        return dict(torch.jit.load(path, map_location="cpu").state_dict()), "torchscript"
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # a pickle with classes weights_only refuses
        sys.exit(f"convert.py: {path}: cannot read it as a weights-only checkpoint ({e})")
    if hasattr(obj, "state_dict") and not isinstance(obj, dict):  # a whole pickled nn.Module
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        sys.exit(f"convert.py: {path}: expected a state dict, found {type(obj).__name__}")
    for key in WRAPPER_KEYS:
        inner = obj.get(key)
        if isinstance(inner, dict) and inner and all(isinstance(k, str) for k in inner):
            return inner, f"checkpoint['{key}']"
    return obj, "state dict"


def visual_only(tensors):
    """Keeps the image tower: OpenAI/open_clip `visual.*` (prefix removed), or HF vision keys."""
    if any(k.startswith("visual.") for k in tensors):
        return {k[len("visual."):]: v for k, v in tensors.items() if k.startswith("visual.")}
    if any(k.startswith("vision_model.") for k in tensors):
        return {k: v for k, v in tensors.items()
                if k.startswith("vision_model.") or k == "visual_projection.weight"}
    sys.exit("convert.py: --visual-only: no `visual.` or `vision_model.` keys in this checkpoint")


def convert(src, dst, keep_visual_only=False, dtype="keep"):
    import torch
    from safetensors.torch import save_file

    state, kind = load_checkpoint(src)
    tensors, skipped = {}, []
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            tensors[key] = value
        else:
            skipped.append(key)
    if tensors and all(k.startswith("module.") for k in tensors):
        tensors = {k[len("module."):]: v for k, v in tensors.items()}
    if keep_visual_only:
        tensors = visual_only(tensors)
    if not tensors:
        sys.exit(f"convert.py: {src}: no tensors found")
    target = {"f32": torch.float32, "f16": torch.float16}.get(dtype)
    out = {}
    for key, value in tensors.items():
        value = value.detach().cpu()
        if target is not None and value.is_floating_point():
            value = value.to(target)
        out[key] = value.contiguous().clone()  # safetensors refuses shared or strided storage
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    tmp = dst + ".tmp"
    save_file(out, tmp, metadata={"format": "pt", "source": os.path.basename(src),
                                  "converted_by": "repscope weights/convert.py"})
    os.replace(tmp, dst)  # never leave a half-written file under the final name
    return kind, len(out), skipped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help=".pth / .pt / .bin / .safetensors checkpoint")
    ap.add_argument("output", help="the .safetensors file to write")
    ap.add_argument("--visual-only", action="store_true",
                    help="keep only the CLIP image tower (drops the text tower)")
    ap.add_argument("--dtype", choices=["keep", "f32", "f16"], default="keep",
                    help="floating-point dtype of the output (default: as stored)")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.input):
        sys.exit(f"convert.py: {args.input}: no such file")
    kind, count, skipped = convert(args.input, args.output, args.visual_only, args.dtype)
    print(f"convert.py: {args.input} ({kind}) -> {args.output}: {count} tensors")
    if skipped:
        print(f"convert.py: skipped {len(skipped)} non-tensor entries: {', '.join(skipped[:8])}")


if __name__ == "__main__":
    main()
