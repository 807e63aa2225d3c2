#!/usr/bin/env python3
"""PyTorch side of the GPU comparison: eager forward passes with forward hooks on the block
outputs (copied to the CPU per batch, as repscope downloads its taps), or without hooks.

Prints lines like repscope's bench/gpu_extract:
  torch_extract model=resnet50 precision=exact taps=blocks batch=128 images=2048 seconds=... images_per_s=...
Precision: exact = fp32 with TF32 off; tf32 = TF32 matmul/cuDNN; fp16/bf16 = autocast.
Models: resnet50 and vit_b_16 from torchvision (random init); clip_rn50 from the `clip` package
when it is installed (skipped otherwise).
"""
import argparse
import time

import torch


def build(name):
    import torchvision
    if name == "resnet50":
        m = torchvision.models.resnet50()
        blocks = [f"layer{s}.{i}" for s, n in zip(range(1, 5), [3, 4, 6, 3]) for i in range(n)]
        blocks += ["layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
        return m, blocks, 224
    if name == "vit_b_16":
        m = torchvision.models.vit_b_16()
        blocks = [f"encoder.layers.encoder_layer_{i}" for i in range(12)] + ["encoder.ln", "heads"]
        return m, blocks, 224
    if name == "clip_rn50":
        try:
            from clip.model import ModifiedResNet
        except ImportError:
            return None, None, None
        m = ModifiedResNet([3, 4, 6, 3], 1024, 32, 224, 64)
        blocks = [f"layer{s}.{i}" for s, n in zip(range(1, 5), [3, 4, 6, 3]) for i in range(n)]
        blocks += ["layer1", "layer2", "layer3", "layer4", "attnpool"]
        return m, blocks, 224
    raise SystemExit(f"unknown model {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--precision", default="exact", choices=["exact", "tf32", "fp16", "bf16"])
    ap.add_argument("--taps", default="blocks", choices=["blocks", "none"])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--images", type=int, default=2048)
    a = ap.parse_args()
    model, blocks, px = build(a.model)
    if model is None:
        print(f"torch_extract model={a.model} skipped=clip-package-missing")
        return
    tf32 = a.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    model = model.cuda().eval()
    sink = []
    if a.taps == "blocks":
        modules = dict(model.named_modules())
        for b in blocks:
            modules[b].register_forward_hook(
                lambda _m, _i, out: sink.append((out[0] if isinstance(out, tuple) else out)
                                                .float().to("cpu", non_blocking=True)))
    x = torch.randn(a.batch, 3, px, px, device="cuda")
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(a.precision)

    def run(n):
        with torch.inference_mode(), torch.autocast("cuda", dtype=dtype or torch.float16,
                                                    enabled=dtype is not None):
            for _ in range(n):
                model(x)
                sink.clear()
        torch.cuda.synchronize()

    run(2)
    batches = (a.images + a.batch - 1) // a.batch
    t0 = time.perf_counter()
    run(batches)
    s = time.perf_counter() - t0
    print(f"torch_extract model={a.model} precision={a.precision} taps={a.taps} batch={a.batch} "
          f"images={batches * a.batch} seconds={s:.3f} images_per_s={batches * a.batch / s:.1f} "
          f"torch={torch.__version__}")


if __name__ == "__main__":
    main()
