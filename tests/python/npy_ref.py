"""Reference side of tests/io/test_npy.cpp, using numpy.

  npy_ref.py make DIR   writes DIR/<case>.npy with np.save (every supported dtype, 0-d, empty,
                        a version 2.0 header) plus DIR/<case>.bin (raw little-endian C-order bytes)
                        and DIR/ref.json describing them.
  npy_ref.py check DIR  loads the files repscope wrote (listed in DIR/ours.json with their raw
                        bytes) with np.load, normal and memory-mapped, compares bit-exactly, and
                        checks DIR/stream.npy (written by 1000 appends); prints OK.
"""
import json
import sys

import numpy as np

DESCRS = ["<f4", "<f2", "<f8", "<i8", "<i4", "<i2", "|i1", "|u1", "|b1"]


def sample(descr, shape, rng):
    dt = np.dtype(descr)
    if dt.kind == "f":
        a = rng.standard_normal(shape).astype(dt)
        if a.size >= 3:
            a.flat[0], a.flat[1], a.flat[2] = np.inf, -0.0, np.nan
        return a
    if dt.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    info = np.iinfo(dt)
    a = rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
    if a.size >= 2:
        a.flat[0], a.flat[1] = info.min, info.max
    return a


def make(out):
    rng = np.random.default_rng(11)
    cases = []

    def add(name, a, version=None):
        if version is None:
            np.save(f"{out}/{name}.npy", a)
        else:
            with open(f"{out}/{name}.npy", "wb") as f:
                np.lib.format.write_array(f, a, version=version)
        with open(f"{out}/{name}.bin", "wb") as f:
            f.write(np.ascontiguousarray(a).tobytes())
        cases.append({"name": name, "descr": a.dtype.str, "shape": list(a.shape)})

    for d in DESCRS:
        add("a" + d[1:], sample(d, (4, 3, 5), rng))
    add("scalar", np.array(3.5, dtype="<f4"))
    add("empty", np.zeros((0, 6), dtype="<f2"))
    add("vector", np.arange(7, dtype="<i8"))
    add("v2", sample("<f4", (2, 3), rng), version=(2, 0))
    add("fortran_1d", np.asfortranarray(np.arange(5, dtype="<f4")))
    with open(f"{out}/ref.json", "w") as f:
        json.dump(cases, f)
    # Files repscope must reject: Fortran order and big-endian data.
    np.save(f"{out}/fortran.npy", np.asfortranarray(np.ones((3, 4), dtype="<f4")))
    np.save(f"{out}/bigendian.npy", np.ones(3, dtype=">f4"))
    np.save(f"{out}/complex.npy", np.ones(3, dtype="<c8"))
    np.save(f"{out}/uint16.npy", np.ones(3, dtype="<u2"))


def check(out):
    with open(f"{out}/ours.json") as f:
        cases = json.load(f)
    for c in cases:
        for mmap in (None, "r"):
            a = np.load(f"{out}/{c['name']}.npy", mmap_mode=mmap, allow_pickle=False)
            assert a.dtype.str == c["descr"], (c, a.dtype.str)
            assert list(a.shape) == c["shape"], (c, a.shape)
            with open(f"{out}/{c['name']}.bin", "rb") as f:
                assert a.tobytes() == f.read(), f"bytes differ for {c['name']}"
        with open(f"{out}/{c['name']}.npy", "rb") as f:
            version = np.lib.format.read_magic(f)
            assert version == tuple(c.get("version", (1, 0))), (c, version)
    s = np.load(f"{out}/stream.npy")
    rows, row_shape = 3000, (2, 5)
    assert s.shape == (rows,) + row_shape and s.dtype == np.float32, (s.shape, s.dtype)
    r = np.arange(rows, dtype=np.float32)[:, None, None]
    j = np.arange(10, dtype=np.float32).reshape(row_shape)[None]
    assert np.array_equal(s, r * 10 + j), "stream data differs"
    print("OK", len(cases), "files and the stream")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
