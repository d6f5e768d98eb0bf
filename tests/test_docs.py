"""The documentation site builds, every page of its navigation is there, its
examples run, and its numbers come from the committed results.

The site (``mkdocs.yml``, ``docs/``) is built once per session with
``mkdocs build --strict`` into a temporary folder: a broken link, a missing
page or a docstring mkdocstrings cannot read is a warning, and strict mode
makes it an error. The docs extra is part of the test extra, so nothing here
is skipped.

Conventions the tests rely on: ```` ```python ```` blocks in ``docs/`` are
complete programs and are run; ```` ```py ```` blocks are illustrations that
need something the tests cannot have (model weights, downloaded data) and
are only highlighted. ``docs/paper.md`` is written by ``python -m
benchmarks.paper`` and must be what that command writes today.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT
from test_committed_results import suite_standing

from benchmarks import paper

DOCS = REPO_ROOT / "docs"
RESULTS = REPO_ROOT / "benchmarks" / "results"
RUNS = sorted(p.parent.name for p in RESULTS.glob("*/summary.md"))


def _nav_paths(nav):
    """Every page path named in mkdocs.yml's nav, in order."""
    for item in nav:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for value in item.values():
                yield from (_nav_paths(value) if isinstance(value, list) else [value])


def _config():
    # mkdocs.yml uses no YAML tags, so the safe loader reads it.
    return yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


#: The hand-written pages of the site's navigation (docs/paper.md is generated
#: and checked by regeneration): their examples run and their numbers are checked.
PAGES = sorted(DOCS / p for p in _nav_paths(_config()["nav"])
               if (DOCS / p).is_file() and p.endswith(".md") and p != "paper.md")


def _built_page(site, path):
    """Where mkdocs writes the page of ``path`` (directory URLs, the default)."""
    stem = path.rsplit(".", 1)[0]
    if stem == "index" or stem.endswith("/index"):
        return site / (stem[: -len("index")] + "index.html")
    return site / stem / "index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built with ``mkdocs build --strict``; returns (folder, build log)."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")  # Material's notice about MkDocs 2
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(out)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    return out, log


def test_site_builds_without_warnings(site):
    _, log = site
    assert "WARNING" not in log, [line for line in log.splitlines() if "WARNING" in line]
    assert "Documentation built" in log


def test_every_nav_page_exists_and_is_built(site):
    out, _ = site
    paths = list(_nav_paths(_config()["nav"]))
    assert len(paths) > 20
    for path in paths:
        # A page is a file in docs/, a notebook, or a committed run's page,
        # which docs/hooks.py makes from benchmarks/results/ at build time.
        run = re.fullmatch(r"benchmarks/results/([^/]+)/summary\.md", path)
        source = ((DOCS / path).is_file()
                  or (path.startswith("notebooks/") and (REPO_ROOT / path).is_file())
                  or (run is not None and run[1] in RUNS)
                  or path == "benchmarks/results/index.md"
                  or (path.startswith("benchmarks/results/") and (REPO_ROOT / path).is_file()))
        assert source, f"nav names {path}, which has no source"
        assert _built_page(out, path).is_file(), f"{path} was not built"


def test_every_committed_run_has_a_page_with_its_plots(site):
    out, _ = site
    nav = set(_nav_paths(_config()["nav"]))
    assert len(RUNS) >= 8
    for run in RUNS:
        assert f"benchmarks/results/{run}/summary.md" in nav, f"{run} is not in the nav"
        html = _built_page(out, f"benchmarks/results/{run}/summary.md").read_text(encoding="utf-8")
        # A runner's run has the report's two plots; a run of its own script
        # (explain, embeddingod_text) whatever plots it made.
        plots = (("boxplot_roc_auc.png", "cd_diagram.png")
                 if (RESULTS / run / "run_config.json").is_file()
                 else [p.name for p in (RESULTS / run).glob("*.png")])
        for plot in plots:
            assert (out / "benchmarks" / "results" / run / plot).is_file()
            assert plot in html, f"{run}'s page does not show {plot}"
        # The run's page shows its entry in benchmarks/results/README.md, commands included.
        assert "no entry in benchmarks/results/README.md" not in html, run
        assert "python -m benchmarks" in html, run


def test_every_notebook_is_rendered_with_its_outputs(site):
    out, _ = site
    notebooks = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 3
    nav = set(_nav_paths(_config()["nav"]))
    for notebook in notebooks:
        assert f"notebooks/{notebook.name}" in nav
        html = _built_page(out, f"notebooks/{notebook.name}").read_text(encoding="utf-8")
        assert "data:image/png;base64" in html, f"{notebook.name}: no plot rendered"


def test_api_reference_documents_the_public_api(site):
    out, _ = site
    sla2p = (out / "api" / "sla2p" / "index.html").read_text(encoding="utf-8")
    for name in ("n_projections", "epsilon", "decision_function", "predict_proba"):
        assert name in sla2p
    datasets = (out / "api" / "datasets" / "index.html").read_text(encoding="utf-8")
    for name in ("load_dataset", "load_suite", "download_odds", "resolve_data_dir"):
        assert f'id="pyod_sla2p.datasets.{name}"' in datasets, name
    # Sphinx roles in the docstrings are shown as code, not as raw markup.
    assert ":func:`" not in datasets and ":mod:`" not in sla2p


def test_the_paper_page_is_what_its_command_writes():
    assert (DOCS / "paper.md").read_text(encoding="utf-8") == paper.render(), \
        "docs/paper.md is stale: run python -m benchmarks.paper"


def test_paper_bootstrap_is_deterministic_and_sane():
    values = [0.1, 0.5, 0.2, 0.9, 0.4]
    low, high = paper.bootstrap_ci(values)
    assert (low, high) == paper.bootstrap_ci(values)
    assert low < sum(values) / len(values) < high
    assert all(v != v for v in paper.bootstrap_ci([0.3]))  # NaN for one value


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_docs_python_blocks_run(page, tmp_path, monkeypatch):
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"),
                        flags=re.S | re.M)
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, str(page), "exec"), {"__name__": "__docs__"})


# ----------------------------------------------------- where the numbers come from

#: A decimal number: 0.833, 1,272.5, 7.8125 (not a version such as 2.13.0).
NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*\.\d+(?![\w.]*\d)")
RUN_LINK = re.compile(r"results/([a-z0-9_]+)")


def _numbers(text):
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def _with_roundings(numbers):
    """``numbers`` and each of them rounded to fewer decimals (0.0507 -> 0.051, 0.05, 0.1)."""
    out = set(numbers)
    for n in numbers:
        decimals = len(n.split(".")[1])
        out |= {f"{float(n):.{d}f}" for d in range(1, decimals)}
    return out


def _run_numbers(run):
    """The numbers of a run's summaries (not its per-dataset tables)."""
    return _with_roundings(set().union(*[
        _numbers(p.read_text(encoding="utf-8"))
        for p in (RESULTS / run).glob("*.md") if not p.name.startswith("table_")]))


def _shared_numbers():
    """Numbers any page may quote: the results README, perf.md, and the code's constants."""
    files = [RESULTS / "README.md", RESULTS / "perf.md", REPO_ROOT / "pyproject.toml",
             *REPO_ROOT.glob("pyod_sla2p/**/*.py"), *REPO_ROOT.glob("benchmarks/*.py")]
    return _with_roundings(set().union(*[_numbers(f.read_text(encoding="utf-8"))
                                         for f in files]))


@pytest.mark.parametrize("page", [*PAGES, REPO_ROOT / "README.md"],
                         ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_number_comes_from_a_committed_result(page):
    """Each decimal number of a paragraph is in the committed results it links.

    A paragraph that links runs (``results/<run>/``) may quote their summaries;
    one that links none, those its section or page links; a page that links
    no run, any run's. Every page may quote the results README, ``perf.md``
    and the code's constants (defaults, the paper preset). Per-dataset
    numbers of the benchmark page are checked one by one below.
    """
    shared = _shared_numbers()
    text = page.read_text(encoding="utf-8")
    quoted = set().union(*map(_run_numbers, RUNS))
    exempt = PER_DATASET_NUMBERS if page == DOCS / "benchmarks" / "index.md" else set()
    page_runs = set(RUN_LINK.findall(text)) & set(RUNS)
    missing = []
    for section in re.split(r"^#+ ", text, flags=re.M):
        section_runs = set(RUN_LINK.findall(section)) & set(RUNS) or page_runs
        for paragraph in re.split(r"\n\s*\n", section):
            runs = set(RUN_LINK.findall(paragraph)) & set(RUNS) or section_runs
            allowed = shared | (set().union(*map(_run_numbers, runs)) if runs else quoted)
            missing += sorted(_numbers(paragraph) - allowed - exempt)
    assert not missing, f"{page.name}: numbers found in no committed result it links: {missing}"


#: (run, dataset, detector) -> ROC-AUC as the benchmark page quotes it.
PER_DATASET_CLAIMS = {
    ("odds_inductive", "cardio", "sla2p"): "0.888", ("odds_inductive", "cardio", "pca"): "0.949",
    ("odds_inductive", "optdigits", "sla2p"): "0.614",
    ("odds_inductive", "optdigits", "hbos"): "0.870",
    ("odds_inductive", "letter", "sla2p"): "0.785", ("odds_inductive", "letter", "knn"): "0.877",
    ("odds_inductive", "vowels", "sla2p"): "0.902", ("odds_inductive", "vowels", "knn"): "0.970",
}
PER_DATASET_NUMBERS = set(PER_DATASET_CLAIMS.values())


def test_per_dataset_numbers_match_the_tables():
    from benchmarks.report import aggregate
    from benchmarks.resultsfile import read_frame

    text = (DOCS / "benchmarks" / "index.md").read_text(encoding="utf-8")
    for (run, dataset, detector), value in PER_DATASET_CLAIMS.items():
        mean = aggregate(read_frame(RESULTS / run / "results.csv"), "roc_auc")[0]
        assert f"{mean.loc[dataset, detector]:.3f}" == value, (dataset, detector)
        assert value in text


def test_suite_summaries_in_the_docs_match_the_runs():
    """The benchmark page's per-suite means and ranks, against the runs."""
    text = " ".join((DOCS / "benchmarks" / "index.md").read_text(encoding="utf-8").split())
    odds = suite_standing("odds_inductive")
    assert f"best mean ROC-AUC ({odds['roc']['sla2p']:.3f}; INNE {odds['roc']['inne']:.3f}" in text
    assert f"best average rank ({odds['rank']['sla2p']:.2f} of {odds['n_detectors']}" in text
    assert f"mean AP {odds['ap']['sla2p']:.3f}" in text
    emb = suite_standing("embeddings_inductive")
    assert f"mean ROC-AUC {emb['roc']['sla2p']:.3f} against KNN's {emb['roc']['knn']:.3f}" in text
    tra = suite_standing("odds_transductive")
    assert f"mean ROC-AUC ({tra['roc']['sla2p']:.3f}; INNE {tra['roc']['inne']:.3f}" in text
    assert f"IForest's {tra['rank']['iforest']:.2f} beats its {tra['rank']['sla2p']:.2f}" in text


def test_docs_link_no_file_outside_the_site():
    """Pages link pages; a link to a repository file would break on the site."""
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("https://", "http://", "#")):
                continue
            path = target.split("#")[0]
            assert path.endswith((".md", ".ipynb", ".png", ".csv", ".json")), (page, target)
            resolved = (page.parent / path).resolve()
            inside = resolved.is_relative_to(DOCS.resolve())
            generated = str(Path(os.path.relpath(resolved, DOCS))).startswith(
                ("benchmarks/results/", "notebooks/"))
            assert inside and (resolved.exists() or generated), (page, target)


def _ablation_rows(run):
    """``ablation.md`` of a run: section ('all', 'tabular', ...) -> label -> (ROC-AUC, AP)."""
    sections, current = {}, "all"
    for line in (RESULTS / run / "ablation.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\w+) \(", line)
        if heading:
            current = heading[1]
        row = re.match(r"^\| `([^`]+)` +\|[^|]*\| +([\d.]+) \|[^|]*\| +([\d.]+) \|", line)
        if row:
            sections.setdefault(current, {})[row[1]] = (row[2], row[3])
    return sections


def test_ensemble_recipe_table_matches_the_ablation():
    """The recipe's table quotes the development-suite ablation row by row."""
    rows = _ablation_rows("dev_sla2p_ablation")
    labels = {"SLA2P + KNN": "sla2p+knn", "SLA2P + IForest": "sla2p+iforest",
              "SLA2P then (without calibration)": "sla2p", "SLA2P today (`calibrate`)": "calibrate",
              "KNN alone": "knn", "SLA2P + ECOD": "sla2p+ecod", "ECOD alone": "ecod"}
    text = (DOCS / "user-guide" / "ensembles.md").read_text(encoding="utf-8")
    checked = 0
    for line in text.splitlines():
        cells = [c.strip().replace("**", "") for c in line.strip("|").split("|")]
        if cells[0] in labels:
            for family, cell in zip(("all", "tabular", "image"), cells[1:]):
                assert cell == " / ".join(rows[family][labels[cells[0]]]), (cells[0], family)
                checked += 1
    assert checked == 3 * len(labels)


def test_parameter_table_matches_the_fitted_defaults():
    """The defaults the parameter table states are what ``fit`` resolves "auto" to."""
    from pyod.utils.data import generate_data

    from pyod_sla2p import SLA2P

    X = generate_data(n_train=60, n_test=1, n_features=3, random_state=0)[0]
    small = dict(n_projections=4, projection_dim=4, acc_threshold=0.3)
    resolved = SLA2P(random_state=0).set_params(**small).fit(X).params_
    default = SLA2P()
    text = (DOCS / "user-guide" / "parameters.md").read_text(encoding="utf-8")
    row = {m[1]: m[2] for m in re.finditer(r"^\| (`[^|]+`) \| ([^|]+) \|", text, flags=re.M)}
    assert row["`acc_threshold`"] == f'`"auto"` = {resolved["acc_threshold"]}'
    assert row["`epsilon`"] == f'`"auto"` = {resolved["epsilon"]:g}'
    assert row["`score_function`"] == f'`"auto"` = `"{resolved["score_function"]}"`'
    assert row["`epoch_num`, `batch_size`"] == f"{default.epoch_num}, {default.batch_size}"
    assert row["`max_train_samples`"] == str(default.max_train_samples)
    assert row["`contamination`, `device`, `random_state`, `verbose`"] == \
        f"{default.contamination}, None, None, {default.verbose}"
    # 64 projections of width 64 unless set: fit the defaults on a tiny set.
    full = SLA2P(random_state=0, epoch_num=1).fit(X).params_
    assert row["`n_projections`, `projection_dim`"] == \
        f'`"auto"` = {full["n_projections"]}, {full["projection_dim"]}'
    paper = SLA2P(preset="paper", random_state=0, epoch_num=1).fit(X).params_
    assert (paper["n_projections"], paper["projection_dim"], paper["acc_threshold"]) == (256, 256, 0.6)
    assert paper["epsilon"] == 1000 / 128 and paper["score_function"] == "brier"
    assert "256 projections of width 256" in text and "accuracy stop 0.6" in text


def test_embedding_page_numbers_match_the_adbench_run():
    text = " ".join((DOCS / "user-guide" / "embeddings.md").read_text(encoding="utf-8").split())
    image = suite_standing("adbench_inductive", "image")
    assert (f"mean ROC-AUC / AP is {image['roc']['sla2p']:.3f} / {image['ap']['sla2p']:.3f} and "
            f"its average rank {image['rank']['sla2p']:.2f}") in text
    assert (f"KNN leads with {image['roc']['knn']:.3f} / {image['ap']['knn']:.3f} and rank "
            f"{image['rank']['knn']:.2f}") in text
    textset = suite_standing("adbench_inductive", "text")
    assert (f"({textset['roc']['sla2p']:.3f} / {textset['ap']['sla2p']:.3f}; AutoEncoder "
            f"{textset['roc']['autoencoder']:.3f})") in text
