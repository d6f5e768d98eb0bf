"""The committed results are what their own results.csv gives.

Every table in ``benchmarks/results/<run>/`` is regenerated from that run's
``results.csv`` by the same code that wrote it, and must come out identical,
so a hand-edited number or a table left over from an older run fails here.
The README's headline numbers are checked against the regenerated tables.
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


def _bottom_row(name, table, label):
    """Header and the bottom-block row ``label`` of a committed table."""
    lines = (RESULTS / name / table).read_text().splitlines()
    header = next(line for line in lines if line.startswith("| dataset"))
    row = next(line for line in lines if line.startswith(f"| **{label}**"))
    cells = [c.strip() for c in header.strip("|").split("|")][1:]
    values = [c.strip() for c in row.strip("|").split("|")][1:]
    return dict(zip(cells, values))


def test_readme_headline_matches_the_tables():
    readme = (REPO_ROOT / "README.md").read_text()
    roc = _bottom_row("odds_inductive", "table_roc_auc.md", "mean")
    rank = _bottom_row("odds_inductive", "table_roc_auc.md", "avg rank")
    ap = _bottom_row("odds_inductive", "table_average_precision.md", "mean")
    emb = _bottom_row("embeddings_inductive", "table_roc_auc.md", "mean")
    assert f"mean ROC-AUC ({roc['sla2p']};" in readme
    assert f"average rank ({rank['sla2p']} of" in readme
    assert f"mean AP {ap['sla2p']}" in readme
    assert f"Its mean ROC-AUC is {emb['sla2p']}" in readme


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
