"""A paired test of one SLA2P setting against another, per family of data.

The project's rule for a change of default: adopt it only when a paired
test across datasets says it is not a loss in any family. For each family
(``--suite dev`` records them; otherwise the names decide) this prints, for
ROC-AUC and AP, the two settings' means over the datasets (each dataset's
mean over the seeds both settings completed), the candidate's mean
difference, the datasets it moved by more than ``--tol`` either way, and the
two-sided Wilcoxon signed-rank p-value of the per-dataset differences. A
second block repeats it on the datasets where a marginal detector (ECOD,
COPOD, HBOS or PCA) has the best ROC-AUC of the run's detectors, the sets
issue 26 expects a fix for an extreme-value blind spot to help.

Usage::

    python -m benchmarks.paired benchmarks/results/dev_sla2p_ablation \\
        --baseline calibrate --candidate guarded
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from scipy.stats import wilcoxon

from .report import recorded_families, split_by_family
from .resultsfile import read_frame
from .runconfig import read_run_config

#: Detectors that score each feature's tail on its own.
MARGINAL = ("ecod", "copod", "hbos", "pca")
METRICS = ("roc_auc", "average_precision")


def paired_frame(df: pd.DataFrame, baseline: str, candidate: str, metric: str) -> pd.DataFrame:
    """Per dataset: the two settings' means over the seeds both completed."""
    ok = df[(df["status"] == "ok") & df["detector"].isin([baseline, candidate])]
    cells = ok.pivot_table(index=["dataset", "seed"], columns="detector", values=metric)
    if not {baseline, candidate} <= set(cells.columns):
        return pd.DataFrame(columns=[baseline, candidate])
    cells = cells.dropna(subset=[baseline, candidate])
    return cells.groupby(level="dataset")[[baseline, candidate]].mean()


def summary_row(pairs: pd.DataFrame, baseline: str, candidate: str, tol: float) -> dict:
    """Means, the mean difference, wins/losses beyond ``tol`` and Wilcoxon's p."""
    diff = pairs[candidate] - pairs[baseline]
    p = wilcoxon(diff).pvalue if len(diff) > 1 and (diff != 0).any() else float("nan")
    return {"datasets": len(pairs), baseline: round(pairs[baseline].mean(), 4),
            candidate: round(pairs[candidate].mean(), 4), "difference": round(diff.mean(), 4),
            "better": int((diff > tol).sum()), "worse": int((diff < -tol).sum()),
            "wilcoxon_p": round(p, 4)}


def marginal_best(df: pd.DataFrame) -> list:
    """Datasets whose best mean ROC-AUC among the run's detectors is a marginal one's."""
    means = df[df["status"] == "ok"].groupby(["dataset", "detector"])["roc_auc"].mean()
    best = means.unstack().idxmax(axis=1)
    return sorted(best[best.isin(MARGINAL)].index)


def paired_table(df: pd.DataFrame, families: dict, args) -> pd.DataFrame:
    """One row per (subset, family, metric)."""
    groups = {"all": df, **split_by_family(df, families)}
    subsets = {"every dataset": None, "marginal detector best": set(marginal_best(df))}
    rows = []
    for subset, keep in subsets.items():
        for family, part in groups.items():
            if keep is not None:
                part = part[part["dataset"].isin(keep)]
            for metric in METRICS:
                pairs = paired_frame(part, args.baseline, args.candidate, metric)
                if len(pairs):
                    rows.append({"subset": subset, "family": family, "metric": metric,
                                 **summary_row(pairs, args.baseline, args.candidate, args.tol)})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.paired", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder (results.csv, run_config.json)")
    parser.add_argument("--baseline", required=True, help="label of the current setting")
    parser.add_argument("--candidate", required=True, help="label of the proposed setting")
    parser.add_argument("--tol", type=float, default=0.005,
                        help="a dataset moved by more than this counts as better/worse")
    args = parser.parse_args(argv)
    df = read_frame(args.run / "results.csv")
    df = df.drop_duplicates(["dataset", "detector", "seed"], keep="last")
    missing = {args.baseline, args.candidate} - set(df["detector"])
    if missing:
        parser.error(f"no rows labelled {sorted(missing)} in {args.run / 'results.csv'}; "
                     f"its labels are {sorted(set(df['detector']))}")
    families = recorded_families(read_run_config(args.run) or {})
    table = paired_table(df, families, args)
    print(table.to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
