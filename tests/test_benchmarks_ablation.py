"""Ablation table: differences from the baseline on shared cells, by hand."""

import json

import pytest

from benchmarks.ablation import ablation_table, describe_changes, main, oracle
from benchmarks.resultsfile import read_frame, write_rows

from test_benchmarks_report import _cells, hand_results


@pytest.fixture
def run_dir(tmp_path):
    write_rows(tmp_path / "results.csv", hand_results())
    (tmp_path / "run_config.json").write_text(json.dumps({"detectors": [
        {"label": "A", "name": "sla2p", "kwargs": {}, "overrides": {}},
        {"label": "B", "name": "sla2p", "kwargs": {}, "overrides": {"epsilon": 0.5}},
        {"label": "C", "name": "lof", "kwargs": {"verbose": 0},
         "overrides": {"n_neighbors": 5}},
    ]}))
    return tmp_path


def test_differences_on_shared_cells(run_dir):
    table = ablation_table(read_frame(run_dir / "results.csv"), "A")
    assert list(table.index) == ["A", "B", "C"]  # baseline first, then by ΔROC-AUC
    a = {"d1": 0.85, "d2": 0.6, "d3": 0.9}
    b = {"d1": 0.7, "d2": 0.8, "d3": 0.9}
    assert table.loc["B", "roc_auc"] == pytest.approx(sum(b.values()) / 3)
    assert table.loc["B", "d_roc_auc"] == pytest.approx((sum(b.values()) - sum(a.values())) / 3)
    assert table.loc["B", "d_average_precision"] == pytest.approx(
        (sum(b.values()) - sum(a.values())) / 6)
    assert (table.loc["B", "better"], table.loc["B", "worse"]) == (1, 1)
    # C succeeded on d2 seed 0 and d3: compared with A on those cells only.
    assert table.loc["C", "cells"] == 3
    assert table.loc["C", "d_roc_auc"] == pytest.approx(((0.5 - 0.6) + (0.8 - 0.9)) / 2)
    assert table.loc["C", "cost"] == pytest.approx((1.5 + 1.5 + 2.5) / (1.5 + 1.5 + 2.5))
    assert table.loc["A", "cost"] == 1.0


def test_cli_writes_files_and_names_changes(run_dir, capsys):
    assert main([str(run_dir), "--baseline", "A"]) == 0
    text = (run_dir / "ablation.md").read_text()
    assert ["`B`", "epsilon=0.5"] in [row[:2] for row in _cells(text)]
    assert "n_neighbors=5" in text and "verbose" not in text
    assert (run_dir / "ablation.csv").is_file()
    assert describe_changes(None) == {}


def test_cli_errors(run_dir, tmp_path, capsys):
    assert main([str(run_dir), "--baseline", "Z"]) == 2
    assert "baseline 'Z' is not a detector" in capsys.readouterr().err
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "results.csv not found" in capsys.readouterr().err


def test_oracle_picks_the_best_row_per_dataset(run_dir, capsys):
    df = read_frame(run_dir / "results.csv")
    # d1: A 0.85 > B 0.7; d2: B 0.8 > A 0.6; d3: tie 0.9.
    assert oracle(df, ["A", "B"]) == pytest.approx((0.85 + 0.8 + 0.9) / 3)
    # C never succeeded on d1: that dataset drops out.
    assert oracle(df, ["A", "C"]) == pytest.approx((0.6 + 0.9) / 2)
    assert main([str(run_dir), "--baseline", "A", "--oracle", "A,B"]) == 0
    assert "`A`, `B`: ROC-AUC 0.850" in (run_dir / "ablation.md").read_text()
    assert main([str(run_dir), "--baseline", "A", "--oracle", "A,Q"]) == 2
    assert "['Q']" in capsys.readouterr().err
