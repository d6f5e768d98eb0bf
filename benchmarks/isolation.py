"""Run a cell in its own process, with a timeout, and never let it outlive the runner.

:func:`run_cell_isolated` is the single function every backend calls
(joblib threads locally, ``client.submit`` on Dask). It runs
:func:`benchmarks.cell.run_cell_in_process` in a fresh child process and
waits at most ``spec.timeout`` seconds:

* an exception in the detector becomes an error row with its message;
* a cell past its timeout is killed and becomes a ``timeout`` row;
* a cell whose resident memory goes over ``spec.max_memory_gb`` is killed
  and becomes a ``memory`` row;
* a child that dies (segfault, out-of-memory kill) becomes an error row
  with its exit code and the tail of its output.

Children are forked from a cell server (multiprocessing's ``forkserver``)
that has already imported numpy, scikit-learn, PyOD and torch, so a cell
starts in milliseconds instead of paying seconds of imports (``spawn`` is
used where ``forkserver`` does not exist). Each child loads its dataset
itself (nothing large is shipped), limits its BLAS/OpenMP/torch threads to
``spec.threads`` and redirects its stdout/stderr to a log file.

A child exits as soon as the process that started it is gone, even while
that process is an unreaped zombie: it holds the read end of a pipe whose
only write end is in the supervising process, and the kernel closes that
end when the process dies. (Once no child holds its file descriptors, the
cell server and multiprocessing's resource tracker exit too.)

``peak_memory_mb`` is the child's peak resident set size (``ru_maxrss``,
reset at the start of the child where Linux allows it): the cell's data
and model plus the interpreter and libraries (about 0.4 GB).

The memory limit is enforced from the parent, which reads the child's
resident set size (psutil, a dependency of Dask) every
:data:`POLL_SECONDS` while it waits. ``RLIMIT_AS`` in the child would be
simpler but limits *virtual* memory: torch and the BLAS libraries reserve
large virtual mappings that are never resident, so a cell would fail far
below the limit, and an allocation refused inside C code fails anywhere
(or crashes) instead of giving a clear ``memory`` row. The resident set
counts the pages the child shares with the cell server (the preloaded
libraries), not the processes the cell may start itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from typing import Any, Dict, Optional, Sequence

import psutil

from .cell import CellSpec, one_line, run_cell_in_process

__all__ = ["allow_cells", "default_memory_gb", "failed_row", "run_cell_isolated",
           "start_cell_server", "stop_cells"]

_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_EXIT_ORPHANED = 70
#: Seconds between two looks at a running cell's memory.
POLL_SECONDS = 0.25
#: The share of a machine's memory that the cells it runs at once may use together.
MEMORY_SHARE = 0.8

# ------------------------------------------------------------------ child side


def _limit_threads(n: int) -> None:
    for var in _THREAD_ENV:
        os.environ[var] = str(n)
    with contextlib.suppress(Exception):  # threadpoolctl is a scikit-learn dependency
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=n)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)


def _reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0); harmless elsewhere."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _peak_rss_mb() -> Optional[float]:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _exit_with_supervisor(lifeline: Any) -> None:
    """Exit this process when the supervisor's end of ``lifeline`` closes."""
    def wait() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()  # nothing is ever sent: this returns at EOF
        os._exit(_EXIT_ORPHANED)
    threading.Thread(target=wait, daemon=True, name="supervisor-lifeline").start()


def _child_main(spec: CellSpec, conn: Any, lifeline: Any, log_path: str) -> None:
    """Entry point of the cell's child process."""
    with contextlib.suppress(OSError):
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    _exit_with_supervisor(lifeline)
    _limit_threads(max(1, int(spec.threads or 1)))
    _reset_peak_rss()
    result = run_cell_in_process(spec)
    result["peak_memory_mb"] = _peak_rss_mb()
    conn.send(result)
    conn.close()


def _no_op() -> None:
    """Target of the child that :func:`start_cell_server` waits for."""


# ------------------------------------------------------------------ parent side

_START_LOCK = threading.Lock()
_LIVE_LOCK = threading.Lock()
_LIVE: set = set()
_PRELOAD_SET = False
_STOPPED = threading.Event()


def allow_cells() -> None:
    """Undo :func:`stop_cells` (called at the start of a run)."""
    _STOPPED.clear()


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


def _context(preload: Sequence[str]) -> Any:
    global _PRELOAD_SET
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # pragma: no cover - Windows
    ctx = multiprocessing.get_context("forkserver")
    if not _PRELOAD_SET:  # the server, once started, keeps its first preload list
        ctx.set_forkserver_preload(["benchmarks.isolation", *preload])
        _PRELOAD_SET = True
    return ctx


@contextlib.contextmanager
def _allow_children():
    """Let a daemonic process (a Dask worker) start the cell's child.

    multiprocessing refuses children in daemonic processes so that they are
    not orphaned; a cell's child is always joined or killed by
    :func:`run_cell_isolated` and exits by itself when its supervisor is gone.
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


def _start(ctx: Any, target: Any, args: tuple, name: str) -> Any:
    proc = ctx.Process(target=target, args=args, name=name)
    with _START_LOCK, _allow_children():
        proc.start()
    return proc


def start_cell_server(preload: Sequence[str] = ()) -> None:
    """Start the cell server now and wait until it has imported ``preload``.

    Otherwise the first cell pays for those imports (and the numba warm-up),
    seconds that would count in its wall time and in the first estimate of a
    progress bar.
    """
    proc = _start(_context(preload), _no_op, (), "cell-server-warm-up")
    proc.join()


def default_memory_gb(cells_at_once: int, memory_bytes: Optional[int] = None) -> float:
    """The default per-cell memory limit: :data:`MEMORY_SHARE` of the memory, shared.

    ``memory_bytes`` defaults to the machine's memory (or its container's
    limit, as Dask reads it).
    """
    from distributed.system import MEMORY_LIMIT

    return MEMORY_SHARE * (memory_bytes or MEMORY_LIMIT) / max(1, cells_at_once) / 2**30


def _fill_machine_defaults(spec: CellSpec) -> CellSpec:
    """Threads and memory limit left to the machine that runs the cell (a Dask worker).

    A worker runs as many cells at once as it has threads; they share its
    cores and its memory limit (the machine's memory if it has none).
    """
    try:
        from distributed import get_worker
        worker = get_worker()
        slots, memory = max(1, int(worker.state.nthreads)), worker.memory_manager.memory_limit
    except Exception:  # noqa: BLE001 -- not on a Dask worker
        slots, memory = 1, None
    return dataclasses.replace(
        spec, threads=spec.threads or max(1, (os.cpu_count() or 1) // slots),
        max_memory_gb=spec.max_memory_gb or default_memory_gb(slots, memory))


def _log_tail(path: str, n: int = 300) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - n))
            return one_line(fh.read().decode("utf-8", "replace"))
    except OSError:
        return ""


def _rss_bytes(pid: int) -> int:
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:  # gone already: its end of the pipe tells the rest
        return 0


def _killed(proc: Any, status: str, message: str, **values: Any) -> Dict[str, Any]:
    proc.kill()
    proc.join(5)
    return {"status": status, "error": message, **values}


def _watch(proc: Any, receiver: Any, spec: CellSpec) -> Optional[Dict[str, Any]]:
    """Wait until the child has sent or died; kill it past its time or memory limit."""
    deadline = time.monotonic() + spec.timeout
    limit = spec.max_memory_gb * 2**30 if spec.max_memory_gb else float("inf")
    while not receiver.poll(max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))):
        if time.monotonic() >= deadline:
            return _killed(proc, "timeout", f"timeout: the cell ran longer than "
                                            f"{spec.timeout:g} s and was killed")
        rss = _rss_bytes(proc.pid)
        if rss > limit:
            return _killed(proc, "memory", f"memory: the cell's resident memory reached "
                           f"{rss / 2**30:.2f} GB, over the per-cell limit of "
                           f"{spec.max_memory_gb:g} GB (--max-memory-gb), and it was killed",
                           peak_memory_mb=rss / 2**20)
    return None


def _collect(proc: Any, receiver: Any, spec: CellSpec, log_path: str) -> Dict[str, Any]:
    """Wait for the child's result; a limit hit or a dead child becomes a result too."""
    stopped = _watch(proc, receiver, spec)
    if stopped is not None:
        return stopped
    try:
        result = receiver.recv()
    except (EOFError, OSError):  # the child died before sending
        result = None
    proc.join(30)
    if result is not None:
        return result
    code = proc.exitcode
    why = " (killed: out of memory?)" if code == -9 else ""
    tail = _log_tail(log_path)
    return {"status": "error", "error": one_line(
        f"the cell process died with exit code {code}{why}"
        + (f"; output tail: {tail}" if tail else ""))}


def _supervise(spec: CellSpec) -> Dict[str, Any]:
    """Run ``spec`` in a child process and return its result."""
    if _STOPPED.is_set():
        raise KeyboardInterrupt("the benchmark was interrupted")
    ctx = _context(spec.preload)
    fd, log_path = tempfile.mkstemp(prefix="benchmark-cell-", suffix=".log")
    os.close(fd)
    receiver, sender = ctx.Pipe(duplex=False)
    lifeline_r, lifeline_w = ctx.Pipe(duplex=False)
    proc = None
    try:
        proc = _start(ctx, _child_main, (spec, sender, lifeline_r, log_path),
                      f"cell-{spec.dataset}-{spec.detector}-{spec.seed}")
        with _LIVE_LOCK:
            _LIVE.add(proc)
        sender.close()
        lifeline_r.close()
        return _collect(proc, receiver, spec, log_path)
    finally:
        if proc is not None:
            if proc.is_alive():  # interrupted, or stuck after sending
                proc.kill()
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        for conn in (receiver, sender, lifeline_r, lifeline_w):
            conn.close()
        with contextlib.suppress(OSError):
            os.unlink(log_path)


def _row(spec: CellSpec, result: Dict[str, Any], wall_seconds: Optional[float]) -> Dict[str, Any]:
    row = {"dataset": spec.dataset, "detector": spec.detector, "protocol": spec.protocol,
           "seed": spec.seed, **result}
    row.update(params=spec.params_json, wall_seconds=wall_seconds, host=socket.gethostname(),
               finished_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"))
    return row


def failed_row(spec: CellSpec, message: str) -> Dict[str, Any]:
    """The error row of a cell that failed outside its process (a lost Dask worker)."""
    return _row(spec, {"status": "error", "error": one_line(message)}, None)


def run_cell_isolated(spec: CellSpec) -> Dict[str, Any]:
    """Run one cell in a child process with a timeout; never raises for cell failures.

    Parameters
    ----------
    spec : CellSpec

    Returns
    -------
    dict
        One results row (every column of
        :data:`benchmarks.resultsfile.COLUMNS`), ``status`` one of
        ``ok``, ``error``, ``timeout``, ``memory``.
    """
    if spec.threads is None or spec.max_memory_gb is None:
        spec = _fill_machine_defaults(spec)
    started = time.monotonic()
    result = _supervise(spec)
    return _row(spec, result, time.monotonic() - started)
