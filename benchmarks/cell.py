"""One cell of the grid -- (dataset, detector, protocol, seed) -- run in isolation.

:func:`run_cell` is the single function every backend calls (joblib
threads locally, ``client.submit`` on Dask). It runs :func:`execute_cell`
in a fresh child process and waits at most ``spec.timeout`` seconds:

* an exception in the detector becomes an error row with its message;
* a cell past its timeout is killed and becomes a ``timeout`` row;
* a child that dies (segfault, out-of-memory kill) becomes an error row
  with its exit code and the tail of its output.

Children are forked from a ``forkserver`` that has already imported numpy,
scikit-learn, PyOD and torch, so a cell starts in milliseconds instead of
paying seconds of imports (``spawn`` is used where ``forkserver`` does not
exist). Each child loads its dataset itself (nothing large is shipped),
limits its BLAS/OpenMP/torch threads to ``spec.threads``, redirects its
stdout/stderr to a log file and exits by itself if the process that started
it disappears.

``peak_memory_mb`` is the child's peak resident set size (``ru_maxrss``,
reset at the start of the child where Linux allows it): the cell's data
and model plus the interpreter and libraries (about 0.4 GB).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import multiprocessing
import os
import random
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from pyod.utils.utility import precision_n_scores
from pyod_sla2p.datasets import load_dataset

from .detectors import build_detector
from .protocols import make_split

__all__ = ["CellError", "CellSpec", "allow_cells", "execute_cell", "run_cell",
           "score_metrics", "stop_cells"]

_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_MAX_MESSAGE = 500
_WARM_UP_ROWS = 256


class CellError(Exception):
    """A cell that cannot produce metrics for a reason worth stating plainly."""


@dataclass(frozen=True)
class CellSpec:
    """Everything a worker needs to run one cell (small and picklable).

    Attributes
    ----------
    dataset : str
        Name in the results (the key).
    member : str
        What :func:`pyod_sla2p.datasets.load_dataset` accepts (a name or a
        file path).
    data_dir : str or None
    detector : str
        Detector label in the results.
    estimator : str
        ``"module:Class"``.
    kwargs : dict
        Constructor arguments, without seed and feature count.
    params_json : str
        The user's overrides as JSON (the ``params`` column).
    seed_param, n_features_param : str or None
        Constructor arguments the cell fills with the seed / feature count.
    protocol : str
    seed : int
    timeout : float
        Seconds for the whole cell (load, split, fit, score).
    threads : int or None
        BLAS/torch threads of the child; None: CPU cores divided by the
        threads of the Dask worker (or 1).
    preload : tuple of str
        Modules the forkserver imports once, before the first child.
    warm_up : bool
        Fit once, untimed, on the first rows before the timed fit.
    """

    dataset: str
    member: str
    data_dir: Optional[str]
    detector: str
    estimator: str
    kwargs: Dict[str, Any]
    params_json: str
    seed_param: Optional[str]
    n_features_param: Optional[str]
    protocol: str
    seed: int
    timeout: float
    threads: Optional[int] = 1
    preload: Tuple[str, ...] = field(default=())
    warm_up: bool = False

    @property
    def key(self) -> Tuple[str, str, str, int]:
        """``(dataset, detector, protocol, seed)``: the cell's identity."""
        return (self.dataset, self.detector, self.protocol, self.seed)


# ------------------------------------------------------------------ metrics

def score_metrics(y: np.ndarray, scores: np.ndarray) -> Dict[str, float]:
    """ROC-AUC, average precision and precision@n (outliers positive).

    Parameters
    ----------
    y : ndarray of shape (n,)
        1 = outlier.
    scores : ndarray of shape (n,)
        Higher = more abnormal.

    Returns
    -------
    dict
        ``roc_auc``, ``average_precision``, ``precision_at_n`` (precision
        among the ``n`` top-scored rows, ``n`` = number of true outliers;
        PyOD's ``precision_n_scores``).

    Raises
    ------
    CellError
        Non-finite scores, a length mismatch, or a single class in ``y``.
    """
    y = np.asarray(y).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.shape != y.shape:
        raise CellError(f"got {scores.size} scores for {y.size} rows")
    bad = int((~np.isfinite(scores)).sum())
    if bad:
        raise CellError(f"non-finite scores: {bad} of {scores.size}")
    n_out = int(y.sum())
    if n_out == 0 or n_out == y.size:
        raise CellError(f"the scored rows hold a single class ({n_out} outliers of {y.size}); "
                        "the metrics are undefined")
    return {
        "roc_auc": float(roc_auc_score(y, scores)),
        "average_precision": float(average_precision_score(y, scores)),
        "precision_at_n": float(precision_n_scores(y, scores)),
    }


# ------------------------------------------------------------------ in-process

def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 3] + "..."


def _seed_globals(seed: int) -> None:
    """Seed the global RNGs for detectors that use them instead of random_state."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def execute_cell(spec: CellSpec) -> Dict[str, Any]:
    """Run one cell in the current process (no isolation, no timeout).

    Parameters
    ----------
    spec : CellSpec

    Returns
    -------
    dict
        ``status`` ("ok" or "error"), ``error`` (message or None), the three
        metrics, ``fit_seconds``, ``score_seconds``, ``n_train``, ``n_test``,
        ``n_features``, ``n_outliers_test``. Measured values are kept even
        when a later stage fails.
    """
    out: Dict[str, Any] = {"status": "error", "error": None, "roc_auc": None,
                           "average_precision": None, "precision_at_n": None,
                           "fit_seconds": None, "score_seconds": None, "n_train": None,
                           "n_test": None, "n_features": None, "n_outliers_test": None}
    stage = "loading the dataset"
    try:
        ds = load_dataset(spec.member, data_dir=spec.data_dir)
        out["n_features"] = ds.n_features
        stage = "splitting"
        split = make_split(ds.X, ds.y, spec.protocol, spec.seed)
        out.update(n_train=int(split.X_fit.shape[0]), n_test=int(split.X_score.shape[0]),
                   n_outliers_test=int(split.y_score.sum()))
        if out["n_outliers_test"] in (0, out["n_test"]):
            raise CellError(f"the scored rows hold a single class ({out['n_outliers_test']} "
                            f"outliers of {out['n_test']}); the metrics are undefined")
        stage = "building the detector"
        _seed_globals(spec.seed)
        kwargs = dict(spec.kwargs)
        if spec.seed_param:
            kwargs[spec.seed_param] = spec.seed
        if spec.n_features_param:
            kwargs[spec.n_features_param] = ds.n_features
        if spec.warm_up:
            with contextlib.suppress(Exception):  # compile kernels; untimed
                build_detector(spec.estimator, kwargs).fit(split.X_fit[:_WARM_UP_ROWS])
            _seed_globals(spec.seed)
        detector = build_detector(spec.estimator, kwargs)
        stage = "fit"
        start = time.perf_counter()
        detector.fit(split.X_fit)
        out["fit_seconds"] = time.perf_counter() - start
        stage = "scoring"
        if split.score_fitted_rows:
            scores = detector.decision_scores_
        else:
            start = time.perf_counter()
            scores = detector.decision_function(split.X_score)
            out["score_seconds"] = time.perf_counter() - start
        stage = "metrics"
        out.update(score_metrics(split.y_score, scores))
        out["status"] = "ok"
    except CellError as exc:
        out["error"] = _one_line(str(exc))
    except Exception as exc:  # noqa: BLE001 -- any detector failure is a result
        out["error"] = _one_line(f"{stage} failed: {type(exc).__name__}: {exc}")
    return out


# ------------------------------------------------------------------ child side

def _limit_threads(n: int) -> None:
    for var in _THREAD_ENV:
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=n)
    except Exception:  # pragma: no cover - threadpoolctl is a sklearn dependency
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)


def _reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0); harmless elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> Optional[float]:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _watch_supervisor(pid: int) -> None:
    """Exit this child if the process waiting for it is gone."""
    def loop() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(70)
            except PermissionError:  # pragma: no cover - pid reused by another user
                os._exit(70)
    threading.Thread(target=loop, daemon=True, name="supervisor-watch").start()


def _child_main(spec: CellSpec, conn: Any, log_path: str, supervisor: int) -> None:
    """Entry point of the cell's child process."""
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    except OSError:
        pass
    _watch_supervisor(supervisor)
    _limit_threads(max(1, int(spec.threads or 1)))
    _reset_peak_rss()
    result = execute_cell(spec)
    result["peak_memory_mb"] = _peak_rss_mb()
    conn.send(result)
    conn.close()


# ------------------------------------------------------------------ parent side

_START_LOCK = threading.Lock()
_LIVE_LOCK = threading.Lock()
_LIVE: set = set()
_PRELOAD_SET = False
_STOPPED = threading.Event()


def allow_cells() -> None:
    """Undo :func:`stop_cells` (called at the start of a run)."""
    _STOPPED.clear()


def _context(preload: Tuple[str, ...]) -> Any:
    global _PRELOAD_SET
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        if not _PRELOAD_SET:
            ctx.set_forkserver_preload(["benchmarks.cell", *preload])
            _PRELOAD_SET = True
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


@contextlib.contextmanager
def _allow_children():
    """Let a daemonic process (a Dask worker) start the cell's child.

    multiprocessing refuses children in daemonic processes so that they are
    not orphaned; a cell's child is always joined or killed by
    :func:`run_cell` and exits by itself when its supervisor is gone.
    """
    config = multiprocessing.current_process()._config  # noqa: SLF001
    daemon = config.get("daemon")
    if daemon:
        config["daemon"] = False
    try:
        yield
    finally:
        if daemon:
            config["daemon"] = daemon


def stop_cells() -> int:
    """Refuse new cells and kill every running cell child of this process.

    Returns the number of children killed. Used on Ctrl-C, so that cells
    queued in a thread pool do not start after the interrupt.
    """
    _STOPPED.set()
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.kill()
    return len(procs)


def _default_threads() -> int:
    try:
        from distributed import get_worker
        nthreads = int(get_worker().state.nthreads)
    except Exception:
        nthreads = 1
    return max(1, (os.cpu_count() or 1) // max(1, nthreads))


def _log_tail(path: str, n: int = 300) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - n))
            return _one_line(fh.read().decode("utf-8", "replace"))
    except OSError:
        return ""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def run_cell(spec: CellSpec) -> Dict[str, Any]:
    """Run one cell in a child process with a timeout; never raises for cell failures.

    Parameters
    ----------
    spec : CellSpec

    Returns
    -------
    dict
        One results row (every column of
        :data:`benchmarks.resultsfile.COLUMNS`), ``status`` one of
        ``ok``, ``error``, ``timeout``.
    """
    if spec.threads is None:
        spec = _replace(spec, threads=_default_threads())
    started = time.monotonic()
    fd, log_path = tempfile.mkstemp(prefix="benchmark-cell-", suffix=".log")
    os.close(fd)
    result: Optional[Dict[str, Any]] = None
    status_override = None
    proc = None
    try:
        if _STOPPED.is_set():
            raise KeyboardInterrupt("the benchmark was interrupted")
        ctx = _context(spec.preload)
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child_main, args=(spec, sender, log_path, os.getpid()),
                           name=f"cell-{spec.dataset}-{spec.detector}-{spec.seed}")
        with _START_LOCK, _allow_children():
            proc.start()
        with _LIVE_LOCK:
            _LIVE.add(proc)
        sender.close()
        if receiver.poll(spec.timeout):
            try:
                result = receiver.recv()
            except (EOFError, OSError):
                result = None
        else:
            status_override = "timeout"
        receiver.close()
        if status_override:
            proc.kill()
        proc.join(30)
        if proc.is_alive():  # pragma: no cover - a child stuck after sending
            proc.kill()
            proc.join(5)
        wall = time.monotonic() - started
        if status_override == "timeout":
            result = {"status": "timeout", "error": f"timeout: the cell ran longer than "
                                                    f"{spec.timeout:g} s and was killed"}
        elif result is None:
            code = proc.exitcode
            why = " (killed: out of memory?)" if code == -9 else ""
            tail = _log_tail(log_path)
            result = {"status": "error",
                      "error": _one_line(f"the cell process died with exit code {code}{why}"
                                         + (f"; output tail: {tail}" if tail else ""))}
    except BaseException:
        if proc is not None and proc.is_alive():
            proc.kill()
        raise
    finally:
        if proc is not None:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        with contextlib.suppress(OSError):
            os.unlink(log_path)

    row = {"dataset": spec.dataset, "detector": spec.detector, "protocol": spec.protocol,
           "seed": spec.seed}
    row.update(result)
    row.update(params=spec.params_json, wall_seconds=wall, host=socket.gethostname(),
               finished_at=_now())
    return row


def _replace(spec: CellSpec, **changes: Any) -> CellSpec:
    from dataclasses import replace
    return replace(spec, **changes)
