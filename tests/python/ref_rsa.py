"""Reference values for the RSA tests (tests/stats/test_rdm.cpp, test_compare.cpp,
test_inference.cpp): scipy and rsatoolbox on seeded random data with ties, NaNs and edge sizes.

Usage: ref_rsa.py OUTDIR. Every array is written as OUTDIR/<name>.bin (float64, little-endian,
C order); the C++ tests know the shapes.
"""
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.stats
from scipy.spatial.distance import pdist

import rsatoolbox
from rsatoolbox.data import Dataset
from rsatoolbox.rdm import RDMs, calc_rdm, compare
from rsatoolbox.inference import boot_noise_ceiling

warnings.simplefilter("ignore")
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20240611)


def save(name, arr):
    np.ascontiguousarray(np.asarray(arr, dtype=np.float64)).tofile(out / f"{name}.bin")


def rsa_rdm(x, method, **kw):
    ds = Dataset(np.asarray(x, dtype=np.float64))
    return calc_rdm(ds, method=method, **kw).get_vectors()[0]


# ---- RDMs ----
def rdm_case(name, x):
    save(f"{name}_x", x)
    xd = np.asarray(x, dtype=np.float64)
    for metric in ("correlation", "cosine", "euclidean", "sqeuclidean"):
        save(f"{name}_{metric}", pdist(xd, metric))
    save(f"{name}_rsa_euclidean", rsa_rdm(xd, "euclidean"))
    save(f"{name}_rsa_correlation", rsa_rdm(xd, "correlation"))


rdm_case("small", rng.standard_normal((9, 17)))
rdm_case("f32", (rng.standard_normal((10, 1000)) + 100.0).astype(np.float32))
rdm_case("p1", rng.standard_normal((3, 1)))
const = rng.standard_normal((4, 5))
const[2] = 1.5
rdm_case("const", const)

maha_x = rng.standard_normal((5, 6))
a = rng.standard_normal((6, 6))
precision = a @ a.T + 6 * np.eye(6)
save("maha_x", maha_x)
save("maha_precision", precision)
save("maha_rdm", rsa_rdm(maha_x, "mahalanobis", noise=precision))

n_cond, n_fold, p = 6, 3, 8
folds = rng.standard_normal((n_fold, n_cond, p)) + rng.standard_normal((1, n_cond, p))
save("cn_folds", folds)
meas = folds.reshape(n_fold * n_cond, p)
desc = {"conds": np.tile(np.arange(n_cond), n_fold), "fold": np.repeat(np.arange(n_fold), n_cond)}
ds = Dataset(meas, obs_descriptors=desc)
save("cn_rdm", calc_rdm(ds, method="crossnobis", descriptor="conds", cv_descriptor="fold").get_vectors()[0])
save("cn_rdm_prec", calc_rdm(ds, method="crossnobis", descriptor="conds", cv_descriptor="fold",
                             noise=precision[:p, :p] if p <= 6 else np.eye(p) * 2.0).get_vectors()[0])

# ---- comparisons ----
methods = ["cosine", "corr", "spearman", "tau-a", "rho-a", "tau-b", "cosine_cov", "corr_cov"]
n = 10
m = n * (n - 1) // 2
va = np.round(rng.standard_normal(m) * 2) / 2 + 3  # many ties
vb = np.round((va + rng.standard_normal(m)) * 2) / 2
vc = rng.standard_normal(m) + 1
save("cmp_a", va)
save("cmp_b", vb)
save("cmp_c", vc)
for meth in methods:
    save(f"cmp_ab_{meth}", compare(RDMs(va[None]), RDMs(vb[None]), meth)[0, 0])
    save(f"cmp_ac_{meth}", compare(RDMs(va[None]), RDMs(vc[None]), meth)[0, 0])
save("scipy_pearson", scipy.stats.pearsonr(va, vb)[0])
save("scipy_spearman", scipy.stats.spearmanr(va, vb)[0])
save("scipy_kendall", scipy.stats.kendalltau(va, vb)[0])
# NaN entries at the same positions in both (rsatoolbox requires that)
nan_pos = rng.choice(m, 6, replace=False)
na, nb = va.copy(), vc.copy()
na[nan_pos] = np.nan
nb[nan_pos] = np.nan
save("cmpnan_a", na)
save("cmpnan_b", nb)
for meth in methods:
    save(f"cmpnan_{meth}", compare(RDMs(na[None]), RDMs(nb[None]), meth)[0, 0])
# many vs many
many = rng.standard_normal((3, m))
targets = rng.standard_normal((2, m))
save("many_rdms", many)
save("many_targets", targets)
for meth in methods:
    save(f"many_{meth}", compare(RDMs(many), RDMs(targets), meth))
# partial correlation: residuals of least squares on [1, controls]
ctrl = rng.standard_normal((2, m))
save("partial_ctrl", ctrl)


def partial(x, y, cs, rank):
    if rank:
        x, y = scipy.stats.rankdata(x), scipy.stats.rankdata(y)
        cs = [scipy.stats.rankdata(c) for c in cs]
    d = np.column_stack([np.ones(len(x))] + list(cs))
    rx = x - d @ np.linalg.lstsq(d, x, rcond=None)[0]
    ry = y - d @ np.linalg.lstsq(d, y, rcond=None)[0]
    return scipy.stats.pearsonr(rx, ry)[0]


save("partial_pearson", partial(va, vb, ctrl, False))
save("partial_spearman", partial(va, vb, ctrl, True))
save("partial_pearson1", partial(va, vc, ctrl[:1], False))

# ---- noise ceiling and bootstrap samples ----
n_subj, n_stim = 5, 8
truth = rng.standard_normal((n_stim, 4))
subs = np.stack([pdist(truth + 0.8 * rng.standard_normal(truth.shape)) for _ in range(n_subj)])
save("nc_subjects", subs)
boot_idx = np.sort(rng.integers(0, n_stim, n_stim))
while len(np.unique(boot_idx)) == n_stim:
    boot_idx = np.sort(rng.integers(0, n_stim, n_stim))
save("nc_boot_idx", boot_idx)
rdms = RDMs(subs)
sub_rdms = rdms.subsample_pattern("index", boot_idx)
save("nc_boot_subsampled", sub_rdms.get_vectors())
model = pdist(truth)
save("nc_model", model)
model_sub = RDMs(model[None]).subsample_pattern("index", boot_idx)
for meth in ["cosine", "corr", "spearman", "rho-a", "tau-a", "cosine_cov", "corr_cov"]:
    save(f"nc_{meth}", boot_noise_ceiling(rdms, method=meth))
    save(f"ncboot_{meth}", boot_noise_ceiling(sub_rdms, method=meth))
    save(f"bootcmp_{meth}", np.mean(compare(model_sub, sub_rdms, meth)))

# ---- MDS: classical, same sign convention as repscope ----
d = pdist(truth)
from scipy.spatial.distance import squareform
D2 = squareform(d) ** 2
H = np.eye(n_stim) - 1.0 / n_stim
B = -0.5 * H @ D2 @ H
w, v = np.linalg.eigh(B)
order = np.argsort(w)[::-1][:2]
coords = []
for k in order:
    vec = v[:, k]
    if vec[np.argmax(np.abs(vec))] < 0:
        vec = -vec
    coords.append(vec * np.sqrt(max(w[k], 0)))
save("mds_coords", np.column_stack(coords))
save("mds_eig", w[order])
print("ok")
