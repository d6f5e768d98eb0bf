"""The speed and scaling script (its numbers are benchmarks, not assertions:
these tests check that it measures what it says)."""

import json

import numpy as np
import pytest
import torch

from benchmarks import gpu_check, perf

#: A tiny network, so that a fit takes a fraction of a second.
TINY = {"n_projections": 4, "projection_dim": 4, "hidden_dims": [6, 5]}


def test_measure_size_reports_every_figure():
    row = perf.measure_size(600, 5, "cpu", {"n_projections": 16, "projection_dim": 16})
    assert row["rows"] == 600 and row["features"] == 5
    assert row["fit_seconds"] > 0 and row["score_seconds"] > 0
    assert row["score_rows_per_second"] == pytest.approx(600 / row["score_seconds"])
    assert row["peak_rss_mb"] > 0 and row["training_batches"] >= 2
    # The synthetic outliers are uniform noise: any working detector finds them.
    assert row["roc_auc_new_rows"] > 0.8
    # The achieved rates, from the multiply-adds of the resolved settings.
    assert 0 < row["train_seconds"] < row["fit_seconds"]
    assert row["matmul_peak_gflops"] > 0 and row["matmul_shape"] == [4096, 256, 256]
    # Direction view: 5 inputs; homogeneous: 6. W = 16*32 + 32*64 + 64*16 = 3584.
    assert row["view_inputs"] == [5, 6]
    assert row["score_multiply_adds_per_row"] == (5 + 6) * 16 * 16 + 2 * 16 * 3584
    for name in ("score", "train", "fit"):
        assert row[f"{name}_gflops"] > 0
        assert row[f"{name}_peak_ratio"] == pytest.approx(
            row[f"{name}_gflops"] / row["matmul_peak_gflops"])
    assert row["score_gflops"] == pytest.approx(
        2 * row["score_multiply_adds_per_row"] * 600 / row["score_seconds"] / 1e9)
    json.dumps(row)


def test_multiply_adds_by_hand():
    """A tiny setting counted by hand: d = 3 (and 4 for the homogeneous view),
    M = 2 projections of width r = 4, hidden widths (5, 6)."""
    settings = {"n_projections": 2, "projection_dim": 4, "hidden_dims": (5, 6),
                "epsilon": 0.0, "batch_size": 8, "max_train_samples": 100, "calibrate": True}
    # Linear 4->5, 5->6, 6->2: 20 + 30 + 12 = 62 per pair.
    assert perf.network_multiply_adds(4, (5, 6), 2) == 62
    # Per row and view: projection d*M*r, then M pairs through the network.
    assert perf.score_multiply_adds_per_row(settings, [3]) == 3 * 2 * 4 + 2 * 62 == 148
    assert perf.score_multiply_adds_per_row(settings, [3, 4]) == 148 + 32 + 124 == 304
    # A perturbation runs the network three times per pair (not the projection).
    assert perf.score_multiply_adds_per_row({**settings, "epsilon": 1.0}, [3]) == 24 + 3 * 124
    # Training: each pair projected once (d*r) and forward + backward = 3 forwards.
    assert perf.train_multiply_adds(settings, [3, 4], [80, 40]) == \
        80 * (12 + 186) + 40 * (16 + 186)
    # fit scores every row once, the calibration's training subsample included.
    assert perf.fit_scored_rows(settings, 50) == 50
    assert perf.fit_scored_rows(settings, 500) == 500
    assert perf.fit_scored_rows({**settings, "calibrate": False}, 500) == 500
    # The fused forward: d_v + 1 inputs, and every hidden width one wider.
    assert perf.executed_score_multiply_adds_per_row(settings, [3]) == \
        2 * (4 * 6 + 6 * 7 + 7 * 2)
    assert perf.executed_score_multiply_adds_per_row({**settings, "epsilon": 1.0}, [3]) == \
        perf.score_multiply_adds_per_row({**settings, "epsilon": 1.0}, [3])
    # A wide input is projected first (101 * 5 + 5 * 6 < 101 * 6).
    assert perf.executed_score_multiply_adds_per_row(settings, [100]) == \
        2 * (101 * 5 + 5 * 6 + 6 * 7 + 7 * 2)
    assert perf.gflops(1e9, 2.0) == pytest.approx(1.0)


def test_default_scoring_work_is_the_issues_count():
    """20 features, both views, M = r = 64, hidden (128, 256): 7.5 M MACs per row."""
    from pyod_sla2p.defaults import resolve_settings
    from pyod_sla2p.detector import SLA2P

    settings = resolve_settings(SLA2P().get_params(deep=False), 10_000)
    assert perf.score_multiply_adds_per_row(settings, [20, 21]) == 7_507_968
    assert perf.executed_score_multiply_adds_per_row(settings, [20, 21]) == 6_703_936
    # 768-wide embeddings: projecting first (769 * 65 + 65 * 129 per pair) is
    # cheaper than the fold (769 * 129), and both beat nothing by much.
    assert perf.executed_score_multiply_adds_per_row(settings, [768, 769]) == \
        64 * (769 * 65 + 65 * 129 + 49_601) + 64 * (770 * 65 + 65 * 129 + 49_601)


def test_work_counts_of_a_fitted_model():
    from pyod_sla2p import SLA2P

    X, _ = perf.synthetic(300, 3)
    clf = SLA2P(random_state=0, max_train_samples=200, **TINY).fit(X)
    work = perf.work_counts(clf, 300)
    assert work["view_inputs"] == [3, 4]
    assert work["trained_pairs"] == [v.training_log.n_batches * 128 for v in clf.views_]
    per_pair = 4 * 6 + 6 * 5 + 5 * 4
    assert work["score_multiply_adds_per_row"] == (3 + 4) * 4 * 4 + 2 * 4 * per_pair
    assert work["fit_multiply_adds"] == work["train_multiply_adds"] + \
        300 * work["score_multiply_adds_per_row"]


def test_matmul_peak_is_positive_and_uses_the_shape():
    assert perf.matmul_peak_gflops("cpu", shape=(64, 32, 16), repeats=2, inner=3) > 0


def test_scaling_exponent():
    rows = [{"rows": n, "t": 2e-4 * n} for n in (1e3, 1e4, 1e5)]
    assert perf.scaling_exponent(rows, "t") == pytest.approx(1.0)
    rows = [{"rows": n, "t": 1e-8 * n ** 2} for n in (1e3, 1e4, 1e5)]
    assert perf.scaling_exponent(rows, "t") == pytest.approx(2.0)


def test_synthetic_is_seeded():
    a, ya = perf.synthetic(100, 3, seed=1)
    b, yb = perf.synthetic(100, 3, seed=1)
    assert (a == b).all() and (ya == yb).all() and ya.sum() == 5


def test_scaling_table_has_the_rate_columns(tmp_path):
    row = {"rows": 1000, "features": 20, "device": "cpu", "fit_seconds": 2.0,
           "score_seconds": 1.0, "score_rows_per_second": 1000.0, "peak_rss_mb": 5.0,
           "train_seconds": 1.5, "torch_threads": 2, "matmul_peak_gflops": 250.0,
           "matmul_shape": [4096, 256, 256], "score_multiply_adds_per_row": 7_507_968,
           "score_gflops": 15.0, "score_peak_ratio": 0.06, "train_gflops": 12.5,
           "train_peak_ratio": 0.05, "fit_gflops": 10.0, "fit_peak_ratio": 0.04}
    report = {"command": "python -m benchmarks.perf", "machine": {"python": "3.11",
                                                                "cpu_count": 2},
              "scaling": [row], "fit_exponent": 1.0, "score_exponent": 1.0}
    perf.write_markdown(report, tmp_path / "perf.md")
    text = (tmp_path / "perf.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| rows"))
    for column in ("score rows/s", "score GFLOP/s", "score / peak", "train GFLOP/s",
                   "train / peak", "matmul peak GFLOP/s"):
        assert column in header
    line = next(line for line in text.splitlines() if line.startswith("| 1,000"))
    assert "15.0" in line and "6.0%" in line and "12.5" in line and "250.0" in line
    assert "7,507,968" in text and "(4096 x 256) @ (256 x 256)" in text
    # A report without the rates (the committed one) keeps its old table.
    old = {k: row[k] for k in ("rows", "features", "device", "fit_seconds", "score_seconds",
                               "score_rows_per_second", "peak_rss_mb")}
    perf.write_markdown({**report, "scaling": [old]}, tmp_path / "old.md")
    assert "GFLOP" not in (tmp_path / "old.md").read_text()


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


# ------------------------------------------------------------ the GPU check

def test_gpu_check_exits_2_without_cuda(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main(["--out", str(tmp_path / "gpu")]) == 2
    assert "CUDA is unavailable" in capsys.readouterr().err
    assert not (tmp_path / "gpu").exists()
    # The same run through benchmarks.perf.
    assert perf.main(["--gpu-check", "--out", str(tmp_path / "gpu")]) == 2
    assert "CUDA is unavailable" in capsys.readouterr().err


def test_gpu_check_compare():
    labels = np.array([0, 0, 0, 1, 1])
    same = gpu_check.compare([1.0, 2, 3, 4, 5], [1.0, 2, 3, 4, 5], labels)
    assert same["passed"] and same["spearman"] == 1.0 and same["max_abs_difference"] == 0
    near = gpu_check.compare([1.0, 2, 3, 4, 5], [1.0, 2, 3, 4, 5.001], labels)
    assert near["passed"] and near["max_abs_difference"] == pytest.approx(0.001)
    swapped = gpu_check.compare([1.0, 2, 3, 4, 5], [1.0, 2, 4, 3, 5], labels)
    assert not swapped["passed"]
    assert swapped["roc_auc_difference"] == pytest.approx(1 / 6)


def test_gpu_check_dry_run_on_the_cpu(tmp_path):
    """--device cpu runs the whole harness (CPU against itself) on tiny settings."""
    rc = gpu_check.main(["--device", "cpu", "--sizes", "300,500", "--reference-rows", "400",
                         "--chunk-rows", "32", "--params", json.dumps(TINY),
                         "--out", str(tmp_path)])
    assert rc == 0
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["passed"] and [r["rows"] for r in report["sizes"]] == [300, 500]
    small, large = report["sizes"]
    assert large["reference"]["rows"] == 400 and small["reference"]["rows"] == 300
    assert large["reference"]["spearman"] == 1.0
    assert large["reference"]["max_abs_difference"] == 0.0
    assert "reference_fit" in small and "reference_fit" not in large
    assert large["chunks"][0]["rows_per_chunk"] == 32
    assert large["chunks"][0]["max_abs_difference"] == 0.0
    assert large["score_gflops"] > 0 and large["score_peak_ratio"] > 0
    text = (tmp_path / "gpu_check.md").read_text()
    assert "dry run, not a GPU result" in text and "**passed**" in text


# ------------------------------------------------------------ the profile's what-ifs

def test_profile_kernels_reproduce_the_library_scores():
    """The folded and batched-views scorers compute the library's raw scores."""
    from pyod_sla2p import SLA2P

    X, _ = perf.synthetic(200, 3)
    clf = SLA2P(random_state=0, **TINY).fit(X)
    library = [v.score(X, 7, "cpu") for v in clf.views_]
    folded = [perf.folded_view_scores(v, v.preprocessor.transform(X), 7) for v in clf.views_]
    fused = perf.fused_views_scores(clf.views_, X, 7)
    for ref, a, b in zip(library, folded, fused):
        np.testing.assert_allclose(a, ref, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(b, ref, rtol=1e-4, atol=1e-5)
    ops = perf.chunk_op_breakdown(clf.views_[0], clf.views_[0].preprocessor.transform(X), 5,
                                  repeats=1, inner=1)
    assert ops[-1][0].startswith("whole chunk") and all(secs > 0 for _, secs, _ in ops)
    assert sum(name.startswith("Linear") for name, _, _ in ops) == 3
