#!/usr/bin/env python3
"""CPU feature-extraction speed: `repscope extract` side by side with PyTorch and ONNX Runtime.

Same machine, same fLoc JPEGs, same thread counts, same batch size, same (random-init) weights:
the torch model is built with a fixed seed, its state dict is saved as safetensors for repscope
and exported to ONNX for ONNX Runtime. Each run is its own subprocess, so its peak memory is that
process's max RSS (os.wait4's rusage, per child).

Cases per model and thread count:
  repscope blocks  `repscope extract --layers blocks` (every block/stage output + final, to NPY)
  torch    blocks  forward hooks on the same taps (thingsvision style: .cpu().numpy() per hook),
                   rows written to one NPY per tap (np.lib.format.open_memmap)
  repscope final   `--layers <embedding tap>` only
  torch    final   model(x) only, written to NPY
  ort      final   ONNX Runtime on the exported model, written to NPY

Timing: PyTorch and ONNX Runtime are timed from the first image read to the last row written
(their import, model construction, weight load and session creation are NOT counted). repscope
is reported twice: over the same window (the "extract: N images in S s" it prints at the end: from
the first image read to the last NPY closed, fsync included), and as the WHOLE process wall time
(start-up, weight load with its SHA-256, decode, preprocess, forward, writes), which is
conservative for repscope. Both Python sides decode and preprocess with Pillow and torchvision
transforms in the same process and thread budget.

  B=$(bench/fetch_openblas.sh)   # optimised BLAS for the torch runs only (see bench/README.md)
  .venv/bin/python bench/cpu_vs_torch.py --repscope build/h-cpubench/repscope --torch-blas "$B"
  .venv/bin/python bench/cpu_vs_torch.py --repscope build/h-cpubench/repscope --torch-blas "$B" --quick  # ~4 min; ~2.5 with --threads 2
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

MODELS = ["resnet18", "resnet50", "vit_b_16", "clip_rn50", "clip_vit_b_32"]
QUICK_MODELS = ["resnet18", "clip_vit_b_32"]
# The tap that holds each model's final output (what `forward` returns).
FINAL_TAP = {"resnet18": "fc", "resnet50": "fc", "vit_b_16": "heads.head",
             "clip_rn50": "attnpool", "clip_vit_b_32": "proj"}
FLOC = "/work/shared/data/floc"


# ----------------------------------------------------------------------------- models (torch)
def build_torch_model(name, seed=0):
    import torch
    torch.manual_seed(seed)
    if name in ("resnet18", "resnet50", "vit_b_16"):
        import torchvision
        m = getattr(torchvision.models, name)()
        if name == "vit_b_16":
            # torchvision zero-initialises the classification head, which would make the final
            # output all zeros and the agreement check below compare nothing.
            torch.nn.init.normal_(m.heads.head.weight, std=0.02)
            torch.nn.init.normal_(m.heads.head.bias, std=0.02)
    elif name == "clip_rn50":
        from clip.model import ModifiedResNet
        m = ModifiedResNet([3, 4, 6, 3], 1024, 32, 224, 64)
    elif name == "clip_vit_b_32":
        from clip.model import VisionTransformer
        m = VisionTransformer(224, 32, 768, 12, 12, 512)
    else:
        raise SystemExit(f"unknown model {name}")
    return m.eval()


def preprocess_fn(name):
    from torchvision import transforms as T
    if name.startswith("clip_"):
        mean, std = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
        resize = T.Resize(224, interpolation=T.InterpolationMode.BICUBIC)
    else:
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        resize = T.Resize(256, interpolation=T.InterpolationMode.BILINEAR)
    return T.Compose([resize, T.CenterCrop(224), T.ToTensor(), T.Normalize(mean, std)])


def batches(paths, batch, prep):
    import torch
    from PIL import Image
    for i in range(0, len(paths), batch):
        ims = []
        for p in paths[i:i + batch]:
            with Image.open(p) as im:
                ims.append(prep(im.convert("RGB")))
        yield torch.stack(ims)


# ----------------------------------------------------------------------------- child runs
def run_torch(a):
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = build_torch_model(a.model)
    from safetensors.torch import load_file
    model.load_state_dict(load_file(a.weights))
    prep = preprocess_fn(a.model)
    paths = open(a.images).read().split()
    n = len(paths)
    os.makedirs(a.out, exist_ok=True)
    arrays, row = {}, [0]

    def store(tap, value):
        v = value.detach().cpu().numpy()
        if tap not in arrays:
            arrays[tap] = np.lib.format.open_memmap(os.path.join(a.out, tap + ".npy"), "w+",
                                                    np.float32, (n,) + v.shape[1:])
        arrays[tap][row[0]:row[0] + v.shape[0]] = v

    hooks = []
    if a.taps == "blocks":
        modules = dict(model.named_modules())
        for tap in a.tap_list.split(","):
            if tap in modules:
                seq_first = a.model == "clip_vit_b_32" and tap.startswith("transformer")

                def hook(_m, _i, out, tap=tap, seq_first=seq_first):
                    out = out[0] if isinstance(out, tuple) else out
                    store(tap, out.permute(1, 0, 2) if seq_first else out)
                hooks.append(modules[tap].register_forward_hook(hook))
            elif tap == "flatten":  # torchvision ResNet calls torch.flatten (no module)
                hooks.append(modules["avgpool"].register_forward_hook(
                    lambda _m, _i, out: store("flatten", torch.flatten(out, 1))))
            elif tap != FINAL_TAP[a.model]:
                raise SystemExit(f"torch: no module for tap {tap}")
    final = FINAL_TAP[a.model]
    t0 = time.perf_counter()
    with torch.inference_mode():
        for x in batches(paths, a.batch, prep):
            y = model(x)
            if a.taps != "blocks" or final not in dict(model.named_modules()):
                store(final, y)
            row[0] += x.shape[0]
    for v in arrays.values():
        v.flush()
    arrays.clear()  # closes the memmaps
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def run_ort(a):
    import numpy as np
    import onnxruntime as ort
    import torch
    torch.set_num_threads(1)  # only the Pillow/torchvision preprocessing runs in torch here
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(a.onnx, opts, providers=["CPUExecutionProvider"])
    prep = preprocess_fn(a.model)
    paths = open(a.images).read().split()
    os.makedirs(a.out, exist_ok=True)
    out, row = None, 0
    t0 = time.perf_counter()
    for x in batches(paths, a.batch, prep):
        y = sess.run(None, {"x": x.numpy()})[0]
        if out is None:
            out = np.lib.format.open_memmap(os.path.join(a.out, FINAL_TAP[a.model] + ".npy"),
                                            "w+", np.float32, (len(paths),) + y.shape[1:])
        out[row:row + y.shape[0]] = y
        row += y.shape[0]
    out.flush()
    del out
    print(json.dumps({"seconds": time.perf_counter() - t0}))


# ----------------------------------------------------------------------------- driver
def prepare(model, work, batch):
    """Random-init weights as safetensors (for repscope and torch) and an ONNX export."""
    import torch
    from safetensors.torch import save_file
    st = os.path.join(work, model + ".safetensors")
    onnx_path = os.path.join(work, model + ".onnx")
    if not os.path.exists(st) or not os.path.exists(onnx_path):
        m = build_torch_model(model)
        save_file({k: v.detach().clone().contiguous() for k, v in m.state_dict().items()}, st)
        x = torch.randn(batch, 3, 224, 224)
        torch.onnx.export(m, x, onnx_path, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=14)
    return st, onnx_path


REPEAT = 1


def run_side(side, cmd, env):
    """One run: seconds over the images window (repscope: its closing "extract: N images in S s"
    line; Python sides: the JSON they print), the process wall time and its max RSS."""
    wall, rss, out, err = run_once(cmd, env, with_stderr=True)
    if side == "repscope":
        summary = [ln for ln in err.replace("\r", "\n").splitlines() if ln.startswith("extract: ")]
        if not summary:
            raise SystemExit(f"no 'extract:' summary line from {' '.join(cmd)}:\n{err[-2000:]}")
        seconds = float(summary[-1].split(" images in ")[1].split(" s ")[0])
    else:
        seconds = json.loads(out.splitlines()[-1])["seconds"]
    return dict(seconds=seconds, process_seconds=wall, rss_mib=rss)


def run_once(cmd, env=None, with_stderr=False):
    """Runs cmd as a child, reaping it with os.wait4 so ru_maxrss is this child's own peak."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        p = subprocess.Popen(cmd, stdout=so, stderr=se, text=True, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        so.seek(0)
        se.seek(0)
        out, err = so.read(), se.read()
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    rss = ru.ru_maxrss / 1024.0  # ru_maxrss is KiB on Linux
    return (wall, rss, out, err) if with_stderr else (wall, rss, out)


def keep_final(outdir, work, model, threads, mode, side):
    """Keeps the final-embedding NPY of the 2-thread final runs for the agreement check."""
    if mode == "final":
        os.makedirs(os.path.join(work, "check"), exist_ok=True)
        shutil.copy(os.path.join(outdir, FINAL_TAP[model] + ".npy"),
                    os.path.join(work, "check", f"{model}_{threads}_{side}.npy"))


def check_finals(work, models):
    """Same weights, same images: the embeddings must agree (rounding and decoder differences)."""
    import glob

    import numpy as np
    for model in models:
        for ref in sorted(glob.glob(os.path.join(work, "check", f"{model}_*_torch.npy"))):
            r = np.load(ref)
            for side in ("repscope", "ort"):
                o = np.load(ref.replace("_torch.npy", f"_{side}.npy"))
                scale = np.abs(r).max()
                err = np.abs(o - r).max()
                what = f"max|{side} - torch|"
                if scale > 0:
                    err, what = err / scale, what + " / max|torch|"
                else:
                    what += " (the reference output is all zeros: nothing compared)"
                print(f"# check {os.path.basename(ref)[:-10]}: {what} = {err:.2e}")


def torch_env(blas_dir, threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if blas_dir:
        env["LD_LIBRARY_PATH"] = blas_dir + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    return env


def block_taps(repscope, model):
    out = subprocess.run([repscope, "layers", "--model", model, "--layers", "blocks"],
                         check=True, capture_output=True, text=True).stdout
    return [ln.split()[0] for ln in out.splitlines() if ln.strip() and not ln.startswith("#")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repscope", default="build/release/repscope")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="2,1")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--work", default=None, help="folder for weights/ONNX/outputs (default: a temp dir)")
    ap.add_argument("--quick", action="store_true", help=f"{','.join(QUICK_MODELS)}, 32 images")
    ap.add_argument("--repeat", type=int, default=1,
                    help="N runs per case, the sides taking turns; each keeps its fastest "
                         "(shared machines)")
    ap.add_argument("--json", default=None, help="also write the rows here")
    # child modes
    ap.add_argument("--torch-blas", default=None,
                    help="folder holding an optimised libblas.so.3 for the torch runs (see\n"
                         "bench/fetch_openblas.sh; Debian's torch links the reference BLAS)")
    ap.add_argument("--child", choices=["torch", "ort", "prepare"], help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--taps", help=argparse.SUPPRESS)
    ap.add_argument("--tap-list", default="", help=argparse.SUPPRESS)
    ap.add_argument("--weights", help=argparse.SUPPRESS)
    ap.add_argument("--onnx", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--image-list", dest="image_list", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        a.images = a.image_list
        if a.child == "prepare":
            prepare(a.model, a.out, a.batch)
        else:
            a.threads = int(a.threads)
            (run_torch if a.child == "torch" else run_ort)(a)
        return

    global REPEAT
    REPEAT = max(1, a.repeat)
    if a.quick:
        a.models, a.images = ",".join(QUICK_MODELS), 32
    repscope = os.path.abspath(a.repscope)
    if not os.access(repscope, os.X_OK):
        raise SystemExit(f"--repscope {a.repscope}: not an executable (build the repscope target)")
    work = a.work or tempfile.mkdtemp(prefix="cpu_vs_torch_")
    os.makedirs(work, exist_ok=True)
    jpgs = sorted(os.path.join(r, f) for r, _, fs in os.walk(FLOC) for f in fs
                  if f.lower().endswith(".jpg"))
    if len(jpgs) < a.images:
        raise SystemExit(f"{FLOC}: {len(jpgs)} JPEGs, fewer than --images {a.images}")
    step = len(jpgs) / a.images  # spread over the categories
    picked = [jpgs[int(i * step)] for i in range(a.images)]
    image_list = os.path.join(work, "images.txt")
    with open(image_list, "w") as f:
        f.write("\n".join(picked) + "\n")

    if a.torch_blas and not os.path.exists(os.path.join(a.torch_blas, "libblas.so.3")):
        raise SystemExit(f"--torch-blas {a.torch_blas}: no libblas.so.3 there")
    blas = "OpenBLAS from " + a.torch_blas if a.torch_blas else "the system libblas.so.3"
    load0 = os.getloadavg()
    print(f"# {a.images} fLoc JPEGs, batch {a.batch}; cpu: {cpu_name()}, {os.cpu_count()} cores; "
          f"load average at start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; torch BLAS: {blas}",
          flush=True)
    rows, printed = [], False
    py = sys.executable
    me = os.path.abspath(__file__)
    for model in a.models.split(","):
        # In a child, so this process stays small: a forked child starts with its parent's peak
        # RSS as its own ru_maxrss (Linux keeps the high-water mark across exec).
        run_once([py, me, "--child", "prepare", "--model", model, "--out", work,
                  "--batch", str(a.batch)])
        st = os.path.join(work, model + ".safetensors")
        onnx_path = os.path.join(work, model + ".onnx")
        taps = block_taps(repscope, model)
        for th in [int(t) for t in a.threads.split(",")]:
            for mode in ("blocks", "final"):
                layers = "blocks" if mode == "blocks" else FINAL_TAP[model]
                outdir = os.path.join(work, "out")
                sides = [("repscope", [repscope, "extract", "--model", model, "--weights", st,
                                       "--images", image_list, "--layers", layers, "--out", outdir,
                                       "--batch", str(a.batch), "--threads", str(th),
                                       "--no-resume", "--allow-unused"], None),
                         ("torch", [py, me, "--child", "torch", "--model", model, "--taps", mode,
                                    "--tap-list", ",".join(taps), "--weights", st, "--out", outdir,
                                    "--image-list", image_list, "--batch", str(a.batch),
                                    "--threads", str(th)], torch_env(a.torch_blas, th))]
                if mode == "final":
                    sides.append(("ort", [py, me, "--child", "ort", "--model", model, "--onnx",
                                          onnx_path, "--out", outdir, "--image-list", image_list,
                                          "--batch", str(a.batch), "--threads", str(th)], None))
                # The sides take turns within each repetition, so a slow spell of a shared
                # machine hits all of them alike; each keeps its fastest run.
                best = {}
                for _ in range(REPEAT):
                    for side, cmd, env in sides:
                        shutil.rmtree(outdir, ignore_errors=True)
                        row = run_side(side, cmd, env)
                        if side not in best or row["seconds"] < best[side]["seconds"]:
                            best[side] = row
                        keep_final(outdir, work, model, th, mode, side)
                for side, _, _ in sides:
                    rows.append(dict(model=model, threads=th, taps=mode, side=side, **best[side]))
                shutil.rmtree(outdir, ignore_errors=True)
                print_rows([r for r in rows if r["model"] == model and r["threads"] == th
                            and r["taps"] == mode], a.images, header=not printed)
                printed = True
    load1 = os.getloadavg()
    check_finals(work, a.models.split(","))
    print(f"# load average at end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(images=a.images, batch=a.batch, load_start=load0, load_end=load1,
                           cpu=cpu_name(), rows=rows), f, indent=1)
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


def print_rows(rs, n, header):
    """One table row: images/s and ratios over the images window (what the Python sides time),
    then repscope's whole-process numbers."""
    if header:
        print("| model | threads | taps | repscope img/s | torch img/s | ORT img/s | "
              "repscope/torch | repscope/ORT | whole process: repscope img/s, /torch, /ORT | "
              "RSS MiB repscope / torch / ORT |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    by = {r["side"]: r for r in rs}
    ips = {s: n / r["seconds"] for s, r in by.items()}
    whole = n / by["repscope"]["process_seconds"]
    ort_ips = f"{ips['ort']:.1f}" if "ort" in ips else "—"
    ort_ratio = f"{ips['repscope'] / ips['ort']:.2f}×" if "ort" in ips else "—"
    whole_ort = f"{whole / ips['ort']:.2f}×" if "ort" in ips else "—"
    rss = " / ".join(f"{by[s]['rss_mib']:.0f}" for s in ("repscope", "torch", "ort") if s in by)
    r0 = rs[0]
    print(f"| {r0['model']} | {r0['threads']} | {r0['taps']} | {ips['repscope']:.1f} | "
          f"{ips['torch']:.1f} | {ort_ips} | {ips['repscope'] / ips['torch']:.2f}× | {ort_ratio} | "
          f"{whole:.1f}, {whole / ips['torch']:.2f}×, {whole_ort} | {rss} |", flush=True)


def cpu_name():
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
