"""The development suite of issue 15 (``--suite dev``), its duplicate rule,
``--max-rows``, and the per-family tables it feeds (report, ablation).

Only small files are loaded: the rule is tested on pairs, not on the whole
suite (``python -m benchmarks.devsuite --check`` recomputes all of it).
"""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.io
from test_benchmarks_report import hand_results

from benchmarks import devsuite
from benchmarks.__main__ import _run_config, build_parser, main
from benchmarks.ablation import main as ablation_main
from benchmarks.devsuite import (
    DEV_DUPLICATES,
    DevMember,
    dev_members,
    find_duplicates,
    same_data,
)
from benchmarks.protocols import cap_rows
from benchmarks.report import dataset_family, write_report
from benchmarks.resultsfile import read_rows, write_rows
from pyod_sla2p.datasets import Dataset, DatasetNotFoundError, load_dataset


def _load(name, data_dir):
    return load_dataset(name, data_dir=data_dir)


# ------------------------------------------------------------------ members

def test_the_suite_counts_each_set_once_by_family(data_dir):
    members = dev_members(str(data_dir))
    names = [m.name for m in members]
    assert len(names) == len(set(names)) == 59
    by_family = {f: [m.name for m in members if m.family == f] for f in ("tabular", "image", "text")}
    assert {f: len(v) for f, v in by_family.items()} == {"tabular": 36, "image": 22, "text": 1}
    # ODDS sets stay; ADBench's versions of them and the embeddings/ copies go.
    assert {"cardio", "glass", "ionosphere", "lympho", "wine", "19_landsat", "11_donors"} <= set(names)
    assert not {d.dropped for d in DEV_DUPLICATES} & set(names)
    assert {d.kept for d in DEV_DUPLICATES} <= set(names)
    # Tabular first, then image, then text: the report's order.
    assert [m.family for m in members] == sorted((m.family for m in members),
                                                 key=("tabular", "image", "text").index)
    # The tags agree with the rule the report applies to names.
    assert all(dataset_family(m.name) == m.family for m in members)


def test_missing_files_are_named_with_the_command_that_fetches_them(data_dir, tmp_path):
    # A copy of the data directory without one ODDS and one ADBench file.
    (tmp_path / "odds").mkdir()
    for path in (data_dir / "odds").glob("*.mat"):
        if path.name != "glass.mat":
            (tmp_path / "odds" / path.name).symlink_to(path)
    for folder in devsuite.DEV_ADBENCH:
        (tmp_path / "adbench" / folder).mkdir(parents=True)
        for path in (data_dir / "adbench" / folder).glob("*.npz"):
            if path.name != "MVTec-AD_wood.npz" or folder != "CV_by_ViT":
                (tmp_path / "adbench" / folder / path.name).symlink_to(path)
    with pytest.raises(DatasetNotFoundError) as err:
        dev_members(str(tmp_path))
    message = str(err.value)
    assert "\n" not in message
    assert "2 file(s) missing" in message
    assert "odds/glass.mat, adbench/CV_by_ViT/MVTec-AD_wood.npz" in message
    assert "python -m pyod_sla2p.datasets download glass --data-dir" in message
    assert "--suite adbench CV_by_ViT:MVTec-AD_wood --data-dir" in message
    # A missing duplicate is not needed: the suite does not load it.
    (tmp_path / "odds" / "glass.mat").symlink_to(data_dir / "odds" / "glass.mat")
    (tmp_path / "adbench" / "CV_by_ViT" / "MVTec-AD_wood.npz").symlink_to(
        data_dir / "adbench" / "CV_by_ViT" / "MVTec-AD_wood.npz")
    (tmp_path / "adbench" / "Classical" / "6_cardio.npz").unlink()
    assert len(dev_members(str(tmp_path))) == 59


def test_an_empty_data_dir_is_one_line_exit_2(tmp_path, capsys):
    rc = main(["--suite", "dev", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    # 17 ODDS files and 35 ADBench files (59 sets less the 7 builtin ones).
    assert "suite 'dev' needs 52 file(s) missing" in err and "and 44 more" in err


# ------------------------------------------------------------------ the rule, on real pairs

@pytest.mark.parametrize("a, b, same, how", [
    ("6_cardio", "cardio", True, "identical rows"),
    ("resnet18_MVTec-AD_grid", "CV_by_ResNet18:MVTec-AD_grid", True, "identical rows"),
    # One column fewer (ODDS's binary column), each column rescaled to [0, 1].
    ("18_Ionosphere", "ionosphere", True, "rescaled: 32 shared columns of 32/33"),
    # Two columns fewer, noise added, rows shuffled: only the row pairing can tell.
    ("14_glass", "glass", True, "perturbed: 4 shared columns of 7/9"),
    # The rows of satellite, other labels: another task.
    ("19_landsat", "satellite", False, "labels differ: 1333 and 2036 outliers"),
    # The same images, other features.
    ("CV_by_ResNet18:MVTec-AD_toothbrush", "CV_by_ViT:MVTec-AD_toothbrush", False,
     "columns differ: 9 shared columns of 512/1000"),
    ("29_Pima", "vertebral", False, "rows differ: 768 and 240"),
])
def test_the_rule_on_pairs_of_the_shared_data(data_dir, a, b, same, how):
    assert same_data(_load(a, data_dir), _load(b, data_dir)) == (same, how)


# ------------------------------------------------------------------ the rule, by construction

@pytest.fixture(scope="module")
def wine():
    return load_dataset("wine")


def _shuffled(ds, rng):
    order = rng.permutation(len(ds.y))
    return ds.X[order], ds.y[order]


def test_a_shuffled_rescaled_reflected_copy_is_the_same_data(wine):
    X, y = _shuffled(wine, np.random.default_rng(0))
    X = X * 3.0 + 7.0
    X[:, 2] = -X[:, 2]
    assert same_data(wine, Dataset(X=X, y=y, name="copy", source="test")) == (
        True, "rescaled: 13 shared columns of 13/13")


def test_a_perturbed_copy_is_the_same_data_only_if_its_rows_pair_up_by_label(wine):
    rng = np.random.default_rng(1)
    X, y = _shuffled(wine, rng)
    X = X[:, :11] + rng.normal(scale=1e-3 * X[:, :11].std(axis=0), size=(len(y), 11))
    assert same_data(Dataset(X=X, y=y, name="noisy", source="test"), wine) == (
        True, "perturbed: 11 shared columns of 11/13")
    # The same rows with the labels moved to other rows (same count): not the same task.
    moved = Dataset(X=X, y=rng.permutation(y), name="relabelled", source="test")
    match = same_data(moved, wine)
    assert not match.same and match.how.startswith("rows differ on the 11 shared columns")


def test_unrelated_sets_of_the_same_size_differ(wine):
    rng = np.random.default_rng(2)
    other = Dataset(X=rng.normal(size=wine.X.shape), y=wine.y.copy(), name="noise", source="test")
    assert same_data(other, wine).how.startswith("columns differ")


def test_find_duplicates_keeps_the_first_and_reads_embeddings(tmp_path, wine, monkeypatch):
    # ODDS "a" and ADBench "b" hold the same rows; "c" has the counts but other data;
    # embeddings/e.npz is a copy of "b".
    rng = np.random.default_rng(3)
    (tmp_path / "odds").mkdir()
    (tmp_path / "adbench" / "Classical").mkdir(parents=True)
    (tmp_path / "embeddings").mkdir()
    scipy.io.savemat(tmp_path / "odds" / "a.mat", {"X": wine.X, "y": wine.y[:, None]})
    X, y = _shuffled(wine, rng)
    np.savez(tmp_path / "adbench" / "Classical" / "b.npz", X=X * 2.0, y=y)
    np.savez(tmp_path / "adbench" / "Classical" / "c.npz", X=rng.normal(size=X.shape), y=y)
    np.savez(tmp_path / "embeddings" / "e.npz", X=X * 2.0, y=y)
    monkeypatch.setattr(devsuite, "_all_candidates", lambda: [
        DevMember("a", "tabular", "odds", "odds/a.mat"),
        DevMember("b", "tabular", "adbench", "adbench/Classical/b.npz"),
        DevMember("c", "tabular", "adbench", "adbench/Classical/c.npz"),
        DevMember("wine", "tabular", "builtin", None)])
    found = find_duplicates(str(tmp_path))
    assert [(d.dropped, d.kept) for d in found] == [("b", "a"), ("wine", "a"), ("e", "a")]
    assert found[0].how == "rescaled: 13 shared columns of 13/13"
    assert found[1].how == "identical rows"


# ------------------------------------------------------------------ the runner

def test_the_runner_resolves_dev_with_families(data_dir, tmp_path):
    argv = ["--suite", "dev", "--data-dir", str(data_dir), "--out", str(tmp_path),
            "--datasets", "wine,CV_by_ViT:MVTec-AD_pill,NLP_by_BERT:20news_3"]
    cfg = _run_config(build_parser().parse_args(argv), argv)
    assert cfg.datasets == [("wine", "wine"), ("CV_by_ViT:MVTec-AD_pill", "CV_by_ViT:MVTec-AD_pill"),
                            ("NLP_by_BERT:20news_3", "NLP_by_BERT:20news_3")]
    assert cfg.families["CV_by_ViT:MVTec-AD_pill"] == "image"
    assert cfg.families["NLP_by_BERT:20news_3"] == "text"
    assert cfg.max_rows is None
    argv = ["--suite", "dev", "--data-dir", str(data_dir), "--datasets", "6_cardio"]
    with pytest.raises(ValueError, match="dataset\\(s\\) 6_cardio not in suite 'dev'"):
        _run_config(build_parser().parse_args(argv), argv)


def test_a_dev_run_records_families_and_is_reported_per_family(data_dir, tmp_path):
    datasets = "vertebral,CV_by_ResNet18:MVTec-AD_toothbrush,NLP_by_BERT:20news_3"
    rc = main(["--suite", "dev", "--data-dir", str(data_dir), "--datasets", datasets,
               "--detectors", "iforest,ecod", "--seeds", "0", "--out", str(tmp_path),
               "--n-jobs", "1", "--no-progress"])
    assert rc == 0
    rows = read_rows(tmp_path / "results.csv")
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    config = json.loads((tmp_path / "run_config.json").read_text())
    assert [d["family"] for d in config["datasets"]] == ["tabular", "image", "text"]
    summary = (tmp_path / "summary.md").read_text()
    assert "as the suite tagged them in `run_config.json`" in summary
    assert "### image (1 dataset)" in summary
    assert "toothbrush" in (tmp_path / "table_roc_auc_image.md").read_text()


class _LocalClient:
    """``client.run`` here, as a Dask worker would run it (the preflight's call)."""

    def run(self, function, *args, on_error="raise", **kwargs):
        try:
            return {"tcp://worker": function(*args, **kwargs)}
        except Exception as exc:  # noqa: BLE001 -- what on_error="return" gives
            return {"tcp://worker": exc}


def test_the_dask_preflight_lists_dev_on_the_workers(data_dir, tmp_path):
    from benchmarks import cluster

    sources = devsuite.dev_sources(str(data_dir))
    cluster._check_data(_LocalClient(), "dev", str(data_dir), sources)  # passes
    with pytest.raises(cluster.ClusterError, match="suite 'dev'.*needs 52 file"):
        cluster._check_data(_LocalClient(), "dev", str(tmp_path), sources)


# ------------------------------------------------------------------ families recorded, not named

def _tagged_run(tmp_path, families):
    write_rows(tmp_path / "results.csv", hand_results())
    config = {"datasets": [{"name": n, "source": n, "family": f} for n, f in families.items()],
              "detectors": [{"label": "A", "name": "sla2p", "kwargs": {}, "overrides": {}},
                            {"label": "B", "name": "sla2p", "kwargs": {},
                             "overrides": {"epsilon": 0.5}}]}
    (tmp_path / "run_config.json").write_text(json.dumps(config))


def test_the_report_groups_by_the_recorded_family(tmp_path):
    # By name all three would be tabular (no ADBench folder in them).
    _tagged_run(tmp_path, {"d1": "tabular", "d2": "tabular", "d3": "image"})
    written = {p.name for p in write_report(tmp_path)}
    assert {"table_roc_auc_tabular.md", "table_roc_auc_image.md"} <= written
    image = (tmp_path / "table_roc_auc_image.md").read_text()
    assert "d3" in image and "d1" not in image


def test_the_ablation_has_a_table_per_family(tmp_path, capsys):
    _tagged_run(tmp_path, {"d1": "tabular", "d2": "tabular", "d3": "image"})
    assert ablation_main([str(tmp_path), "--baseline", "A", "--oracle", "A,B"]) == 0
    text = (tmp_path / "ablation.md").read_text()
    assert text.index("# Ablation against `A`") < text.index("## tabular (2 datasets)") \
        < text.index("## image (1 dataset)")
    tabular = pd.read_csv(tmp_path / "ablation_tabular.csv", index_col=0)
    image = pd.read_csv(tmp_path / "ablation_image.csv", index_col=0)
    # Per-dataset means (test_benchmarks_report.HAND): A 0.85, 0.6, 0.9; B 0.7, 0.8, 0.9.
    assert tabular.loc["B", "d_roc_auc"] == pytest.approx(((0.7 + 0.8) - (0.85 + 0.6)) / 2)
    assert image.loc["B", "d_roc_auc"] == pytest.approx(0.0)
    # The oracle is taken within each family too: tabular max(0.85, 0.7), max(0.6, 0.8).
    assert "ROC-AUC 0.825" in text.split("## tabular")[1].split("## image")[0]


def test_one_family_keeps_the_single_table(tmp_path):
    _tagged_run(tmp_path, {"d1": "image", "d2": "image", "d3": "image"})
    assert ablation_main([str(tmp_path), "--baseline", "A"]) == 0
    assert "## image" not in (tmp_path / "ablation.md").read_text()
    assert not (tmp_path / "ablation_image.csv").exists()


# ------------------------------------------------------------------ --max-rows

def test_cap_rows_is_a_fixed_stratified_subsample():
    rng = np.random.default_rng(0)
    X = np.arange(2000.0)[:, None]
    y = (rng.random(2000) < 0.05).astype(int)
    Xc, yc = cap_rows(X, y, 500)
    assert len(yc) == 500 and abs(yc.mean() - y.mean()) < 1 / 500
    assert np.all(np.diff(Xc[:, 0]) > 0)  # the original order
    Xd, _ = cap_rows(X, y, 500)
    assert np.array_equal(Xc, Xd)  # the same rows every time
    assert cap_rows(X, y, None)[0] is X and cap_rows(X, y, 2000)[0] is X


def test_max_rows_caps_every_cell_and_is_recorded(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--suite", "builtin", "--datasets", "wine,breast_cancer", "--detectors", "iforest,ecod",
            "--seeds", "0,1", "--out", str(out), "--n-jobs", "1", "--no-progress"]
    assert main(argv + ["--max-rows", "100"]) == 0
    rows = read_rows(out / "results.csv")
    assert {int(r["n_train"]) + int(r["n_test"]) for r in rows} == {100}
    assert json.loads((out / "run_config.json").read_text())["max_rows"] == 100
    summary = (out / "summary.md").read_text()
    assert "Rows capped at 100 per dataset" in summary
    assert "Datasets at the cap: breast_cancer, wine." in summary
    # The test rows are drawn within the same 100 rows whatever the detector.
    by_cell = {(r["dataset"], r["seed"]): set() for r in rows}
    for r in rows:
        by_cell[(r["dataset"], r["seed"])].add(r["n_outliers_test"])
    assert all(len(v) == 1 for v in by_cell.values())
    capsys.readouterr()
    # Resuming with another cap would mix two sets of rows: refused, nothing changes.
    before = (out / "results.csv").read_text()
    assert main(argv + ["--max-rows", "120", "--resume"]) == 2
    assert "made with --max-rows 100, but this run uses --max-rows 120" in capsys.readouterr().err
    assert main(argv + ["--resume"]) == 2
    assert (out / "results.csv").read_text() == before
    assert main(argv + ["--max-rows", "0"]) == 2
    assert "must be >= 1" in capsys.readouterr().err


def test_no_cap_by_default(tmp_path):
    out = tmp_path / "run"
    assert main(["--suite", "builtin", "--datasets", "wine", "--detectors", "iforest",
                 "--seeds", "0", "--out", str(out), "--n-jobs", "1", "--no-progress"]) == 0
    row = read_rows(out / "results.csv")[0]
    assert int(row["n_train"]) + int(row["n_test"]) == 129
    assert json.loads((out / "run_config.json").read_text())["max_rows"] is None
    assert "Rows capped" not in (out / "summary.md").read_text()
