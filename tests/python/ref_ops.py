"""Reference for the op-level PyTorch parity test (tests/nn/test_ops_torch_parity.cpp).

usage: ref_ops.py OUT_DIR
Writes OUT_DIR/ops.safetensors: for every case NAME the inputs NAME.in0, NAME.in1, ... (an
absent optional tensor is simply not written) and torch's output NAME.out; the metadata maps
NAME to "op n_inputs arg arg ..." (the scalar arguments in nn/ops.h order).
"""
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
tensors = {}
meta = {}


def rnd(*shape, scale=1.0):
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1) * scale


def case(name, op, args, inputs, out):
    for i, t in enumerate(inputs):
        if t is not None:
            tensors[f"{name}.in{i}"] = t.clone().contiguous()
    tensors[f"{name}.out"] = out.detach().contiguous()
    meta[name] = " ".join([op, str(len(inputs))] + [str(a) for a in args])


@torch.no_grad()
def main():
    out_dir = sys.argv[1]
    convs = [
        ("conv_stem", (2, 3, 32, 32), (16, 3, 7, 7), False, 2, 3, 1),
        ("conv_3x3_bias", (2, 8, 15, 13), (12, 8, 3, 3), True, 1, 1, 1),
        ("conv_1x1_s2", (2, 16, 9, 9), (32, 16, 1, 1), False, 2, 0, 1),
        ("conv_1x1", (3, 64, 7, 7), (96, 64, 1, 1), True, 1, 0, 1),
        ("conv_grouped", (1, 8, 10, 10), (8, 2, 3, 3), True, 1, 1, 4),
        ("conv_depthwise", (2, 12, 9, 9), (12, 1, 3, 3), False, 2, 1, 12),
        ("conv_patch16", (2, 3, 32, 32), (24, 3, 16, 16), True, 16, 0, 1),
        ("conv_deep", (2, 256, 14, 14), (64, 256, 3, 3), False, 1, 1, 1),
    ]
    for name, xs, ws, has_bias, s, p, g in convs:
        x, w = rnd(*xs), rnd(*ws, scale=0.1)
        b = rnd(ws[0]) if has_bias else None
        case(name, "conv2d", [s, p, g], [x, w, b], F.conv2d(x, w, b, stride=s, padding=p, groups=g))

    x = rnd(2, 16, 7, 7)
    bn = [rnd(16), rnd(16), rnd(16), torch.rand(16) + 0.1]
    case("batch_norm", "batch_norm", [1e-5], [x] + bn,
         F.batch_norm(x, bn[2], bn[3], bn[0], bn[1], training=False, eps=1e-5))

    x = rnd(4, 1000, scale=5.0)
    case("relu", "relu", [], [x], F.relu(x))
    case("gelu", "gelu", [], [x], torch.nn.GELU()(x))
    case("quick_gelu", "quick_gelu", [], [x], x * torch.sigmoid(1.702 * x))
    y = rnd(4, 1000)
    case("add", "add", [], [x, y], x + y)

    x = rnd(2, 4, 17, 17)
    case("max_pool_3s2p1", "max_pool2d", [3, 2, 1], [x], F.max_pool2d(x, 3, 2, 1))
    case("avg_pool_2s2", "avg_pool2d", [2, 2, 0], [x], F.avg_pool2d(x, 2, 2, 0))
    case("avg_pool_3s1p1", "avg_pool2d", [3, 1, 1], [x], F.avg_pool2d(x, 3, 1, 1, count_include_pad=True))
    x = rnd(2, 64, 7, 7)
    case("adaptive_avg_pool", "adaptive_avg_pool2d_1x1", [], [x], F.adaptive_avg_pool2d(x, 1))

    x, w, b = rnd(2, 50, 96), rnd(200, 96, scale=0.2), rnd(200)
    case("linear", "linear", [], [x, w, b], F.linear(x, w, b))
    case("linear_nobias", "linear", [], [x, w, None], F.linear(x, w))
    x, proj = rnd(3, 768), rnd(768, 512, scale=0.05)
    case("matmul", "matmul", [], [x, proj], x @ proj)

    x, w, b = rnd(2, 50, 768, scale=3.0) + 1.0, rnd(768), rnd(768)
    case("layer_norm", "layer_norm", [1e-6], [x, w, b], F.layer_norm(x, (768,), w, b, eps=1e-6))
    x = rnd(3, 10, 197, scale=6.0)
    case("softmax", "softmax_lastdim", [], [x], torch.softmax(x, dim=-1))

    for name, n, lq, lk, e, h in [("mha_self", 2, 50, 50, 64, 8), ("mha_pool", 2, 1, 10, 64, 4)]:
        mha = torch.nn.MultiheadAttention(e, h, batch_first=True).eval()
        torch.nn.init.uniform_(mha.in_proj_bias, -0.5, 0.5)
        torch.nn.init.uniform_(mha.out_proj.bias, -0.5, 0.5)
        q = rnd(n, lq, e)
        kv = q if lq == lk else rnd(n, lk, e)
        out = mha(q, kv, kv, need_weights=False)[0]
        case(name, "multi_head_attention", [h],
             [q, kv, kv, mha.in_proj_weight.detach(), mha.in_proj_bias.detach(),
              mha.out_proj.weight.detach(), mha.out_proj.bias.detach()], out)

    save_file(tensors, f"{out_dir}/ops.safetensors", metadata=meta)


if __name__ == "__main__":
    main()
