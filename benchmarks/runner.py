"""The benchmark grid: build it, run it on joblib or Dask, append the results.

A run is ``datasets x detectors x seeds`` for one protocol. Every cell goes
through :func:`benchmarks.cell.run_cell`, locally on a pool of ``n_jobs``
joblib threads (each thread supervises one child process) or on a Dask
cluster with ``client.submit``; results are written in the order cells
finish.

Resume rule: with ``resume=True``, cells that already have an ``ok`` row
are skipped; their rows must have been produced with the same overrides
(the ``params`` column), otherwise the run stops before doing anything.
``error`` and ``timeout`` rows of cells in the grid are dropped and those
cells run again. Rows of cells outside the grid are kept untouched.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shlex
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .cell import CellSpec, allow_cells, run_cell, stop_cells
from .detectors import ResolvedDetector
from .protocols import PROTOCOLS
from .resultsfile import ResultsFileError, ResultsWriter, read_rows, row_key, write_rows

__all__ = ["RunConfig", "RunSummary", "build_grid", "dataset_members", "effective_n_jobs",
           "run_benchmark"]

RESULTS_NAME = "results.csv"
CONFIG_NAME = "run_config.json"


@dataclass
class RunConfig:
    """A validated run.

    Attributes
    ----------
    suite : str
        Suite name or directory.
    datasets : list of (name, member)
        From :func:`dataset_members`.
    detectors : list of ResolvedDetector
    seeds : list of int
    protocol : str
    out : Path
    data_dir : str or None
    n_jobs : int
        joblib semantics: -1 all cores.
    scheduler : str or None
        Dask scheduler address; when set, ``n_jobs`` is ignored.
    timeout : float
        Seconds per cell.
    threads_per_cell : int or None
        None: cores // parallel cells.
    resume, overwrite, progress : bool
    argv : list of str
        The command line, for ``run_config.json``.
    """

    suite: str
    datasets: List[Tuple[str, str]]
    detectors: List[ResolvedDetector]
    seeds: List[int]
    protocol: str = "inductive"
    out: Path = Path("benchmarks/out")
    data_dir: Optional[str] = None
    n_jobs: int = -1
    scheduler: Optional[str] = None
    timeout: float = 1800.0
    threads_per_cell: Optional[int] = None
    resume: bool = False
    overwrite: bool = False
    progress: bool = True
    argv: List[str] = field(default_factory=list)


@dataclass
class RunSummary:
    """What a run did."""

    n_cells: int
    n_skipped: int
    counts: Dict[str, int]
    wall_seconds: float
    results_path: Path


def dataset_members(suite: str, data_dir: Optional[str] = None,
                    only: Optional[Sequence[str]] = None) -> List[Tuple[str, str]]:
    """The suite's datasets as ``(name, member)`` pairs, without loading them.

    ``name`` is the suite's name for named suites and the file stem for a
    directory (the file name if two stems clash). ``only`` keeps the listed
    names (an unknown one raises ``ValueError``).
    """
    from pyod_sla2p.datasets import suite_members

    members = suite_members(suite, data_dir=data_dir)
    stems = [Path(m).stem if os.sep in m or "/" in m else m for m in members]
    clashes = {s for s, n in Counter(stems).items() if n > 1}
    names = [Path(m).name if s in clashes else s for s, m in zip(stems, members)]
    pairs = list(zip(names, members))
    if only:
        known = dict(pairs)
        missing = [n for n in only if n not in known]
        if missing:
            raise ValueError(f"dataset(s) {', '.join(missing)} not in suite {suite!r} "
                             f"({', '.join(known)})")
        pairs = [(n, known[n]) for n in only]
    return pairs


def effective_n_jobs(n_jobs: int) -> int:
    """joblib's rule: positive as is, ``-1`` all cores, ``-2`` all but one, ..."""
    cores = os.cpu_count() or 1
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0")
    return n_jobs if n_jobs > 0 else max(1, cores + 1 + n_jobs)


def build_grid(cfg: RunConfig, threads: Optional[int]) -> List[CellSpec]:
    """All cells of a run: for each dataset, each seed, each detector."""
    preload = sorted({d.estimator.partition(":")[0] for d in cfg.detectors})
    if any(d.warm_up for d in cfg.detectors):
        preload.append("benchmarks._jitwarm")
    cells = []
    for name, member in cfg.datasets:
        for seed in cfg.seeds:
            for det in cfg.detectors:
                cells.append(CellSpec(
                    dataset=name, member=member, data_dir=cfg.data_dir, detector=det.label,
                    estimator=det.estimator, kwargs=dict(det.kwargs),
                    params_json=det.params_json(), seed_param=det.seed_param,
                    n_features_param=det.n_features_param, protocol=cfg.protocol, seed=seed,
                    timeout=cfg.timeout, threads=threads, preload=tuple(preload),
                    warm_up=det.warm_up))
    return cells


def _versions() -> Dict[str, str]:
    out = {"python": platform.python_version()}
    for mod in ("numpy", "scipy", "sklearn", "torch", "pyod", "pyod_sla2p", "pandas",
                "joblib", "distributed"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            out[mod] = "not installed"
    return out


def _write_config(cfg: RunConfig, n_cells: int, threads: Optional[int]) -> None:
    path = cfg.out / CONFIG_NAME
    invocation = {
        "command": "python -m benchmarks " + " ".join(shlex.quote(a) for a in cfg.argv),
        "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "resume": cfg.resume,
        "n_jobs": cfg.n_jobs, "scheduler": cfg.scheduler, "threads_per_cell": threads,
        "host": platform.node(), "cpu_count": os.cpu_count(), "platform": platform.platform(),
        "versions": _versions(),
    }
    config = {
        "suite": cfg.suite,
        "data_dir": cfg.data_dir,
        "datasets": [{"name": n, "member": m} for n, m in cfg.datasets],
        "protocol": cfg.protocol,
        "seeds": cfg.seeds,
        "timeout": cfg.timeout,
        "detectors": [d.as_dict() for d in cfg.detectors],
        "n_cells": n_cells,
    }
    history = []
    if cfg.resume and path.exists():
        try:
            history = json.loads(path.read_text()).get("invocations", [])
        except (ValueError, OSError):
            history = []
    config["command"] = invocation["command"]
    config["invocations"] = history + [invocation]
    path.write_text(json.dumps(config, indent=2, default=repr) + "\n")


def _prepare_results(cfg: RunConfig, cells: List[CellSpec]) -> List[CellSpec]:
    """Create, check or trim ``results.csv``; return the cells still to run."""
    path = cfg.out / RESULTS_NAME
    if not path.exists() or cfg.overwrite:
        if path.exists():
            path.unlink()
        return cells
    if not cfg.resume:
        raise ResultsFileError(f"{path} already exists; pass --resume to continue that run, "
                               "--overwrite to replace it, or choose another --out")
    rows = read_rows(path)
    by_key = {c.key: c for c in cells}
    done: Dict[Tuple, Dict[str, str]] = {}
    for row in rows:
        try:
            key = row_key(row)
        except (ValueError, KeyError):
            continue
        if row["status"] == "ok":
            done[key] = row
        else:
            done.pop(key, None)
    for key, row in done.items():
        cell = by_key.get(key)
        if cell is not None and row["params"] != cell.params_json:
            raise ResultsFileError(
                f"{path} holds results of detector {cell.detector!r} run with params "
                f"{row['params']}, but this run uses {cell.params_json}; use another --out "
                "(or a label, e.g. NAME2=NAME:KEY=VALUE)")
    # Keep ok rows (last one per key) and rows of cells outside this grid.
    kept, seen = [], set()
    for row in reversed(rows):
        try:
            key = row_key(row)
        except (ValueError, KeyError):
            continue
        if key in seen:
            continue
        if key in by_key and row["status"] != "ok":
            continue
        seen.add(key)
        kept.append(row)
    write_rows(path, reversed(kept))
    return [c for c in cells if c.key not in done]


def _iter_local(cells: Sequence[CellSpec], n_jobs: int) -> Iterator[Dict[str, Any]]:
    from joblib import Parallel, delayed

    # Threads suffice: each one only supervises the child process of its cell.
    parallel = Parallel(n_jobs=n_jobs, backend="threading", return_as="generator_unordered")
    yield from parallel(delayed(run_cell)(c) for c in cells)


def _iter_dask(cells: Sequence[CellSpec], address: str) -> Iterator[Dict[str, Any]]:
    from distributed import Client, as_completed

    run_id = uuid.uuid4().hex[:8]
    with Client(address, set_as_default=False) as client:
        futures = {}
        for i, cell in enumerate(cells):
            fut = client.submit(run_cell, cell, key=f"benchmark-cell-{run_id}-{i}", pure=False)
            futures[fut] = cell
        try:
            for fut in as_completed(list(futures), loop=client.loop):
                cell = futures[fut]
                try:
                    yield fut.result()
                except Exception as exc:  # noqa: BLE001 -- worker lost, import error...
                    yield {"dataset": cell.dataset, "detector": cell.detector,
                           "protocol": cell.protocol, "seed": cell.seed, "status": "error",
                           "error": f"dask task failed: {type(exc).__name__}: {exc}"[:500],
                           "params": cell.params_json}
        finally:
            client.cancel(list(futures))


def run_benchmark(cfg: RunConfig) -> RunSummary:
    """Run every cell of ``cfg`` not already done; append rows to ``results.csv``.

    Parameters
    ----------
    cfg : RunConfig

    Returns
    -------
    RunSummary

    Raises
    ------
    ResultsFileError
        An existing results file without ``resume``/``overwrite``, or one
        that does not match this run. Nothing has run at that point.
    KeyboardInterrupt
        After killing the running cells; the finished rows are on disk.
    """
    if cfg.protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {cfg.protocol!r}")
    start = time.monotonic()
    cfg.out.mkdir(parents=True, exist_ok=True)
    if cfg.scheduler:
        threads = cfg.threads_per_cell  # None: decided on each worker
        n_parallel = None
    else:
        n_grid = len(cfg.datasets) * len(cfg.detectors) * len(cfg.seeds)
        n_parallel = max(1, min(effective_n_jobs(cfg.n_jobs), n_grid))
        threads = cfg.threads_per_cell or max(1, (os.cpu_count() or 1) // n_parallel)
    cells = build_grid(cfg, threads)
    todo = _prepare_results(cfg, cells)
    _write_config(cfg, len(cells), threads)
    counts: Counter = Counter()
    results_path = cfg.out / RESULTS_NAME

    bar = None
    if cfg.progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(todo), unit="cell", desc="benchmark", dynamic_ncols=True,
                   file=sys.stderr)
    allow_cells()
    with ResultsWriter(results_path) as writer:
        if todo:
            stream = (_iter_dask(todo, cfg.scheduler) if cfg.scheduler
                      else _iter_local(todo, min(n_parallel, len(todo))))
            try:
                for row in stream:
                    writer.write(row)
                    counts[row.get("status", "error")] += 1
                    if bar is not None:
                        bar.set_postfix_str(", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                                            refresh=False)
                        bar.update(1)
            except BaseException:
                stop_cells()
                raise
            finally:
                if bar is not None:
                    bar.close()
        elif bar is not None:
            bar.close()
    return RunSummary(n_cells=len(cells), n_skipped=len(cells) - len(todo),
                      counts=dict(counts), wall_seconds=time.monotonic() - start,
                      results_path=results_path)

