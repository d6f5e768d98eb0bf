"""The benchmark command end to end: results, resume, failures, timeout, memory.

Dask clusters: test_benchmarks_cluster.py.

The grid is tiny (two 200-row datasets, fast detectors, 1-2 seeds) so the
whole file runs in well under a minute on two cores.
"""

import csv
import json
import shutil
import sys
import time

import numpy as np
import pytest

from benchmarks.__main__ import main
from benchmarks.registry import REGISTRY, register_detector
from benchmarks.resultsfile import COLUMNS, read_rows

# Small enough to be quick, large enough to find the shifted outliers (with 4
# projections of width 4 the pretext task is too easy and the scores are noise).
SMALL_SLA2P = "sla2p:n_projections=8:projection_dim=8"
DETECTORS = f"iforest,ecod,{SMALL_SLA2P},lof:n_neighbors=-3"
METRICS = ("roc_auc", "average_precision", "precision_at_n")


def read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def key(row):
    return (row["dataset"], row["detector"], row["protocol"], int(row["seed"]))


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Two small .npz datasets: 200 rows x 5 features, 10% shifted outliers."""
    folder = tmp_path_factory.mktemp("suite")
    for i, name in enumerate(("alpha", "beta")):
        rng = np.random.default_rng(i)
        X = rng.normal(size=(200, 5))
        y = np.zeros(200, dtype=np.int64)
        y[:20] = 1
        X[:20] += rng.choice([-4.0, 4.0], size=(20, 5))
        np.savez(folder / f"{name}.npz", X=X, y=y)
    return folder


@pytest.fixture(scope="module")
def base_run(suite, tmp_path_factory):
    """The reference run: 2 datasets x 4 detectors x 2 seeds, one detector broken."""
    out = tmp_path_factory.mktemp("base")
    rc = main(["--suite", str(suite), "--detectors", DETECTORS, "--seeds", "0,1", "--out",
               str(out), "--n-jobs", "2", "--threads-per-cell", "1", "--no-progress"])
    assert rc == 0
    return out


@pytest.fixture
def registered():
    """Register test detectors for one test, then remove them."""
    added = []

    def add(name, estimator):
        register_detector(name, estimator)
        added.append(name)

    yield add
    for name in added:
        REGISTRY.pop(name, None)


def test_cli_writes_results_tables_plots_and_config(base_run):
    with open(base_run / "results.csv", newline="") as fh:
        assert next(csv.reader(fh)) == COLUMNS
    rows = read(base_run / "results.csv")
    assert len(rows) == 2 * 4 * 2
    assert len({key(r) for r in rows}) == 16
    ok = [r for r in rows if r["status"] == "ok"]
    assert {r["detector"] for r in ok} == {"iforest", "ecod", "sla2p"} and len(ok) == 12
    for r in ok:
        assert r["error"] == ""
        assert 0.75 < float(r["roc_auc"]) <= 1.0, (r["detector"], r["roc_auc"])
        assert float(r["fit_seconds"]) > 0 and float(r["score_seconds"]) > 0
        assert float(r["peak_memory_mb"]) > 10
        assert (int(r["n_train"]), int(r["n_test"]), int(r["n_features"])) == (120, 80, 5)
    # The broken parameter fails in fit: an error row per cell, the run went on.
    lof = [r for r in rows if r["detector"] == "lof"]
    assert len(lof) == 4 and all(r["status"] == "error" for r in lof)
    assert all(r["error"].startswith("fit failed:") and "n_neighbors" in r["error"] for r in lof)
    assert all(r["roc_auc"] == "" for r in lof)
    assert json.loads(lof[0]["params"]) == {"n_neighbors": -3}
    # Every detector scored the same rows for a (dataset, seed).
    for ds in ("alpha", "beta"):
        for seed in ("0", "1"):
            same = {r["n_outliers_test"] for r in rows if r["dataset"] == ds and r["seed"] == seed}
            assert len(same) == 1
    for name in ("table_roc_auc", "table_average_precision", "table_precision_at_n",
                 "table_time"):
        assert (base_run / f"{name}.md").stat().st_size > 0
        assert (base_run / f"{name}.csv").stat().st_size > 0
    for png in ("boxplot_roc_auc.png", "cd_diagram.png"):
        assert (base_run / png).read_bytes()[:4] == b"\x89PNG"
    table = (base_run / "table_roc_auc.md").read_text()
    assert "| alpha " in table and "err" in table
    config = json.loads((base_run / "run_config.json").read_text())
    assert config["command"].startswith("python -m benchmarks --suite")
    assert config["seeds"] == [0, 1] and config["protocol"] == "inductive"
    assert [d["label"] for d in config["detectors"]] == ["iforest", "ecod", "sla2p", "lof"]
    assert config["detectors"][2]["kwargs"] == {"n_projections": 8, "projection_dim": 8}
    assert {"python", "torch", "pyod", "sklearn", "numpy"} <= set(
        config["invocations"][0]["versions"])
    assert "lof" in (base_run / "summary.md").read_text()


def test_existing_results_need_resume(base_run, capsys):
    before = (base_run / "results.csv").read_bytes()
    rc = main(["--suite", "builtin", "--detectors", "iforest", "--out", str(base_run)])
    assert rc == 2
    assert "already exists; pass --resume" in capsys.readouterr().err
    assert (base_run / "results.csv").read_bytes() == before


def test_resume_reruns_only_missing_and_failed_cells(base_run, suite, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(base_run, out)
    rows = read(out / "results.csv")
    dropped = [r for r in rows if r["detector"] in ("sla2p", "iforest") and r["seed"] == "1"]
    kept = [r for r in rows if r not in dropped]
    # Leave a truncated line behind, as a crash in the middle of a write would.
    with open(out / "results.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        fh.write("beta,ecod,induct")
    rc = main(["--suite", str(suite), "--detectors", DETECTORS, "--seeds", "0,1", "--out",
               str(out), "--resume", "--n-jobs", "2", "--threads-per-cell", "1",
               "--no-progress", "--no-report"])
    assert rc == 0
    with pytest.warns(UserWarning, match="skipped 1 incomplete"):
        latest = read_rows(out / "results.csv")
    after = {key(r): r for r in latest}  # the latest row of a cell wins
    assert len(after) == 16
    # Nothing was rewritten: the old rows are still there, the new ones appended.
    assert latest[:len(kept)] == kept
    before = {key(r): r for r in rows}
    for k, row in before.items():
        if row in dropped or row["status"] != "ok":
            assert after[k]["finished_at"] != row["finished_at"], f"{k} was not rerun"
        else:
            assert after[k] == row, f"{k} was rerun or changed"
    # Same configuration and seeds: the same metrics come back.
    for row in dropped:
        for m in METRICS:
            assert float(after[key(row)][m]) == pytest.approx(float(row[m]), rel=1e-12)
    config = json.loads((out / "run_config.json").read_text())
    assert len(config["invocations"]) == 2 and config["invocations"][1]["resume"]


def test_resume_refuses_other_parameters(base_run, suite, tmp_path, capsys):
    out = tmp_path / "other"
    shutil.copytree(base_run, out)
    rc = main(["--suite", str(suite), "--detectors", "iforest:n_estimators=10", "--seeds", "0",
               "--out", str(out), "--resume", "--no-progress"])
    assert rc == 2
    assert "run with params {}" in capsys.readouterr().err


def test_resume_refuses_foreign_columns(tmp_path, capsys):
    (tmp_path / "results.csv").write_text("a,b\n1,2\n")
    rc = main(["--detectors", "iforest", "--datasets", "wine", "--seeds", "0", "--out",
               str(tmp_path), "--resume", "--no-progress"])
    assert rc == 2
    assert "has columns" in capsys.readouterr().err


def test_non_finite_scores_and_crashes_are_error_rows(suite, tmp_path, registered):
    registered("test-nan", "benchmarks.testing:NaNDetector")
    registered("test-crash", "benchmarks.testing:CrashDetector")
    registered("test-mean", "benchmarks.testing:MeanDistance")
    rc = main(["--suite", str(suite), "--datasets", "alpha", "--detectors",
               "test-nan,test-crash,test-mean", "--seeds", "0", "--out", str(tmp_path),
               "--n-jobs", "2", "--no-progress"])
    assert rc == 0
    rows = {r["detector"]: r for r in read(tmp_path / "results.csv")}
    assert rows["test-nan"]["status"] == "error"
    assert rows["test-nan"]["error"] == "NaNDetector gave non-finite scores: 41 of 80"  # 40 NaN + 1 inf
    assert rows["test-crash"]["status"] == "error"
    assert "died with exit code -9" in rows["test-crash"]["error"]
    assert rows["test-mean"]["status"] == "ok" and float(rows["test-mean"]["roc_auc"]) > 0.9
    assert "err" in (tmp_path / "table_roc_auc.md").read_text()


def test_timeout_kills_the_cell_and_the_run_goes_on(suite, tmp_path, registered):
    registered("test-sleep", "benchmarks.testing:SleepDetector")
    registered("test-mean", "benchmarks.testing:MeanDistance")
    start = time.monotonic()
    rc = main(["--suite", str(suite), "--detectors", "test-sleep:seconds=120,test-mean",
               "--seeds", "0,1", "--datasets", "alpha", "--timeout", "3", "--out",
               str(tmp_path), "--n-jobs", "2", "--no-progress", "--no-report"])
    elapsed = time.monotonic() - start
    assert rc == 0
    assert elapsed < 40
    rows = read(tmp_path / "results.csv")
    sleepy = [r for r in rows if r["detector"] == "test-sleep"]
    assert len(sleepy) == 2
    for r in sleepy:
        assert r["status"] == "timeout"
        assert "longer than 3 s" in r["error"]
        assert 3 <= float(r["wall_seconds"]) < 15
    assert all(r["status"] == "ok" for r in rows if r["detector"] == "test-mean")


def test_a_cell_over_the_memory_limit_is_a_memory_row_and_the_run_goes_on(suite, tmp_path,
                                                                        registered):
    registered("test-hog", "benchmarks.testing:MemoryHog")
    registered("test-mean", "benchmarks.testing:MeanDistance")
    argv = ["--suite", str(suite), "--detectors", "test-hog:mb=2048:hold=30,test-mean", "--seeds",
            "0", "--max-memory-gb", "1", "--out", str(tmp_path), "--n-jobs", "2", "--no-progress"]
    assert main(argv) == 0
    rows = read(tmp_path / "results.csv")
    hogs = [r for r in rows if r["detector"] == "test-hog"]
    assert len(hogs) == 2 and len(rows) == 4
    for r in hogs:  # killed on the way to 2 GB (a hog left alone would give ok rows)
        assert r["status"] == "memory", r["error"]
        assert "over the per-cell limit of 1 GB (--max-memory-gb), and it was killed" in r["error"]
        assert 1024 < float(r["peak_memory_mb"]) < 2048 + 1024
    for r in rows:
        if r["detector"] == "test-mean":
            assert r["status"] == "ok" and float(r["peak_memory_mb"]) < 1024, r
    assert json.loads((tmp_path / "run_config.json").read_text())["max_memory_gb"] == 1.0
    summary = (tmp_path / "summary.md").read_text()
    assert "2 ok, 0 error, 0 timeout, 2 memory cells" in summary
    assert "went over the per-cell memory limit" in summary
    failed = [line.split("|")[1:5] for line in summary.splitlines()
              if line.startswith(("| alpha", "| beta"))]
    assert sorted([f.strip() for f in cells] for cells in failed) == [
        ["alpha", "test-hog", "0", "memory"], ["beta", "test-hog", "0", "memory"]]
    with open(tmp_path / "table_roc_auc.csv", newline="") as fh:
        table = {row["dataset"]: row for row in csv.DictReader(fh)}
    assert (table["avg rank"]["test-hog"], table["avg rank"]["test-mean"]) == ("2", "1")
    md = (tmp_path / "table_roc_auc.md").read_text().splitlines()
    assert [line.split("|")[-2].strip() for line in md if line.startswith(("| alpha", "| beta"))
            ] == ["err", "err"]
    # --resume reruns memory cells like error cells: their new rows are appended.
    assert main(argv + ["--resume", "--no-report"]) == 0
    rows = read(tmp_path / "results.csv")
    assert [r["status"] for r in rows[4:]] == ["memory", "memory"]


def test_the_default_memory_limit_is_a_share_of_the_machine(base_run):
    from benchmarks.isolation import MEMORY_SHARE
    from distributed.system import MEMORY_LIMIT
    config = json.loads((base_run / "run_config.json").read_text())
    assert config["max_memory_gb"] == pytest.approx(MEMORY_SHARE * MEMORY_LIMIT / 2 / 2**30)


@pytest.mark.parametrize("argv, message", [
    (["--detectors", "isoforest"], "unknown detector 'isoforest'. Did you mean 'iforest'"),
    (["--detectors", "lof:n_neighbours=3"], "unknown parameter 'n_neighbours'"),
    (["--set", "sla2p:bogus=1"], "unknown parameter 'bogus'"),
    (["--protocol", "semi"], "invalid choice: 'semi'"),
    (["--seeds", "0,x"], "bad seeds '0,x'"),
    (["--seeds", "1,1"], "a seed is repeated"),
    (["--seeds", "99999999999"], "seeds must be integers from 0 to 4294967295"),
    (["--seeds", "4294967296"], "seeds must be integers from 0 to 4294967295"),
    (["--seeds", "4294967290-4294967296"], "seeds must be integers from 0 to 4294967295"),
    (["--seeds", "-1"], "seeds must be integers from 0 to 4294967295"),
    (["--seeds", "0,-3"], "seeds must be integers from 0 to 4294967295"),
    (["--seeds", "0-4294967295"], "at most 10000 seeds per run"),
    (["--timeout", "0"], "must be a positive number of seconds"),
    (["--max-memory-gb", "-1"], "must be a positive number of GB"),
    (["--max-memory-gb", "lots"], "expected a number of GB"),
    (["--n-jobs", "0"], "must not be 0"),
    (["--suite", "oddz"], "unknown suite 'oddz'. Did you mean 'odds'"),
    (["--datasets", "nope"], "not in suite 'builtin'"),
    (["--config", "/nonexistent/x.json"], "cannot read config file"),
])
def test_bad_input_fails_before_anything_runs(argv, message, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(argv + ["--out", str(out), "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) <= 3  # usage line(s) + one error line
    assert not (out / "results.csv").exists()


def test_help_and_report_subcommand(base_run, tmp_path, capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--suite", "--data-dir", "--detectors", "--seeds", "--protocol", "--out",
                   "--n-jobs", "--scheduler", "--resume", "--timeout", "--set", "--config"):
        assert option in text
    out = tmp_path / "copy"
    out.mkdir()
    shutil.copy(base_run / "results.csv", out / "results.csv")
    assert main(["report", "--out", str(out)]) == 0
    assert (out / "cd_diagram.png").exists() and (out / "summary.md").exists()
    assert main(["report", "--out", str(tmp_path / "missing")]) == 2


def test_transductive_fits_and_scores_all_rows(suite, tmp_path):
    rc = main(["--suite", str(suite), "--datasets", "beta", "--detectors", "iforest,knn",
               "--protocol", "transductive", "--seeds", "0", "--out", str(tmp_path),
               "--no-progress", "--no-report"])
    assert rc == 0
    rows = read(tmp_path / "results.csv")
    assert [r["detector"] for r in sorted(rows, key=lambda r: r["detector"])] == ["iforest", "knn"]
    for r in rows:
        assert r["status"] == "ok" and r["protocol"] == "transductive"
        assert (r["n_train"], r["n_test"], r["n_outliers_test"]) == ("200", "200", "20")
        assert r["score_seconds"] == ""  # scores are decision_scores_, computed in fit
        assert float(r["roc_auc"]) > 0.9


# ------------------------------------------------------------------ issue 12, items 9-12

def test_resume_keeps_every_old_row(base_run, suite, tmp_path):
    """--resume appends: the error rows it reruns stay in the file, superseded."""
    out = tmp_path / "resumed"
    shutil.copytree(base_run, out)
    before = (out / "results.csv").read_bytes()
    rc = main(["--suite", str(suite), "--detectors", DETECTORS, "--seeds", "0,1", "--out",
               str(out), "--resume", "--n-jobs", "2", "--no-progress", "--no-report"])
    assert rc == 0
    after = (out / "results.csv").read_bytes()
    assert after.startswith(before)  # nothing rewritten, 4 lof error rows appended
    assert len(after.splitlines()) == len(before.splitlines()) + 4


def test_resumed_calls_on_parts_record_the_whole_run(suite, tmp_path):
    """A resumed call limited to some datasets or detectors adds them to run_config.json."""
    out = tmp_path / "parts"
    common = ["--suite", str(suite), "--out", str(out), "--n-jobs", "1", "--no-progress",
              "--no-report"]
    assert main(common + ["--datasets", "beta", "--detectors", "iforest,ecod", "--seeds",
                          "1"]) == 0
    assert main(common + ["--resume", "--datasets", "alpha", "--detectors", "ecod,hbos",
                          "--seeds", "0"]) == 0
    config = json.loads((out / "run_config.json").read_text())
    assert [d["name"] for d in config["datasets"]] == ["beta", "alpha"]
    assert [d["label"] for d in config["detectors"]] == ["iforest", "ecod", "hbos"]
    assert config["seeds"] == [0, 1]
    assert config["command"] == config["invocations"][1]["command"]
    assert "--datasets alpha" in config["command"] and len(config["invocations"]) == 2
    # Without --resume the folder's earlier record is not merged in.
    assert main(common + ["--overwrite", "--datasets", "alpha", "--detectors", "hbos",
                          "--seeds", "0"]) == 0
    config = json.loads((out / "run_config.json").read_text())
    assert [d["name"] for d in config["datasets"]] == ["alpha"]
    assert [d["label"] for d in config["detectors"]] == ["hbos"]
    assert len(config["invocations"]) == 1


@pytest.mark.parametrize("mode", ["--resume", "--overwrite"])
def test_unreachable_scheduler_changes_nothing(base_run, suite, tmp_path, monkeypatch, capsys,
                                               mode):
    import socket
    import benchmarks.cluster as cluster
    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT", 2)
    with socket.socket() as s:  # a free port, with nothing listening once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "run"
    shutil.copytree(base_run, out)
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    rc = main(["--suite", str(suite), "--detectors", DETECTORS, "--seeds", "0,1", "--out",
               str(out), mode, "--scheduler", f"tcp://127.0.0.1:{port}", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "cannot reach the Dask scheduler" in err
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before


def test_overwrite_keeps_the_old_results_until_the_new_run_has_finished(
        base_run, suite, tmp_path, monkeypatch):
    import benchmarks.runner as runner
    out = tmp_path / "run"
    shutil.copytree(base_run, out)
    old = (out / "results.csv").read_bytes()

    def interrupted(spec):
        raise KeyboardInterrupt
    monkeypatch.setattr(runner, "run_cell_isolated", interrupted)
    args = ["--suite", str(suite), "--datasets", "alpha", "--detectors", "iforest", "--seeds",
            "0", "--out", str(out), "--overwrite", "--n-jobs", "1", "--no-progress",
            "--no-report"]
    assert main(args) == 130
    assert (out / "results.previous.csv").read_bytes() == old
    monkeypatch.undo()
    assert main(args) == 0
    assert not (out / "results.previous.csv").exists()
    assert [key(r) for r in read(out / "results.csv")] == [("alpha", "iforest", "inductive", 0)]


@pytest.mark.parametrize("out, message", [
    ("{file}", "cannot write results to --out {file}: it is a file"),
    ("{file}/sub", "cannot write results to --out {file}/sub: Not a directory"),
    ("/proc/x", "cannot write results to --out /proc/x"),
    ("{dir}", "results.csv is not a file"),
])
def test_unwritable_out_is_one_line_exit_2(out, message, tmp_path, capsys):
    file = tmp_path / "a-file"
    file.write_text("x")
    (tmp_path / "d" / "results.csv").mkdir(parents=True)
    out = out.format(file=file, dir=tmp_path / "d")
    rc = main(["--detectors", "iforest", "--datasets", "wine", "--seeds", "0", "--out", out,
               "--resume", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert message.format(file=file) in err


@pytest.mark.parametrize("argv, message", [
    (["--scheduler", "nonsense"], "bad --scheduler 'nonsense'"),
    (["--scheduler", "tcp://host"], "missing port number"),
    (["--datasets", "wine,wine"], "a name is repeated"),
    (["--data-dir", "/nonexistent/data"], "--data-dir /nonexistent/data is not a directory"),
])
def test_other_bad_arguments_are_one_line_exit_2(argv, message, tmp_path, capsys):
    start = time.monotonic()
    rc = main(["--detectors", "iforest", "--datasets", "wine", "--seeds", "0", "--out",
               str(tmp_path / "out"), "--no-progress", *argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert message in err
    assert time.monotonic() - start < 10
    assert not (tmp_path / "out" / "results.csv").exists()


def test_cells_die_with_the_runner_even_before_it_is_reaped(suite, tmp_path):
    psutil = pytest.importorskip("psutil")
    import os
    import signal
    import subprocess
    from conftest import REPO_ROOT

    pid_file = tmp_path / "cell.pid"
    code = ("import sys; from benchmarks.registry import register_detector; "
            "register_detector('test-sleep', 'benchmarks.testing:SleepDetector'); "
            "from benchmarks.__main__ import main; sys.exit(main(sys.argv[1:]))")
    runner = subprocess.Popen(
        [sys.executable, "-c", code, "--suite", str(suite), "--datasets", "alpha",
         "--detectors", f"test-sleep:seconds=120:pid_file='{pid_file}'", "--seeds", "0",
         "--out", str(tmp_path / "out"), "--no-progress", "--n-jobs", "1"],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.2)
        cell = psutil.Process(int(pid_file.read_text()))
        helpers = psutil.Process(runner.pid).children(recursive=True)  # server, tracker
        os.kill(runner.pid, signal.SIGKILL)  # not waited for: the runner stays a zombie
        alive = [cell, *helpers]
        deadline = time.monotonic() + 20
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert psutil.Process(runner.pid).status() == psutil.STATUS_ZOMBIE
        assert not alive, [p.cmdline() for p in alive]
    finally:
        for p in psutil.Process(runner.pid).children(recursive=True):
            p.kill()
        runner.wait()


def test_a_row_cut_inside_finished_at_is_not_kept(base_run, suite, tmp_path):
    out = tmp_path / "cut"
    shutil.copytree(base_run, out)
    rows = read(out / "results.csv")
    last = next(r for r in rows if r["status"] == "ok")
    rows.remove(last)
    with open(out / "results.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        line = ",".join(last[c] for c in COLUMNS)  # no field needs quoting here
        fh.write(line[:-12])  # 20 fields, the timestamp cut short
    with pytest.warns(UserWarning, match="finished_at"):
        assert key(last) not in {key(r) for r in read_rows(out / "results.csv")}
    rc = main(["--suite", str(suite), "--detectors", DETECTORS, "--seeds", "0,1", "--out",
               str(out), "--resume", "--n-jobs", "2", "--no-progress", "--no-report"])
    assert rc == 0
    with pytest.warns(UserWarning):
        latest = {key(r): r for r in read_rows(out / "results.csv")}
    assert latest[key(last)]["status"] == "ok"  # rerun, on a line of its own
    assert latest[key(last)]["finished_at"] != last["finished_at"]


def test_the_cell_server_is_ready_before_the_progress_bar_starts(tmp_path, monkeypatch):
    """The first cell must not pay for the server's imports (it inflated the first ETA)."""
    import tqdm.auto

    import benchmarks.runner as runner
    events = []
    start = runner.start_cell_server
    monkeypatch.setattr(runner, "start_cell_server",
                        lambda preload: (events.append("server ready"), start(preload)))

    class Bar(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            events.append("bar")
            super().__init__(*args, **kwargs)
    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    rc = main(["--detectors", "iforest", "--datasets", "wine", "--seeds", "0", "--out",
               str(tmp_path), "--no-report"])
    assert rc == 0
    assert events == ["server ready", "bar"]


# ------------------------------------------------------------------ issue 26, items 4 and 9

def test_the_largest_seed_runs_every_cell(suite, tmp_path):
    """2**32 - 1, the top of the range --seeds accepts, is a seed every detector takes."""
    rc = main(["--suite", str(suite), "--datasets", "alpha", "--detectors",
               f"iforest,ecod,{SMALL_SLA2P}", "--seeds", "4294967295", "--out", str(tmp_path),
               "--n-jobs", "2", "--threads-per-cell", "1", "--no-progress", "--no-report"])
    assert rc == 0
    rows = read(tmp_path / "results.csv")
    assert len(rows) == 3
    assert all(r["status"] == "ok" and r["seed"] == "4294967295" for r in rows), rows


# The lock of runner.lock_out_dir, taken by another process until it is killed.
LOCK_HOLDER = ("import sys, time\n"
               "from pathlib import Path\n"
               "from benchmarks.runner import lock_out_dir\n"
               "with lock_out_dir(Path(sys.argv[1]), ['--out', sys.argv[1]]):\n"
               "    print('locked', flush=True)\n"
               "    time.sleep(600)\n")


def test_a_second_runner_on_a_folder_in_use_stops_and_a_killed_one_does_not_block(
        suite, tmp_path, capsys):
    import socket
    import subprocess
    from conftest import REPO_ROOT

    out = tmp_path / "out"
    out.mkdir()
    argv = ["--suite", str(suite), "--datasets", "alpha", "--detectors", "iforest", "--seeds",
            "0", "--out", str(out), "--resume", "--no-progress", "--no-report"]
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(out)], cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        start = time.monotonic()
        rc = main(argv)
        err = capsys.readouterr().err.strip()
        assert rc == 2 and len(err.splitlines()) == 1, err
        assert time.monotonic() - start < 10  # at once, not after waiting
        assert (f"--out {out} is in use by another benchmark runner (pid {holder.pid} on host "
                f"{socket.gethostname()}, started ") in err
        assert f"python -m benchmarks --out {out}" in err  # the holder's command
        assert "then rerun with --resume; or choose another --out" in err
        assert sorted(p.name for p in out.iterdir()) == [".runner.lock"]  # nothing written
    finally:
        holder.kill()  # SIGKILL: no cleanup runs in the holder
        holder.wait()
        holder.stdout.close()
    assert (out / ".runner.lock").exists()  # left behind, but no longer locked
    assert main(argv) == 0
    assert [r["status"] for r in read(out / "results.csv")] == ["ok"]
    assert not (out / ".runner.lock").exists()  # removed by the runner that finished


def test_the_runner_holds_its_folder_until_its_cells_are_written(suite, tmp_path, monkeypatch):
    """The scenario of the issue: a --resume started beside a running runner."""
    import os

    import benchmarks.runner as runner

    write_rows, refused = runner._write_rows, []

    def write_while_another_runner_starts(rows, path, *args):
        with pytest.raises(runner.OutDirInUse, match=f"in use by another benchmark runner "
                                                     f"\\(pid {os.getpid()} "):
            with runner.lock_out_dir(path.parent):
                pass
        refused.append(path)
        return write_rows(rows, path, *args)

    monkeypatch.setattr(runner, "_write_rows", write_while_another_runner_starts)
    assert main(["--suite", str(suite), "--datasets", "alpha", "--detectors", "iforest",
                 "--seeds", "0", "--out", str(tmp_path), "--no-progress", "--no-report"]) == 0
    assert refused == [tmp_path / "results.csv"]
    assert not (tmp_path / ".runner.lock").exists()
