"""SLA2P on a CUDA GPU: speed at 10^4, 10^5 and 10^6 rows, and scores checked against the CPU.

Run from the repository root on a machine with one CUDA GPU::

    python -m benchmarks.gpu_check --out benchmarks/results/perf_gpu

(``python -m benchmarks.perf --device cuda --gpu-check --out DIR`` is the same
run.) For each size in ``--sizes`` (default 10^4, 10^5 and 10^6 rows of the
synthetic data of :func:`benchmarks.perf.synthetic`, 20 features, 5 %
planted uniform outliers) it fits SLA2P with its defaults on the GPU (the
classifier trains on at most ``max_train_samples`` rows, 10,000 by
default, and ``fit`` scores every row, as on the CPU), then scores as many
new rows, and records the seconds, rows per second, achieved GFLOP/s and
their share of a plain float32 matmul's peak on the same GPU (the counting
of :mod:`benchmarks.perf`), the CUDA memory peak, and the ROC-AUC on the
planted outliers.

The check: the same fitted model scores a subsample of at most
``--reference-rows`` (10,000) of the new rows on the CPU too; the CUDA and
CPU scores must agree to a Spearman correlation of at least
``SPEARMAN_MIN`` and ROC-AUCs on the planted outliers within
``AUC_TOLERANCE``. The largest absolute difference is reported beside them.
At the smallest size a model fitted on the CPU from the same seed is also
compared (informational only: the two trainings round differently, so the
accuracy stop may fire a batch apart). At the largest size the new rows are
scored again with larger chunks (``--chunk-rows``), to show what bigger
chunks buy on a GPU; the scores must not change.

The run is sized to finish within 5 minutes on one GPU; it skips a size
when ``--time-budget`` seconds have passed. It writes ``gpu_check.json`` and
``gpu_check.md`` to ``--out`` and exits 0 when every check passed, 1 when one
failed, and 2 (with a message) when CUDA is unavailable. ``--device cpu``
runs the same harness on the CPU against itself (a dry run of the script,
not a GPU result).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from . import perf
from .markdown import pipe_table
from .runconfig import command_line, machine

#: Least Spearman correlation of the CUDA scores with the CPU's.
SPEARMAN_MIN = 0.999
#: Largest difference of the CUDA and CPU ROC-AUCs on the planted outliers.
AUC_TOLERANCE = 0.002
SIZES = (10_000, 100_000, 1_000_000)
REFERENCE_ROWS = 10_000
#: Rows per scoring chunk tried at the largest size, beside the default.
CHUNK_ROWS = (1024, 16384)
#: Seconds after which the remaining sizes are skipped.
TIME_BUDGET_S = 240.0
#: A large square matmul: the GPU's float32 peak (the 4096 x 256 one is launch-bound there).
LARGE_MATMUL_SHAPE = (8192, 8192, 8192)

CUDA_UNAVAILABLE = 2


def compare(scores, reference, labels):
    """Spearman correlation, ROC-AUCs and largest absolute difference of two score vectors.

    Returns
    -------
    dict
        ``spearman``, ``roc_auc`` (of ``scores``), ``roc_auc_reference``,
        ``roc_auc_difference`` (absolute), ``max_abs_difference`` and
        ``passed`` (Spearman at least ``SPEARMAN_MIN`` and the ROC-AUCs
        within ``AUC_TOLERANCE``).
    """
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    scores, reference = np.asarray(scores, float), np.asarray(reference, float)
    if np.array_equal(scores, reference):
        rho = 1.0
    else:
        rho = float(spearmanr(scores, reference)[0])
    auc, auc_ref = (float(roc_auc_score(labels, s)) for s in (scores, reference))
    return {"spearman": rho, "roc_auc": auc, "roc_auc_reference": auc_ref,
            "roc_auc_difference": abs(auc - auc_ref),
            "max_abs_difference": float(np.max(np.abs(scores - reference))),
            "passed": bool(rho >= SPEARMAN_MIN and abs(auc - auc_ref) <= AUC_TOLERANCE)}


def _seconds(fn, device):
    perf._synchronize(device)
    start = time.perf_counter()
    out = fn()
    perf._synchronize(device)
    return out, time.perf_counter() - start


def check_size(n_rows, n_features=20, device="cuda", reference_device="cpu",
               reference_rows=REFERENCE_ROWS, chunk_rows=(), params=None, peak=None,
               cpu_fit=False):
    """Fit and score ``n_rows`` on ``device``; compare with ``reference_device`` on a subsample."""
    import torch
    from sklearn.metrics import roc_auc_score

    params = dict(params or {})
    X, _ = perf.synthetic(n_rows, n_features, seed=0)
    X_new, y_new = perf.synthetic(n_rows, n_features, seed=1)
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    clf = perf.timed_detector_class()(random_state=0, device=device, **params)
    _, fit_s = _seconds(lambda: clf.fit(X), device)
    scores, score_s = _seconds(lambda: clf.decision_function(X_new), device)
    row = {"rows": n_rows, "features": n_features, "device": str(device),
           "fit_seconds": fit_s, "score_seconds": score_s, "train_seconds": clf.train_seconds_,
           "score_rows_per_second": n_rows / score_s,
           "training_batches": sum(v.training_log.n_batches for v in clf.views_),
           "roc_auc_new_rows": float(roc_auc_score(y_new, scores))}
    perf.add_work_rates(row, clf, n_rows, peak or perf.matmul_peak_gflops(device))
    if torch.device(device).type == "cuda":
        row["peak_cuda_mb"] = torch.cuda.max_memory_allocated(device) / 2 ** 20

    # The same model on the reference device, on a subsample of the new rows.
    pick = np.arange(n_rows)
    if n_rows > reference_rows:
        pick = np.sort(np.random.default_rng(0).choice(n_rows, reference_rows, replace=False))
    clf.set_params(device=reference_device)
    reference, ref_s = _seconds(lambda: clf.decision_function(X_new[pick]), reference_device)
    clf.set_params(device=device)
    row["reference"] = {"device": str(reference_device), "rows": int(len(pick)),
                        "seconds": ref_s, **compare(scores[pick], reference, y_new[pick])}

    if cpu_fit:  # informational: a model trained on the reference device
        other = perf.timed_detector_class()(random_state=0, device=reference_device, **params)
        other.fit(X)
        row["reference_fit"] = {
            "device": str(reference_device), "rows": int(len(pick)),
            "training_batches": sum(v.training_log.n_batches for v in other.views_),
            **compare(scores[pick], other.decision_function(X_new[pick]), y_new[pick])}

    row["chunks"] = []
    for rows_per_chunk in chunk_rows:
        clf.set_params(score_batch_size=int(rows_per_chunk))
        again, seconds = _seconds(lambda: clf.decision_function(X_new), device)
        row["chunks"].append({
            "rows_per_chunk": int(rows_per_chunk), "score_seconds": seconds,
            "score_rows_per_second": n_rows / seconds,
            "score_gflops": perf.gflops(row["score_multiply_adds_per_row"] * n_rows, seconds),
            "max_abs_difference": float(np.max(np.abs(again - scores)))})
    clf.set_params(score_batch_size="auto")
    return row


def _passed(row):
    return row["reference"]["passed"]


def write_markdown(report, path):
    """gpu_check.md: speed per size, and the CPU comparison."""
    lines = ["# SLA2P on a GPU: speed and agreement with the CPU", "",
             f"Command: `{report['command']}`", "",
             f"Device: {report['device_name']}; PyTorch {report['torch']}, CUDA "
             f"{report['cuda']}; TF32 matmuls {'on' if report['allow_tf32'] else 'off'}.", "",
             f"Matmul peak, float32: {report['matmul_peak_gflops']:,.0f} GFLOP/s at "
             f"{' x '.join(map(str, perf.MATMUL_SHAPE))}, "
             f"{report['large_matmul_peak_gflops']:,.0f} GFLOP/s at "
             f"{' x '.join(map(str, report['large_matmul_shape']))}.", "",
             f"Result: **{'passed' if report['passed'] else 'FAILED'}** (Spearman >= "
             f"{SPEARMAN_MIN}, ROC-AUC within {AUC_TOLERANCE} of the CPU's).", ""]
    rows = [[f"{r['rows']:,}", f"{r['fit_seconds']:.2f}", f"{r['train_seconds']:.2f}",
             f"{r['score_seconds']:.2f}", f"{r['score_rows_per_second']:,.0f}",
             f"{r['score_gflops']:,.1f}", f"{r['score_peak_ratio']:.1%}",
             perf._maybe(r.get("peak_cuda_mb"), ",.0f"), f"{r['roc_auc_new_rows']:.4f}"]
            for r in report["sizes"]]
    lines += ["## Speed", "", pipe_table(
        ["rows", "fit s", "train s", "score s", "score rows/s", "score GFLOP/s",
         "score / peak", "peak CUDA MB", "ROC-AUC"], rows)]
    rows = [[f"{r['rows']:,}", f"{c['rows']:,}", f"{c['spearman']:.6f}", f"{c['roc_auc']:.4f}",
             f"{c['roc_auc_reference']:.4f}", f"{c['max_abs_difference']:.2e}",
             "yes" if c["passed"] else "NO"]
            for r in report["sizes"] for c in [r["reference"]]]
    lines += ["## The same model's scores on the CPU (a subsample of the new rows)", "",
              pipe_table(["rows", "compared", "Spearman", "ROC-AUC GPU", "ROC-AUC CPU",
                          "max abs diff", "passed"], rows)]
    fits = [(r, r["reference_fit"]) for r in report["sizes"] if "reference_fit" in r]
    if fits:
        rows = [[f"{r['rows']:,}", f"{c['spearman']:.6f}", f"{c['roc_auc']:.4f}",
                 f"{c['roc_auc_reference']:.4f}", f"{c['max_abs_difference']:.2e}",
                 f"{r['training_batches']} / {c['training_batches']}"] for r, c in fits]
        lines += ["## A model fitted on the CPU from the same seed (informational)", "",
                  pipe_table(["rows", "Spearman", "ROC-AUC GPU", "ROC-AUC CPU",
                              "max abs diff", "training batches GPU / CPU"], rows)]
    chunks = [(r, c) for r in report["sizes"] for c in r.get("chunks", [])]
    if chunks:
        rows = [[f"{r['rows']:,}", f"{c['rows_per_chunk']:,}", f"{c['score_seconds']:.2f}",
                 f"{c['score_rows_per_second']:,.0f}", f"{c['score_gflops']:,.1f}",
                 f"{c['max_abs_difference']:.1e}"] for r, c in chunks]
        lines += ["## Larger scoring chunks (`score_batch_size` rows; the default is "
                  "4096 pairs, 64 rows)", "",
                  pipe_table(["rows", "rows per chunk", "score s", "score rows/s",
                              "score GFLOP/s", "max abs diff to default"], rows)]
    if report["skipped"]:
        lines += [f"Skipped after the {report['time_budget_s']:.0f} s budget: "
                  + ", ".join(f"{n:,}" for n in report["skipped"]) + " rows.", ""]
    Path(path).write_text("\n".join(lines))


def cuda_unavailable_message():
    import torch

    return (f"CUDA is unavailable: torch.cuda.is_available() is False (PyTorch "
            f"{torch.__version__}, built for CUDA {torch.version.cuda}). "
            "The GPU check needs a CUDA GPU; nothing was run.")


def parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="directory for gpu_check.json / .md")
    p.add_argument("--device", default="cuda",
                   help="cuda (default), cuda:N, or cpu for a dry run of the harness")
    p.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    p.add_argument("--features", type=int, default=20)
    p.add_argument("--reference-rows", type=int, default=REFERENCE_ROWS,
                   help="rows of the subsample scored on the CPU too")
    p.add_argument("--chunk-rows", default=",".join(str(n) for n in CHUNK_ROWS),
                   help="rows per chunk tried at the largest size ('' for none)")
    p.add_argument("--time-budget", type=float, default=TIME_BUDGET_S,
                   help="seconds after which the remaining sizes are skipped")
    p.add_argument("--params", default="{}", help="SLA2P keyword arguments as JSON")
    return p


def main(argv=None):
    import torch

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(cuda_unavailable_message(), file=sys.stderr)
        return CUDA_UNAVAILABLE
    sizes = sorted(int(float(s)) for s in args.sizes.split(","))
    chunk_rows = [int(c) for c in args.chunk_rows.split(",") if c.strip()]
    params = json.loads(args.params)
    started = time.perf_counter()
    peak = perf.matmul_peak_gflops(device)
    large_shape = LARGE_MATMUL_SHAPE if device.type == "cuda" else perf.MATMUL_SHAPE
    report = {
        "command": command_line(argv, "benchmarks.gpu_check"), "machine": machine(),
        "device": str(device), "torch": torch.__version__, "cuda": torch.version.cuda,
        "device_name": (torch.cuda.get_device_name(device) if device.type == "cuda"
                        else "CPU (dry run, not a GPU result)"),
        "allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
        "torch_threads": torch.get_num_threads(), "params": params,
        "spearman_min": SPEARMAN_MIN, "auc_tolerance": AUC_TOLERANCE,
        "matmul_peak_gflops": peak,
        "large_matmul_shape": list(large_shape),
        "large_matmul_peak_gflops": perf.matmul_peak_gflops(device, large_shape, repeats=3),
        "time_budget_s": args.time_budget, "sizes": [], "skipped": [],
    }
    for n in sizes:
        if time.perf_counter() - started > args.time_budget:
            report["skipped"].append(n)
            continue
        row = check_size(n, args.features, device, "cpu", args.reference_rows,
                         chunk_rows if n == sizes[-1] else (), params, peak,
                         cpu_fit=(n == sizes[0]))
        ref = row["reference"]
        print(f"rows={n:>9,d} fit={row['fit_seconds']:7.2f}s score={row['score_seconds']:7.2f}s "
              f"({row['score_rows_per_second']:,.0f} rows/s, {row['score_gflops']:,.0f} GFLOP/s)"
              f"  vs CPU: Spearman {ref['spearman']:.6f}, ROC-AUC {ref['roc_auc']:.4f} / "
              f"{ref['roc_auc_reference']:.4f}, max |diff| {ref['max_abs_difference']:.2e} "
              f"{'ok' if ref['passed'] else 'FAILED'}", flush=True)
        report["sizes"].append(row)
    report["seconds"] = time.perf_counter() - started
    report["passed"] = bool(report["sizes"]) and all(map(_passed, report["sizes"]))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(report, out / "gpu_check.md")
    print(f"{'passed' if report['passed'] else 'FAILED'} in {report['seconds']:.0f} s; "
          f"wrote {out / 'gpu_check.md'}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
