"""The grid on real Dask clusters: a LocalCluster of processes and command-line ones.

Each cluster here is started by its test: ``LocalCluster(processes=True)``,
or a ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 run with
subprocess from a folder outside the repository, so that only their
``PYTHONPATH`` lets them import it. The grid is the builtin suite with two
detectors and one seed (14 cells; 8 when a worker is killed).
"""

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

import benchmarks.cluster as cluster
from benchmarks.__main__ import main
from benchmarks.registry import REGISTRY, register_detector

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
DASK = str(Path(sys.executable).with_name("dask"))
GRID = ["--suite", "builtin", "--detectors", "iforest,knn", "--seeds", "0",
        "--threads-per-cell", "1", "--no-progress", "--no-report"]
N_CELLS = 7 * 2
KILL_DATASETS = ("wine", "breast_cancer", "synthetic_local", "synthetic_global")
METRICS = ("roc_auc", "average_precision", "precision_at_n")


def rows_by_cell(out):
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {(r["dataset"], r["detector"], r["seed"]): r for r in rows}, len(rows)


def assert_same_metrics(out, local):
    rows, n_rows = rows_by_cell(out)
    assert n_rows == N_CELLS and rows.keys() == local.keys()
    for cell, row in rows.items():
        assert row["status"] == "ok", row["error"]
        for m in METRICS:
            assert float(row[m]) == pytest.approx(float(local[cell][m]), rel=1e-12)


def one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The grid run on this machine: the rows a cluster must reproduce."""
    out = tmp_path_factory.mktemp("local")
    assert main(GRID + ["--out", str(out), "--n-jobs", "2"]) == 0
    return rows_by_cell(out)[0]


def _stop(procs):
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _address(scheduler_file, proc):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            return json.loads(scheduler_file.read_text())["address"]
        time.sleep(0.1)
    raise RuntimeError(f"dask scheduler did not start (exit code {proc.poll()})")


@contextlib.contextmanager
def cli_cluster(folder, n_workers=2, scheduler_path=True, worker_env=None):
    """``dask scheduler`` and ``n_workers`` ``dask worker`` processes, stopped on exit.

    Yields the scheduler's address and the workers' processes. Started in
    ``folder`` with the repository on ``PYTHONPATH`` (the scheduler without it
    when ``scheduler_path`` is false).
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    bare = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = []

    def start(args, environ, name):
        log = open(folder / f"{name}.log", "wb")
        procs.append(subprocess.Popen(args, env=environ, cwd=folder, stdout=log,
                                      stderr=subprocess.STDOUT))
        log.close()
        return procs[-1]

    try:
        scheduler_file = folder / "scheduler.json"
        scheduler = start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                           "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                          env if scheduler_path else bare, "scheduler")
        address = _address(scheduler_file, scheduler)
        workers = [start([DASK, "worker", address, "--nthreads", "1", "--no-nanny",
                          "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}",
                          "--local-directory", str(folder / f"w{i}")],
                         {**env, **(worker_env or {})}, f"worker{i}")
                   for i in range(n_workers)]
        if n_workers:
            with distributed.Client(address, timeout=30) as client:
                client.wait_for_workers(n_workers, timeout=60)
        yield address, workers
    finally:
        _stop(procs)


def test_a_local_cluster_of_processes_gives_the_local_metrics(local, tmp_path):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as lc:
        rc = main(GRID + ["--out", str(tmp_path), "--scheduler", lc.scheduler_address])
    assert rc == 0
    assert_same_metrics(tmp_path, local)


def test_a_command_line_cluster_gives_the_local_metrics(local, tmp_path):
    with cli_cluster(tmp_path) as (address, _):
        rc = main(GRID + ["--out", str(tmp_path / "run"), "--scheduler", address])
    assert rc == 0
    assert_same_metrics(tmp_path / "run", local)


def _worker_running(pid_file, workers):
    """The worker whose cell wrote ``pid_file`` (its pid is an ancestor of the cell's)."""
    with contextlib.suppress(OSError, ValueError, psutil.Error):
        cell = psutil.Process(int(pid_file.read_text()))
        ancestors = {p.pid for p in cell.parents()}
        return cell.pid, next((w for w in workers if w.pid in ancestors), None)
    return None, None


def _gone(pid):
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_worker_killed_mid_run_loses_no_finished_row(tmp_path):
    """Kill the worker of a running cell once some rows are on disk: they stay, all cells end."""
    register_detector("test-sleep", "benchmarks.testing:SleepDetector")
    pid_file, out = tmp_path / "cell.pid", tmp_path / "run"
    seen, finished = {}, threading.Event()

    def kill_a_busy_worker(workers):
        while not finished.is_set() and "worker" not in seen:
            written = (out / "results.csv").read_bytes() if (out / "results.csv").exists() else b""
            cell, worker = _worker_running(pid_file, workers)
            if written.count(b"\n") >= 2 and worker is not None:  # header and a row
                seen.update(rows=written[:written.rindex(b"\n") + 1], cell=cell, worker=worker)
                worker.send_signal(signal.SIGKILL)
            time.sleep(0.05)

    try:
        with cli_cluster(tmp_path) as (address, workers):
            killer = threading.Thread(target=kill_a_busy_worker, args=(workers,))
            killer.start()
            try:
                rc = main(GRID[:3] + [f"iforest,test-sleep:seconds=3:pid_file='{pid_file}'"]
                          + GRID[4:] + ["--datasets", ",".join(KILL_DATASETS), "--out",
                                        str(out), "--scheduler", address])
            finally:
                finished.set()
                killer.join()
            assert seen, "no worker was killed"
            assert seen["worker"].wait(5) == -signal.SIGKILL
            assert workers[0].poll() is None or workers[1].poll() is None
    finally:
        REGISTRY.pop("test-sleep", None)
    assert rc == 0
    final = (out / "results.csv").read_bytes()
    assert final.startswith(seen["rows"])  # the rows written before the kill are all there
    rows, n_rows = rows_by_cell(out)
    assert n_rows == 2 * len(KILL_DATASETS) == len(rows)  # every cell once: not lost or doubled
    for row in rows.values():
        assert row["status"] == "ok" or row["error"].startswith("dask task failed"), row
    deadline = time.monotonic() + 10
    while not _gone(seen["cell"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(seen["cell"]), "the killed worker's cell process outlived it"


def test_a_scheduler_without_the_repository_fails_the_preflight(tmp_path, capsys):
    """Issue 14: such a scheduler turned every cell into a deserialization error row."""
    out = tmp_path / "run"
    with cli_cluster(tmp_path, n_workers=1, scheduler_path=False) as (address, _):
        rc = main(GRID + ["--out", str(out), "--scheduler", address])
    err = one_line_error(capsys)
    assert rc == 2
    assert f"the Dask scheduler at {address} cannot import benchmarks" in err
    assert "with this repository on PYTHONPATH" in err
    assert not out.exists()


def test_workers_without_the_data_fail_the_preflight(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYOD_SLA2P_DATA", str(data_dir))  # here, not on the workers
    out = tmp_path / "run"
    missing = tmp_path / "no-data"
    with cli_cluster(tmp_path, n_workers=1,
                     worker_env={"PYOD_SLA2P_DATA": str(missing)}) as (address, _):
        rc = main(["--suite", "adbench-nlp-bert", "--detectors", "iforest", "--out", str(out),
                   "--scheduler", address, "--no-progress"])
    err = one_line_error(capsys)
    assert rc == 2
    assert "cannot see the datasets of suite 'adbench-nlp-bert'" in err and str(missing) in err
    assert "data directory at the same path (--data-dir DIR)" in err
    assert not out.exists()


def test_a_scheduler_without_workers_fails_the_preflight(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT", 2)
    with cli_cluster(tmp_path, n_workers=0) as (address, _):
        rc = main(GRID + ["--out", str(tmp_path / "run"), "--scheduler", address])
    assert rc == 2
    assert f"has no workers after 2 s; start some with `dask worker {address}`" in \
        one_line_error(capsys)
    assert not (tmp_path / "run").exists()


def test_an_unreachable_scheduler_writes_nothing(tmp_path, monkeypatch, capsys):
    import socket
    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT", 2)
    with socket.socket() as s:  # a free port, with nothing listening once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "new" / "run"
    rc = main(GRID + ["--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert rc == 2
    assert "cannot reach the Dask scheduler" in one_line_error(capsys)
    assert not (tmp_path / "new").exists()


class _ElsewhereClient:
    """Runs ``client.run``'s function here, in another working directory, as a worker would."""

    def __init__(self, cwd):
        self.cwd = cwd

    def run(self, function, *args, on_error="raise", **kwargs):
        here = os.getcwd()
        os.chdir(self.cwd)
        try:
            return {"tcp://worker": function(*args, **kwargs)}
        except Exception as exc:  # noqa: BLE001 -- what on_error="return" gives
            return {"tcp://worker": exc}
        finally:
            os.chdir(here)


def test_a_directory_suite_is_checked_by_its_absolute_path(tmp_path, monkeypatch):
    import numpy as np
    (tmp_path / "suite").mkdir()
    np.savez(tmp_path / "suite" / "a.npz", X=np.zeros((4, 2)), y=np.array([0, 0, 0, 1]))
    monkeypatch.chdir(tmp_path)
    sources = [str((tmp_path / "suite" / "a.npz").resolve())]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cluster._check_data(_ElsewhereClient(elsewhere), "suite", None, sources)  # passes
    with pytest.raises(cluster.ClusterError, match=r"give every worker .*\(it lacks .*b\.npz\)"):
        cluster._check_data(_ElsewhereClient(elsewhere), "suite", None,
                            sources + [str(tmp_path / "suite" / "b.npz")])
