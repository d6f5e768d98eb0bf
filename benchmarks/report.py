"""Tables, ranks and plots from ``results.csv``.

For each metric, a table of datasets x detectors with the mean ± sample
standard deviation over the seeds that succeeded, and a bottom block:

``mean``
    Mean over datasets of the per-dataset means (over the datasets where
    the detector has a value; ``(n/N)`` says how many when some failed).
``avg rank``
    Average rank over datasets (1 = best; ties share the average rank). A
    detector without a value on a dataset (every seed failed) is ranked
    **last** there, tied with the other failures: failing is worse than
    any result. Datasets where no detector has a value are left out.
``wins``
    Number of datasets where the detector has the best value (ties: every
    tied detector wins).

``†`` marks a value computed from fewer seeds than were run; ``err`` a
dataset where every seed failed (``error``, ``timeout`` and ``memory``
rows alike); ``—`` a cell that was not run.

A run over several families of data (tabular, image, text: the family
``run_config.json`` records for a dataset, as ``--suite dev`` does, else
:func:`dataset_family` of its name) gets the same tables and ranking per
family as well (``table_<metric>_<family>.md``, a "By family" section in the
summary); :func:`split_by_family` is that grouping, which
:mod:`benchmarks.ablation` uses too.

The critical-difference diagram uses the ROC-AUC ranks above: Friedman's
test (:func:`scipy.stats.friedmanchisquare`) and Nemenyi's critical
difference ``q_alpha * sqrt(k (k + 1) / (6 N))`` with ``q_alpha`` from the
studentized range distribution (Demšar 2006). Detectors joined by a bar are
not significantly different at ``alpha = 0.05``.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd
from scipy import stats

from .markdown import pipe_table
from .resultsfile import STATUSES, fit_score_seconds, read_frame
from .runconfig import portable_command, read_run_config

__all__ = ["FAMILIES", "METRICS", "aggregate", "average_ranks", "bottom_block",
           "boxplot_figure", "critical_difference", "dataset_family", "friedman_nemenyi",
           "markdown_table", "rank_matrix", "recorded_families", "split_by_family", "win_counts",
           "write_report"]

#: metric key -> (title, higher is better, decimals)
METRICS: Dict[str, Tuple[str, bool, int]] = {
    "roc_auc": ("ROC-AUC", True, 3),
    "average_precision": ("Average precision (AUPR, outliers positive)", True, 3),
    "precision_at_n": ("Precision@n (n = number of outliers)", True, 3),
    "time": ("Fit + score time (seconds)", False, 2),
}

ALPHA = 0.05

#: The families of data, in report order, and the ADBench folder prefix of each
#: (``None``: every name without one).
FAMILIES = {"tabular": None, "image": "CV_by_", "text": "NLP_by_"}


def dataset_family(name: str) -> str:
    """``image`` or ``text`` for ADBench's embedding sets, ``tabular`` for any other.

    ADBench's image and text sets are named ``<folder>:<stem>``
    (``CV_by_ViT:MVTec-AD_bottle``, ``NLP_by_BERT:20news_3``; see
    :mod:`pyod_sla2p.datasets.adbench`); its ``Classical`` sets, ODDS, the
    builtin sets and files of a directory are tabular.

    Examples
    --------
    >>> dataset_family("CV_by_ResNet18:MVTec-AD_wood"), dataset_family("6_cardio")
    ('image', 'tabular')
    """
    folder = name.partition(":")[0] if ":" in name else ""
    return next((family for family, prefix in FAMILIES.items()
                 if prefix and folder.startswith(prefix)), "tabular")


def recorded_families(config: dict[str, Any]) -> dict[str, str]:
    """Dataset -> family as ``run_config.json`` records it (``--suite dev``); may be empty."""
    return {d["name"]: d["family"] for d in config.get("datasets", [])
            if isinstance(d, dict) and d.get("family") and d.get("name")}


def split_by_family(df: pd.DataFrame, families: dict[str, str] | None = None
                    ) -> dict[str, pd.DataFrame]:
    """Family -> its rows, in :data:`FAMILIES` order; empty when the rows hold one family.

    Parameters
    ----------
    df : DataFrame
        Rows of ``results.csv``.
    families : dict, optional
        Dataset -> family (:func:`recorded_families`); a dataset not in it
        gets :func:`dataset_family` of its name.
    """
    families = families or {}
    family = df["dataset"].map(lambda name: families.get(name) or dataset_family(name))
    present = [f for f in FAMILIES if (family == f).any()]
    present += sorted(set(family) - set(FAMILIES))  # a family the suite added
    if len(present) < 2:
        return {}
    return {f: df[family == f] for f in present}


# ------------------------------------------------------------------ numbers

def _values(df: pd.DataFrame, metric: str) -> pd.Series:
    return fit_score_seconds(df) if metric == "time" else df[metric]


def aggregate(df: pd.DataFrame, metric: str):
    """Per (dataset, detector): mean and std over successful seeds.

    Parameters
    ----------
    df : DataFrame
        Results rows (columns of ``results.csv``), one protocol.
    metric : str
        A key of :data:`METRICS`.

    Returns
    -------
    mean, std : DataFrame
        Datasets x detectors (order of first appearance); NaN where no seed
        succeeded. ``std`` is the sample standard deviation (NaN for one seed).
    n_ok, n_run : DataFrame
        Successful and run seeds per entry (0 where not run).
    """
    datasets = list(dict.fromkeys(df["dataset"]))
    detectors = list(dict.fromkeys(df["detector"]))
    ok = df[df["status"] == "ok"].assign(_v=_values(df[df["status"] == "ok"], metric))
    grouped = ok.groupby(["dataset", "detector"])["_v"]
    shape = dict(index=datasets, columns=detectors)
    mean = grouped.mean().unstack().reindex(**shape).astype(float)
    std = grouped.std(ddof=1).unstack().reindex(**shape).astype(float)
    n_ok = grouped.count().unstack().reindex(**shape).fillna(0).astype(int)
    n_run = df.groupby(["dataset", "detector"]).size().unstack().reindex(**shape)
    n_run = n_run.fillna(0).astype(int)
    for frame in (mean, std, n_ok, n_run):
        frame.index.name, frame.columns.name = "dataset", None
    return mean, std, n_ok, n_run


def rank_matrix(mean: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """Ranks per dataset (1 = best, ties averaged, missing values ranked last).

    Rows where every value is missing are dropped.
    """
    mean = mean.dropna(how="all")
    sign = -1.0 if higher_is_better else 1.0
    ranks = []
    for _, row in mean.iterrows():
        vals = sign * row.to_numpy(dtype=float)
        vals = np.where(np.isnan(vals), np.inf, vals)  # failures tie for last
        ranks.append(stats.rankdata(vals, method="average"))
    return pd.DataFrame(ranks, index=mean.index, columns=mean.columns)


def average_ranks(mean: pd.DataFrame, higher_is_better: bool = True) -> pd.Series:
    """Mean of :func:`rank_matrix` over datasets."""
    return rank_matrix(mean, higher_is_better).mean(axis=0)


def win_counts(mean: pd.DataFrame, higher_is_better: bool = True) -> pd.Series:
    """Datasets on which each detector has the best value (ties all win)."""
    best = mean.max(axis=1) if higher_is_better else mean.min(axis=1)
    wins = mean.eq(best, axis=0) & mean.notna()
    return wins.sum(axis=0).astype(int)


def bottom_block(mean: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """Rows ``mean``, ``avg rank``, ``wins`` and ``datasets`` (with a value)."""
    return pd.DataFrame({
        "mean": mean.mean(axis=0),
        "avg rank": average_ranks(mean, higher_is_better),
        "wins": win_counts(mean, higher_is_better),
        "datasets": mean.notna().sum(axis=0),
    }).T


def critical_difference(k: int, n: int, alpha: float = ALPHA) -> float:
    """Nemenyi critical difference of average ranks for k methods on n datasets.

    NaN below 2 datasets: the post-hoc test only follows a Friedman test,
    which needs at least 2 (a single set's ranks carry no spread).
    """
    if k < 2 or n < 2:
        return float("nan")
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2)
    return float(q * math.sqrt(k * (k + 1) / (6.0 * n)))


def friedman_nemenyi(mean: pd.DataFrame, higher_is_better: bool = True,
                     alpha: float = ALPHA) -> Dict[str, Any]:
    """Friedman test and Nemenyi critical difference on the rank matrix.

    Returns
    -------
    dict
        ``avg_ranks`` (Series), ``n_datasets``, ``statistic``, ``pvalue``
        (NaN with fewer than 3 detectors or 2 datasets), ``cd``, ``alpha``.
    """
    ranks = rank_matrix(mean, higher_is_better)
    n, k = ranks.shape
    stat = pvalue = float("nan")
    if k >= 3 and n >= 2:
        # The test on the ranks equals the test on the values with failures last.
        try:
            res = stats.friedmanchisquare(*[ranks[c].to_numpy() for c in ranks.columns])
            stat, pvalue = float(res.statistic), float(res.pvalue)
        except ValueError:
            pass
    return {"avg_ranks": ranks.mean(axis=0), "n_datasets": int(n), "statistic": stat,
            "pvalue": pvalue, "cd": critical_difference(k, n, alpha), "alpha": alpha}


# ------------------------------------------------------------------ formatting

def _fmt(x: float, decimals: int) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{decimals}f}"


def _cell_text(m: float, s: float, best: bool, partial: bool, decimals: int) -> str:
    text = _fmt(m, decimals) + ("" if math.isnan(s) else f" ± {_fmt(s, decimals)}")
    return (f"**{text}**" if best else text) + (" †" if partial else "")


def markdown_table(mean: pd.DataFrame, std: pd.DataFrame, n_ok: pd.DataFrame,
                   n_run: pd.DataFrame, higher_is_better: bool, decimals: int) -> str:
    """The Markdown table: ``mean ± std`` cells, best per dataset in bold, bottom block."""
    cols = list(mean.columns)
    best = mean.max(axis=1) if higher_is_better else mean.min(axis=1)
    rows = []
    for ds in mean.index:
        rows.append([ds] + [
            "—" if n_run.at[ds, det] == 0 else "err" if math.isnan(mean.at[ds, det])
            else _cell_text(mean.at[ds, det], std.at[ds, det], mean.at[ds, det] == best[ds],
                            n_ok.at[ds, det] < n_run.at[ds, det], decimals)
            for det in cols])
    block = bottom_block(mean, higher_is_better)
    n_all = len(mean.dropna(how="all"))
    n_with = {d: int(block.at["datasets", d]) for d in cols}
    rows.append(["**mean**"] + [
        "err" if n_with[d] == 0 else _fmt(block.at["mean", d], decimals)
        + (f" ({n_with[d]}/{n_all})" if n_with[d] < n_all else "") for d in cols])
    rows.append(["**avg rank**"] + [_fmt(block.at["avg rank", d], 2) for d in cols])
    rows.append(["**wins**"] + [str(int(block.at["wins", d])) for d in cols])
    return pipe_table(["dataset", *cols], rows)


def csv_table(mean: pd.DataFrame, std: pd.DataFrame, higher_is_better: bool) -> pd.DataFrame:
    """Machine-readable table: ``<detector>`` (mean) and ``<detector>_std`` columns."""
    out = pd.DataFrame(index=mean.index)
    for det in mean.columns:
        out[det] = mean[det]
        out[f"{det}_std"] = std[det]
    block = bottom_block(mean, higher_is_better)
    bottom = pd.DataFrame(index=block.index)
    for det in mean.columns:
        bottom[det] = block[det]
        bottom[f"{det}_std"] = np.nan
    out = pd.concat([out, bottom])
    out.index.name = "dataset"
    return out


# ------------------------------------------------------------------ plots

def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


#: Font size (points) of the box plot's footnote: the detectors and datasets
#: without a value.
FOOTNOTE_FONTSIZE = 8
#: Space (inches) kept free at the footnote's sides and under it.
_FOOTNOTE_MARGIN = 0.1


def _wrap(notes: List[str], width: int) -> str:
    # Dataset names hold hyphens (sla2p-paper, MVTec-AD): break at spaces only.
    return "\n".join(line for note in notes
                     for line in textwrap.wrap(note, width, break_on_hyphens=False))


def _add_footnote(fig: Any, notes: List[str]) -> float:
    """Write ``notes`` at the bottom of ``fig``, wrapped to its width.

    The text is placed in inches from the figure's bottom, so that it stays
    there when the caller makes the figure taller to give it room.

    Returns
    -------
    float
        The height of the band the footnote needs at the bottom, in inches.
    """
    width_in = fig.get_figwidth() - 2 * _FOOTNOTE_MARGIN
    text = fig.text(fig.get_figwidth() / 2, _FOOTNOTE_MARGIN, "", ha="center", va="bottom",
                    fontsize=FOOTNOTE_FONTSIZE, transform=fig.dpi_scale_trans)
    renderer = fig.canvas.get_renderer()
    # Start from an average glyph of half an em, then narrow the lines by the
    # measured overflow: glyph widths vary (digits are wider than letters).
    chars = max(20, int(width_in * 72 / (0.5 * FOOTNOTE_FONTSIZE)))
    while True:
        text.set_text(_wrap(notes, chars))
        extent = text.get_window_extent(renderer)
        if extent.width <= width_in * fig.dpi or chars <= 20:
            break
        chars = max(20, min(chars - 1, int(chars * width_in * fig.dpi / extent.width)))
    # tight_layout pads the axes above the band: only the margin under the text is added.
    return extent.height / fig.dpi + _FOOTNOTE_MARGIN


def boxplot_figure(mean: pd.DataFrame, title: str) -> Any:
    """The figure of :func:`plot_boxplot`.

    Detectors without a value anywhere, and the datasets left out of a
    detector's box because every seed failed there, are listed in a footnote
    wrapped to the figure's width; the figure grows taller to hold it.

    Parameters
    ----------
    mean : DataFrame
        Datasets x detectors, the mean over seeds (NaN: every seed failed).
    title : str
        First line of the title.

    Returns
    -------
    matplotlib.figure.Figure
        Open in pyplot: the caller saves and closes it.
    """
    plt = _pyplot()
    missing = [d for d in mean.columns if mean[d].isna().all()]
    order = mean.drop(columns=missing).median(axis=0).sort_values(ascending=False).index
    dropped = [f"{d} on {', '.join(mean.index[mean[d].isna()])}" for d in order
               if mean[d].isna().any()]
    data = [mean[d].dropna().to_numpy() for d in order]
    height = 4.5
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(order) + 2), height))
    if data:
        ax.boxplot(data, showmeans=True, showfliers=False)
    ax.set_xticks(range(1, len(order) + 1))
    ax.set_xticklabels(order, rotation=45, ha="right")
    for i, vals in enumerate(data, start=1):
        jitter = np.linspace(-0.12, 0.12, len(vals)) if len(vals) > 1 else np.zeros(len(vals))
        ax.plot(i + jitter, vals, "o", ms=3, alpha=0.5, color="tab:gray")
    notes = ([f"no result: {', '.join(missing)}"] if missing else []) + (
        [f"not plotted, every seed failed: {'; '.join(dropped)}"] if dropped else [])
    ax.set_xlabel("detector", fontsize=9)
    ax.set_ylabel("ROC-AUC (mean over seeds)")
    ax.set_title(f"{title}\nbox: quartiles, whiskers: 1.5 IQR, ▲ mean, dots: datasets",
                 fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    # The footnote was once the x label's second line: one line as wide as
    # its text, cut off at both sides of the image. It now has its own band.
    below = _add_footnote(fig, notes) if notes else 0.0
    fig.set_figheight(height + below)
    fig.tight_layout(rect=(0.0, below / (height + below), 1.0, 1.0))
    return fig


def plot_boxplot(mean: pd.DataFrame, path: Path, title: str) -> None:
    """Per-detector box plot of the per-dataset values, best median first.

    Parameters
    ----------
    mean : DataFrame
        Datasets x detectors, the mean over seeds (NaN: every seed failed).
    path : Path
        The PNG to write.
    title : str
        First line of the title.
    """
    plt = _pyplot()
    fig = boxplot_figure(mean, title)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cliques(ranks: np.ndarray, cd: float) -> List[Tuple[int, int]]:
    """Maximal runs of sorted ranks whose spread is below ``cd``."""
    out, last_j = [], 0
    for i in range(len(ranks)):
        j = i
        while j + 1 < len(ranks) and ranks[j + 1] - ranks[i] < cd:
            j += 1
        if j > i and j > last_j:
            out.append((i, j))
            last_j = j
    return out


def plot_cd_diagram(test: Dict[str, Any], path: Path, metric_title: str) -> None:
    """Demšar-style critical-difference diagram (rank 1 on the left)."""
    plt = _pyplot()
    avg = test["avg_ranks"].sort_values()
    names, ranks = list(avg.index), avg.to_numpy()
    k, cd = len(names), test["cd"]
    half = (k + 1) // 2
    step = 0.35
    cliques = _cliques(ranks, cd) if not math.isnan(cd) else []
    depth = 0.25 + 0.15 * len(cliques) + step * (max(half, k - half) + 1)
    fig, ax = plt.subplots(figsize=(9, 1.2 + depth * 0.9))
    lo, hi = 1.0, float(max(k, 2))
    margin = max(1.0, 0.45 * (hi - lo))
    ax.set_xlim(lo - margin, hi + margin)
    ax.set_ylim(-depth, 0.9)
    ax.axis("off")
    ax.plot([lo, hi], [0, 0], color="black", lw=1)
    for r in range(1, int(hi) + 1):
        ax.plot([r, r], [0, 0.08], color="black", lw=1)
        ax.text(r, 0.13, str(r), ha="center", va="bottom", fontsize=9)
    if not math.isnan(cd) and k >= 2:
        ax.plot([lo, lo + cd], [0.55, 0.55], color="black", lw=2)
        ax.plot([lo, lo], [0.5, 0.6], color="black", lw=1)
        ax.plot([lo + cd, lo + cd], [0.5, 0.6], color="black", lw=1)
        ax.text(lo + cd / 2, 0.62, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    for c, (i, j) in enumerate(cliques):
        y = -0.12 - 0.15 * c
        ax.plot([ranks[i] - 0.03, ranks[j] + 0.03], [y, y], color="tab:red", lw=3,
                solid_capstyle="round")
    base = -0.25 - 0.15 * len(cliques)
    for idx, (name, r) in enumerate(zip(names, ranks)):
        left = idx < half
        row = idx if left else k - 1 - idx
        y = base - step * row
        x_end = lo - 0.15 if left else hi + 0.15
        ax.plot([r, r, x_end], [0, y, y], color="black", lw=0.8)
        ax.text(x_end + (-0.05 if left else 0.05), y, f"{name} ({r:.2f})",
                ha="right" if left else "left", va="center", fontsize=9)
    p = test["pvalue"]
    ptxt = "n/a" if math.isnan(p) else f"{p:.2g}"
    ax.set_title(f"Average rank by {metric_title} over {test['n_datasets']} datasets "
                 f"(1 = best); Friedman p = {ptxt}; Nemenyi α = {test['alpha']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ------------------------------------------------------------------ report

def _ranking(df: pd.DataFrame, aggs: Dict[str, Any]) -> pd.DataFrame:
    """Per detector: means, ranks, wins, time and cells ok; best average rank first."""
    means = {metric: agg[0] for metric, agg in aggs.items()}
    dets = list(means["roc_auc"].columns)
    table = pd.DataFrame({
        "mean ROC-AUC": means["roc_auc"].mean(axis=0),
        "mean AP": means["average_precision"].mean(axis=0),
        "mean P@n": means["precision_at_n"].mean(axis=0),
        "avg rank ROC-AUC": average_ranks(means["roc_auc"]),
        "wins ROC-AUC": win_counts(means["roc_auc"]),
        "avg rank AP": average_ranks(means["average_precision"]),
        "wins AP": win_counts(means["average_precision"]),
        "mean time s": means["time"].mean(axis=0),
    }, index=dets)
    ok = df[df["status"] == "ok"].groupby("detector").size().reindex(dets).fillna(0)
    total = df.groupby("detector").size().reindex(dets)
    table["cells ok"] = [f"{int(a)}/{int(b)}" for a, b in zip(ok, total)]
    return table.sort_values(["avg rank ROC-AUC", "mean ROC-AUC"], ascending=[True, False])


def _ranking_md(table: pd.DataFrame) -> str:
    def text(col: str, v: Any) -> str:
        if col.startswith("wins") or col == "cells ok":
            return str(v)
        return _fmt(v, 2 if col.startswith(("avg rank", "mean time")) else 3)
    rows = [[det] + [text(c, v) for c, v in row.items()] for det, row in table.iterrows()]
    return pipe_table(["detector", *table.columns], rows)


def _test_md(test: Dict[str, Any]) -> str:
    p, stat = test["pvalue"], test["statistic"]
    return ("Friedman test on the ROC-AUC ranks: "
            + ("not applicable (needs ≥ 3 detectors and ≥ 2 datasets)" if math.isnan(p)
               else f"χ² = {stat:.2f}, p = {p:.3g}")
            + f". Nemenyi critical difference (α = {test['alpha']}): "
            + ("n/a" if math.isnan(test["cd"]) else f"{test['cd']:.2f}")
            + " average-rank units.")


_LIMIT_HIT = {"timeout": "it ran past the per-cell time limit (`--timeout`)",
              "memory": "it went over the per-cell memory limit (`--max-memory-gb`)"}


def _failures_md(failed: pd.DataFrame, config: Dict[str, Any]) -> str:
    """Who failed where and why in a sentence per detector, then every failed cell."""
    if failed.empty:
        return "None.\n"
    estimators = {d.get("label"): d.get("estimator") for d in config.get("detectors", [])}
    notes = []
    for det, part in failed.groupby("detector", sort=False):
        est = estimators.get(det) or ""
        owner = f"PyOD's `{est.split(':')[-1]}`, " if est.startswith("pyod.") else ""
        who = f"`{det}` ({owner}`{est}`)" if est else f"`{det}`"
        statuses = set(part["status"])
        what = _LIMIT_HIT.get(statuses.pop(), "it failed") if len(statuses) == 1 else "it failed"
        if part["error"].str.contains("non-finite scores").all():
            what = "its scores were not finite (NaN or inf)"
        notes.append(f"- {who}: {what} on {', '.join(dict.fromkeys(part['dataset']))} "
                     f"({len(part)} cells). The failure is the detector's own on those "
                     "datasets; the cells are shown as `err`/`†` and ranked last.")
    rows = [[r["dataset"], r["detector"], r["seed"], r["status"],
             str(r["error"]).replace("|", "\\|")] for _, r in failed.iterrows()]
    return "\n".join(notes) + "\n\n" + pipe_table(
        ["dataset", "detector", "seed", "status", "error"], rows,
        ["left", "left", "right", "left", "left"])


def _families_md(by_family: dict[str, Any], sfx: str, recorded: bool) -> list[str]:
    """The "By family" section: ranking and Friedman test within each family."""
    if not by_family:
        return []
    source = (", as the suite tagged them in `run_config.json`" if recorded else
              " (tabular: ADBench's Classical sets and any set that is not an ADBench embedding; "
              "image: `CV_by_*`; text: `NLP_by_*`)")
    lines = ["## By family", "", f"The same ranking within each family of datasets{source}.", ""]
    for family, (part, aggs) in by_family.items():
        n = part["dataset"].nunique()
        lines += [f"### {family} ({n} dataset{'s' * (n != 1)})", "",
                  _ranking_md(_ranking(part, aggs)), _test_md(friedman_nemenyi(aggs["roc_auc"][0])),
                  "", f"Tables: `table_*{sfx}_{family}.md` / `.csv`.", ""]
    return lines


def _cap_md(df: pd.DataFrame, config: dict[str, Any]) -> list[str]:
    """A sentence on ``--max-rows`` when the run capped the datasets' rows."""
    cap = config.get("max_rows")
    if not cap:
        return []
    # A capped dataset has exactly ``cap`` rows: fit + scored (inductive) or scored (transductive).
    rows = np.where(df["protocol"] == "transductive", df["n_test"], df["n_train"] + df["n_test"])
    at_cap = sorted(set(df.loc[rows == cap, "dataset"]))
    return [f"Rows capped at {cap} per dataset (`--max-rows`): a stratified subsample drawn "
            "with a fixed seed before the split, the same rows for every detector and seed. "
            f"Datasets at the cap: {', '.join(at_cap) if at_cap else 'none'}.", ""]


def _summary_md(df: pd.DataFrame, aggs: Dict[str, Any], test: Dict[str, Any],
                config: Dict[str, Any], protocol: str, out_dir: Path,
                by_family: Dict[str, Any], sfx: str) -> str:
    counts = df["status"].value_counts().to_dict()
    lines = [f"# Benchmark summary ({protocol})", ""]
    if config.get("command"):
        lines += [f"Command: `{portable_command(config['command'], out_dir)}`", ""]
    seeds = sorted(int(s) for s in df["seed"].dropna().unique())
    failed = df[df["status"] != "ok"]
    lines += [f"{df['dataset'].nunique()} datasets × {df['detector'].nunique()} detectors × "
              f"seeds {seeds} ({config.get('suite', 'suite ?')}, {protocol} protocol): "
              + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
              + " cells.", "", *_cap_md(df, config),
              "## Ranking", "", _ranking_md(_ranking(df, aggs)), _test_md(test), "",
              "Means are over datasets of the per-dataset means over seeds. A detector with "
              "no value on a dataset (all seeds failed) is ranked last there; wins count the "
              "datasets with the best value (ties all win). Tables: `table_*.md` / `.csv`; "
              "plots: `boxplot_roc_auc.png`, `cd_diagram.png`.", "",
              *_families_md(by_family, sfx, bool(recorded_families(config))),
              f"## Failed cells ({len(failed)})", "", _failures_md(failed, config)]
    return "\n".join(lines)


def _write_metric_tables(aggs: Dict[str, Any], out_dir: Path, heading: str,
                         sfx: str) -> List[Path]:
    written = []
    for metric, (title, higher, dec) in METRICS.items():
        mean, std, n_ok, n_run = aggs[metric]
        md = out_dir / f"table_{metric}{sfx}.md"
        md.write_text(f"# {title} — {heading}\n\nMean ± std over seeds; bold = best per "
                      "dataset; † fewer seeds succeeded than were run; err = all seeds "
                      "failed. Bottom: mean over datasets, average rank (failures "
                      "ranked last), wins.\n\n"
                      + markdown_table(mean, std, n_ok, n_run, higher, dec))
        csv = out_dir / f"table_{metric}{sfx}.csv"
        csv_table(mean, std, higher).to_csv(csv, float_format="%.6g")
        written += [md, csv]
    return written


def _by_family(df: pd.DataFrame, families: dict[str, str]
               ) -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """Family -> (its rows, their aggregates); empty when the rows hold one family."""
    return {f: (part, {m: aggregate(part, m) for m in METRICS})
            for f, part in split_by_family(df, families).items()}


def write_report(out_dir: Path, results: Optional[pd.DataFrame] = None) -> List[Path]:
    """Write tables, summary and plots for ``out_dir/results.csv``.

    Parameters
    ----------
    out_dir : path-like
    results : DataFrame, optional
        Use these rows instead of reading ``results.csv``.

    Returns
    -------
    list of Path
        Files written. With several protocols in the results, every file
        name gets a ``_<protocol>`` suffix; with several families of
        datasets, the tables are written per family too
        (``table_<metric>[_<protocol>]_<family>``).
    """
    out_dir = Path(out_dir)
    df = read_frame(out_dir / "results.csv") if results is None else results
    if df.empty:
        raise ValueError(f"no results in {out_dir / 'results.csv'}")
    config = read_run_config(out_dir)
    protocols = list(dict.fromkeys(df["protocol"]))
    written: List[Path] = []
    for protocol in protocols:
        sub = df[df["protocol"] == protocol]
        sfx = f"_{protocol}" if len(protocols) > 1 else ""
        aggs = {m: aggregate(sub, m) for m in METRICS}
        written += _write_metric_tables(aggs, out_dir, protocol, sfx)
        by_family = _by_family(sub, recorded_families(config))
        for family, (_, family_aggs) in by_family.items():
            written += _write_metric_tables(family_aggs, out_dir, f"{protocol}, {family} datasets",
                                            f"{sfx}_{family}")
        test = friedman_nemenyi(aggs["roc_auc"][0])
        paths = [out_dir / f"{name}{sfx}.{ext}" for name, ext in
                 (("summary", "md"), ("boxplot_roc_auc", "png"), ("cd_diagram", "png"))]
        paths[0].write_text(_summary_md(sub, aggs, test, config, protocol, out_dir,
                                        by_family, sfx))
        plot_boxplot(aggs["roc_auc"][0], paths[1], f"ROC-AUC per dataset ({protocol})")
        plot_cd_diagram(test, paths[2], "ROC-AUC")
        written += paths
    return written


def ranking(out_dir: Path, protocol: Optional[str] = None) -> pd.DataFrame:
    """Average ROC-AUC rank and mean ROC-AUC per detector (for the run summary)."""
    df = read_frame(Path(out_dir) / "results.csv", protocol=protocol)
    mean = aggregate(df, "roc_auc")[0]
    out = pd.DataFrame({"avg_rank": average_ranks(mean), "mean_roc_auc": mean.mean(axis=0)})
    return out.sort_values(["avg_rank", "mean_roc_auc"], ascending=[True, False])
