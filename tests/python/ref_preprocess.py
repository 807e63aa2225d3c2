"""Reference images and preprocessing outputs from Pillow, torchvision, OpenAI CLIP and timm.

Used by tests/io/test_preprocess*.cpp and test_resize*.cpp. Subcommands (all write into OUT):
  presets OUT                 the preprocessing presets as (resize, crop, interp, mean, std),
                              read off the real transform objects
  floc OUT FLOC_DIR           per-image hashes of Pillow's decoded RGB pixels and of every preset's
                              resized+cropped 8-bit image, for all fLoc JPEGs; the normalized
                              tensors of the first image of each folder, for every preset
  odd OUT                     generated images of odd sizes and modes and their decoded RGB pixels
  odd-presets OUT             the same images, presets.json, and each preset's cropped 8-bit image
                              and normalized tensor (all presets on rgb_*, clip and imagenet on
                              the other modes)
  resize OUT                  seeded random RGB images and Image.resize results for every filter
"""
import json
import os
import sys

import numpy as np
from PIL import Image

FILTERS = {
    "nearest": Image.NEAREST,
    "box": Image.BOX,
    "bilinear": Image.BILINEAR,
    "hamming": Image.HAMMING,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
}


def pixel_hash(a):
    """Position-weighted byte sum mod 2**64; the C++ tests compute the same (tests/io/image_hash.h)."""
    flat = np.ascontiguousarray(a, dtype=np.uint8).reshape(-1).astype(np.uint64)
    i = np.arange(flat.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        w = (i * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)) | np.uint64(1)
        return int(np.sum(flat * w, dtype=np.uint64))


def presets():
    """name -> (full transform, resize size, crop size, PIL interpolation)."""
    from torchvision.models import ResNet50_Weights
    import clip
    import timm
    import timm.data
    out = {}
    for n in (224, 288, 336, 384, 448):
        t = clip.clip._transform(n)
        name = "clip" if n == 224 else "clip-%d" % n
        out[name] = (t, t.transforms[0].size, t.transforms[1].size[0], t.transforms[0].interpolation)
    for name, w in (("imagenet", ResNet50_Weights.IMAGENET1K_V1), ("imagenet-v2", ResNet50_Weights.IMAGENET1K_V2)):
        t = w.transforms()
        out[name] = (t, t.resize_size[0], t.crop_size[0], t.interpolation)
    cfg = timm.get_pretrained_cfg("vit_base_patch16_224.augreg2_in21k_ft_in1k").to_dict()
    t = timm.data.create_transform(**timm.data.resolve_data_config(pretrained_cfg=cfg))
    out["timm-vit"] = (t, t.transforms[0].size, t.transforms[1].size[0], t.transforms[0].interpolation)
    return out


def cropped(img, resize, crop, interp):
    """The 8-bit image the transform normalizes: torchvision Resize(int) + CenterCrop on PIL."""
    import torchvision.transforms.functional as TF
    return np.asarray(TF.center_crop(TF.resize(img, resize, interpolation=interp), crop))


def cmd_presets(out):
    table = {}
    for name, (t, resize, crop, interp) in presets().items():
        mean = t.transforms[-1].mean if hasattr(t, "transforms") else t.mean
        std = t.transforms[-1].std if hasattr(t, "transforms") else t.std
        table[name] = {"resize": int(resize), "crop": int(crop), "interp": interp.value,
                       "mean": [float(v) for v in mean], "std": [float(v) for v in std]}
    with open(os.path.join(out, "presets.json"), "w") as f:
        json.dump(table, f, indent=1)


_FLOC_PRESETS = None


def floc_row(path):
    """Hashes of one fLoc image: Pillow's convert("RGB") pixels, then each preset's cropped image.

    The images are grayscale, so convert("RGB") replicates one band and Pillow resamples each band
    with the same code: resizing the "L" image and replicating gives the same bytes at a third of
    the cost (checked on the normalized subset in cmd_floc)."""
    gray = Image.open(path)
    gray.load()
    assert gray.mode == "L", path
    rgb = gray.convert("RGB")
    row = [pixel_hash(np.asarray(rgb))]
    for n, (t, resize, crop, interp) in _FLOC_PRESETS.items():
        c = cropped(gray, resize, crop, interp)
        row.append(pixel_hash(np.repeat(c[:, :, None], 3, axis=2)))
    return row


def cmd_floc(out, floc_dir):
    global _FLOC_PRESETS
    import multiprocessing
    folders = sorted(d for d in os.listdir(floc_dir) if os.path.isdir(os.path.join(floc_dir, d)))
    files = []
    for d in folders:
        files += sorted(os.path.join(floc_dir, d, f) for f in os.listdir(os.path.join(floc_dir, d))
                        if f.lower().endswith((".jpg", ".jpeg")))
    _FLOC_PRESETS = presets()
    names = list(_FLOC_PRESETS)
    with multiprocessing.get_context("fork").Pool(max(1, min(4, os.cpu_count() or 1))) as pool:
        hashes = np.array(pool.map(floc_row, files, chunksize=8), dtype=np.uint64)
    # One image per folder through the real transforms, in RGB; also guards the "L" shortcut.
    subset = sorted({os.path.dirname(f): i for i, f in reversed(list(enumerate(files)))}.values())
    norms = {n: [] for n in names}
    for i in subset:
        img = Image.open(files[i]).convert("RGB")
        for j, n in enumerate(names):
            t, resize, crop, interp = _FLOC_PRESETS[n]
            assert pixel_hash(cropped(img, resize, crop, interp)) == hashes[i, 1 + j], (files[i], n)
            norms[n].append(t(img).numpy())
    np.save(os.path.join(out, "floc_hashes.npy"), hashes.view(np.int64))  # NPY readers lack u8
    for n in names:
        np.save(os.path.join(out, "floc_norm_%s.npy" % n), np.stack(norms[n]).astype(np.float32))
    with open(os.path.join(out, "floc_files.txt"), "w") as f:
        f.write("\n".join(files) + "\n")
    with open(os.path.join(out, "floc_subset.txt"), "w") as f:
        f.write("\n".join(str(i) for i in subset) + "\n")
    with open(os.path.join(out, "floc_presets.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


class RawPng16:
    """A 16-bit PNG written byte by byte (colour type 2, 4 or 6)."""

    def __init__(self, arr, color_type):
        self.arr, self.color_type = arr, color_type

    def save(self, path):
        import struct
        import zlib
        h, w = self.arr.shape[:2]
        raw = b"".join(b"\0" + self.arr[y].astype(">u2").tobytes() for y in range(h))

        def chunk(tag, data):
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, self.color_type, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def odd_images(rng):
    """name -> PIL image to save; odd sizes and every mode convert('RGB') must handle."""
    ims = {}
    def rgb(w, h):
        return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    for (w, h) in ((1, 1), (7, 300), (300, 7), (333, 517), (4000, 3)):
        ims["rgb_%dx%d.png" % (w, h)] = Image.fromarray(rgb(w, h), "RGB")
    ims["rgba_333x517.png"] = Image.fromarray(rng.integers(0, 256, (517, 333, 4), dtype=np.uint8), "RGBA")
    ims["la_300x7.png"] = Image.fromarray(rng.integers(0, 256, (7, 300, 2), dtype=np.uint8), "LA")
    ims["gray_7x300.png"] = Image.fromarray(rng.integers(0, 256, (300, 7), dtype=np.uint8), "L")
    pal = Image.fromarray(rng.integers(0, 256, (517, 333), dtype=np.uint8), "L").convert("P")
    pal.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
    ims["palette_333x517.png"] = pal
    palt = pal.copy()
    palt.info["transparency"] = 7
    ims["palette_trns_333x517.png"] = palt
    # 16-bit gray: values across the whole range (Pillow clips them to 255), and small ones.
    g16 = rng.integers(0, 65536, (517, 333)).astype(np.int32)
    g16[:50] = rng.integers(0, 300, (50, 333))
    ims["gray16_333x517.png"] = Image.fromarray(g16, "I")
    ims["gray1_300x7.png"] = Image.fromarray(rng.integers(0, 2, (7, 300), dtype=np.uint8) * 255, "L").convert("1")
    ims["rgb_333x517.bmp"] = Image.fromarray(rgb(333, 517), "RGB")
    ims["palette_333x517.bmp"] = pal
    ims["rgb_300x7.tga"] = Image.fromarray(rgb(300, 7), "RGB")
    ims["rgb_7x300.ppm"] = Image.fromarray(rgb(7, 300), "RGB")
    ims["gray_333x517.pgm"] = Image.fromarray(rng.integers(0, 256, (517, 333), dtype=np.uint8), "L")
    ims["palette_333x517.gif"] = pal
    ims["palette_trns_333x517.gif"] = (pal, {"transparency": 7})
    # 16-bit RGB / gray+alpha / RGBA PNGs (Pillow keeps the high byte); Pillow cannot write them.
    a16 = rng.integers(0, 65536, (7, 300, 4)).astype(np.uint16)
    ims["rgb16_300x7.png"] = RawPng16(a16[:, :, :3], 2)
    ims["la16_300x7.png"] = RawPng16(a16[:, :, :2], 4)
    ims["rgba16_300x7.png"] = RawPng16(a16, 6)
    gt = Image.fromarray(rng.integers(0, 256, (300, 7), dtype=np.uint8), "L")
    ims["gray_trns_7x300.png"] = (gt, {"transparency": 5})
    # JPEGs of each kind libjpeg decodes: gray, 4:2:0 and 4:4:4 colour, progressive, CMYK.
    smooth = np.clip(np.cumsum(rng.normal(0, 6, (517, 333, 3)), axis=1) + 128, 0, 255).astype(np.uint8)
    ims["color420_333x517.jpg"] = (Image.fromarray(smooth, "RGB"), {"quality": 85})
    ims["color444_333x517.jpg"] = (Image.fromarray(smooth, "RGB"), {"quality": 95, "subsampling": 0})
    ims["progressive_300x7.jpg"] = (Image.fromarray(smooth[:7, :300], "RGB"), {"progressive": True})
    ims["gray_7x300.jpg"] = (Image.fromarray(smooth[:300, :7, 0], "L"), {})
    ims["cmyk_333x517.jpg"] = (Image.fromarray(np.concatenate([smooth, smooth[..., :1]], axis=2), "CMYK"), {})
    return ims


def save_odd_images(out):
    """Writes the generated files; returns their names and Pillow's convert("RGB") of each."""
    rng = np.random.default_rng(1234)
    result = []
    for name, im in odd_images(rng).items():
        kw = {}
        if isinstance(im, tuple):
            im, kw = im
        path = os.path.join(out, name)
        im.save(path, **kw)
        base = os.path.splitext(name)[0] + "_" + name.rsplit(".", 1)[1]
        result.append((name, base, Image.open(path).convert("RGB")))
    return result


def cmd_odd(out):
    names = []
    for name, base, img in save_odd_images(out):
        np.save(os.path.join(out, base + ".rgb.npy"), np.asarray(img))
        names.append(name)
    with open(os.path.join(out, "odd_files.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


def cmd_odd_presets(out):
    """Every preset on the RGB files of odd sizes; clip and imagenet on the other modes."""
    cmd_presets(out)
    ps = presets()
    cases = []
    for name, base, img in save_odd_images(out):
        if "4000x3" in name:
            continue  # presets would make a 298666 x 224 image; covered by the resize tests
        for p, (t, resize, crop, interp) in ps.items():
            if not name.startswith("rgb_") and p not in ("clip", "imagenet"):
                continue
            tag = "%s.%s" % (base, p)
            np.save(os.path.join(out, tag + ".crop.npy"), cropped(img, resize, crop, interp))
            np.save(os.path.join(out, tag + ".norm.npy"), t(img).numpy()[None].astype(np.float32))
            cases.append("%s %s %s" % (name, p, tag))
    with open(os.path.join(out, "odd_preset_cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")


def cmd_resize(out):
    rng = np.random.default_rng(99)
    sources = [(64, 48), (1, 1), (7, 300), (300, 7), (333, 517), (4000, 3), (17, 23)]
    targets = [(32, 24), (128, 96), (1, 1), (5, 200), (224, 224), (100, 37), (3, 4000), (517, 333), (64, 48)]
    cases = []
    for si, (w, h) in enumerate(sources):
        src = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        if si == 0:  # smooth content too, where rounding ties are rarer
            src[: h // 2] = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None]
        np.save(os.path.join(out, "src%d.npy" % si), src)
        img = Image.fromarray(src, "RGB")
        for (tw, th) in targets:
            if (tw, th) == (w, h) and si != 0:
                continue
            for fname, f in FILTERS.items():
                res = np.asarray(img.resize((tw, th), f))
                tag = "src%d_%dx%d_%s" % (si, tw, th, fname)
                np.save(os.path.join(out, tag + ".npy"), res)
                cases.append("%d %d %d %s %s" % (si, tw, th, fname, tag))
    with open(os.path.join(out, "resize_cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")


def main():
    cmd, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if cmd == "presets":
        cmd_presets(out)
    elif cmd == "floc":
        cmd_floc(out, sys.argv[3])
    elif cmd == "odd":
        cmd_odd(out)
    elif cmd == "odd-presets":
        cmd_odd_presets(out)
    elif cmd == "resize":
        cmd_resize(out)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
