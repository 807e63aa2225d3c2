#!/usr/bin/env python3
"""Side-by-side timing of repscope's statistics against the Python reference packages.

Run with the reference venv, on an idle machine, after building the driver:
    cmake --build <build> --target stats_driver
    .venv/bin/python bench/stats_side_by_side.py --driver <build>/bench/stats_driver [--only CASE ...]

Each case writes its inputs as NPY, runs `stats_driver CASE IN OUT` (which prints the wall time
of the computation only), runs the reference on the same inputs (the same permutations /
bootstrap samples, read back from the driver's output), and reports our time, theirs, the
ratio and the largest absolute difference. Where the reference would take minutes it runs a
stated fraction of the work and the time is extrapolated linearly; the table says so.

Adding a case: write a function `case_x(driver, work) -> Row` and append it to CASES (the
driver needs a matching entry in bench/stats_driver.cpp's kCases).
"""
import argparse
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.stats
from scipy.spatial.distance import squareform

warnings.simplefilter("ignore")


@dataclass
class Row:
    name: str
    ours_s: float
    theirs_s: float
    reference: str
    max_diff: float
    note: str = ""


def run_driver(driver, case, in_dir, out_dir, threads=None):
    cmd = [str(driver), case, str(in_dir), str(out_dir)]
    if threads:
        cmd += ["--threads", str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def case_rdm(driver, work):
    """RDM (correlation distance) of 1000 stimuli x 100 000 float32 features."""
    import rsatoolbox
    rng = np.random.default_rng(1)
    n, p, p_ref = 1000, 100_000, 10_000
    x = rng.standard_normal((n, p), dtype=np.float32) + rng.standard_normal((n, 1), dtype=np.float32)
    (work / "rdm_in").mkdir()
    np.save(work / "rdm_in" / "x.npy", x)
    ours = run_driver(driver, "rdm", work / "rdm_in", work / "rdm_out")
    # Reference on the first p_ref features (rsatoolbox needs ~90 s for all), extrapolated
    # linearly in P; our result on the same subset gives the difference.
    (work / "rdm_in_small").mkdir()
    np.save(work / "rdm_in_small" / "x.npy", np.ascontiguousarray(x[:, :p_ref]))
    run_driver(driver, "rdm", work / "rdm_in_small", work / "rdm_out_small")
    t = time.perf_counter()
    ref = rsatoolbox.rdm.calc_rdm(rsatoolbox.data.Dataset(x[:, :p_ref]), method="correlation").get_vectors()[0]
    theirs = (time.perf_counter() - t) * p / p_ref
    ours_small = np.load(work / "rdm_out_small" / "rdm.npy")
    exact = 1 - np.corrcoef(x[:, :p_ref].astype(np.float64))[np.triu_indices(n, 1)]
    diff_ref = np.max(np.abs(ours_small - ref))
    diff_exact = np.max(np.abs(ours_small - exact))
    return Row("RDM 1000x100000 f32 (correlation)", ours, theirs, "rsatoolbox calc_rdm", diff_ref,
               f"reference run on P={p_ref}, x{p // p_ref} extrapolated; rsatoolbox computes in float32, "
               f"vs float64 numpy corrcoef our max diff is {diff_exact:.1e}")


def case_spearman_perm(driver, work):
    """Spearman of two 1000-stimulus RDMs with a 10 000-permutation stimulus-label test."""
    rng = np.random.default_rng(2)
    n, n_perm, n_ref = 1000, 10_000, 40
    m = n * (n - 1) // 2
    a = rng.standard_normal(m)
    b = a + 3 * rng.standard_normal(m)
    d = work / "perm_in"
    d.mkdir()
    np.save(d / "a.npy", a)
    np.save(d / "b.npy", b)
    np.save(d / "params.npy", np.array([n_perm, 12345], dtype=np.float64))
    ours = run_driver(driver, "spearman_perm", d, work / "perm_out")
    perms = np.load(work / "perm_out" / "perms.npy")[:n_ref]
    null = np.load(work / "perm_out" / "null.npy")
    # The obvious numpy/scipy loop: permute rows and columns of B, Spearman of the upper triangles.
    t = time.perf_counter()
    bsq = squareform(b)
    iu = np.triu_indices(n, 1)
    ref_null = []
    for perm in perms:
        ref_null.append(scipy.stats.spearmanr(a, bsq[np.ix_(perm, perm)][iu])[0])
    observed = scipy.stats.spearmanr(a, b)[0]
    theirs = (time.perf_counter() - t) * n_perm / n_ref
    summary = np.load(work / "perm_out" / "summary.npy")
    diff = max(np.max(np.abs(null[:n_ref] - np.array(ref_null))), abs(summary[0] - observed))
    return Row("Spearman + 10000 permutations, N=1000", ours, theirs, "scipy spearmanr loop", diff,
               f"reference ran {n_ref} of the permutations (same permutations), extrapolated")


def case_noise_ceiling(driver, work):
    """Noise ceiling (spearman) with 1000 stimulus-bootstrap samples, 8 subjects x 200 stimuli."""
    from rsatoolbox.inference import boot_noise_ceiling
    from rsatoolbox.rdm import RDMs
    rng = np.random.default_rng(3)
    n_subj, n, n_boot, n_ref = 8, 200, 1000, 100
    truth = rng.standard_normal((n, 10))
    from scipy.spatial.distance import pdist
    subjects = np.stack([pdist(truth + rng.standard_normal(truth.shape)) for _ in range(n_subj)])
    d = work / "nc_in"
    d.mkdir()
    np.save(d / "subjects.npy", subjects)
    np.save(d / "params.npy", np.array([n_boot, 777, 0], dtype=np.float64))
    ours = run_driver(driver, "noise_ceiling", d, work / "nc_out")
    idx = np.load(work / "nc_out" / "indices.npy")
    lower, upper = np.load(work / "nc_out" / "lower.npy"), np.load(work / "nc_out" / "upper.npy")
    rdms = RDMs(subjects)
    t = time.perf_counter()
    ref = [boot_noise_ceiling(rdms.subsample_pattern("index", idx[k]), method="spearman") for k in range(n_ref)]
    theirs = (time.perf_counter() - t) * n_boot / n_ref
    ref = np.array(ref)
    diff = max(np.max(np.abs(lower[:n_ref] - ref[:, 0])), np.max(np.abs(upper[:n_ref] - ref[:, 1])))
    return Row("noise ceiling, 1000 bootstraps, 8x200 (spearman)", ours, theirs,
               "rsatoolbox subsample_pattern + boot_noise_ceiling", diff,
               f"reference ran {n_ref} of the samples (same stimulus indices), extrapolated")


CASES = [case_rdm, case_spearman_perm, case_noise_ceiling]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--driver", required=True, help="path to the built stats_driver")
    ap.add_argument("--only", nargs="*", help="case function names (e.g. case_rdm)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="repscope-stats-bench-") as tmp:
        for case in CASES:
            if args.only and case.__name__ not in args.only:
                continue
            work = Path(tmp) / case.__name__
            work.mkdir()
            rows.append(case(args.driver, work))
            r = rows[-1]
            print(f"{r.name}: ours {r.ours_s:.3f} s, theirs {r.theirs_s:.2f} s ({r.reference}), "
                  f"x{r.theirs_s / r.ours_s:.1f}, max diff {r.max_diff:.2e}  [{r.note}]", flush=True)
    print()
    print("| case | repscope (s) | reference (s) | reference | speed-up | max abs diff | note |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.ours_s:.3f} | {r.theirs_s:.2f} | {r.reference} | {r.theirs_s / r.ours_s:.1f}x "
              f"| {r.max_diff:.1e} | {r.note} |")


if __name__ == "__main__":
    main()
