"""Benchmark report: mean ± std, ranks, wins, Friedman/Nemenyi, files."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats


from benchmarks.report import (
    aggregate,
    average_ranks,
    bottom_block,
    critical_difference,
    friedman_nemenyi,
    markdown_table,
    plot_boxplot,
    win_counts,
    write_report,
)
from benchmarks.resultsfile import COLUMNS, write_rows, read_frame

# dataset -> detector -> per-seed ROC-AUC (None = failed cell)
HAND = {
    "d1": {"A": [0.8, 0.9], "B": [0.7, 0.7], "C": [None, None]},
    "d2": {"A": [0.6, 0.6], "B": [0.9, 0.7], "C": [0.5, None]},
    "d3": {"A": [0.9, 0.9], "B": [0.9, 0.9], "C": [0.8, 0.8]},
}


def hand_results():
    rows = []
    for ds, dets in HAND.items():
        for det, values in dets.items():
            for seed, v in enumerate(values):
                ok = v is not None
                rows.append({
                    "dataset": ds, "detector": det, "protocol": "inductive", "seed": seed,
                    "roc_auc": v, "average_precision": None if v is None else v / 2,
                    "precision_at_n": None if v is None else v / 4,
                    "fit_seconds": 1.0 + seed if ok else None, "score_seconds": 0.5 if ok else None,
                    "peak_memory_mb": 100.0, "error": "" if ok else "fit failed: boom",
                    "status": "ok" if ok else "error", "n_train": 60, "n_test": 40,
                    "n_features": 3, "n_outliers_test": 4, "params": "{}", "wall_seconds": 2.0,
                    "host": "h", "finished_at": "2026-01-01T00:00:00.000000+00:00",
                })
    return rows


@pytest.fixture
def df(tmp_path):
    write_rows(tmp_path / "results.csv", hand_results())
    return read_frame(tmp_path / "results.csv")


def test_mean_std_and_counts(df):
    mean, std, n_ok, n_run = aggregate(df, "roc_auc")
    assert list(mean.index) == ["d1", "d2", "d3"] and list(mean.columns) == ["A", "B", "C"]
    assert mean.at["d1", "A"] == pytest.approx(0.85)
    assert std.at["d1", "A"] == pytest.approx(np.std([0.8, 0.9], ddof=1))
    assert mean.at["d2", "B"] == pytest.approx(0.8) and std.at["d2", "B"] == pytest.approx(
        math.sqrt(0.02))
    assert math.isnan(mean.at["d1", "C"])  # every seed failed
    assert mean.at["d2", "C"] == 0.5 and math.isnan(std.at["d2", "C"])  # one seed left
    assert (n_ok.at["d2", "C"], n_run.at["d2", "C"]) == (1, 2)
    time_mean = aggregate(df, "time")[0]
    assert time_mean.at["d1", "A"] == pytest.approx(2.0)  # (1.5 + 2.5) / 2


def test_ranks_wins_and_bottom_block(df):
    mean = aggregate(df, "roc_auc")[0]
    # d1: A 1, B 2, C failed -> last (3); d2: B 1, A 2, C 3; d3: A and B tie (1.5), C 3.
    assert average_ranks(mean).to_dict() == pytest.approx({"A": 1.5, "B": 1.5, "C": 3.0})
    assert win_counts(mean).to_dict() == {"A": 2, "B": 2, "C": 0}  # ties both win on d3
    block = bottom_block(mean)
    assert block.at["mean", "A"] == pytest.approx((0.85 + 0.6 + 0.9) / 3)
    assert block.at["mean", "C"] == pytest.approx((0.5 + 0.8) / 2)  # over its 2 datasets
    assert block.at["datasets", "C"] == 2
    # Lower is better for time: C (one fast seed on d2) wins there.
    t = aggregate(df, "time")[0]
    assert win_counts(t, higher_is_better=False)["C"] >= 1


def test_failures_rank_last_even_when_tied():
    mean = pd.DataFrame({"A": [0.9, np.nan], "B": [np.nan, 0.1], "C": [np.nan, np.nan]},
                        index=["x", "y"])
    assert average_ranks(mean).to_dict() == pytest.approx({"A": 1.75, "B": 1.75, "C": 2.5})
    empty = pd.DataFrame({"A": [np.nan], "B": [np.nan]}, index=["z"])
    assert average_ranks(empty).isna().all()  # a dataset nobody solved carries no rank


def _cells(markdown):
    """The cells of a Markdown pipe table, row by row, without the alignment row."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[:1] + lines[2:]]


def test_markdown_marks_best_failures_and_partial(df):
    mean, std, n_ok, n_run = aggregate(df, "roc_auc")
    md = markdown_table(mean, std, n_ok, n_run, True, 3)
    assert md.splitlines()[1].replace("-", "").replace(" ", "") == "|:|:|:|:|"
    assert _cells(md) == [
        ["dataset", "A", "B", "C"],
        ["d1", "**0.850 ± 0.071**", "0.700 ± 0.000", "err"],
        ["d2", "0.600 ± 0.000", "**0.800 ± 0.141**", "0.500 †"],
        ["d3", "**0.900 ± 0.000**", "**0.900 ± 0.000**", "0.800 ± 0.000"],
        ["**mean**", "0.783", "0.800", "0.650 (2/3)"],
        ["**avg rank**", "1.50", "1.50", "3.00"],
        ["**wins**", "2", "2", "0"],
    ]


def test_friedman_and_critical_difference(df):
    mean = aggregate(df, "roc_auc")[0]
    test = friedman_nemenyi(mean)
    ranks = np.array([[1, 2, 3], [2, 1, 3], [1.5, 1.5, 3]])
    expected = stats.friedmanchisquare(*ranks.T)
    assert test["statistic"] == pytest.approx(expected.statistic)
    assert test["pvalue"] == pytest.approx(expected.pvalue)
    # Demsar (2006), Table 5: q_0.05 = 2.343 for k = 3; CD = q sqrt(k(k+1) / 6N).
    assert test["cd"] == pytest.approx(2.343 * math.sqrt(3 * 4 / 18), abs=1e-3)
    assert critical_difference(10, 17) == pytest.approx(3.164 * math.sqrt(110 / 102), abs=1e-3)
    # One dataset (ADBench's text family): no Friedman test, so no post-hoc either.
    assert math.isnan(critical_difference(10, 1))


def test_write_report_files(tmp_path):
    write_rows(tmp_path / "results.csv", hand_results())
    paths = write_report(tmp_path)
    names = {p.name for p in paths}
    for metric in ("roc_auc", "average_precision", "precision_at_n", "time"):
        assert {f"table_{metric}.md", f"table_{metric}.csv"} <= names
    assert {"summary.md", "boxplot_roc_auc.png", "cd_diagram.png"} <= names
    for p in paths:
        assert p.stat().st_size > 0
    assert (tmp_path / "cd_diagram.png").read_bytes()[:4] == b"\x89PNG"
    table = pd.read_csv(tmp_path / "table_roc_auc.csv", index_col=0)
    assert list(table.columns) == ["A", "A_std", "B", "B_std", "C", "C_std"]
    assert table.at["avg rank", "C"] == 3.0 and table.at["wins", "A"] == 2
    summary = (tmp_path / "summary.md").read_text()
    assert ["d1", "C", "0", "error", "fit failed: boom"] in _cells(summary.split("## Failed")[1])
    assert "- `C`: it failed on d1, d2 (3 cells)." in summary
    assert "Friedman test" in summary


def test_columns_are_the_issues():
    assert COLUMNS[:11] == ["dataset", "detector", "protocol", "seed", "roc_auc",
                            "average_precision", "precision_at_n", "fit_seconds",
                            "score_seconds", "peak_memory_mb", "error"]


def test_summary_explains_failures_and_shows_a_clean_command(tmp_path):
    import json

    from benchmarks.runconfig import command_line

    rows = hand_results()
    for r in rows:
        if r["status"] == "error":
            r["error"] = "non-finite scores: 40 of 40"
    write_rows(tmp_path / "results.csv", rows)
    (tmp_path / "run_config.json").write_text(json.dumps({
        "command": command_line([]),  # a run with no arguments
        "detectors": [{"label": "C", "estimator": "pyod.models.pca:PCA"}]}))
    write_report(tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    command = next(line for line in summary.splitlines() if line.startswith("Command:"))
    assert command.startswith("Command: `python -m benchmarks --out ")
    assert command.endswith("`") and not command.endswith(" `")
    assert ("- `C` (PyOD's `PCA`, `pyod.models.pca:PCA`): its scores were not finite "
            "(NaN or inf) on d1, d2 (3 cells).") in summary


def test_perf_markdown_names_the_machine_in_words(tmp_path):
    from benchmarks.perf import write_markdown

    report = {"command": "python -m benchmarks.perf", "machine": {
        "python": "3.11.7", "cpu": "", "cores": 2},
        "scaling": [{"rows": 10, "features": 2, "device": "cpu", "fit_seconds": 1.0,
                     "score_seconds": 1.0, "score_rows_per_second": 10.0, "peak_rss_mb": 1.0}],
        "fit_exponent": 1.0, "score_exponent": 1.0}
    write_markdown(report, tmp_path / "perf.md")
    text = (tmp_path / "perf.md").read_text()
    assert "Machine: 2 cores, Python 3.11.7." in text and "{" not in text


# ------------------------------------------------------------------ issue 14: families

ADBENCH_NAMES = {"d1": "6_cardio", "d2": "CV_by_ViT:MVTec-AD_bottle", "d3": "NLP_by_BERT:20news_3"}


def test_families_come_from_the_adbench_folder_of_the_name():
    from benchmarks.report import dataset_family
    assert [dataset_family(n) for n in ADBENCH_NAMES.values()] == ["tabular", "image", "text"]
    assert dataset_family("CV_by_ResNet18:MVTec-AD_wood") == "image"
    assert dataset_family("NLP_by_RoBERTa:agnews_0") == "text"
    for name in ("cardio", "wine", "Classical:6_cardio", "resnet18_MVTec-AD_bottle"):
        assert dataset_family(name) == "tabular"


def test_a_run_over_several_families_is_ranked_per_family_as_well(tmp_path):
    rows = [dict(r, dataset=ADBENCH_NAMES[r["dataset"]]) for r in hand_results()]
    rows += [dict(r, dataset="CV_by_ResNet18:MVTec-AD_bottle") for r in hand_results()
             if r["dataset"] == "d3"]
    write_rows(tmp_path / "results.csv", rows)
    written = {p.name for p in write_report(tmp_path)}
    for family in ("tabular", "image", "text"):
        for metric in ("roc_auc", "average_precision", "precision_at_n", "time"):
            assert {f"table_{metric}_{family}.md", f"table_{metric}_{family}.csv"} <= written
    assert "table_roc_auc.md" in written  # the overall tables stay
    image = pd.read_csv(tmp_path / "table_roc_auc_image.csv", index_col="dataset")
    # MVTec-AD_bottle by ViT (d2): B 0.8, A 0.6, C 0.5; by ResNet18 (d3): A = B 0.9, C 0.8.
    assert list(image.index[:2]) == ["CV_by_ViT:MVTec-AD_bottle", "CV_by_ResNet18:MVTec-AD_bottle"]
    assert image.loc["avg rank", ["A", "B", "C"]].tolist() == pytest.approx([1.75, 1.25, 3.0])
    text = (tmp_path / "table_roc_auc_text.md").read_text()
    assert "NLP_by_BERT:20news_3" in text and "6_cardio" not in text and "MVTec" not in text
    summary = (tmp_path / "summary.md").read_text()
    assert "## By family" in summary
    for heading in ("### tabular (1 dataset)", "### image (2 datasets)", "### text (1 dataset)"):
        assert heading in summary
    assert summary.index("## By family") < summary.index("## Failed cells")


def test_a_run_of_one_family_has_no_family_tables(tmp_path):
    write_rows(tmp_path / "results.csv", hand_results())
    written = {p.name for p in write_report(tmp_path)}
    assert not any(name.endswith(("_tabular.md", "_image.md", "_text.md")) for name in written)
    assert "By family" not in (tmp_path / "summary.md").read_text()


def test_the_box_plot_footnote_is_wrapped_inside_the_figure(tmp_path, monkeypatch):
    """Issue 27, item 5: the list of failed cells was one line, cut off at both sides."""
    import matplotlib.text
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [f"CV_by_ResNet18:MVTec-AD_{i:02d}_metal_nut" for i in range(12)]
    mean = pd.DataFrame(0.8, index=names, columns=["sla2p", "iforest", "sla2p-paper", "dead"])
    mean.loc[names[:9], "sla2p-paper"] = np.nan
    mean.loc[names[3:], "iforest"] = np.nan
    mean["dead"] = np.nan
    figures = []
    save = Figure.savefig

    def keep(fig, *args, **kwargs):
        figures.append(fig)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    plot_boxplot(mean, tmp_path / "box.png", "ROC-AUC")
    (fig,) = figures
    renderer = FigureCanvasAgg(fig).get_renderer()  # pyplot closed the figure's own canvas
    (note,) = [t for t in fig.findobj(matplotlib.text.Text)
               if "every seed failed" in t.get_text()]
    lines = note.get_text().splitlines()
    assert len(lines) > 3 and all(len(line) <= 110 for line in lines), lines
    assert note.get_text().startswith("no result: dead\nnot plotted, every seed failed: ")
    words = note.get_text().split()
    assert all(f"{name}," in words or f"{name};" in words or name in words for name in names)
    assert "sla2p-paper" in words  # not split at its hyphen
    # Inside the image, and below the axes and their tick labels.
    image = fig.bbox
    box = note.get_window_extent(renderer)
    assert image.x0 <= box.x0 and box.x1 <= image.x1 and image.y0 <= box.y0
    ax = fig.axes[0]
    assert box.y1 < min(t.get_window_extent(renderer).y0 for t in ax.get_xticklabels())
    assert box.y1 < ax.xaxis.label.get_window_extent(renderer).y0
    # Nothing drawn spills out of the figure.
    tight = fig.get_tightbbox(renderer)
    assert (tight.x0 >= 0 and tight.y0 >= 0 and tight.x1 <= fig.get_figwidth()
            and tight.y1 <= fig.get_figheight())
