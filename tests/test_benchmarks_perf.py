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
