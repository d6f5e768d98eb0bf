"""Ablation table: what each variant of a detector changes against a baseline.

A run whose detectors are labelled variants of one detector (``--detectors
"sla2p,direction=sla2p:views=direction,relative=sla2p-variant:perturbation=relative,..."``)
is summarised, per variant,
by the change it makes (its parameter overrides, read from
``run_config.json``), its mean ROC-AUC and AP over the datasets, their
difference from the baseline, the number of datasets it moved by more
than ``--tol`` either way, and its cost relative to the baseline.

Means are taken over the (dataset, seed) cells where both the variant and
the baseline succeeded, so a variant that fails somewhere is compared on the
same cells; the ``cells`` column says how many that was.

Usage::

    python -m benchmarks.ablation benchmarks/results/odds_sla2p_ablation [--baseline sla2p]

writes ``ablation.md`` (and ``ablation.csv``) into that directory and prints
the table. ``--oracle a,b,c`` (repeatable) adds a line per group: the mean
over datasets of the best of those rows on each dataset, picked with the
labels. No rule that chooses among those settings from the data's shape can
do better, so it bounds what such a rule could gain.

A run over several families of data (``--suite dev`` tags each dataset
tabular, image or text; see :func:`benchmarks.report.split_by_family`) gets
the same table, and oracle lines, within each family as well: sections of
``ablation.md`` and ``ablation_<family>.csv``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, Optional

import pandas as pd

from .markdown import pipe_table
from .report import recorded_families, split_by_family
from .resultsfile import fit_score_seconds, read_frame
from .runconfig import read_run_config

__all__ = ["ablation_table", "describe_changes", "family_sections", "main", "markdown", "oracle",
           "table_markdown"]

#: A variant's cell is compared with the baseline's cell of the same dataset and seed.
PAIRED_ON = ["dataset", "seed"]


def describe_changes(run_config: Optional[dict]) -> Dict[str, str]:
    """Label -> the variant's parameter overrides as ``k=v`` text."""
    out = {}
    for det in (run_config or {}).get("detectors", []):
        kwargs = {**det.get("kwargs", {}), **det.get("overrides", {})}
        text = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k != "verbose")
        out[det["label"]] = text or f"{det['name']} as registered"
    return out


def ablation_table(df: pd.DataFrame, baseline: str, tol: float = 0.005) -> pd.DataFrame:
    """One row per detector label: means, differences from ``baseline``, cost.

    Parameters
    ----------
    df : DataFrame
        Rows of ``results.csv`` (one protocol).
    baseline : str
        The label the others are compared with.
    tol : float, default=0.005
        A dataset counts as better (worse) when the variant's mean ROC-AUC
        over the shared seeds is above (below) the baseline's by more than this.

    Returns
    -------
    DataFrame
        Columns ``roc_auc``, ``average_precision``, ``d_roc_auc``,
        ``d_average_precision``, ``better``, ``worse``, ``cost``, ``cells``,
        indexed by label: the baseline first, then by ``d_roc_auc`` (best first).
    """
    if baseline not in set(df["detector"]):
        raise ValueError(f"baseline {baseline!r} is not a detector of this run; "
                         f"it has {sorted(set(df['detector']))}. Pass --baseline LABEL.")
    ok = df[df["status"] == "ok"].assign(time=fit_score_seconds)
    base = ok[ok["detector"] == baseline].set_index(PAIRED_ON)
    rows = {}
    for label, part in ok.groupby("detector", sort=False):
        part = part.set_index(PAIRED_ON)
        shared = part.index.intersection(base.index)
        if len(shared) == 0:
            continue
        mine, ref = part.loc[shared], base.loc[shared]
        per_ds = mine.groupby(level="dataset")[["roc_auc", "average_precision"]].mean()
        ref_ds = ref.groupby(level="dataset")[["roc_auc", "average_precision"]].mean()
        diff = per_ds["roc_auc"] - ref_ds["roc_auc"]
        rows[label] = {
            "roc_auc": per_ds["roc_auc"].mean(),
            "average_precision": per_ds["average_precision"].mean(),
            "d_roc_auc": per_ds["roc_auc"].mean() - ref_ds["roc_auc"].mean(),
            "d_average_precision": (per_ds["average_precision"].mean()
                                    - ref_ds["average_precision"].mean()),
            "better": int((diff > tol).sum()),
            "worse": int((diff < -tol).sum()),
            "cost": mine["time"].sum() / ref["time"].sum(),
            "cells": len(shared),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    others = table.drop(index=baseline).sort_values("d_roc_auc", ascending=False)
    return pd.concat([table.loc[[baseline]], others])


def oracle(df: pd.DataFrame, labels) -> float:
    """Mean over datasets of the best per-dataset mean ROC-AUC among ``labels``.

    Only datasets where every label has a successful cell count.
    """
    missing = sorted(set(labels) - set(df["detector"]))
    if missing:
        raise ValueError(f"--oracle names {missing}, which are not detectors of this "
                         f"run; it has {sorted(set(df['detector']))}.")
    ok = df[(df["status"] == "ok") & df["detector"].isin(labels)]
    per = ok.pivot_table(index="dataset", columns="detector", values="roc_auc",
                         aggfunc="mean").dropna()
    return float(per.max(axis=1).mean())


def table_markdown(table: pd.DataFrame, changes: dict[str, str], baseline: str) -> str:
    """The table alone, as a Markdown pipe table."""
    rows = [[f"`{label}`", "the baseline" if label == baseline else changes.get(label, ""),
             f"{r.roc_auc:.3f}", f"{r.d_roc_auc:+.3f}", f"{r.average_precision:.3f}",
             f"{r.d_average_precision:+.3f}", int(r.better), int(r.worse), f"{r.cost:.1f}×",
             int(r.cells)] for label, r in table.iterrows()]
    return pipe_table(
        ["row", "change", "ROC-AUC", "Δ", "AP", "Δ", "better", "worse", "cost", "cells"],
        rows, ["left", "left"] + ["right"] * 8)


def markdown(table: pd.DataFrame, changes: Dict[str, str], baseline: str,
             n_datasets: int, seeds, tol: float) -> str:
    """The table as Markdown, with a header saying how it was computed."""
    lines = [
        f"# Ablation against `{baseline}`",
        "",
        f"Mean over {n_datasets} datasets of the mean over seeds {list(seeds)}, on the "
        f"cells where both the row and `{baseline}` succeeded. Δ: difference from "
        f"`{baseline}`. better / worse: datasets moved by more than {tol} ROC-AUC. "
        f"cost: total fit + score time relative to `{baseline}` (wall-clock on the "
        "machine of the run; compare rows, not absolute seconds).",
        "",
    ]
    return "\n".join(lines) + "\n" + table_markdown(table, changes, baseline)


def _oracle_md(ceilings) -> str:
    if not ceilings:
        return ""
    return ("\nOracle (mean over datasets of the best row per dataset, chosen with "
            "the labels; the ceiling of any rule choosing among these rows):\n\n"
            + "".join(f"- {', '.join(f'`{g}`' for g in group)}: ROC-AUC {value:.3f}\n"
                      for group, value in ceilings))


def family_sections(df: pd.DataFrame, families: dict[str, str], changes: dict[str, str],
                    baseline: str, tol: float, groups) -> dict[str, tuple]:
    """Family -> (its table, its Markdown section), for a run over several families.

    Empty when the run's datasets are of one family. A family where the
    baseline has no successful cell has a section that says so and no table.
    """
    out = {}
    for family, part in split_by_family(df, families).items():
        n = part["dataset"].nunique()
        head = f"\n## {family} ({n} dataset{'s' * (n != 1)})\n\n"
        ok = part[part["status"] == "ok"]
        if baseline not in set(ok["detector"]):
            out[family] = (None, head + f"No successful cell of `{baseline}` in this family.\n")
            continue
        table = ablation_table(part, baseline, tol)
        ceilings = [(group, oracle(part, group)) for group in groups]
        out[family] = (table, head + table_markdown(table, changes, baseline)
                       + _oracle_md(ceilings))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ablation",
        description="Summarise a run of detector variants against a baseline.")
    parser.add_argument("out", type=Path, help="run directory holding results.csv")
    parser.add_argument("--baseline", default="sla2p", help="label to compare with")
    parser.add_argument("--oracle", action="append", default=[], metavar="A,B,...",
                        help="also print the mean of the per-dataset best of these rows")
    parser.add_argument("--tol", type=float, default=0.005,
                        help="ROC-AUC change that counts as better/worse per dataset")
    args = parser.parse_args(argv)
    path = args.out / "results.csv"
    if not path.is_file():
        print(f"error: {path} not found; pass the --out directory of a benchmark run.",
              file=sys.stderr)
        return 2
    # read_frame, as the report does: typed columns, and the last row of a
    # cell wins when a resumed run appended it twice.
    df = read_frame(path)
    config = read_run_config(args.out)
    changes = describe_changes(config)
    try:
        table = ablation_table(df, args.baseline, args.tol)
        groups = [[g.strip() for g in group.split(",") if g.strip()] for group in args.oracle]
        ceilings = [(group, oracle(df, group)) for group in groups]
        sections = family_sections(df, recorded_families(config), changes, args.baseline,
                                   args.tol, groups)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = markdown(table, changes, args.baseline,
                    df["dataset"].nunique(), sorted(int(s) for s in df["seed"].unique()),
                    args.tol)
    text += _oracle_md(ceilings)
    for family, (family_table, section) in sections.items():
        text += section
        if family_table is not None:
            family_table.to_csv(args.out / f"ablation_{family}.csv", float_format="%.6f")
    (args.out / "ablation.md").write_text(text)
    table.to_csv(args.out / "ablation.csv", float_format="%.6f")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
