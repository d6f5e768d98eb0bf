"""Command line: ``python -m benchmarks [options]`` and ``python -m benchmarks report``.

Run from the repository root. ``main(argv)`` returns the exit code: 0 done
(failed cells are results, not failures of the run), 2 bad input (nothing
ran), 130 interrupted (finished rows are kept; rerun with ``--resume``).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from pyod_sla2p.datasets import ADBENCH_FAMILIES

from .protocols import PROTOCOLS, TEST_SIZE
from .registry import DEFAULT_DETECTORS, REGISTRY
from .resultsfile import STATUSES

DEFAULT_OUT = Path(__file__).resolve().parent / "out"

_ADBENCH_FAMILY_SUITES = "\n".join(f"  {suite:<21} ADBench's {folder} files only"
                                   for folder, suite in ADBENCH_FAMILIES.items())

_EPILOG = f"""\
detector specifications:
  --detectors takes a comma-separated list of [LABEL=]NAME[:KEY=VALUE[:KEY=VALUE...]].
  Values are Python literals (5, 0.1, None, [64,32], 'cpu'; true/false/none too),
  anything else is a string. Commas inside brackets do not split the list.
    --detectors sla2p,lof:n_neighbors=10,iforest
    --detectors sla2p,sla2p-wide=sla2p:n_projections=128:projection_dim=128
  --set NAME:KEY=VALUE (repeatable) overrides a listed detector; --config FILE
  (JSON, or TOML on Python >= 3.11) maps detector names to keyword arguments,
  e.g. {{"sla2p": {{"epsilon": 0}}, "lof": {{"n_neighbors": 10}}}}; without
  --detectors its detectors are run. random_state is set from --seeds.
  Unknown names or parameters stop the run before any cell starts; a value that
  only fails in fit (lof:n_neighbors=-3) gives an error row for its cells.
  Registry: {', '.join(REGISTRY)}.
  Default set: {','.join(DEFAULT_DETECTORS)}.   (--list-detectors for details)

suites:
  builtin               small embedded sets, no files (the default)
  odds                  the 17 ODDS .mat files in DATA_DIR/odds/
  embeddings            every .npz file in DATA_DIR/embeddings/
  adbench               every ADBench file present in DATA_DIR/adbench/<folder>/; the report
                        ranks the detectors overall and per family: tabular (Classical),
                        image (CV_by_*), text (NLP_by_*)
{_ADBENCH_FAMILY_SUITES}
  dev                   the development suite of issue 15 (benchmarks/devsuite.py): odds, the
                        ADBench Classical sets that are not ODDS sets, the distinct CV_by_* and
                        NLP_by_BERT embeddings, builtin; 59 sets, each counted once and tagged
                        tabular, image or text (python -m benchmarks.devsuite lists them)
  DIR                   every .mat/.npz/.csv file in the directory DIR

protocols:
  inductive     for each seed: train_test_split(test_size={TEST_SIZE}, random_state=seed),
                z-scores fitted on train, fit on train, score test (PyOD's benchmark)
  transductive  z-scores, fit and score on all rows (the paper's unsupervised setting);
                scores are the detector's decision_scores_
  Every detector sees identical splits.

output (in --out):
  results.csv       one row per cell, appended as cells finish: dataset, detector,
                    protocol, seed, roc_auc, average_precision, precision_at_n,
                    fit_seconds, score_seconds, peak_memory_mb, error, status, ...
  run_config.json   command, datasets, detectors with parameters, seeds, versions
  table_*.md/.csv, summary.md, boxplot_roc_auc.png, cd_diagram.png
                    (also: python -m benchmarks report --out DIR)
  .runner.lock      one runner per folder: a second one on a folder in use stops at
                    once and names the first (pid, host); the lock ends with its
                    process, even a killed one, and the file is removed at the end

examples:
  python -m benchmarks                                   # builtin suite, default detectors
  python -m benchmarks --suite odds --data-dir ../shared/datasets --out runs/odds
  python -m benchmarks --suite odds --out runs/odds --resume
  python -m benchmarks --suite adbench --data-dir ../shared/datasets --out runs/adbench
  python -m benchmarks --suite embeddings --scheduler tcp://10.0.0.5:8786 --out runs/emb
  python -m benchmarks --suite dev --data-dir ../shared/datasets --max-rows 60000 --out runs/dev
"""


def _positive(unit: str):
    """An argparse type: a positive, finite number of ``unit``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of {unit}, got {text!r}") from None
        if not value > 0 or math.isinf(value):
            raise argparse.ArgumentTypeError(f"must be a positive number of {unit}, got {text!r}")
        return value
    return parse


def _integer(accept, rule: str):
    """An argparse type: an integer for which ``accept(value)`` holds, else ``rule``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"{rule}, got {text!r}")
        return value
    return parse


_n_jobs = _integer(lambda v: v != 0, "must not be 0 (use 1 for sequential, -1 for all cores)")
_positive_int = _integer(lambda v: v >= 1, "must be >= 1")


#: The largest seed: scikit-learn's ``check_random_state`` and ``train_test_split``
#: (the inductive split, and ``random_state`` of most PyOD detectors) take
#: seeds in ``[0, 2**32 - 1]``; a larger one fails every cell, not the parser.
MAX_SEED = 2**32 - 1
#: The most seeds one run takes.
MAX_SEEDS = 10_000


def parse_seeds(text: str) -> List[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``; ``"0-4"`` -> ``[0, 1, 2, 3, 4]``; no duplicates.

    Every seed must lie in ``[0, MAX_SEED]``, the ``random_state`` range of
    scikit-learn and PyOD; a range's ends are checked before it is expanded.

    Raises
    ------
    argparse.ArgumentTypeError
        Says what is wrong with ``text`` and what is allowed.
    """
    allowed = (f"seeds must be integers from 0 to {MAX_SEED} (2**32 - 1, the random_state "
               "range of scikit-learn and PyOD)")
    parts: List[Tuple[int, int]] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                a, b = part.split("-", 1)
                lo, hi = int(a), int(b)
                if hi < lo:
                    raise ValueError
            else:
                lo = hi = int(part)
            parts.append((lo, hi))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad seeds {text!r}: expected non-negative integers like 0,1,2 or 0-4") from None
    if any(lo < 0 or hi > MAX_SEED for lo, hi in parts):
        raise argparse.ArgumentTypeError(f"bad seeds {text!r}: {allowed}")
    # Checked before expanding: a range like 0-4294967295 is valid seed by seed
    # but would build a list of billions of cells.
    if sum(hi - lo + 1 for lo, hi in parts) > MAX_SEEDS:
        raise argparse.ArgumentTypeError(
            f"bad seeds {text!r}: at most {MAX_SEEDS} seeds per run (each one reruns every "
            "dataset and detector)")
    seeds = [s for lo, hi in parts for s in range(lo, hi + 1)]
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"bad seeds {text!r}: a seed is repeated")
    return seeds


def _comma_list(text: str) -> List[str]:
    items = [t.strip() for t in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(f"bad list {text!r}")
    if len(set(items)) != len(items):
        raise argparse.ArgumentTypeError(f"bad list {text!r}: a name is repeated")
    return items


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of a benchmark run."""
    p = _Parser(
        prog="python -m benchmarks",
        description="Benchmark SLA2P beside PyOD's detectors on identical splits: every "
                    "(dataset, detector, seed) cell runs in its own process with a timeout, "
                    "its metrics are appended to results.csv, and tables, ranks and plots "
                    "are written at the end. `python -m benchmarks report --out DIR` "
                    "rewrites the report from an existing results.csv.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="builtin", metavar="NAME|DIR",
                   help="datasets: a suite (default builtin; see 'suites' below) or a "
                        "directory of .mat/.npz/.csv files")
    p.add_argument("--data-dir", metavar="DIR",
                   help="data directory holding odds/, embeddings/ and adbench/ (default: "
                        "$PYOD_SLA2P_DATA, else ~/.cache/pyod_sla2p)")
    p.add_argument("--datasets", type=_comma_list, metavar="A,B",
                   help="run only these datasets of the suite")
    p.add_argument("--max-rows", type=_positive_int, metavar="N",
                   help="cap each dataset at N rows: a stratified subsample drawn with a fixed "
                        "seed before the split, the same rows for every detector and seed "
                        "(recorded in run_config.json and the report; default: all rows)")
    p.add_argument("--detectors", metavar="SPEC,...",
                   help="detectors to run, with optional NAME:KEY=VALUE overrides (see below); "
                        "default: the config file's detectors, else the default set")
    p.add_argument("--set", dest="sets", action="append", default=[],
                   metavar="NAME:KEY=VALUE", help="override a parameter of a listed detector "
                                                  "(repeatable)")
    p.add_argument("--config", metavar="FILE",
                   help="JSON/TOML file mapping detector names to keyword arguments")
    p.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2], metavar="0,1,2",
                   help="seeds: split seeds (inductive) and detector random_state "
                        "(default 0,1,2; ranges like 0-4 work; each from 0 to 2**32 - 1)")
    p.add_argument("--protocol", choices=PROTOCOLS, default="inductive",
                   help="inductive (default; PyOD's train/test protocol) or transductive "
                        "(fit and score all rows)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"output directory (default: {DEFAULT_OUT})")
    p.add_argument("--n-jobs", type=_n_jobs, default=-1, metavar="N",
                   help="cells run in parallel on this machine (joblib; -1 = all cores, the "
                        "default); BLAS/torch threads per cell = cores // N")
    p.add_argument("--threads-per-cell", type=_positive_int, metavar="T",
                   help="BLAS/OpenMP/torch threads per cell (default: cores // parallel "
                        "cells; on Dask: cores // threads of the worker)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the cells on a Dask distributed cluster (e.g. tcp://host:8786) "
                        "instead of locally; the scheduler and every worker need pyod-sla2p "
                        "and this repository on their PYTHONPATH, and the workers the data "
                        "at --data-dir (or their $PYOD_SLA2P_DATA); checked before anything "
                        "is submitted")
    p.add_argument("--resume", action="store_true",
                   help="continue a run in --out: skip cells with an ok row, rerun the others "
                        "(error, timeout, memory; their new rows are appended and win over "
                        "the old)")
    p.add_argument("--overwrite", action="store_true",
                   help="start over in --out: an existing results.csv is moved to "
                        "results.previous.csv, which is deleted when the new run finishes")
    p.add_argument("--timeout", type=_positive("seconds"), default=1800.0, metavar="SECONDS",
                   help="wall-clock limit per cell (load, fit and score); a cell past it is "
                        "killed and recorded with status timeout (default 1800)")
    p.add_argument("--max-memory-gb", type=_positive("GB"), metavar="GB",
                   help="resident memory limit per cell; a cell over it is killed and "
                        "recorded with status memory (default: 80%% of the machine's memory "
                        "shared by the cells that run at once on it; on Dask, of the "
                        "worker's memory limit shared by its threads)")
    p.add_argument("--no-report", action="store_true",
                   help="do not write tables and plots at the end")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--list-detectors", action="store_true",
                   help="list the registry (name, class, default arguments) and exit")
    return p


def build_report_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m benchmarks report``."""
    p = _Parser(prog="python -m benchmarks report",
                description="Write the tables (table_*.md/.csv), summary.md, "
                            "boxplot_roc_auc.png and cd_diagram.png for DIR/results.csv.")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"directory holding results.csv (default: {DEFAULT_OUT})")
    return p


def _list_detectors() -> str:
    lines = []
    for name, entry in REGISTRY.items():
        mark = "*" if name in DEFAULT_DETECTORS else " "
        extra = f" {dict(entry.defaults)}" if entry.defaults else ""
        lines.append(f"{mark} {name:<13} {entry.estimator}{extra}  -- {entry.description}")
    lines.append("(* = default set)")
    return "\n".join(lines)


def _fail(message: str, prog: str = "python -m benchmarks") -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def _report(argv: Sequence[str]) -> int:
    from .report import write_report
    from .resultsfile import ResultsFileError

    args = build_report_parser().parse_args(argv)
    prog = "python -m benchmarks report"
    if not (args.out / "results.csv").is_file():
        return _fail(f"no results.csv in {args.out}", prog)
    try:
        paths = write_report(args.out)
    except (ResultsFileError, ValueError, OSError) as exc:
        return _fail(str(exc), prog)
    print(f"wrote {len(paths)} files to {args.out}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code (argparse's exits included)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "report":
            return _report(argv[1:])
        return _run(argv)
    except SystemExit as exc:  # --help, argparse errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def _run_config(args: argparse.Namespace, argv: List[str]):
    """Validate the arguments into a RunConfig; ValueError says what is wrong."""
    from .runner import RunConfig, dataset_families, dataset_sources
    from .specs import load_config, resolve_detectors

    if args.resume and args.overwrite:
        raise ValueError("--resume and --overwrite exclude each other")
    config = load_config(args.config) if args.config else None
    detectors = resolve_detectors(args.detectors, args.sets, config)
    data_dir = str(Path(args.data_dir).expanduser()) if args.data_dir else None
    if data_dir and not Path(data_dir).is_dir():
        raise ValueError(f"--data-dir {data_dir} is not a directory")
    datasets = dataset_sources(args.suite, data_dir, args.datasets)
    families = dataset_families(args.suite, data_dir)
    return RunConfig(suite=str(args.suite), datasets=datasets, detectors=detectors,
                     seeds=args.seeds, protocol=args.protocol, out=args.out.expanduser(),
                     data_dir=data_dir, n_jobs=args.n_jobs, scheduler=args.scheduler,
                     timeout=args.timeout, max_memory_gb=args.max_memory_gb,
                     threads_per_cell=args.threads_per_cell,
                     resume=args.resume, overwrite=args.overwrite,
                     progress=not args.no_progress, argv=argv, families=families,
                     max_rows=args.max_rows)


def _print_outcome(summary: Any, args: argparse.Namespace) -> None:
    counts = ", ".join(f"{summary.counts.get(s, 0)} {s}" for s in STATUSES)
    print(f"\n{summary.n_cells} cells: {counts}, {summary.n_skipped} skipped (resume); "
          f"wall time {summary.wall_seconds:.1f} s")
    if not args.no_report:
        from .report import ranking, write_report
        try:
            write_report(args.out)
            top = ranking(args.out, args.protocol).head(5)
            print("top by average ROC-AUC rank: " + ", ".join(
                f"{d} ({r.avg_rank:.2f}, mean {r.mean_roc_auc:.3f})" for d, r in top.iterrows()))
            print(f"report: {args.out / 'summary.md'}")
        except ValueError as exc:
            print(f"no report: {exc}", file=sys.stderr)
    print(f"results: {summary.results_path}")


def _run(argv: List[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.list_detectors:
        print(_list_detectors())
        return 0
    from .cluster import ClusterError
    from .resultsfile import ResultsFileError
    from .runner import RunError, run_benchmark

    try:  # Everything here is validation: nothing runs until it all passed.
        cfg = _run_config(args, argv)
    except (ValueError, OSError) as exc:  # SpecError, DatasetNotFoundError, ...
        return _fail(str(exc))

    def announce(n_cells: int, n_todo: int) -> None:
        where = f"Dask at {args.scheduler}" if args.scheduler else f"n_jobs={args.n_jobs}"
        cap = f", at most {cfg.max_rows} rows per dataset" if cfg.max_rows else ""
        print(f"{len(cfg.datasets)} datasets × {len(cfg.detectors)} detectors × "
              f"{len(cfg.seeds)} seeds = {n_cells} cells, {n_todo} to run ({args.protocol}, "
              f"{where}{cap}) -> {cfg.out}", file=sys.stderr)

    try:
        summary = run_benchmark(cfg, announce)
    except (RunError, ResultsFileError, ClusterError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished cells are in {cfg.out / 'results.csv'}; rerun the same "
              "command with --resume to continue", file=sys.stderr)
        return 130
    _print_outcome(summary, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
