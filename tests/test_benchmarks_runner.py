"""The benchmark command end to end: results, resume, failures, timeout, Dask.

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


@pytest.mark.parametrize("argv, message", [
    (["--detectors", "isoforest"], "unknown detector 'isoforest'. Did you mean 'iforest'"),
    (["--detectors", "lof:n_neighbours=3"], "unknown parameter 'n_neighbours'"),
    (["--set", "sla2p:bogus=1"], "unknown parameter 'bogus'"),
    (["--protocol", "semi"], "invalid choice: 'semi'"),
    (["--seeds", "0,x"], "bad seeds '0,x'"),
    (["--seeds", "1,1"], "a seed is repeated"),
    (["--timeout", "0"], "must be a positive number of seconds"),
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


def test_dask_cluster_gives_the_local_metrics(base_run, suite, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        rc = main(["--suite", str(suite), "--detectors", f"iforest,{SMALL_SLA2P}", "--seeds",
                   "0", "--out", str(tmp_path), "--scheduler", cluster.scheduler_address,
                   "--threads-per-cell", "1", "--no-progress", "--no-report"])
    assert rc == 0
    remote = read(tmp_path / "results.csv")
    local = {key(r): r for r in read(base_run / "results.csv")}
    assert len(remote) == 4
    for row in remote:
        assert row["status"] == "ok", row["error"]
        for m in METRICS:
            assert float(row[m]) == pytest.approx(float(local[key(row)][m]), rel=1e-12)


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
