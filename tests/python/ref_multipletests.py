"""Reference values for tests/stats/test_multipletests.cpp (statsmodels multipletests).

Usage: ref_multipletests.py OUT_DIR
Writes multipletests.txt, one case per line:
  method alpha n p_1..p_n reject_1..reject_n q_1..q_n
NaN p-values are corrected by statsmodels on the non-NaN subset (repscope's documented policy)
and written back as reject 0, q nan.
"""
import sys

import numpy as np
from statsmodels.stats.multitest import multipletests

out = sys.argv[1]
rng = np.random.default_rng(5)


def p_sets():
    yield np.array([0.5])
    yield np.array([0.01])
    yield np.array([0.0, 1.0, 0.04, 0.04, 0.04])
    yield np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    for n in (2, 3, 10, 57, 300):
        yield rng.uniform(size=n)
        yield np.concatenate([rng.uniform(0, 1e-3, n // 3), rng.uniform(size=n - n // 3)])
    # ties and exact repeats
    yield np.round(rng.uniform(size=200), 2)
    # tiny p-values far in the tail
    yield 10.0 ** -rng.uniform(0, 300, 100)
    # larger than numpy's 8192-element sum buffer (fdr_by's constant)
    yield np.concatenate([rng.uniform(0, 1e-4, 3000), rng.uniform(size=17000)])
    # NaNs (constant units)
    p = rng.uniform(0, 0.02, 40)
    p[[3, 17, 18]] = np.nan
    yield p


with open(f"{out}/multipletests.txt", "w") as f:
    for p in p_sets():
        for method in ("bonferroni", "holm", "fdr_bh", "fdr_by"):
            for alpha in (0.05, 0.2):
                ok = ~np.isnan(p)
                reject = np.zeros(len(p), dtype=int)
                q = np.full(len(p), np.nan)
                r, qq, _, _ = multipletests(p[ok], alpha=alpha, method=method)
                reject[ok] = r
                q[ok] = qq
                vals = [method, repr(alpha), str(len(p))]
                vals += [repr(float(v)) for v in p] + [str(int(v)) for v in reject]
                vals += [repr(float(v)) for v in q]
                f.write(" ".join(vals) + "\n")
