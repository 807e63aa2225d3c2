"""Recomputes `repscope selectivity` output with scipy / statsmodels / numpy / pandas.

Usage: check_selectivity_tables.py OUT_DIR LAYERS_JSON
  LAYERS_JSON: {"layers": [{"name", "file"}], "labels": [category per row],
                "domains": [[domain, role, [categories]]...], "criterion": "each"|"pooled",
                "alternative": "greater"|"two-sided", "correction": "fdr_by", "alpha": 0.05,
                "unit": "element"|"channel"}
Prints one JSON object with the largest differences and the count of mismatches; the C++ test
(tests/tools/test_cmd_selectivity.cpp) asserts on it.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import scipy.stats
from statsmodels.stats.multitest import multipletests


def channel_axis(shape):
    return 2 if len(shape) == 3 else 1


def correct(p, method, alpha):
    """statsmodels over the finite p (NaN p stay NaN, never rejected), as repscope documents."""
    q = np.full(p.shape, np.nan)
    rej = np.zeros(p.shape, bool)
    ok = ~np.isnan(p)
    if ok.any():
        if method == "none":
            rej[ok], q[ok] = p[ok] <= alpha, p[ok]
        else:
            r, qq, _, _ = multipletests(p[ok], alpha=alpha, method=method)
            rej[ok], q[ok] = r, qq
    return rej, q


def dprime(a, b):
    return (a.mean(0) - b.mean(0)) / np.sqrt((a.var(0, ddof=1) + b.var(0, ddof=1)) / 2)


def reference_layer(x, dom, targets, ndom, cfg):
    """t, p, q, d', selective [U, T] and domain means [U, D] like compute_selectivity."""
    U = x.shape[1]
    T = len(targets)
    t_out, p_out, q_out, d_out = (np.zeros((U, T)) for _ in range(4))
    sel = np.zeros((U, T), bool)
    means = np.stack([x[dom == d].mean(0) for d in range(ndom)], 1)
    for k, tgt in enumerate(targets):
        a = x[dom == tgt]
        others = [d for d in range(ndom) if d != tgt] if cfg["criterion"] == "each" else [None]
        ts, ps, qs, ds, rejs = [], [], [], [], []
        for o in others:
            b = x[(dom != tgt) & (dom >= 0)] if o is None else x[dom == o]
            with np.errstate(all="ignore"):
                t, p = scipy.stats.ttest_ind(a, b, axis=0, alternative=cfg["alternative"])
                d = dprime(a, b)
            rej, q = correct(p, cfg["correction"], cfg["alpha"])
            ts.append(t), ps.append(p), qs.append(q), ds.append(d), rejs.append(rej & (t > 0))
        t_out[:, k] = np.min(ts, 0)
        p_out[:, k] = np.max(ps, 0)
        q_out[:, k] = np.max(qs, 0)
        d_out[:, k] = np.min(ds, 0)
        sel[:, k] = np.all(rejs, 0)
    return t_out, p_out, q_out, d_out, sel, means


def entropy_norm(counts):
    if counts.sum() == 0 or len(counts) < 2:
        return np.nan
    return scipy.stats.entropy(counts) / np.log(len(counts))


def gini(counts):
    c = counts.astype(float)
    if c.sum() == 0:
        return np.nan
    return np.abs(c[:, None] - c[None, :]).sum() / (2 * len(c) ** 2 * c.mean())


def profile(means, sel_k):
    m = means[sel_k]
    sd = m.std(1)
    m = m[sd > 0]
    if len(m) == 0:
        return np.full(means.shape[1], np.nan)
    z = (m - m.mean(1, keepdims=True)) / m.std(1, keepdims=True)
    return z.mean(0)


def main():
    out, spec_path = sys.argv[1], sys.argv[2]
    cfg = json.load(open(spec_path))
    names = [d[0] for d in cfg["domains"]]
    cat_dom = {c: i for i, d in enumerate(cfg["domains"]) for c in d[2]}
    targets = [i for i, d in enumerate(cfg["domains"]) if d[1] == "target"]
    dom = np.array([cat_dom[c] for c in cfg["labels"]])
    res = {"t": 0.0, "p": 0.0, "q": 0.0, "dprime": 0.0, "summary": 0.0, "layers": 0.0,
           "consistency": 0.0, "mask_mismatch": 0, "missing": []}

    def rel(a, b):
        a, b = np.asarray(a, float), np.asarray(b, float)
        both_nan = np.isnan(a) & np.isnan(b)
        if np.any(np.isnan(a) != np.isnan(b)):
            return np.inf
        ok = ~both_nan
        if not ok.any():
            return 0.0
        return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-12)))

    summary = pd.read_csv(os.path.join(out, "selectivity_summary.csv"))
    layers_csv = pd.read_csv(os.path.join(out, "selectivity_layers.csv"))
    cons = pd.read_csv(os.path.join(out, "selectivity_consistency.csv"))
    fps = []
    for layer in cfg["layers"]:
        x = np.load(layer["file"]).astype(np.float64)
        ax = channel_axis(x.shape)
        C = x.shape[ax]
        if cfg["unit"] == "channel" and x.ndim > 2:
            # repscope's channel means are accumulated in float64 and stored as float32.
            x = x.mean(axis=tuple(a for a in range(1, x.ndim) if a != ax))
            x = x.astype(np.float32).astype(np.float64)
            ax = 1
        chan = np.broadcast_to(
            np.arange(C).reshape([C if a == ax else 1 for a in range(1, x.ndim)]), x.shape[1:]
        ).reshape(-1)
        x = x.reshape(len(x), -1)
        t, p, q, d, sel, means = reference_layer(x, dom, targets, len(names), cfg)
        folder = os.path.join(out, layer["name"].replace("/", "_"))
        ours = {k: np.load(os.path.join(folder, k + ".npy")) for k in
                ["t", "p", "q", "dprime", "selective", "mean"]}
        res["t"] = max(res["t"], rel(ours["t"], t))
        res["p"] = max(res["p"], rel(ours["p"], p))
        res["q"] = max(res["q"], rel(ours["q"], q))
        res["dprime"] = max(res["dprime"], rel(ours["dprime"], d))
        res["mask_mismatch"] += int(np.sum(ours["selective"] != sel))
        # Summaries recomputed from the reference mask and pandas-read tables.
        rows = summary[summary.layer == layer["name"]].set_index("category")
        csi = np.load(os.path.join(folder, "csi.npy"))
        n_targets = sel.sum(1)
        fp = []
        for k, tgt in enumerate(targets):
            s = sel[:, k]
            r = rows.loc[names[tgt]]
            counts = np.bincount(chan[s], minlength=C)
            n = s.sum()
            expect = {
                "proportion": n / x.shape[1], "n_selective": n, "n_units": x.shape[1],
                "n_exclusive": np.sum(s & (n_targets == 1)),
                "exclusive_fraction": np.sum(s & (n_targets == 1)) / n if n else np.nan,
                "mean_dprime_selective": np.nanmean(d[s, k]) if n else np.nan,
                "dprime_median": np.nanmedian(d[s, k]) if n else np.nan,
                "csi_median": np.nanmedian(csi[s, k]) if n else np.nan,
                "csi_q25": np.nanquantile(csi[s, k], 0.25) if n else np.nan,
                "channels": C, "channels_with_selective": np.sum(counts > 0),
                "channel_entropy": entropy_norm(counts), "channel_gini": gini(counts),
                "top_channel_fraction": counts.max() / n if n else np.nan,
            }
            for col, v in expect.items():
                if col not in rows.columns:
                    res["missing"].append(col)
                    continue
                res["summary"] = max(res["summary"], rel(r[col], v))
            fp.append((counts > 0, profile(means, s)))
        lr = layers_csv.set_index("layer").loc[layer["name"]]
        anyk = n_targets >= 1
        for col, v in {"n_selective_any": anyk.sum(), "n_selective_one": np.sum(n_targets == 1),
                       "specificity": np.sum(n_targets == 1) / anyk.sum() if anyk.any() else
                       np.nan, "proportion_any": anyk.mean()}.items():
            res["layers"] = max(res["layers"], rel(lr[col], v))
        fps.append((layer["name"], C, fp))
    # Consistency over all pairs.
    expected_rows = 0
    for i in range(len(fps)):
        for j in range(i + 1, len(fps)):
            (na, ca, fa), (nb, cb, fb) = fps[i], fps[j]
            for k, tgt in enumerate(targets):
                expected_rows += 1
                row = cons[(cons.layer_a == na) & (cons.layer_b == nb) &
                           (cons.category == names[tgt])].iloc[0]
                sa, pa = fa[k]
                sb, pb = fb[k]
                jac = np.nan
                if ca == cb and (sa | sb).any():
                    jac = np.sum(sa & sb) / np.sum(sa | sb)
                pr = sr = np.nan
                if len(names) >= 3 and not (np.isnan(pa).any() or np.isnan(pb).any()):
                    pr = scipy.stats.pearsonr(pa, pb)[0]
                    sr = scipy.stats.spearmanr(pa, pb)[0]
                for v, col in ((jac, "jaccard"), (pr, "profile_pearson"),
                               (sr, "profile_spearman")):
                    res["consistency"] = max(res["consistency"], rel(row[col], v))
    res["consistency_rows"] = len(cons)
    res["expected_consistency_rows"] = expected_rows
    res = {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in res.items()}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
