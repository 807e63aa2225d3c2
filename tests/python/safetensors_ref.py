"""Reference side of tests/io/test_safetensors.cpp, using the `safetensors` package.

  safetensors_ref.py make DIR   writes DIR/ref.safetensors (every dtype, 0-d and empty tensors,
                                metadata) with safetensors.torch.save_file, each tensor's raw
                                little-endian bytes as DIR/<i>.bin and DIR/ref.json describing them.
  safetensors_ref.py check DIR  loads DIR/ours.safetensors (written by repscope) with the package
                                and compares it bit-exactly with DIR/ours.json + DIR/<i>.bin
                                (written by the C++ test); prints OK.
"""
import json
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; same bits
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def make(out):
    g = torch.Generator().manual_seed(7)
    tensors = {}
    for name, dt in DTYPES.items():
        if dt.is_floating_point:
            t = torch.randn(3, 5, generator=g, dtype=torch.float64).to(dt)
            t[0, 0] = float("inf")
            t[0, 1] = -0.0
            t[0, 2] = 1e-40 if dt in (torch.float32, torch.float64) else 1e-7  # subnormal / tiny
        elif dt == torch.bool:
            t = torch.randint(0, 2, (3, 5), generator=g).bool()
        else:
            info = torch.iinfo(dt)
            t = torch.randint(max(info.min, -2**62), min(info.max, 2**62), (3, 5), generator=g, dtype=torch.int64).to(dt)
            t[0, 0] = info.min
            t[0, 1] = info.max
        tensors[f"w.{name.lower()}"] = t
    tensors["scalar"] = torch.tensor(2.5, dtype=torch.float32)
    tensors["empty"] = torch.zeros(0, 4, dtype=torch.float16)
    tensors["odd.u8"] = torch.arange(3, dtype=torch.uint8)  # 3 bytes: later tensors may be unaligned
    tensors["layer1.0.conv1.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    metadata = {"format": "pt", "note": "ünïcode ✓"}
    save_file(tensors, f"{out}/ref.safetensors", metadata=metadata)
    desc = []
    for i, (name, t) in enumerate(tensors.items()):
        with open(f"{out}/{i}.bin", "wb") as f:
            f.write(raw_bytes(t))
        dtype = next(k for k, v in DTYPES.items() if v == t.dtype)
        desc.append({"name": name, "dtype": dtype, "shape": list(t.shape), "file": f"{i}.bin"})
    with open(f"{out}/ref.json", "w", encoding="utf-8") as f:
        json.dump({"tensors": desc, "metadata": metadata}, f, ensure_ascii=False)


def check(out):
    with open(f"{out}/ours.json", encoding="utf-8") as f:
        desc = json.load(f)
    loaded = load_file(f"{out}/ours.safetensors")
    with safe_open(f"{out}/ours.safetensors", framework="pt") as f:
        metadata = f.metadata() or {}
    assert metadata == desc["metadata"], (metadata, desc["metadata"])
    assert set(loaded) == {t["name"] for t in desc["tensors"]}, (sorted(loaded), desc["tensors"])
    for t in desc["tensors"]:
        got = loaded[t["name"]]
        assert got.dtype == DTYPES[t["dtype"]], (t, got.dtype)
        assert list(got.shape) == t["shape"], (t, got.shape)
        with open(f"{out}/{t['file']}", "rb") as f:
            want = f.read()
        assert raw_bytes(got) == want, f"bytes differ for {t['name']}"
    # The same file through the numpy API (no bf16 there): a second independent load path.
    from safetensors.numpy import load_file as np_load
    try:
        np_load(f"{out}/ours.safetensors")
    except (TypeError, ValueError) as e:  # bf16 is not a numpy dtype
        assert "bf16" in str(e).lower() or "bfloat16" in str(e).lower(), e
    print("OK", len(desc["tensors"]), "tensors")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
