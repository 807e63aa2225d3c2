"""Reference values for the `repscope compare` CLI tests (tests/stats/test_compare_cli.cpp).

Usage: ref_compare_cli.py DIR
For every DIR/table_<correction>.csv written by `repscope compare`, reads it with pandas and
corrects its p_value column with statsmodels' multipletests separately per target, writing
DIR/statsmodels_<correction>.txt (one corrected p per CSV row, in row order, repr precision).
For every method listed in DIR/ceiling_methods.txt, writes DIR/rsatoolbox_nc_<method>.txt
("lower upper") from rsatoolbox's boot_noise_ceiling on DIR/subjects.npy ([S, N, N]).
"""
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

warnings.simplefilter("ignore")
d = Path(sys.argv[1])

for csv in sorted(d.glob("table_*.csv")):
    correction = csv.stem[len("table_"):]
    if correction == "none":  # not a statsmodels method; repscope's "none" is q = p
        continue
    df = pd.read_csv(csv)
    assert df["p_value"].dtype == np.float64 and df["p_corrected"].dtype == np.float64
    q = np.full(len(df), np.nan)
    for _, idx in df.groupby("target", sort=False).groups.items():
        q[np.asarray(idx)] = multipletests(df.loc[idx, "p_value"].to_numpy(), 0.05, correction)[1]
    (d / f"statsmodels_{correction}.txt").write_text("".join(f"{v!r}\n" for v in q))

methods = d / "ceiling_methods.txt"
if methods.exists():
    from rsatoolbox.inference import boot_noise_ceiling
    from rsatoolbox.rdm import RDMs

    subjects = RDMs(np.load(d / "subjects.npy"))
    for method in methods.read_text().split():
        lower, upper = boot_noise_ceiling(subjects, method=method)
        (d / f"rsatoolbox_nc_{method}.txt").write_text(f"{float(lower)!r} {float(upper)!r}\n")
