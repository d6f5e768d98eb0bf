"""The benchmark grid: build it, run it on joblib or Dask, append the results.

A run is ``datasets x detectors x seeds`` for one protocol. Every cell goes
through :func:`benchmarks.isolation.run_cell_isolated`, locally on a pool of
``n_jobs`` joblib threads (each thread supervises one child process) or on a
Dask cluster with ``client.submit`` (:mod:`benchmarks.cluster`); rows are
appended in the order cells finish.

Nothing already in ``results.csv`` is lost. Everything that can fail before
the first cell -- the Dask cluster (checked first, so that a failure leaves
no new folder), the output folder, an existing results file, the parameters
of its rows -- is checked before the file is touched. ``resume=True`` skips
the cells whose latest row is ``ok`` (those rows must have been produced
with the same overrides, the ``params`` column) and appends new rows for
the others; the latest row of a cell wins when the file is read.
``overwrite=True`` moves an existing file aside to ``results.previous.csv``
and deletes it only once the new run has finished.

One runner at a time per output folder (:func:`lock_out_dir`): a second
runner on a folder in use stops before it reads ``results.csv``, since two
runners would run the same cells twice and interleave their rows. The lock
is an ``flock`` on ``.runner.lock``, which the kernel releases when the
runner dies, however it dies.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import socket
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .cell import CellSpec
from .cluster import connect, dask_backend
from .isolation import (allow_cells, default_memory_gb, run_cell_isolated, start_cell_server,
                        stop_cells)
from .protocols import PROTOCOLS
from .resultsfile import ResultsWriter, latest_rows, read_rows
from .runconfig import command_line, machine, read_run_config, write_run_config
from .specs import ResolvedDetector

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["OutDirInUse", "RunConfig", "RunError", "RunSummary", "build_grid",
           "dataset_families", "dataset_sources", "effective_n_jobs", "lock_out_dir",
           "run_benchmark"]

RESULTS_NAME = "results.csv"
PREVIOUS_NAME = "results.previous.csv"
LOCK_NAME = ".runner.lock"
#: flock's answers on a file system that has no locks.
_NO_LOCKS = {errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP}

#: A function that runs cells and yields their rows as they finish.
Backend = Callable[[Sequence[CellSpec]], Iterator[Dict[str, Any]]]


class RunError(ValueError):
    """A run that cannot start; nothing on disk was changed."""


class OutDirInUse(RunError):
    """Another runner holds the output folder (:func:`lock_out_dir`)."""


@dataclass
class RunConfig:
    """A validated run.

    Attributes
    ----------
    suite : str
        Suite name or directory.
    datasets : list of (name, source)
        From :func:`dataset_sources`.
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
    max_memory_gb : float or None
        Resident memory per cell; None: a share of the machine's memory
        (:func:`benchmarks.isolation.default_memory_gb`).
    threads_per_cell : int or None
        None: cores // parallel cells.
    resume, overwrite, progress : bool
    argv : list of str
        The command line, for ``run_config.json``.
    families : dict
        Dataset name -> family (tabular, image, text) where the suite says
        it (``dev``); recorded in ``run_config.json`` for the report.
    max_rows : int or None
        Cap on each dataset's rows (:func:`benchmarks.protocols.cap_rows`);
        None: all rows.
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
    max_memory_gb: Optional[float] = None
    threads_per_cell: Optional[int] = None
    resume: bool = False
    overwrite: bool = False
    progress: bool = True
    argv: List[str] = field(default_factory=list)
    families: dict[str, str] = field(default_factory=dict)
    max_rows: int | None = None


@dataclass
class RunSummary:
    """What a run did."""

    n_cells: int
    n_skipped: int
    counts: Dict[str, int]
    wall_seconds: float
    results_path: Path


def dataset_sources(suite: str, data_dir: Optional[str] = None,
                    only: Optional[Sequence[str]] = None) -> List[Tuple[str, str]]:
    """The suite's datasets as ``(name, source)`` pairs, without loading them.

    ``source`` is what :func:`pyod_sla2p.datasets.load_dataset` loads.
    ``name`` is the suite's name for named suites and the file stem for a
    directory (the file name if two stems clash). ``only`` keeps the listed
    names (an unknown one raises ``ValueError``). The benchmark's own
    suite ``dev`` (:mod:`benchmarks.devsuite`) is resolved here, the
    library's suites and directories by the library.
    """
    sources = _suite_sources(suite, data_dir)
    stems = [Path(m).stem if os.sep in m or "/" in m else m for m in sources]
    clashes = {s for s, n in Counter(stems).items() if n > 1}
    names = [Path(m).name if s in clashes else s for s, m in zip(stems, sources)]
    pairs = list(zip(names, sources))
    if only:
        known = dict(pairs)
        missing = [n for n in only if n not in known]
        if missing:
            raise ValueError(f"dataset(s) {', '.join(missing)} not in suite {suite!r} "
                             f"({', '.join(known)})")
        pairs = [(n, known[n]) for n in only]
    return pairs


def _suite_sources(suite: str, data_dir: str | None) -> list[str]:
    from .devsuite import DEV_SUITE, dev_sources

    if suite == DEV_SUITE:
        return dev_sources(data_dir)
    from pyod_sla2p.datasets import suite_members

    return suite_members(suite, data_dir=data_dir)


def dataset_families(suite: str, data_dir: str | None = None) -> dict[str, str]:
    """Dataset name -> family for a suite that tags its datasets (``dev``); else empty.

    Without tags the report falls back to the name
    (:func:`benchmarks.report.dataset_family`).
    """
    from .devsuite import DEV_SUITE, dev_families

    return dev_families(data_dir) if suite == DEV_SUITE else {}


def effective_n_jobs(n_jobs: int) -> int:
    """joblib's rule: positive as is, ``-1`` all cores, ``-2`` all but one, ..."""
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0")
    return n_jobs if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + n_jobs)


def _parallelism(cfg: RunConfig) -> Tuple[Optional[int], Optional[int], Optional[float]]:
    """``(cells at once, threads per cell, GB per cell)``; on Dask the workers decide."""
    if cfg.scheduler:
        return None, cfg.threads_per_cell, cfg.max_memory_gb
    n_grid = len(cfg.datasets) * len(cfg.detectors) * len(cfg.seeds)
    n_parallel = max(1, min(effective_n_jobs(cfg.n_jobs), n_grid))
    return (n_parallel, cfg.threads_per_cell or max(1, (os.cpu_count() or 1) // n_parallel),
            cfg.max_memory_gb or default_memory_gb(n_parallel))


def build_grid(cfg: RunConfig, threads: Optional[int],
               max_memory_gb: Optional[float] = None) -> List[CellSpec]:
    """All cells of a run: for each dataset, each seed, each detector."""
    preload = sorted({d.estimator.partition(":")[0] for d in cfg.detectors})
    if any(d.warm_up for d in cfg.detectors):
        preload.append("benchmarks._jitwarm")
    return [CellSpec(dataset=name, source=source, data_dir=cfg.data_dir, detector=det.label,
                     estimator=det.estimator, kwargs=dict(det.kwargs),
                     params_json=det.params_json(), seed_param=det.seed_param,
                     n_features_param=det.n_features_param, protocol=cfg.protocol, seed=seed,
                     timeout=cfg.timeout, max_memory_gb=max_memory_gb, threads=threads,
                     preload=tuple(preload),
                     warm_up=det.warm_up, max_rows=cfg.max_rows)
            for name, source in cfg.datasets for seed in cfg.seeds for det in cfg.detectors]


# ------------------------------------------------------------------ checks

def check_out_dir(out: Path) -> None:
    """Create ``out`` if needed and check that a file can be written in it.

    Raises
    ------
    RunError
        One line naming the folder and the reason.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if out.exists() and not out.is_dir():
            reason = "it is a file"
        raise RunError(f"cannot write results to --out {out}: {reason}") from None


# ------------------------------------------------------------------ one runner per folder

def _lock_owner(argv: Sequence[str]) -> Dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": command_line(argv)}


def _read_owner(fd: int) -> Dict[str, Any]:
    """The holder's record in the lock file; empty if not written yet or unreadable."""
    try:
        owner = json.loads(os.pread(fd, 65536, 0).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def _in_use_message(out: Path, owner: Dict[str, Any]) -> str:
    if owner.get("pid"):
        where = f"pid {owner['pid']} on host {owner.get('host', '?')}"
        if owner.get("started_at"):
            where += f", started {owner['started_at']}"
        if owner.get("command"):
            where += f": {owner['command']}"
    else:
        where = "it has not recorded its pid yet"
    return (f"--out {out} is in use by another benchmark runner ({where}); two runners on one "
            "folder would run the same cells twice. Wait until it finishes (or stop it), then "
            "rerun with --resume; or choose another --out. The lock is released when that "
            "process ends, even if it is killed: do not delete "
            f"{out / LOCK_NAME} by hand.")


def _try_lock(path: Path, out: Path) -> int:
    """Open (or create) ``path`` and take its lock without waiting.

    Returns
    -------
    int
        The descriptor that holds the lock; closing it releases the lock.

    Raises
    ------
    OutDirInUse
        Another open file description (another runner) holds the lock.
    OSError
        ``path`` cannot be opened, or its file system has no locks.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            contended = exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES)
            owner = _read_owner(fd) if contended else None
            os.close(fd)
            if owner is None:
                raise
            raise OutDirInUse(_in_use_message(out, owner)) from None
        # A runner unlinks the file before it unlocks it (lock_out_dir): if one
        # did so between our open and our flock, we locked a file that later
        # runners cannot find, so start again on the file now at the path.
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(os.fstat(fd), current):
            return fd
        os.close(fd)


@contextlib.contextmanager
def lock_out_dir(out: Path, argv: Sequence[str] = ()) -> Iterator[None]:
    """Hold the output folder ``out`` for this runner until the block ends.

    The lock is an ``flock`` on ``out/.runner.lock``, so the kernel releases
    it when this process ends, even on SIGKILL: a folder is never left
    locked by a dead runner. The file records this runner's pid, host, start
    time and command (``argv``) for the message another runner shows, and is
    removed when the block ends (a killed runner leaves it, unlocked and
    harmless, for the next one to take over). Without ``fcntl`` (Windows)
    there is no lock.

    Parameters
    ----------
    out : Path
        An existing folder.
    argv : sequence of str
        The command line, recorded in the lock file.

    Raises
    ------
    OutDirInUse
        Another runner, in this process or any other, holds ``out``: one
        line naming the folder, that runner's pid, host and command, and
        what to do.
    RunError
        The lock file cannot be opened.
    """
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    path = Path(out) / LOCK_NAME
    try:
        fd = _try_lock(path, Path(out))
    except OSError as exc:
        if exc.errno not in _NO_LOCKS:
            raise RunError(f"cannot lock --out {out} ({path}): "
                           f"{exc.strerror or type(exc).__name__}") from None
        # A file system without locks (some network mounts) should not make
        # every run impossible; say that the guard is off instead.
        warnings.warn(f"cannot lock --out {out}: its file system does not support locks "
                      f"({exc.strerror}); make sure no other runner uses this folder",
                      RuntimeWarning, stacklevel=3)
        yield
        return
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(_lock_owner(argv)) + "\n").encode("utf-8"), 0)
        yield
    finally:
        # Unlink while still holding the lock: a runner that opened the file
        # meanwhile then finds, once it gets the lock, that the file is no
        # longer the one at the path, and retries (see _try_lock).
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)  # releases the lock


def cells_to_run(cfg: RunConfig, cells: Sequence[CellSpec]) -> List[CellSpec]:
    """The cells that have no ``ok`` row yet in ``results.csv`` (read only).

    Raises
    ------
    RunError
        The file exists and neither ``resume`` nor ``overwrite`` is set, or an
        ``ok`` row was produced with other overrides than this run's.
    ResultsFileError
        The file's columns are not this runner's.
    """
    path = cfg.out / RESULTS_NAME
    for p in (path, cfg.out / PREVIOUS_NAME):
        if p.exists() and not p.is_file():
            raise RunError(f"{p} is not a file; remove it or choose another --out")
    if cfg.overwrite or not path.exists():
        return list(cells)
    if not cfg.resume:
        raise RunError(f"{path} already exists; pass --resume to continue that run, "
                       "--overwrite to replace it, or choose another --out")
    latest = latest_rows(read_rows(path))
    done = set()
    for cell in cells:
        row = latest.get(cell.key)
        if row is None or row["status"] != "ok":
            continue
        if row["params"] != cell.params_json:
            raise RunError(f"{path} holds results of detector {cell.detector!r} run with params "
                           f"{row['params']}, but this run uses {cell.params_json}; use another "
                           "--out (or a label, e.g. NAME2=NAME:KEY=VALUE)")
        done.add(cell.key)
    return [c for c in cells if c.key not in done]


def check_same_rows(cfg: RunConfig) -> None:
    """On resume, the rows under study must be those of the run being resumed.

    Raises
    ------
    RunError
        ``--max-rows`` differs from the one recorded in ``run_config.json``.
    """
    if not cfg.resume or cfg.overwrite or not (cfg.out / RESULTS_NAME).exists():
        return
    before = read_run_config(cfg.out).get("max_rows")
    if before != cfg.max_rows:
        def text(cap: int | None) -> str:
            return "no --max-rows" if cap is None else f"--max-rows {cap}"
        raise RunError(f"{cfg.out / RESULTS_NAME} was made with {text(before)}, but this run "
                       f"uses {text(cfg.max_rows)}; resume with the same rows or choose "
                       "another --out")


# ------------------------------------------------------------------ backends

def _local_backend(n_jobs: int) -> Backend:
    def run(cells: Sequence[CellSpec]) -> Iterator[Dict[str, Any]]:
        from joblib import Parallel, delayed

        if cells:  # now, so that its imports count in no cell's time
            start_cell_server(cells[0].preload)
        # Threads suffice: each one only supervises the child process of its cell.
        parallel = Parallel(n_jobs=min(n_jobs, max(1, len(cells))), backend="threading",
                            return_as="generator_unordered")
        return parallel(delayed(run_cell_isolated)(c) for c in cells)
    return run


@contextlib.contextmanager
def _backend(cfg: RunConfig, n_parallel: Optional[int]) -> Iterator[Backend]:
    """The backend of ``cfg``; a Dask cluster is connected to and checked now."""
    if not cfg.scheduler:
        yield _local_backend(n_parallel or 1)
        return
    with connect(cfg.scheduler, cfg.suite, cfg.data_dir, [s for _, s in cfg.datasets]) as client:
        yield dask_backend(client)


# ------------------------------------------------------------------ the run

def _versions() -> Dict[str, str]:
    out = {}
    for mod in ("numpy", "scipy", "sklearn", "torch", "pyod", "pyod_sla2p", "pandas",
                "joblib", "distributed"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            out[mod] = "not installed"
    return out


def _record_config(cfg: RunConfig, n_cells: int, threads: Optional[int],
                   max_memory_gb: Optional[float]) -> None:
    info = machine()
    invocation = {
        "command": command_line(cfg.argv),
        "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "resume": cfg.resume, "n_jobs": cfg.n_jobs, "scheduler": cfg.scheduler,
        "threads_per_cell": threads, **info, "versions": {"python": info.pop("python"),
                                                          **_versions()},
    }
    datasets = [{"name": n, "source": s, **({"family": cfg.families[n]}
                                             if n in cfg.families else {})}
                for n, s in cfg.datasets]
    config = {"suite": cfg.suite, "data_dir": cfg.data_dir, "datasets": datasets,
              "protocol": cfg.protocol, "seeds": cfg.seeds, "timeout": cfg.timeout,
              "max_memory_gb": max_memory_gb, "max_rows": cfg.max_rows,
              "detectors": [d.as_dict() for d in cfg.detectors], "n_cells": n_cells}
    write_run_config(cfg.out, config, invocation, resume=cfg.resume)


def _write_rows(rows: Iterator[Dict[str, Any]], path: Path, n_todo: int,
                progress: bool) -> Counter:
    """Append every row of ``rows`` to ``path``; returns the count per status."""
    counts: Counter = Counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=n_todo, unit="cell", desc="benchmark", dynamic_ncols=True,
                   file=sys.stderr)
    try:
        with ResultsWriter(path) as writer:
            for row in rows:
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
    return counts


def run_benchmark(cfg: RunConfig, announce: Optional[Callable[[int, int], None]] = None
                  ) -> RunSummary:
    """Run every cell of ``cfg`` not already done; append rows to ``results.csv``.

    Parameters
    ----------
    cfg : RunConfig
    announce : callable, optional
        Called with ``(cells in the grid, cells to run)`` once every check
        has passed, just before the first cell.

    Returns
    -------
    RunSummary

    Raises
    ------
    RunError, ResultsFileError, ClusterError
        The run cannot start (see :func:`check_out_dir`, :func:`lock_out_dir`,
        :func:`cells_to_run`, :func:`check_same_rows`,
        :func:`benchmarks.cluster.connect`); nothing on disk was changed.
    KeyboardInterrupt
        After killing the running cells; the finished rows are on disk.
    """
    if cfg.protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {cfg.protocol!r}")
    start = time.monotonic()
    n_parallel, threads, max_memory_gb = _parallelism(cfg)
    cells = build_grid(cfg, threads, max_memory_gb)
    results_path = cfg.out / RESULTS_NAME
    with contextlib.ExitStack() as stack:
        backend = stack.enter_context(_backend(cfg, n_parallel))  # a cluster before --out
        check_out_dir(cfg.out)
        # Before results.csv is read: a runner beside this one would pick the same cells.
        stack.enter_context(lock_out_dir(cfg.out, cfg.argv))
        todo = cells_to_run(cfg, cells)
        check_same_rows(cfg)
        previous = cfg.out / PREVIOUS_NAME
        if cfg.overwrite and results_path.exists():
            os.replace(results_path, previous)
        _record_config(cfg, len(cells), threads, max_memory_gb)
        if announce is not None:
            announce(len(cells), len(todo))
        allow_cells()
        counts = _write_rows(backend(todo), results_path, len(todo), cfg.progress)
        if cfg.overwrite:
            previous.unlink(missing_ok=True)
    return RunSummary(n_cells=len(cells), n_skipped=len(cells) - len(todo),
                      counts=dict(counts), wall_seconds=time.monotonic() - start,
                      results_path=results_path)
