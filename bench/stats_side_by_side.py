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


def case_selectivity(driver, work):
    """Per-unit selectivity, 1584 fLoc-labelled images x 800 000 float32 units."""
    from numpy.lib.format import open_memmap
    from statsmodels.stats.multitest import multipletests
    rng = np.random.default_rng(4)
    n_per, u, u_ref = 144, 800_000, 50_000
    # fLoc: 11 categories x 144 images in DomainMap::floc() domain order (2 categories per domain,
    # scrambled the control).
    domain = np.repeat([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5], n_per).astype(np.int64)
    n = len(domain)
    d = work / "sel_in"
    d.mkdir()
    np.save(d / "domain.npy", domain)
    x = open_memmap(d / "x.npy", mode="w+", dtype=np.float32, shape=(n, u))
    boost = np.zeros((6, u), np.float32)
    for k in range(5):  # 2% of units planted per target domain
        boost[k, k * u // 50:(k + 1) * u // 50] = 0.8
    for i0 in range(0, n, 48):
        block = rng.standard_normal((min(48, n - i0), u), dtype=np.float32)
        block += boost[domain[i0:i0 + len(block)]]
        x[i0:i0 + len(block)] = np.maximum(block, -1.0)  # clipped: ties at -1 like a shifted ReLU
    x.flush()
    del x
    ours = run_driver(driver, "selectivity", d, work / "sel_out")
    # Reference on the first u_ref units (scipy needs minutes for all), extrapolated linearly in U;
    # our result on the same subset (the correction family is the subset) gives the difference.
    xs = np.ascontiguousarray(np.load(d / "x.npy", mmap_mode="r")[:, :u_ref])
    (work / "sel_small").mkdir()
    np.save(work / "sel_small" / "x.npy", xs)
    np.save(work / "sel_small" / "domain.npy", domain)
    run_driver(driver, "selectivity", work / "sel_small", work / "sel_small_out")
    def prince(a):
        """Prince, Alvarez & Konkle (2024): target vs each other domain, scipy ttest_ind per pair,
        BY-FDR over units per pair, selective = t > 0 and significant against every other one."""
        t_all, p_all, q_all, sel_all = [], [], [], []
        for tgt in range(5):
            ts, ps, qs, rej = [], [], [], []
            for o in range(6):
                if o == tgt:
                    continue
                t, p = scipy.stats.ttest_ind(a[domain == tgt], a[domain == o], axis=0,
                                             alternative="greater")
                r, q, _, _ = multipletests(p, alpha=0.05, method="fdr_by")
                ts.append(t), ps.append(p), qs.append(q), rej.append(r & (t > 0))
            t_all.append(np.min(ts, 0)), p_all.append(np.max(ps, 0)), q_all.append(np.max(qs, 0))
            sel_all.append(np.all(rej, 0))
        return [np.stack(v, 1) for v in (t_all, p_all, q_all, sel_all)]

    t0 = time.perf_counter()
    ref32 = prince(xs)  # what a user runs: scipy on the float32 activations (float32 moments)
    theirs = (time.perf_counter() - t0) * u / u_ref
    t_ref, p_ref, q_ref, sel_ref = prince(xs.astype(np.float64))  # exact reference, untimed
    out = work / "sel_small_out"
    t_ours, p_ours, q_ours = (np.load(out / f"{k}.npy") for k in ("t", "p", "q"))
    sel_ours = np.load(out / "selective.npy")
    diff = max(np.max(np.abs(t_ours - t_ref)), np.max(np.abs(p_ours - p_ref)),
               np.max(np.abs(q_ours - q_ref)))
    rel_p = np.max(np.abs(p_ours - p_ref) / np.maximum(p_ref, 1e-300))
    diff32 = np.max(np.abs(t_ours - ref32[0]))
    mismatch = int(np.sum(sel_ours != sel_ref))
    mismatch32 = int(np.sum(sel_ours != ref32[3]))
    return Row("selectivity 1584x800000 f32 (each, Student, fdr_by)", ours, theirs,
               "scipy ttest_ind (vectorized) + statsmodels multipletests", diff,
               f"reference run on U={u_ref}, x{u // u_ref} extrapolated; 25 (target, other) "
               f"tests; max diff (t, p, q) vs scipy on float64, p max rel diff {rel_p:.1e}; vs "
               f"scipy on float32 (float32 moments) t differs by up to {diff32:.1e}; selective "
               f"masks differ in {mismatch} (float64) / {mismatch32} (float32) of {sel_ref.size}")


CASES = [case_rdm, case_spearman_perm, case_noise_ceiling, case_selectivity]


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
