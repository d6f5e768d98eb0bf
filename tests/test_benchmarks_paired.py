"""The paired per-family test of one setting against another (benchmarks.paired)."""

import pandas as pd
import pytest
from scipy.stats import wilcoxon

from benchmarks.paired import marginal_best, paired_frame, summary_row


def _rows():
    rows = []
    for i, dataset in enumerate(["a", "b", "c", "d", "e"]):
        for seed in (0, 1):
            base = 0.6 + 0.05 * i
            rows += [
                {"dataset": dataset, "seed": seed, "detector": "old", "status": "ok",
                 "roc_auc": base, "average_precision": base / 2},
                {"dataset": dataset, "seed": seed, "detector": "new", "status": "ok",
                 "roc_auc": base + 0.01 * (i + 1) * (1 if seed else 2),
                 "average_precision": base / 2},
                {"dataset": dataset, "seed": seed, "detector": "ecod", "status": "ok",
                 "roc_auc": 0.99 if dataset == "e" else 0.1, "average_precision": 0.1},
            ]
    # A failed candidate cell is left out of both sides of its pair.
    rows.append({"dataset": "f", "seed": 0, "detector": "old", "status": "ok",
                 "roc_auc": 0.5, "average_precision": 0.1})
    rows.append({"dataset": "f", "seed": 0, "detector": "new", "status": "error",
                 "roc_auc": float("nan"), "average_precision": float("nan")})
    return pd.DataFrame(rows)


def test_pairs_are_seed_means_over_cells_both_completed():
    pairs = paired_frame(_rows(), "old", "new", "roc_auc")
    assert list(pairs.index) == ["a", "b", "c", "d", "e"]
    assert pairs.loc["a", "new"] == pytest.approx(0.6 + 0.015)
    assert paired_frame(_rows(), "old", "missing", "roc_auc").empty


def test_summary_counts_and_wilcoxon():
    pairs = paired_frame(_rows(), "old", "new", "roc_auc")
    row = summary_row(pairs, "old", "new", tol=0.02)
    diff = pairs["new"] - pairs["old"]
    assert row["difference"] == pytest.approx(round(diff.mean(), 4))
    assert (row["better"], row["worse"]) == (int((diff > 0.02).sum()), 0)
    assert row["wilcoxon_p"] == pytest.approx(round(wilcoxon(diff).pvalue, 4))
    same = summary_row(paired_frame(_rows(), "old", "new", "average_precision"),
                       "old", "new", tol=0.005)
    assert same["difference"] == 0 and same["wilcoxon_p"] != same["wilcoxon_p"]  # NaN


def test_marginal_best_sets():
    assert marginal_best(_rows()) == ["e"]
