"""Reference values for tests/stats/test_distributions.cpp and test_ttest.cpp.

Usage: ref_ttest_distributions.py OUT_DIR [ttest]   (with "ttest": only the two t-test files)
Writes whitespace-separated text files (floats as Python repr, so they round-trip exactly;
'nan' and 'inf' as spelled by Python):
  t_sf.txt      t df scipy_sf mpmath_sf        (scipy.stats.t.sf; mpmath at 60 digits)
  beta.txt      a b x mpmath_I mpmath_1mI      (regularized incomplete beta, both tails)
  norm.txt      z scipy_sf scipy_cdf
  ttest.txt     one case per line, see write_ttest_case
  ttest_f32.txt the same with float32 samples (scipy run on float32 arrays)
"""
import sys
import warnings

import mpmath
import numpy as np
from scipy import stats

warnings.simplefilter("ignore")
out = sys.argv[1]
only_ttest = len(sys.argv) > 2 and sys.argv[2] == "ttest"
mpmath.mp.dps = 60


def mp_ibeta_series(a, b, x):
    """I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * 2F1(a+b, 1; a+1; x), a series of positive terms
    (no cancellation), summed at the working precision. Used for x below the mean a/(a+b)."""
    total = term = mpmath.mpf(1)
    n = 0
    while term > total * mpmath.mpf(10) ** -65:
        term *= (a + b + n) / (a + 1 + n) * x
        total += term
        n += 1
    log_front = (a * mpmath.log(x) + b * mpmath.log(1 - x)
                 - (mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)))
    return mpmath.exp(log_front) / a * total


def mp_t_sf(t, df):
    if t == 0:
        return mpmath.mpf(0.5)
    t = mpmath.mpf(t)
    df = mpmath.mpf(df)
    a, b = df / 2, mpmath.mpf(1) / 2
    x = df / (df + t * t)
    y = t * t / (df + t * t)
    # two-sided p = I_x(df/2, 1/2) = 1 - I_y(1/2, df/2)
    if x < a / (a + b) and x <= 0.99:
        two_sided = mp_ibeta_series(a, b, x)
    else:
        # near x = 1 the y side converges; 360 digits absorb the cancellation of 1 - I
        # (p down to 1e-300 there for the df used below)
        with mpmath.workdps(360):
            two_sided = 1 - mpmath.betainc(b, a, 0, y, regularized=True)
    return two_sided / 2 if t > 0 else 1 - two_sided / 2


def write_distribution_files():
    with open(f"{out}/t_sf.txt", "w") as f:
        dfs = [1, 1.5, 2, 3, 4.7, 10, 29, 100, 286, 1582, 12345.6, 1e6]
        ts = [0.0, 1e-12, 1e-3, 0.1, 0.5, 1, 2, 3.3, 5, 8, 13, 21, 37, 60, 100, 1e3, 1e6, 1e20, 1e100]
        for df in dfs:
            for t in ts:
                for s in (1, -1):
                    sf = float(stats.t.sf(s * t, df))
                    ref = float(mp_t_sf(s * t, df))
                    f.write(f"{s * t!r} {df!r} {sf!r} {ref!r}\n")

    with open(f"{out}/beta.txt", "w") as f:
        rng = np.random.default_rng(3)
        cases = [(0.5, 0.5, 0.3), (1, 1, 0.25), (2, 3, 0.999), (800, 0.5, 0.5), (0.5, 800, 1e-4),
                 (30, 40, 0.2), (30, 40, 0.8), (1e4, 2e4, 0.3), (1e4, 2e4, 0.36), (2e3, 3e3, 0.39),
                 (3.5, 0.5, 1e-200), (0.5, 3.5, 1 - 1e-12), (100, 100, 0.05)]
        for _ in range(40):
            a, b = np.exp(rng.uniform(np.log(0.1), np.log(2000), 2))
            cases.append((float(a), float(b), float(rng.uniform())))
        for a, b, x in cases:
            # Evaluate the small side (the hypergeometric series converges there) in high precision.
            am, bm, xm = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
            if xm < am / (am + bm):
                lo = mp_ibeta_series(am, bm, xm)
                hi = 1 - lo
            else:
                hi = mp_ibeta_series(bm, am, 1 - xm)
                lo = 1 - hi
            f.write(f"{a!r} {b!r} {x!r} {float(lo)!r} {float(hi)!r}\n")

    with open(f"{out}/norm.txt", "w") as f:
        for z in [-38, -37.5, -30, -10, -5, -1, -0.1, 0, 1e-8, 0.3, 1, 2, 5, 8.5, 20, 37, 38.5]:
            f.write(f"{float(z)!r} {float(stats.norm.sf(z))!r} {float(stats.norm.cdf(z))!r}\n")


def write_ttest_case(f, a, b):
    """n1 n2 a... b... then (t p_two p_greater) Student, (t p_two p_greater) Welch,
    (U1 p_two p_greater) Mann-Whitney (method auto, continuity)."""
    vals = [len(a), len(b)] + [float(v) for v in a] + [float(v) for v in b]
    for eq in (True, False):
        r2 = stats.ttest_ind(a, b, equal_var=eq)
        rg = stats.ttest_ind(a, b, equal_var=eq, alternative="greater")
        vals += [float(r2.statistic), float(r2.pvalue), float(rg.pvalue)]
    if np.isnan(a).any() or np.isnan(b).any():
        vals += [float("nan")] * 3
    else:
        m2 = stats.mannwhitneyu(a, b)
        mg = stats.mannwhitneyu(a, b, alternative="greater")
        vals += [float(m2.statistic), float(m2.pvalue), float(mg.pvalue)]
    f.write(" ".join(repr(v) for v in vals) + "\n")


def ttest_cases(dtype):
    rng = np.random.default_rng(11)
    cases = []
    for n1, n2 in [(3, 3), (3, 5), (5, 4), (8, 8), (9, 12), (20, 30), (144, 1440), (288, 1296)]:
        for shift in (0.0, 0.4, 2.5):
            a = rng.normal(shift, 1.0, n1)
            b = rng.normal(0.0, 1.7, n2)
            cases.append((a, b))
    # ties: integer data (asymptotic MWU with tie correction)
    for n1, n2 in [(3, 4), (10, 15), (50, 70)]:
        cases.append((rng.integers(0, 4, n1).astype(float), rng.integers(0, 4, n2).astype(float)))
    # ReLU-like: many exact zeros
    a = np.maximum(rng.normal(0.3, 1, 40), 0)
    b = np.maximum(rng.normal(0, 1, 60), 0)
    cases.append((a, b))
    # far tails (float64 only: float32 rounding of t moves such p-values by more than 1e-5)
    if dtype == np.float64:
        cases.append((rng.normal(40, 1, 300), rng.normal(0, 1, 500)))
        cases.append((rng.normal(0, 1, 4) + 1e3, rng.normal(0, 1, 3)))
    # constant patterns: both constant equal (0/0 -> NaN), both constant different (inf),
    # one constant
    cases.append((np.zeros(5), np.zeros(4)))
    cases.append((np.full(5, 2.0), np.full(4, 1.0)))
    cases.append((np.full(5, 1.0), rng.normal(0, 1, 4)))
    # NaN propagates
    cases.append((np.array([1.0, np.nan, 2.0]), rng.normal(0, 1, 4)))
    # large offset: precision of the variance (float64 only: in float32 the data are quantized
    # and scipy's float32 variance loses the digits)
    if dtype == np.float64:
        cases.append((rng.normal(1e4, 1e-2, 30), rng.normal(1e4, 1e-2, 30)))
    return [(a.astype(dtype), b.astype(dtype)) for a, b in cases]


with open(f"{out}/ttest.txt", "w") as f:
    for a, b in ttest_cases(np.float64):
        write_ttest_case(f, a, b)
with open(f"{out}/ttest_f32.txt", "w") as f:
    for a, b in ttest_cases(np.float32):
        write_ttest_case(f, a, b)


if not only_ttest:
    write_distribution_files()
