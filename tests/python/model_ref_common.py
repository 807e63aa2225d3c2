"""Shared helpers of the model parity scripts (ref_resnet.py, ref_vit.py).

Seeded random weights (BatchNorm running statistics randomised too), real fLoc images
preprocessed by the reference transforms, and every reference tap saved as safetensors.
"""
import os
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file


def floc_images(floc_dir, count):
    """The first `count` images of a fixed list of fLoc files (different categories)."""
    picks = ["adult/adult-1.jpg", "house/house-1.jpg", "car/car-1.jpg", "body/body-1.jpg"]
    return [os.path.join(floc_dir, p) for p in picks[:count]]


def torchvision_input(paths, size=224, resize=256):
    """torchvision ImageNet transform: bilinear Resize, CenterCrop, ToTensor, Normalize."""
    from torchvision import transforms as T
    tf = T.Compose([T.Resize(resize, interpolation=T.InterpolationMode.BILINEAR), T.CenterCrop(size),
                    T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    return torch.stack([tf(Image.open(p).convert("RGB")) for p in paths])


def randomize_batchnorm(model, generator):
    """Non-trivial eval statistics so BatchNorm is really exercised."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=generator) * 0.1)


def randomize_zeros(model, generator, std=0.02):
    """Tensors the reference initialises to zero (ViT head, class token, biases) get small noise
    so a parity test would see a wrong use of them."""
    for name, p in model.named_parameters():
        if torch.count_nonzero(p) == 0:
            p.data.copy_(torch.randn(p.shape, generator=generator) * std)


def save_state(model, path, dtype=None):
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    if dtype is not None:
        state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}
    save_file(state, path)


def save_taps(taps, path):
    # clone(): several taps may share memory (a container's output is its last leaf's).
    save_file({k: v.detach().float().contiguous().clone() for k, v in taps.items()}, path)


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def hook_modules(model, names):
    """Forward hooks on the named modules; returns (outputs dict, call order list)."""
    out, order = {}, []
    modules = dict(model.named_modules())

    def make(name):
        def hook(_m, _inp, output):
            if isinstance(output, tuple):
                output = output[0]
            out[name] = output
            if name not in order:
                order.append(name)
        return hook

    for n in names:
        modules[n].register_forward_hook(make(n))
    return out, order


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)
