"""Which view wins where, against statistics of the training rows (issue 15, lever 5).

A run with SLA2P's two single-view settings and the default both-views setting
(``--detectors "sla2p,direction=sla2p:views=direction,homogeneous=sla2p:views=homogeneous"``)
says, per dataset, which views were best. This tool puts that next to
:func:`benchmarks.levers.viewrule.data_statistics` of each dataset's training rows
(the run's own rows: its ``--max-rows`` cap, protocol and first seed) and asks
whether a threshold on one statistic picks the better setting:

* the fixed settings (each label on every dataset) and the oracle (the best
  label on each dataset, which no rule can beat);
* the rule of :mod:`benchmarks.levers.viewrule` with its module constants;
* for each statistic, the best one-threshold rule (below the threshold one
  setting, at or above it another), fitted on all datasets (*in sample*:
  optimistic) and by leave-one-dataset-out (the rule is refitted without
  each dataset and applied to it: the number to believe). Picking the best
  of several statistics by that number is itself a choice made on these
  datasets, so even it flatters the winner a little.

Usage::

    python -m benchmarks.viewstats benchmarks/results/dev_sla2p_ablation \\
        [--labels direction,homogeneous,sla2p] [--data-dir DIR]

writes ``viewstats.csv`` (per dataset: family, statistics, ROC-AUC of each
label) and ``viewstats.md`` (the rules, overall and per family) into the run
folder and prints the markdown. The rule reads the training rows only, never
a dataset's name, as issue 15 asks of any rule that picks a setting.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pyod_sla2p.datasets import load_dataset
from benchmarks.levers.viewrule import data_statistics, views_from_statistics

from .markdown import pipe_table
from .protocols import cap_rows, make_split
from .report import recorded_families, split_by_family
from .resultsfile import read_frame
from .runconfig import read_run_config
from .runner import dataset_families, dataset_sources

__all__ = ["STATISTICS", "best_threshold_rule", "dataset_statistics", "leave_one_out",
           "main", "rule_table", "view_frame"]

#: The statistics a rule may threshold (all of :func:`data_statistics` but the counts).
STATISTICS = ("rows_per_feature", "tail_share_median", "tail_share_quantile",
              "kurtosis_median", "kurtosis_quantile", "first_component_share",
              "leading_variance_share", "n_features")

#: Default labels: the direction view, the homogeneous view, both (SLA2P's default).
DEFAULT_LABELS = ("direction", "homogeneous", "sla2p")

#: Which label the module's rule picks for each outcome of views_from_statistics.
_RULE_OUTCOME = {("direction",): 0, ("homogeneous",): 1}


def _sources(config: dict, names: Sequence[str], data_dir: str | None) -> dict[str, str]:
    """Dataset name -> what ``load_dataset`` loads, for every name of ``names``.

    Resumed calls now unite their datasets in ``run_config.json``
    (:func:`benchmarks.runconfig.merge_resumed`), but folders written before
    that record only the last ``--datasets`` call's, so names missing from the
    record are looked up in the run's suite.
    """
    known = {d["name"]: d["source"] for d in config.get("datasets", [])
             if isinstance(d, dict) and "name" in d and "source" in d}
    missing = [n for n in names if n not in known]
    if missing and config.get("suite"):
        known.update(dataset_sources(config["suite"], data_dir))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"dataset(s) {', '.join(unknown)} are not in the run's recorded "
                         f"datasets or suite {config.get('suite')!r}")
    return {n: known[n] for n in names}


def dataset_statistics(config: dict, names: Sequence[str],
                       data_dir: str | None = None) -> pd.DataFrame:
    """Training-row statistics of datasets of a run, one row per dataset.

    Parameters
    ----------
    config : dict
        The run's ``run_config.json``.
    names : sequence of str
        The datasets (names as in ``results.csv``).
    data_dir : str, optional
        Where the data are; defaults to the run's recorded ``data_dir``.

    Returns
    -------
    DataFrame
        Indexed by dataset name; the columns of :func:`data_statistics`.
    """
    data_dir = data_dir or config.get("data_dir")
    seed = int(config["seeds"][0])
    protocol = config.get("protocol", "inductive")
    rows = {}
    for name, source in _sources(config, names, data_dir).items():
        ds = load_dataset(source, data_dir=data_dir)
        X, y = cap_rows(ds.X, ds.y, config.get("max_rows"))
        rows[name] = data_statistics(make_split(X, y, protocol, seed).X_fit)
    return pd.DataFrame.from_dict(rows, orient="index")


def view_frame(results: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Mean ROC-AUC over seeds per dataset and label, on the datasets where all labels ran.

    Only (dataset, seed) cells where every label succeeded count, so the
    labels are compared on the same cells.
    """
    ok = results[(results["status"] == "ok") & results["detector"].isin(labels)]
    wide = ok.pivot_table(index=["dataset", "seed"], columns="detector", values="roc_auc")
    missing = [label for label in labels if label not in wide.columns]
    if missing:
        raise ValueError(f"no ok rows for {', '.join(missing)} in this run; choose --labels "
                         f"among {', '.join(sorted(ok['detector'].unique())) or 'none'}")
    wide = wide[list(labels)].dropna()
    if wide.empty:
        raise ValueError(f"no dataset and seed where all of {', '.join(labels)} succeeded")
    return wide.groupby(level="dataset").mean()


def _choose(values: np.ndarray, threshold: float, low: int, high: int) -> np.ndarray:
    return np.where(values >= threshold, high, low)


def _candidates(values: np.ndarray) -> np.ndarray:
    """Thresholds between consecutive distinct finite values."""
    distinct = np.unique(values[np.isfinite(values)])
    return (distinct[:-1] + distinct[1:]) / 2.0


def best_threshold_rule(values: np.ndarray, auc: np.ndarray):
    """The one-threshold rule with the best mean ROC-AUC on these datasets.

    Parameters
    ----------
    values : ndarray of shape (n_datasets,)
        One statistic per dataset (NaN: the rule falls back to the last label).
    auc : ndarray of shape (n_datasets, n_labels)
        ROC-AUC of each label per dataset.

    Returns
    -------
    (threshold, low, high, mean) or None
        Below ``threshold`` the label index ``low``, at or above it ``high``;
        ``mean`` is the mean ROC-AUC of the chosen labels. None when the
        statistic takes fewer than two distinct values.
    """
    fallback = auc.shape[1] - 1
    finite = np.isfinite(values)
    filled = np.nan_to_num(values)  # NaN rows are overridden by the fallback below
    best = None
    for threshold in _candidates(values):
        for low in range(auc.shape[1]):
            for high in range(auc.shape[1]):
                if low == high:
                    continue
                pick = np.where(finite, _choose(filled, threshold, low, high), fallback)
                mean = float(auc[np.arange(len(pick)), pick].mean())
                if best is None or mean > best[3] + 1e-12:
                    best = (float(threshold), low, high, mean)
    return best


def leave_one_out(values: np.ndarray, auc: np.ndarray) -> float:
    """Mean ROC-AUC when each dataset's label comes from a rule fitted without it."""
    fallback = auc.shape[1] - 1
    chosen = []
    for i in range(len(values)):
        keep = np.arange(len(values)) != i
        rule = best_threshold_rule(values[keep], auc[keep])
        if rule is None or not np.isfinite(values[i]):
            pick = fallback
        else:
            threshold, low, high, _ = rule
            pick = int(_choose(values[i], threshold, low, high))
        chosen.append(auc[i, pick])
    return float(np.mean(chosen))


def _module_rule(stats: pd.DataFrame) -> np.ndarray:
    return np.array([_RULE_OUTCOME.get(views_from_statistics(row), 2)
                     for row in stats.to_dict(orient="records")])


def rule_table(stats: pd.DataFrame, aucs: pd.DataFrame) -> pd.DataFrame:
    """Mean ROC-AUC of the fixed settings, the oracle and the rules on these datasets."""
    labels = list(aucs.columns)
    auc = aucs.to_numpy()
    idx = np.arange(len(auc))
    lines: list[dict[str, object]] = []
    for j, label in enumerate(labels):
        lines.append({"rule": f"always {label}", "in_sample": auc[:, j].mean(),
                      "leave_one_out": auc[:, j].mean()})
    lines.append({"rule": "oracle (best label per dataset)", "in_sample": auc.max(axis=1).mean(),
                  "leave_one_out": np.nan})
    module = _module_rule(stats.loc[aucs.index])
    module_mean = auc[idx, module].mean()
    lines.append({"rule": "benchmarks.levers.viewrule as it stands", "in_sample": module_mean,
                  "leave_one_out": module_mean})
    for name in STATISTICS:
        values = stats.loc[aucs.index, name].to_numpy(dtype=float)
        rule = best_threshold_rule(values, auc)
        if rule is None:
            continue
        threshold, low, high, mean = rule
        lines.append({"rule": f"{name} < {threshold:.4g}: {labels[low]}, else {labels[high]}",
                      "in_sample": mean, "leave_one_out": leave_one_out(values, auc)})
    table = pd.DataFrame(lines)
    table.insert(1, "datasets", len(auc))
    return table


def _section(title: str, table: pd.DataFrame) -> str:
    shown = table.copy()
    for column in ("in_sample", "leave_one_out"):
        shown[column] = [f"{v:.4f}" if np.isfinite(v) else "" for v in shown[column]]
    rows = shown.astype(str).to_numpy().tolist()
    return f"## {title}\n\n{pipe_table(list(shown.columns), rows)}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.viewstats",
        description="Does a statistic of the training rows tell which SLA2P view to fit?")
    parser.add_argument("run", type=Path, help="a run folder with results.csv and run_config.json")
    parser.add_argument("--labels", default=",".join(DEFAULT_LABELS),
                        help="the run's labels to choose among, the fallback last "
                             "(default: %(default)s)")
    parser.add_argument("--data-dir", default=None,
                        help="data directory (default: the run's recorded one)")
    args = parser.parse_args(argv)
    labels = [label.strip() for label in args.labels.split(",") if label.strip()]
    if len(labels) < 2:
        parser.error("--labels needs at least two labels")
    path = args.run / "results.csv"
    config = read_run_config(args.run)
    if not path.is_file() or not config.get("datasets"):
        print(f"error: {args.run} needs results.csv and a run_config.json listing its "
              "datasets; pass the --out folder of a benchmark run.", file=sys.stderr)
        return 2
    try:
        aucs = view_frame(read_frame(path), labels)
        stats = dataset_statistics(config, list(aucs.index), args.data_dir)
        families = {**dataset_families(config.get("suite") or "",
                                       args.data_dir or config.get("data_dir")),
                    **recorded_families(config)}
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frame = stats.join(aucs, how="inner")
    frame.insert(0, "family", [families.get(name, "") for name in frame.index])
    frame.to_csv(args.run / "viewstats.csv", index_label="dataset", float_format="%.6f")
    text = ["# Views against training-row statistics\n",
            (f"Labels: {', '.join(labels)} (the last is the fallback where a statistic is "
             "undefined). Mean ROC-AUC over the datasets; leave-one-out refits each rule "
             "without the dataset it is applied to.\n"),
            _section("All datasets", rule_table(stats, aucs))]
    for family, part in split_by_family(aucs.reset_index(), families).items():
        names = part["dataset"].unique()
        if len(names) >= 3:
            text.append(_section(f"{family} ({len(names)} datasets)",
                                 rule_table(stats, aucs.loc[names])))
    markdown = "\n".join(text)
    (args.run / "viewstats.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
