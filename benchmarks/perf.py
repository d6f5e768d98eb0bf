"""Speed, scaling and memory of SLA2P (issue: "Speed and scale").

Three measurements, each printed and written to ``--out``:

* ``scaling``: synthetic data with ``--features`` features (Gaussian inliers,
  5 % uniform outliers) at each size in ``--sizes``; fit seconds (which
  include scoring the training rows, as PyOD's ``fit`` sets
  ``decision_scores_``), seconds to score the same number of new rows,
  scoring rows per second, and the peak resident memory of a fresh process
  doing just that; plus the exponent of a log-log fit of time against rows.
* ``odds`` (``--odds``): fit + score seconds and ROC-AUC of SLA2P beside
  PyOD's DeepSVDD, AutoEncoder and IForest on the ODDS suite (inductive
  split, one seed, one cell at a time, via the runner into
  ``OUT/perf_odds``), with the time ratios.
* ``large``: SLA2P beside IForest and PyOD's AutoEncoder on ADBench's
  largest tabular sets (donors, 619k x 10, and http, 567k x 3): fit and score
  seconds and each cell's peak resident memory, via the runner into
  ``OUT/perf_large``; added to an existing ``perf.json``.

Run from the repository root::

    python -m benchmarks.perf --odds --data-dir ../shared/datasets --out benchmarks/results
    python -m benchmarks.perf large --data-dir ../shared/datasets --out benchmarks/results
    python -m benchmarks.perf report --out benchmarks/results   # perf.md from perf.json

Each size runs in its own subprocess so its peak memory is its own.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .markdown import pipe_table
from .resultsfile import fit_score_seconds, read_frame
from .runconfig import command_line, machine


def synthetic(n_rows, n_features, seed=0):
    """Gaussian inliers with 5 % uniform outliers in a wider box."""
    rng = np.random.default_rng(seed)
    n_out = max(1, n_rows // 20)
    X = rng.normal(size=(n_rows, n_features))
    X[:n_out] = rng.uniform(-6, 6, size=(n_out, n_features))
    y = np.zeros(n_rows, dtype=int)
    y[:n_out] = 1
    return X, y


def measure_size(n_rows, n_features, device, params):
    """Fit and score at one size in this process; return a result dict."""
    import torch
    from sklearn.metrics import roc_auc_score

    from pyod_sla2p import SLA2P

    X, y = synthetic(n_rows, n_features, seed=0)
    X_new, y_new = synthetic(n_rows, n_features, seed=1)
    clf = SLA2P(random_state=0, device=device, **params)
    start = time.perf_counter()
    clf.fit(X)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    scores = clf.decision_function(X_new)
    score_s = time.perf_counter() - start
    result = {
        "rows": n_rows, "features": n_features, "device": str(device),
        "fit_seconds": fit_s, "score_seconds": score_s,
        "score_rows_per_second": n_rows / score_s,
        "total_rows_per_second": 2 * n_rows / (fit_s + score_s),
        "training_batches": sum(v.training_log.n_batches for v in clf.views_),
        "roc_auc_new_rows": float(roc_auc_score(y_new, scores)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch_threads": torch.get_num_threads(),
    }
    if str(device).startswith("cuda"):
        result["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
    return result


def run_scaling(sizes, n_features, device, params):
    """Each size in a fresh subprocess; returns the list of result dicts."""
    results = []
    for n in sizes:
        cmd = [sys.executable, "-m", "benchmarks.perf", "_one", str(n),
               str(n_features), str(device), json.dumps(params)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"size {n} failed:\n{out.stderr[-2000:]}")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  rows={n:>9,d} fit={row['fit_seconds']:8.2f}s "
              f"score={row['score_seconds']:8.2f}s "
              f"({row['score_rows_per_second']:,.0f} rows/s) "
              f"peak RSS={row['peak_rss_mb']:,.0f} MB", flush=True)
        results.append(row)
    return results


def scaling_exponent(results, key):
    """Slope of log(seconds) against log(rows): 1.0 is linear."""
    rows = np.log([r["rows"] for r in results])
    secs = np.log([r[key] for r in results])
    return float(np.polyfit(rows, secs, 1)[0])


ODDS_DETECTORS = ("sla2p", "deepsvdd", "autoencoder", "iforest")


def odds_table(run_dir):
    """Per detector of a runner's results: fit + score seconds, mean ROC-AUC, failed cells.

    Seconds and ROC-AUC are over the cells that succeeded; ``failed`` counts the
    others, so a failure is never counted as a fast cell.
    """
    res = read_frame(Path(run_dir) / "results.csv").assign(total_seconds=fit_score_seconds)
    ok = res[res["status"] == "ok"]
    table = ok.groupby("detector").agg(total_seconds=("total_seconds", "sum"),
                                       mean_roc_auc=("roc_auc", "mean"))
    table["failed"] = (res["status"] != "ok").groupby(res["detector"]).sum()
    table["ratio_to_sla2p"] = table["total_seconds"] / table.loc["sla2p", "total_seconds"]
    return table.reset_index()


LARGE_DATASETS = ("11_donors", "16_http")
LARGE_DETECTORS = ("sla2p", "iforest", "autoencoder")


def _run_grid(run_dir, data_dir, extra_args):
    """One cell at a time through the runner, so each detector has the machine."""
    args = [*extra_args, "--n-jobs", "1", "--out", str(run_dir), "--overwrite",
            "--no-progress"]
    if data_dir:
        args += ["--data-dir", str(data_dir)]
    subprocess.run([sys.executable, "-m", "benchmarks", *args], check=True)
    return args


def large_table(run_dir):
    """Per dataset and detector: fit and score seconds, peak memory, ROC-AUC, status."""
    res = read_frame(Path(run_dir) / "results.csv")
    cols = ["dataset", "detector", "status", "n_train", "n_test", "fit_seconds",
            "score_seconds", "peak_memory_mb", "roc_auc"]
    return res[cols].sort_values(["dataset", "detector"]).reset_index(drop=True)


def run_large(data_dir, out, seed=0, timeout=3600):
    """SLA2P, IForest and AutoEncoder on donors and http (inductive split, one seed)."""
    args = _run_grid(Path(out) / "perf_large", data_dir,
                     ["--suite", "adbench", "--datasets", ",".join(LARGE_DATASETS),
                      "--seeds", str(seed), "--detectors", ",".join(LARGE_DETECTORS),
                      "--timeout", str(timeout)])
    table = large_table(Path(out) / "perf_large")
    print(table.to_string(index=False))
    return {"command": command_line(args), "seed": seed,
            "cells": table.to_dict(orient="records")}


def run_odds(data_dir, out, seed=0):
    """SLA2P beside DeepSVDD, AutoEncoder and IForest on ODDS, via the runner.

    One cell at a time (``--n-jobs 1``), so every detector gets the whole
    machine; returns per-detector totals and the ratios to SLA2P.
    """
    run_dir = Path(out) / "perf_odds"
    args = _run_grid(run_dir, data_dir, ["--suite", "odds", "--seeds", str(seed),
                                         "--detectors", ",".join(ODDS_DETECTORS)])
    table = odds_table(run_dir)
    for row in table.itertuples():
        print(f"  {row.detector:12s} fit+score {row.total_seconds:8.1f}s  "
              f"x{row.ratio_to_sla2p:5.2f} of SLA2P  mean ROC-AUC {row.mean_roc_auc:.4f}")
    return {"command": command_line(args), "seed": seed,
            "detectors": table.to_dict(orient="records")}


def _machine_line(info):
    cpu = f"{info['cpu']}, " if info.get("cpu") else ""
    cores = info.get("cpu_count", info.get("cores"))
    return f"Machine: {cpu}{cores} cores, Python {info['python']}."


def write_markdown(report, path):
    """perf.md: the tables a reader wants, with the command that made them."""
    lines = ["# SLA2P speed, scaling and memory", "", f"Command: `{report['command']}`", "",
             _machine_line(report["machine"]), ""]
    if "odds" in report:
        rows = [[r["detector"], f"{r['total_seconds']:.1f}", f"{r['ratio_to_sla2p']:.2f}",
                 f"{r['mean_roc_auc']:.4f}", r.get("failed", 0)]
                for r in sorted(report["odds"]["detectors"], key=lambda r: r["total_seconds"])]
        lines += [f"## ODDS (17 sets, inductive split, seed {report['odds']['seed']}), "
                  "fit + score seconds of the cells that succeeded", "",
                  pipe_table(["detector", "fit+score s", "ratio to SLA2P", "mean ROC-AUC",
                              "failed cells"], rows)]
    if "large" in report:
        rows = [[c["dataset"], c["detector"], c["status"], f"{c['n_train']:,.0f}",
                 f"{c['n_test']:,.0f}", _maybe(c["fit_seconds"], ".1f"),
                 _maybe(c["score_seconds"], ".1f"), _maybe(c["peak_memory_mb"], ",.0f"),
                 _maybe(c["roc_auc"], ".4f")] for c in report["large"]["cells"]]
        lines += [f"## Large ADBench sets (inductive split, seed {report['large']['seed']}, "
                  "one cell at a time)", "", f"Command: `{report['large']['command']}`", "",
                  pipe_table(["dataset", "detector", "status", "train rows", "test rows",
                              "fit s", "score s", "peak RSS MB", "ROC-AUC"], rows), ""]
    first = report["scaling"][0]
    rows = [[f"{r['rows']:,}", f"{r['fit_seconds']:.2f}", f"{r['score_seconds']:.2f}",
             f"{r['score_rows_per_second']:,.0f}", f"{r['peak_rss_mb']:,.0f}"]
            for r in report["scaling"]]
    lines += [f"## Scaling ({first['features']} features, device {first['device']})", "",
              pipe_table(["rows", "fit s", "score s", "score rows/s", "peak RSS MB"], rows),
              f"Log-log slope of seconds against rows: fit {report['fit_exponent']:.2f}, "
              f"score {report['score_exponent']:.2f} (1.00 = linear).", ""]
    Path(path).write_text("\n".join(lines))


def _maybe(value, spec):
    """A number formatted, or a dash for a cell that did not produce it."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if value != value else format(value, spec)


def rewrite_report(out):
    """Rewrite ``OUT/perf.md`` (and the ODDS part of perf.json) from the saved results."""
    out = Path(out)
    report = json.loads((out / "perf.json").read_text())
    if (out / "perf_odds" / "results.csv").is_file() and "odds" in report:
        report["odds"]["detectors"] = odds_table(out / "perf_odds").to_dict(orient="records")
        (out / "perf.json").write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(report, out / "perf.md")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000,300000,1000000",
                        help="comma-separated row counts for the scaling run")
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--params", default="{}",
                        help="SLA2P keyword arguments as JSON (default: the defaults)")
    parser.add_argument("--out", default=None, help="directory for perf.json / perf.md")
    parser.add_argument("--odds", action="store_true",
                        help="also time SLA2P, DeepSVDD, AutoEncoder and IForest on ODDS")
    parser.add_argument("--data-dir", default=None, help="holds odds/ (for --odds)")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["large"]:
        args = parser.parse_args(argv[1:])
        out = Path(args.out or "benchmarks/results")
        report = json.loads((out / "perf.json").read_text())
        report["large"] = run_large(args.data_dir, out)
        report["large"]["command"] = command_line(argv, "benchmarks.perf")
        (out / "perf.json").write_text(json.dumps(report, indent=2) + "\n")
        write_markdown(report, out / "perf.md")
        return 0
    if argv[:1] == ["report"]:
        out = parser.parse_args(argv[1:]).out or "benchmarks/results"
        rewrite_report(out)
        print(f"wrote {Path(out) / 'perf.md'}")
        return 0
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    params = json.loads(args.params)
    print(f"scaling, {args.features} features, device {args.device}:")
    scaling = run_scaling(sizes, args.features, args.device, params)
    report = {
        "command": command_line(argv, "benchmarks.perf"),
        "machine": machine(),
        "scaling": scaling,
        "fit_exponent": scaling_exponent(scaling, "fit_seconds"),
        "score_exponent": scaling_exponent(scaling, "score_seconds"),
    }
    print(f"log-log exponent: fit {report['fit_exponent']:.2f}, "
          f"score {report['score_exponent']:.2f}")
    if args.odds:
        print("ODDS, one seed, one cell at a time:")
        report["odds"] = run_odds(args.data_dir, args.out or "benchmarks/out")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "perf.json").write_text(json.dumps(report, indent=2) + "\n")
        write_markdown(report, out / "perf.md")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_one":
        _, _, n, d, device, params = sys.argv
        print(json.dumps(measure_size(int(n), int(d), device, json.loads(params))))
    else:
        sys.exit(main())
