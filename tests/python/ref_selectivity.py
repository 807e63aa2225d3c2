"""Reference for tests/stats/test_selectivity.cpp: per-unit category selectivity with scipy and
statsmodels, unit by unit, the way a user would write it.

Usage: ref_selectivity.py OUT_DIR
Writes acts64.npy / acts32.npy ([N, 4, 5, 10] activations, fLoc categories), labels.csv
(image,category) and, for each configuration and dtype, <config>_<dtype>_<array>.npy with
arrays t, p, q, dprime, si, csi, auc, selective of shape [U, 5] (targets in fLoc order:
faces, bodies, places, characters, objects).
"""
import sys
import warnings

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

warnings.simplefilter("ignore")
out = sys.argv[1]
rng = np.random.default_rng(7)

DOMAINS = {"faces": ["adult", "child"], "bodies": ["body", "limb"],
           "places": ["corridor", "house"], "characters": ["word", "number"],
           "objects": ["car", "instrument"], "scrambled": ["scrambled"]}
TARGETS = ["faces", "bodies", "places", "characters", "objects"]
categories = [c for cs in DOMAINS.values() for c in cs]
per_category = 6
labels = np.array([c for c in categories for _ in range(per_category)])
rng.shuffle(labels)
cat_domain = {c: d for d, cs in DOMAINS.items() for c in cs}
domain_of = np.array([list(DOMAINS).index(cat_domain[c]) for c in labels])
N = len(labels)
shape = (N, 4, 5, 10)
U = int(np.prod(shape[1:]))

x = rng.normal(0, 1, (N, U))
# domain preferences of varying strength, ReLU on a third of the units (ties at zero)
pref = rng.integers(0, 6, U)
strength = rng.choice([0, 0.5, 1.5, 4.0], U)
x += strength * (domain_of[:, None] == pref[None, :])
x[:, : U // 3] = np.maximum(x[:, : U // 3], 0)
x[:, 5] = 0.0                                   # dead unit: NaN t
x[:, 6] = np.where(domain_of == 0, 2.0, 1.0)    # constant within domains: infinite t for faces
x[3, 7] = np.nan                                # NaN propagates
# float32 data without the offset unit: scipy's float32 mean/variance lose the digits there
# (ours accumulate in float64), and through the FDR ranks that would move other units' q too
x32 = x.reshape(shape).astype(np.float32)
x[:, 8] += 1e4                                  # large offset (float64 only)
x64 = x.reshape(shape)
np.save(f"{out}/acts64.npy", x64)
np.save(f"{out}/acts32.npy", x32)
with open(f"{out}/labels.csv", "w") as f:
    f.write("image,category\n")
    for i, c in enumerate(labels):
        f.write(f"{c}/{i:04d}.jpg,{c}\n")


def reference(x, criterion, equal_var, alternative, correction, alpha=0.05):
    x = x.reshape(N, -1)
    T = len(TARGETS)
    res = {k: np.full((U, T), np.nan) for k in ("t", "p", "q", "dprime", "si", "csi", "auc")}
    res["selective"] = np.zeros((U, T), dtype=bool)
    means = np.stack([x[domain_of == d].mean(axis=0) for d in range(len(DOMAINS))], axis=1)
    for k, name in enumerate(TARGETS):
        d = list(DOMAINS).index(name)
        a, rest = x[domain_of == d], x[domain_of != d]
        others = [o for o in range(len(DOMAINS)) if o != d]
        if criterion == "pooled":
            tt = stats.ttest_ind(a, rest, equal_var=equal_var, alternative=alternative)
            res["t"][:, k], res["p"][:, k] = tt.statistic, tt.pvalue
            va, vr = a.var(axis=0, ddof=1), rest.var(axis=0, ddof=1)
            res["dprime"][:, k] = (a.mean(0) - rest.mean(0)) / np.sqrt((va + vr) / 2)
            ok = ~np.isnan(tt.pvalue)
            rej = np.zeros(U, dtype=bool)
            rej[ok], res["q"][ok, k], _, _ = multipletests(tt.pvalue[ok], alpha, correction)
        else:
            ts, ps, qs, rejs, dps = [], [], [], [], []
            for o in others:
                b = x[domain_of == o]
                tt = stats.ttest_ind(a, b, equal_var=equal_var, alternative=alternative)
                ok = ~np.isnan(tt.pvalue)
                rej = np.zeros(U, dtype=bool)
                q = np.full(U, np.nan)
                rej[ok], q[ok], _, _ = multipletests(tt.pvalue[ok], alpha, correction)
                va, vb = a.var(axis=0, ddof=1), b.var(axis=0, ddof=1)
                ts.append(tt.statistic), ps.append(tt.pvalue), qs.append(q), rejs.append(rej)
                dps.append((a.mean(0) - b.mean(0)) / np.sqrt((va + vb) / 2))
            # np.min/np.max propagate NaN, as repscope does
            res["t"][:, k] = np.min(ts, axis=0)
            res["p"][:, k] = np.max(ps, axis=0)
            res["q"][:, k] = np.max(qs, axis=0)
            res["dprime"][:, k] = np.min(dps, axis=0)
            rej = np.all(rejs, axis=0)
        res["selective"][:, k] = rej & (res["t"][:, k] > 0)
        r_t, r_o = means[:, d], rest.mean(axis=0)
        si = (r_t - r_o) / (r_t + r_o)
        si[(r_t < 0) | (r_o < 0) | ~(r_t + r_o > 0)] = np.nan
        res["si"][:, k] = si
        best = means[:, others].max(axis=1)
        denom = np.abs(r_t) + np.abs(best)
        with np.errstate(invalid="ignore", divide="ignore"):
            res["csi"][:, k] = np.where(denom > 0, (r_t - best) / denom, np.nan)
        for u in range(U):
            if not (np.isnan(a[:, u]).any() or np.isnan(rest[:, u]).any()):
                res["auc"][u, k] = stats.mannwhitneyu(a[:, u], rest[:, u]).statistic / (
                    len(a) * len(rest))
    return res


CONFIGS = {
    "pooled_student": ("pooled", True, "greater", "fdr_by"),
    "each_student": ("each", True, "greater", "fdr_by"),
    "pooled_welch_twosided_bh": ("pooled", False, "two-sided", "fdr_bh"),
}
for cname, args in CONFIGS.items():
    for dname, data in (("f64", x64), ("f32", x32)):
        res = reference(data, *args)
        for k, v in res.items():
            np.save(f"{out}/{cname}_{dname}_{k}.npy", v)
