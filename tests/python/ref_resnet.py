"""Reference for the ResNet parity tests (tests/nn/test_resnet.cpp).

usage: ref_resnet.py ARCH OUT_DIR FLOC_DIR [--names-only] [--images N]
Writes OUT_DIR/weights.safetensors (torchvision state_dict, seeded random weights with random
BatchNorm statistics), input.safetensors (fLoc images through the torchvision ImageNet transform),
taps.safetensors (every get_graph_node_names eval node via create_feature_extractor, plus the
container modules via forward hooks), graph_nodes.txt, containers.txt, params.txt (name shape).
"""
import argparse
import os

import torch
import torchvision
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

import model_ref_common as common


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch")
    ap.add_argument("out")
    ap.add_argument("floc")
    ap.add_argument("--names-only", action="store_true")
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed + 1)
    model = getattr(torchvision.models, a.arch)().eval()
    common.randomize_batchnorm(model, g)
    # torchvision's ReLU(inplace=True) would overwrite the bn/add outputs a feature extractor
    # returns; the reference value of a tap is the module output when it was produced.
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    _, eval_nodes = get_graph_node_names(model)
    containers = [n for n, m in model.named_modules()
                  if n and len(list(m.children())) > 0]
    common.write_lines(os.path.join(a.out, "graph_nodes.txt"), eval_nodes)
    common.write_lines(os.path.join(a.out, "containers.txt"), containers)
    common.write_lines(os.path.join(a.out, "params.txt"),
                       [f"{k} {list(v.shape)}" for k, v in model.state_dict().items()])
    if a.names_only:
        return
    common.save_state(model, os.path.join(a.out, "weights.safetensors"))
    x = common.torchvision_input(common.floc_images(a.floc, a.images))
    common.save_taps({"input": x}, os.path.join(a.out, "input.safetensors"))
    hooked, _ = common.hook_modules(model, containers)
    extractor = create_feature_extractor(model, return_nodes=eval_nodes).eval()
    with torch.no_grad():
        taps = extractor(x)
        model(x)  # fills the container hooks
    taps = dict(taps)
    taps.update(hooked)
    common.save_taps(taps, os.path.join(a.out, "taps.safetensors"))


if __name__ == "__main__":
    main()
