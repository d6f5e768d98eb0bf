"""The grid on a Dask cluster: connect, check the scheduler and every worker, submit.

``--scheduler ADDRESS`` points the runner at a running scheduler (``dask
scheduler``, one started by dask-jobqueue or dask-kubernetes, a
``LocalCluster``). Before a single cell is submitted, and before anything is
written, :func:`connect` checks that

* the scheduler answers and has at least one worker;
* the scheduler and every worker can import ``benchmarks`` and
  ``pyod_sla2p`` (the scheduler unpickles every task, so without them each
  cell would fail with "Error during deserialization of the task graph");
* every worker sees the run's datasets (the data directory at the same
  path, or its own ``$PYOD_SLA2P_DATA``).

Each failure is a :class:`ClusterError` of one line that says what to fix.
Workers that join after the check are not checked.

A worker lost mid-run loses no finished row: rows are written by the
runner as results arrive, and the scheduler reruns the lost worker's cells
on the others (a cell that has killed several workers becomes an error row).
"""

from __future__ import annotations

import contextlib
import importlib
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence

from .cell import CellSpec, one_line
from .isolation import failed_row, run_cell_isolated

__all__ = ["ClusterError", "SCHEDULER_TIMEOUT", "check_scheduler_address", "connect",
           "dask_backend", "preflight"]

#: Seconds to wait for a Dask scheduler, and for its first worker.
SCHEDULER_TIMEOUT = 20.0
#: What the scheduler and every worker must import.
NEEDED_MODULES = ("benchmarks", "pyod_sla2p")

_PATH_FIX = ("start the scheduler and every worker with this repository on PYTHONPATH "
             "(e.g. `PYTHONPATH=/path/to/repo dask worker ...`) and pyod-sla2p installed "
             "(`pip install -e .[benchmarks]` in a checkout)")
_DATA_FIX = ("give every worker the data directory at the same path (--data-dir DIR), or "
             "run it with PYOD_SLA2P_DATA set to its copy")


class ClusterError(ValueError):
    """A cluster that cannot run the benchmark; nothing was submitted or written."""


def check_scheduler_address(address: str) -> None:
    """Raise ClusterError unless ``address`` is a Dask address like ``tcp://host:8786``."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address, strict=True)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise ClusterError(f"bad --scheduler {address!r}: {exc}; expected an address like "
                           "tcp://host:8786") from None


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def _failed_workers(results: Dict[str, Any]) -> Dict[str, BaseException]:
    return {w: r for w, r in results.items() if isinstance(r, BaseException)}


def _check_imports(client: Any, address: str) -> None:
    for module in NEEDED_MODULES:
        try:
            client.run_on_scheduler(importlib.import_module, module)
        except Exception as exc:  # noqa: BLE001 -- ModuleNotFoundError, or what it raised
            raise ClusterError(one_line(f"the Dask scheduler at {address} cannot import "
                                        f"{module}: {_PATH_FIX} ({_failure(exc)})")) from None
        failed = _failed_workers(client.run(importlib.import_module, module, on_error="return"))
        if failed:
            worker, exc = next(iter(failed.items()))
            raise ClusterError(one_line(f"{len(failed)} Dask worker(s) cannot import {module}: "
                                        f"{_PATH_FIX} ({worker}: {_failure(exc)})"))


def _check_data(client: Any, suite: str, data_dir: Optional[str],
                sources: Sequence[str]) -> None:
    from pyod_sla2p.datasets import SUITES, suite_members

    from .devsuite import DEV_SUITE, dev_sources

    if suite == DEV_SUITE:  # the runner's own suite: the library does not know it
        listed = client.run(dev_sources, data_dir, on_error="return")
    else:
        if suite not in SUITES:  # a directory: the workers' working directory is not ours
            suite = str(Path(suite).expanduser().resolve())
        listed = client.run(suite_members, suite, data_dir=data_dir, on_error="return")
    for worker, members in listed.items():
        if isinstance(members, BaseException):
            problem = _failure(members)
        else:
            missing = sorted(set(sources) - set(members))
            problem = f"it lacks {', '.join(missing)}" if missing else ""
        if problem:
            raise ClusterError(one_line(f"Dask worker {worker} cannot see the datasets of "
                                        f"suite {suite!r}: {_DATA_FIX} ({problem})"))


def preflight(client: Any, address: str, suite: str, data_dir: Optional[str],
              sources: Sequence[str]) -> None:
    """Check that the cluster can run the grid; raise ClusterError if not.

    Parameters
    ----------
    client : distributed.Client
    address : str
        The scheduler's address, for the messages.
    suite, data_dir : str, str or None
        The run's suite and ``--data-dir`` (None: each worker's default).
    sources : sequence of str
        The run's datasets (:func:`benchmarks.runner.dataset_sources`).
    """
    try:
        client.wait_for_workers(1, timeout=SCHEDULER_TIMEOUT)
    except TimeoutError:
        raise ClusterError(f"the Dask scheduler at {address} has no workers after "
                           f"{SCHEDULER_TIMEOUT:g} s; start some with `dask worker {address}`"
                           ) from None
    _check_imports(client, address)
    _check_data(client, suite, data_dir, sources)


@contextlib.contextmanager
def connect(address: str, suite: str, data_dir: Optional[str],
            sources: Sequence[str]) -> Iterator[Any]:
    """A client of the scheduler at ``address`` that has passed :func:`preflight`."""
    from distributed import Client

    check_scheduler_address(address)
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 -- OSError, TimeoutError, ValueError...
        raise ClusterError(one_line(f"cannot reach the Dask scheduler at {address}: "
                                    f"{_failure(exc)}")) from None
    with client:
        preflight(client, address, suite, data_dir, sources)
        yield client


def dask_backend(client: Any):
    """Run cells with ``client.submit``; yield their rows as they finish."""
    def run(cells: Sequence[CellSpec]) -> Iterator[Dict[str, Any]]:
        from distributed import as_completed

        run_id = uuid.uuid4().hex[:8]
        futures = {client.submit(run_cell_isolated, cell, key=f"benchmark-cell-{run_id}-{i}",
                                 pure=False): cell for i, cell in enumerate(cells)}
        try:
            for fut in as_completed(list(futures), loop=client.loop):
                try:
                    yield fut.result()
                except Exception as exc:  # noqa: BLE001 -- KilledWorker, ...
                    yield failed_row(futures[fut], f"dask task failed: {_failure(exc)}")
        finally:
            client.cancel(list(futures))
    return run
