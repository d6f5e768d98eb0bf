"""Views against training-row statistics: the threshold search and the CLI, by hand."""

import json

import numpy as np
import pytest

from benchmarks.resultsfile import write_rows
from benchmarks.viewstats import best_threshold_rule, leave_one_out, main, rule_table, view_frame

from test_benchmarks_report import hand_results


def test_best_rule_splits_where_the_winner_changes():
    # Label 0 wins below 3.5, label 1 at or above; label 2 is in between everywhere.
    values = np.array([1.0, 2.0, 5.0, 6.0])
    auc = np.array([[0.9, 0.5, 0.7], [0.8, 0.6, 0.7], [0.5, 0.9, 0.7], [0.6, 0.8, 0.7]])
    threshold, low, high, mean = best_threshold_rule(values, auc)
    assert (threshold, low, high) == (3.5, 0, 1)
    assert mean == pytest.approx((0.9 + 0.8 + 0.9 + 0.8) / 4)
    # Leave-one-out: each held-out dataset still falls on its side of a refitted threshold.
    assert leave_one_out(values, auc) == pytest.approx(mean)


def test_leave_one_out_pays_for_a_lucky_threshold():
    # One dataset alone prefers label 1: in sample a threshold isolates it;
    # without it, no rule sees that label win, so the held-out pick is wrong.
    values = np.array([1.0, 2.0, 3.0, 10.0])
    auc = np.array([[0.9, 0.5], [0.9, 0.5], [0.9, 0.5], [0.5, 0.9]])
    assert best_threshold_rule(values, auc)[3] == pytest.approx(0.9)
    assert leave_one_out(values, auc) < 0.9


def test_undefined_statistic_falls_back_to_the_last_label():
    values = np.array([np.nan, 1.0, 2.0])
    auc = np.array([[0.1, 0.2, 0.95], [0.9, 0.1, 0.5], [0.1, 0.9, 0.5]])
    mean = best_threshold_rule(values, auc)[3]
    assert mean == pytest.approx((0.95 + 0.9 + 0.9) / 3)
    assert best_threshold_rule(np.array([1.0, 1.0]), auc[:2]) is None  # one value: no threshold


def _results(tmp_path, datasets):
    rows = []
    for seed in (0, 1):
        for ds, aucs in datasets.items():
            for label, auc in aucs.items():
                row = dict(hand_results()[0], dataset=ds, detector=label, seed=seed,
                           roc_auc=auc, average_precision=auc / 2, precision_at_n=auc / 4)
                rows.append(row)
    write_rows(tmp_path / "results.csv", rows)


def test_view_frame_keeps_cells_where_every_label_ran(tmp_path):
    _results(tmp_path, {"a": {"direction": 0.9, "homogeneous": 0.7, "sla2p": 0.8},
                        "b": {"direction": 0.6, "sla2p": 0.7}})
    from benchmarks.resultsfile import read_frame
    frame = view_frame(read_frame(tmp_path / "results.csv"),
                       ["direction", "homogeneous", "sla2p"])
    assert list(frame.index) == ["a"]
    assert frame.loc["a", "homogeneous"] == pytest.approx(0.7)
    with pytest.raises(ValueError, match="no ok rows for nope"):
        view_frame(read_frame(tmp_path / "results.csv"), ["direction", "nope"])


def test_cli_on_builtin_data(tmp_path, capsys):
    # Real statistics of three built-in sets; hand-made ROC-AUCs in which the
    # homogeneous view wins only on synthetic_global.
    aucs = {"synthetic_local": {"direction": 0.9, "homogeneous": 0.6, "sla2p": 0.8},
            "synthetic_global": {"direction": 0.6, "homogeneous": 0.9, "sla2p": 0.8},
            "wine": {"direction": 0.8, "homogeneous": 0.7, "sla2p": 0.75}}
    _results(tmp_path, aucs)
    # A resumed call with --datasets records only its own datasets: wine is
    # looked up in the recorded suite.
    (tmp_path / "run_config.json").write_text(json.dumps({
        "suite": "builtin", "data_dir": None, "protocol": "inductive", "seeds": [0, 1],
        "datasets": [{"name": n, "source": n} for n in aucs if n != "wine"]}))
    assert main([str(tmp_path)]) == 0
    text = (tmp_path / "viewstats.md").read_text()
    assert "oracle" in text and "always sla2p" in text and "leave_one_out" in text
    table = (tmp_path / "viewstats.csv").read_text().splitlines()
    assert table[0].startswith("dataset,family,n_rows") and len(table) == 4
    out = capsys.readouterr().out
    assert "tail_share_quantile" in out


def test_rule_table_reports_fixed_settings_and_oracle():
    import pandas as pd
    aucs = pd.DataFrame({"direction": [0.9, 0.6], "homogeneous": [0.6, 0.9],
                         "sla2p": [0.8, 0.8]}, index=["x", "y"])
    stats = pd.DataFrame({"n_rows": [100, 100], "tail_share_quantile": [0.001, 0.05]},
                         index=["x", "y"])
    for name in ("rows_per_feature", "tail_share_median", "kurtosis_median", "kurtosis_quantile",
                 "first_component_share", "leading_variance_share", "n_features"):
        stats[name] = np.nan
    table = rule_table(stats, aucs).set_index("rule")
    assert table.loc["always sla2p", "in_sample"] == pytest.approx(0.8)
    assert table.loc["oracle (best label per dataset)", "in_sample"] == pytest.approx(0.9)
    # The module's rule: 0.001 is light-tailed (direction), 0.05 heavy (homogeneous).
    assert table.loc["benchmarks.levers.viewrule as it stands", "in_sample"] == pytest.approx(0.9)


def test_cli_errors(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "needs results.csv" in capsys.readouterr().err
    _results(tmp_path, {"a": {"direction": 0.9, "sla2p": 0.8}})
    (tmp_path / "run_config.json").write_text(json.dumps({
        "seeds": [0], "datasets": [{"name": "b", "source": "b"}]}))
    assert main([str(tmp_path)]) == 2
    assert "no ok rows for homogeneous" in capsys.readouterr().err
    _results(tmp_path, {"a": {"direction": 0.9, "homogeneous": 0.7, "sla2p": 0.8}})
    assert main([str(tmp_path)]) == 2  # "a" is neither recorded nor in a suite
    assert "dataset(s) a are not in the run's recorded datasets" in capsys.readouterr().err
