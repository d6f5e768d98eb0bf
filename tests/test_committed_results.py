"""The committed results are what their own results.csv gives.

Every table in ``benchmarks/results/<run>/`` is regenerated from that run's
``results.csv`` by the same code that wrote it, and must come out identical,
so a hand-edited number or a table left over from an older run fails here.
The headline table of the README and of the documentation's benchmark page
is recomputed from the runs' ``results.csv``, number by number.
"""

import json
import re
import shlex
import shutil

import pytest
from conftest import REPO_ROOT

from benchmarks.ablation import main as ablation_main
from benchmarks.report import write_report
from benchmarks.runconfig import read_run_config
from benchmarks.specs import parse_detector_list, resolve_detectors

RESULTS = REPO_ROOT / "benchmarks" / "results"
RUNS = sorted(p.parent.name for p in RESULTS.glob("*/results.csv"))
TABLES = ("table_roc_auc.md", "table_average_precision.md", "table_precision_at_n.md")


def _copy_run(name, tmp_path):
    dst = tmp_path / name
    dst.mkdir()
    for f in ("results.csv", "run_config.json"):
        if (RESULTS / name / f).is_file():
            shutil.copy(RESULTS / name / f, dst / f)
    return dst


def test_there_are_committed_runs():
    assert {"odds_inductive", "odds_transductive", "embeddings_inductive",
            "odds_sla2p_ablation", "embeddings_sla2p_ablation"} <= set(RUNS)


@pytest.mark.parametrize("name", RUNS)
def test_tables_regenerate_identically(name, tmp_path):
    run = _copy_run(name, tmp_path)
    write_report(run)
    for table in TABLES:
        assert (run / table).read_text() == (RESULTS / name / table).read_text(), \
            f"{name}/{table} differs from what its results.csv gives"


@pytest.mark.parametrize("name", RUNS)
def test_recorded_detectors_run_with_this_api(name):
    """Every recorded invocation's detectors resolve today, to the detectors the run records.

    A run filled by several resumed calls records the union of their
    detectors (``runconfig.merge_resumed``); each label must come from some
    call, with the estimator and arguments recorded for it.
    """
    config = read_run_config(RESULTS / name)
    resolved = {}
    for invocation in config["invocations"]:
        words = shlex.split(invocation["command"])
        if "--detectors" in words:
            specs = words[words.index("--detectors") + 1]
            labels = [label for label, _, _ in parse_detector_list(specs)]
            found = resolve_detectors(specs)
            assert [d.label for d in found] == labels
        else:
            found = resolve_detectors()
        resolved.update({d.label: (d.estimator, d.kwargs) for d in found})
    assert resolved.keys() == {d["label"] for d in config["detectors"]}
    for d in config["detectors"]:
        assert resolved[d["label"]] == (d["estimator"], d["kwargs"]), d["label"]
    # The run's command is its last invocation's, so the loop checked it too.
    assert config["command"] == config["invocations"][-1]["command"]


@pytest.mark.parametrize("name", [r for r in RUNS if (RESULTS / r / "ablation.md").is_file()])
def test_ablation_regenerates_identically(name, tmp_path):
    run = _copy_run(name, tmp_path)
    committed = (RESULTS / name / "ablation.md").read_text()
    # Each oracle group is printed once overall and once per family section.
    groups = dict.fromkeys(re.findall(r"^- ((?:`[^`]+`(?:, )?)+): ROC-AUC", committed,
                                      flags=re.M))
    args = [str(run)]
    for group in groups:
        args += ["--oracle", ",".join(re.findall(r"`([^`]+)`", group))]
    assert ablation_main(args) == 0
    assert (run / "ablation.md").read_text() == committed


# ----------------------------------------------------------- the headline table
# The README and the documentation's benchmark page show the same table; each
# of its numbers is recomputed here from the runs' results.csv.

HEADLINE_PAGES = ("README.md", "docs/benchmarks/index.md")
#: The table's detector names -> the runs' labels.
DISPLAY_NAMES = {"IForest": "iforest", "INNE": "inne", "KNN": "knn", "LOF": "lof",
                 "ECOD": "ecod", "COPOD": "copod", "HBOS": "hbos", "OCSVM": "ocsvm",
                 "PCA": "pca", "AutoEncoder": "autoencoder"}
SLA2P_LABELS = ("sla2p", "sla", "sla2p-paper")
#: The table's rows: suite -> (run, family or None for every dataset).
HEADLINE_ROWS = {"ODDS": ("odds_inductive", None), "ADBench, all": ("adbench_inductive", None),
                 "ADBench tabular": ("adbench_inductive", "tabular"),
                 "ADBench image": ("adbench_inductive", "image"),
                 "ADBench text": ("adbench_inductive", "text")}


def ordinal(n):
    """1 -> '1st', 2 -> '2nd', 3 -> '3rd', 4 -> '4th', ..."""
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n if n < 20 else n % 10, 'th')}"


def suite_standing(run, family=None):
    """Mean ROC-AUC and AP, average ROC-AUC rank and Friedman test of a run's detectors.

    Computed as the report computes them (``benchmarks.report``), over the
    run's datasets of ``family`` (all of them when None).
    """
    from benchmarks.report import aggregate, friedman_nemenyi, split_by_family
    from benchmarks.report import recorded_families
    from benchmarks.resultsfile import read_frame

    df = read_frame(RESULTS / run / "results.csv")
    if family is not None:
        df = split_by_family(df, recorded_families(read_run_config(RESULTS / run)))[family]
    roc = aggregate(df, "roc_auc")[0]
    test = friedman_nemenyi(roc)
    return {"roc": roc.mean(axis=0), "ap": aggregate(df, "average_precision")[0].mean(axis=0),
            "rank": test["avg_ranks"], "pvalue": test["pvalue"], "cd": test["cd"],
            "n_sets": len(roc), "n_detectors": roc.shape[1],
            "seeds": sorted(int(s) for s in df["seed"].unique())}


def headline_table(text):
    """The headline table's rows of ``text``: suite -> (sets, cells)."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\| ([^|(]+?) \((\d+)(?: tabular)?\) \|(.*)\|$", line)
        if match and match[1] in HEADLINE_ROWS:
            rows[match[1]] = (int(match[2]), [c.strip().replace("**", "")
                                              for c in match[3].split("|")])
    return rows


def check_headline(text):
    """Assert every number of ``text``'s headline table against the committed runs."""
    rows = headline_table(text)
    assert rows.keys() == HEADLINE_ROWS.keys(), rows.keys()
    for suite, (n_sets, (means, rank, best, test)) in rows.items():
        got = suite_standing(*HEADLINE_ROWS[suite])
        assert n_sets == got["n_sets"], suite
        assert means == f"{got['roc']['sla2p']:.3f} / {got['ap']['sla2p']:.3f}", suite
        position = 1 + int((got["rank"] < got["rank"]["sla2p"]).sum())
        if got["n_sets"] == 1:
            assert rank == ordinal(position), suite
        else:
            assert rank == f"{got['rank']['sla2p']:.2f}, {ordinal(position)}", suite
        # "IForest 5.71 (0.808)", or "AutoEncoder 1st (0.716)" for one set; the
        # first named is the baseline with the best average rank.
        named = re.findall(r"(\w+) (\d+\.\d+|\d+(?:st|nd|rd|th)) \((\d\.\d+)\)", best)
        assert named, (suite, best)
        baselines = got["rank"].drop([d for d in SLA2P_LABELS if d in got["rank"]])
        assert DISPLAY_NAMES[named[0][0]] == baselines.idxmin(), suite
        for name, its_rank, roc in named:
            label = DISPLAY_NAMES[name]
            expected = (ordinal(int(got["rank"][label])) if got["n_sets"] == 1
                        else f"{got['rank'][label]:.2f}")
            assert (its_rank, roc) == (expected, f"{got['roc'][label]:.3f}"), (suite, name)
        if got["n_sets"] == 1:
            assert test == "one set", suite
        elif got["pvalue"] >= 0.05:
            assert test == f"{got['pvalue']:.2g}, not significant", suite
        else:
            assert test == f"{got['pvalue']:.2g}, CD {got['cd']:.2f}", suite


@pytest.mark.parametrize("page", HEADLINE_PAGES)
def test_headline_table_matches_the_runs(page):
    check_headline((REPO_ROOT / page).read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", HEADLINE_PAGES)
def test_headline_context_matches_the_runs(page):
    """The seeds, detector counts and time budget said above the table."""
    text = (REPO_ROOT / page).read_text(encoding="utf-8")
    odds, adbench = suite_standing("odds_inductive"), suite_standing("adbench_inductive")
    budget = read_run_config(RESULTS / "adbench_inductive")["timeout"]
    assert odds["seeds"] == list(range(5)) and "ODDS 5 seeds" in text
    assert adbench["seeds"] == list(range(3)) and "ADBench 3 seeds" in text
    assert f"{budget:.0f} s budget per" in " ".join(text.split())
    assert (f"among {odds['n_detectors']} detectors on ODDS and {adbench['n_detectors']} on "
            "ADBench") in " ".join(text.split())


ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(?:work|home|tmp|root|Users|mnt|opt|var|private)/")


def test_no_committed_file_holds_a_machine_path():
    files = [p for p in [*RESULTS.rglob("*"), REPO_ROOT / "benchmarks" / "README.md"]
             if p.suffix in (".md", ".json", ".csv") and p.is_file()]
    assert len(files) > 20
    offending = [str(p.relative_to(REPO_ROOT)) for p in files
                 if ABSOLUTE_PATH.search(p.read_text(encoding="utf-8"))]
    assert not offending


@pytest.mark.parametrize("name", RUNS)
def test_summary_command_reruns_from_the_repository_root(name):
    summary = (RESULTS / name / "summary.md").read_text()
    command = re.search(r"^Command: `([^`]*)`$", summary, flags=re.M).group(1)
    assert command == command.strip()
    assert f"--out benchmarks/results/{name}" in command
    # The built-in suite is made in memory; every other suite reads the data dir.
    suite = json.loads((RESULTS / name / "run_config.json").read_text())["suite"]
    assert ("--data-dir ../shared/datasets" in command) == (suite != "builtin")
