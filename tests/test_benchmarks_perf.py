"""The speed and scaling script (its numbers are benchmarks, not assertions:
these tests check that it measures what it says)."""

import json

import pytest

from benchmarks import perf


def test_measure_size_reports_every_figure():
    row = perf.measure_size(600, 5, "cpu", {"n_projections": 16, "projection_dim": 16})
    assert row["rows"] == 600 and row["features"] == 5
    assert row["fit_seconds"] > 0 and row["score_seconds"] > 0
    assert row["score_rows_per_second"] == pytest.approx(600 / row["score_seconds"])
    assert row["peak_rss_mb"] > 0 and row["training_batches"] >= 2
    # The synthetic outliers are uniform noise: any working detector finds them.
    assert row["roc_auc_new_rows"] > 0.8
    json.dumps(row)


def test_scaling_exponent():
    rows = [{"rows": n, "t": 2e-4 * n} for n in (1e3, 1e4, 1e5)]
    assert perf.scaling_exponent(rows, "t") == pytest.approx(1.0)
    rows = [{"rows": n, "t": 1e-8 * n ** 2} for n in (1e3, 1e4, 1e5)]
    assert perf.scaling_exponent(rows, "t") == pytest.approx(2.0)


def test_synthetic_is_seeded():
    a, ya = perf.synthetic(100, 3, seed=1)
    b, yb = perf.synthetic(100, 3, seed=1)
    assert (a == b).all() and (ya == yb).all() and ya.sum() == 5


def test_large_section_shows_failed_cells_as_dashes(tmp_path):
    report = {
        "command": "python -m benchmarks.perf", "machine": {"python": "3.11", "cpu_count": 2},
        "scaling": [{"rows": 10, "features": 2, "device": "cpu", "fit_seconds": 1.0,
                     "score_seconds": 1.0, "score_rows_per_second": 10.0, "peak_rss_mb": 5.0}],
        "fit_exponent": 1.0, "score_exponent": 1.0,
        "large": {"command": "python -m benchmarks.perf large", "seed": 0, "cells": [
            {"dataset": "11_donors", "detector": "sla2p", "status": "ok", "n_train": 371595,
             "n_test": 247731, "fit_seconds": 120.5, "score_seconds": 80.25,
             "peak_memory_mb": 1500.0, "roc_auc": 0.91234},
            {"dataset": "11_donors", "detector": "autoencoder", "status": "timeout",
             "n_train": 371595, "n_test": 247731, "fit_seconds": None,
             "score_seconds": float("nan"), "peak_memory_mb": None, "roc_auc": None}]},
    }
    perf.write_markdown(report, tmp_path / "perf.md")
    text = (tmp_path / "perf.md").read_text()
    assert "`python -m benchmarks.perf large`" in text
    sla2p_line = next(line for line in text.splitlines() if "sla2p" in line and "donors" in line)
    assert "371,595" in sla2p_line and "120.5" in sla2p_line and "1,500" in sla2p_line
    timeout_line = next(line for line in text.splitlines() if "timeout" in line)
    assert timeout_line.count(" - ") >= 4  # fit, score, memory and ROC-AUC missing
