"""NumPy/SciPy reference of repscope's Itti–Koch–Niebur saliency model (io/saliency/itti_koch.h).

Written separately from the C++ code from the model's definition (docs/saliency.md), with
different primitives: numpy's reflect padding for pyrDown, scipy.ndimage.correlate (mode
"mirror") for the Gabor filters, scipy.ndimage.maximum_filter for local maxima. No PyPI package
runs an Itti–Koch model offline here (pysaliency's IttiKoch downloads and runs the MATLAB
SaliencyToolbox; pySaliencyMap is not on PyPI), so this is the parity reference.

Usage:
  saliency_ref.py maps OUT_DIR IMAGE...      writes <stem>_{intensity,color,orientation,saliency}.npy
  saliency_ref.py gabor OUT_DIR              writes gabor_<theta>_<phase>.npy
  saliency_ref.py change OUT_CSV BASE EDITED...  cosine distance of saliency maps, one row per file
"""
import math
import os
import sys

import numpy as np
from PIL import Image
from scipy import ndimage

LEVELS = 9
CENTERS = (2, 3, 4)
DELTAS = (3, 4)
MAP_LEVEL = 4
COLOR_THRESHOLD = 0.1
ORIENTATIONS = (0.0, 45.0, 90.0, 135.0)
PERIOD, SIGMA, ELONGATION, SIZE = 7.0, 2.3333, 1.0, 9
M = 1.0
LOCAL_MAX_THRESHOLD = 0.1
CONSTANT_RANGE = 1e-10


def pad101(a, p):
    if a.shape[0] == 1 or a.shape[1] == 1:
        # reflect-101 of a single sample is that sample; numpy's reflect needs >= 2.
        out = a
        for axis in (0, 1):
            if out.shape[axis] == 1:
                out = np.pad(out, [(p, p) if ax == axis else (0, 0) for ax in (0, 1)], mode="edge")
            else:
                out = np.pad(out, [(p, p) if ax == axis else (0, 0) for ax in (0, 1)], mode="reflect")
        return out
    return np.pad(a, p, mode="reflect")


def pyr_down(a):
    h, w = a.shape
    oh, ow = (h + 1) // 2, (w + 1) // 2
    k = np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16
    p = pad101(a, 2)
    rows = sum(k[i] * p[:, i:i + 2 * ow:2] for i in range(5))  # (h+4) x ow
    return sum(k[i] * rows[i:i + 2 * oh:2, :] for i in range(5))


def pyramid(a):
    out = [a]
    for _ in range(1, LEVELS):
        out.append(pyr_down(out[-1]))
    return out


def resize_bilinear(a, w, h):
    sh, sw = a.shape
    if (sh, sw) == (h, w):
        return a

    def taps(n_src, n_dst):
        pos = (np.arange(n_dst) + 0.5) * (n_src / n_dst) - 0.5
        i0 = np.floor(pos).astype(int)
        f = pos - i0
        f[i0 < 0] = 0
        i0[i0 < 0] = 0
        hi = i0 >= n_src - 1
        f[hi] = 0
        i0[hi] = n_src - 1
        return i0, np.minimum(i0 + 1, n_src - 1), f

    x0, x1, fx = taps(sw, w)
    y0, y1, fy = taps(sh, h)
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bottom = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy)[:, None] + bottom * fy[:, None]


def gabor(theta, phase):
    half = SIZE // 2
    y, x = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    t = math.radians(theta)
    u = x * math.sin(t) + y * math.cos(t)
    v = x * math.cos(t) - y * math.sin(t)
    sv = SIGMA * ELONGATION
    k = np.cos(2 * math.pi * u / PERIOD + math.radians(phase)) * np.exp(
        -u * u / (2 * SIGMA * SIGMA) - v * v / (2 * sv * sv))
    k -= k.mean()
    return k / np.sqrt((k * k).sum())


def normalize(a):
    lo, hi = a.min(), a.max()
    if not hi - lo > CONSTANT_RANGE:
        return np.zeros_like(a)
    n = (a - lo) / (hi - lo) * M
    neighbourhood = ndimage.maximum_filter(n, size=3, mode="constant", cval=-np.inf)
    peaks = np.sort(n[(n >= neighbourhood) & (n >= LOCAL_MAX_THRESHOLD * M)])[:-1]
    mean = peaks.mean() if peaks.size else 0.0
    return n * (M - mean) ** 2


def to_map_level(a, c, size):
    for _ in range(c, MAP_LEVEL):
        a = pyr_down(a)
    if c > MAP_LEVEL:
        a = resize_bilinear(a, size[1], size[0])
    return a


def across_scale(pyr, size):
    acc = np.zeros(size)
    for c in CENTERS:
        for d in DELTAS:
            center = pyr[c]
            surround = resize_bilinear(pyr[c + d], center.shape[1], center.shape[0])
            acc += to_map_level(normalize(np.abs(center - surround)), c, size)
    return acc


def saliency(rgb):
    x = rgb.astype(np.float64) / 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    intensity = (r + g + b) / 3
    ok = (intensity > COLOR_THRESHOLD * intensity.max()) & (intensity > 0)
    safe = np.where(ok, intensity, 1.0)
    rn, gn, bn = [np.where(ok, ch / safe, 0.0) for ch in (r, g, b)]
    R = np.maximum(0, rn - (gn + bn) / 2)
    G = np.maximum(0, gn - (rn + bn) / 2)
    B = np.maximum(0, bn - (rn + gn) / 2)
    Y = np.maximum(0, (rn + gn) / 2 - np.abs(rn - gn) / 2 - bn)
    pyr_i = pyramid(intensity)
    size = pyr_i[MAP_LEVEL].shape
    ibar = across_scale(pyr_i, size)
    cbar = across_scale(pyramid(np.where(ok, R - G, 0.0)), size) + across_scale(
        pyramid(np.where(ok, B - Y, 0.0)), size)
    obar = np.zeros(size)
    for theta in ORIENTATIONS:
        ke, ko = gabor(theta, 0.0), gabor(theta, 90.0)
        pyr_o = [np.abs(ndimage.correlate(l, ke, mode="mirror")) +
                 np.abs(ndimage.correlate(l, ko, mode="mirror")) for l in pyr_i]
        obar += normalize(across_scale(pyr_o, size))
    s = (normalize(ibar) + normalize(cbar) + normalize(obar)) / 3
    return {"intensity": ibar, "color": cbar, "orientation": obar, "saliency": s}


def load(path):
    return np.asarray(Image.open(path).convert("RGB"))


def cosine_distance(a, b):
    a, b = a.ravel(), b.ravel()
    na, nb = np.dot(a, a), np.dot(b, b)
    if na == 0 and nb == 0:
        return 0.0
    if na == 0 or nb == 0:
        return 1.0
    return 1.0 - np.dot(a, b) / math.sqrt(na * nb)


def main():
    cmd, out = sys.argv[1], sys.argv[2]
    if cmd == "maps":
        os.makedirs(out, exist_ok=True)
        for path in sys.argv[3:]:
            stem = os.path.splitext(os.path.basename(path))[0]
            for name, m in saliency(load(path)).items():
                np.save(os.path.join(out, f"{stem}_{name}.npy"), m)
    elif cmd == "gabor":
        os.makedirs(out, exist_ok=True)
        for theta in ORIENTATIONS:
            for phase in (0.0, 90.0):
                np.save(os.path.join(out, f"gabor_{int(theta)}_{int(phase)}.npy"), gabor(theta, phase))
    elif cmd == "change":
        base = saliency(load(sys.argv[3]))["saliency"]
        with open(out, "w") as f:
            for path in sys.argv[4:]:
                f.write(f"{path},{cosine_distance(base, saliency(load(path))['saliency']):.17g}\n")
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
