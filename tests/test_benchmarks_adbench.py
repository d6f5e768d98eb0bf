"""``python -m benchmarks --suite adbench``: the grid, and a run reported per family."""

import csv

from benchmarks.__main__ import _run_config, build_parser, main
from benchmarks.registry import DEFAULT_DETECTORS
from pyod_sla2p.datasets import SUITES, suite_members


def test_help_lists_every_suite(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for suite in SUITES:
        assert f"\n  {suite} " in text


def test_the_adbench_grid_is_every_file_present_default_detectors_inductive(data_dir, tmp_path):
    argv = ["--suite", "adbench", "--data-dir", str(data_dir), "--out", str(tmp_path)]
    cfg = _run_config(build_parser().parse_args(argv), argv)
    names = [name for name, _ in cfg.datasets]
    assert names == suite_members("adbench", data_dir=data_dir)
    assert {"6_cardio", "CV_by_ViT:MVTec-AD_bottle", "NLP_by_BERT:20news_3"} <= set(names)
    assert [d.label for d in cfg.detectors] == list(DEFAULT_DETECTORS)
    assert (cfg.protocol, cfg.seeds) == ("inductive", [0, 1, 2])
    assert not (tmp_path / "results.csv").exists()


def test_an_adbench_run_is_reported_overall_and_per_family(data_dir, tmp_path):
    datasets = ("14_glass,CV_by_ViT:MVTec-AD_bottle,CV_by_ResNet18:MVTec-AD_bottle,"
                "NLP_by_BERT:20news_3")
    rc = main(["--suite", "adbench", "--data-dir", str(data_dir), "--datasets", datasets,
               "--detectors", "iforest,ecod", "--seeds", "0", "--out", str(tmp_path),
               "--n-jobs", "2", "--no-progress"])
    assert rc == 0
    with open(tmp_path / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted({r["dataset"] for r in rows}) == sorted(datasets.split(","))
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    summary = (tmp_path / "summary.md").read_text()
    for heading in ("## By family", "### tabular (1 dataset)", "### image (2 datasets)",
                    "### text (1 dataset)"):
        assert heading in summary
    image = (tmp_path / "table_roc_auc_image.md").read_text()
    assert "CV_by_ViT:MVTec-AD_bottle" in image and "14_glass" not in image
