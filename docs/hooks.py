"""MkDocs hooks: bring the notebooks and the committed results into the site.

MkDocs serves only files under ``docs/``; the notebooks (``notebooks/*.ipynb``)
and the committed benchmark results (``benchmarks/results/``) live elsewhere
and are not copied into the repository twice. At build time this hook adds
them to the site under the same paths they have in the repository:

* ``notebooks/<name>.ipynb``: the notebooks, rendered with their committed
  outputs by mkdocs-jupyter (nothing is executed);
* ``benchmarks/results/<run>/...``: every run's tables (``table_*.md``,
  ``ablation.md``, ``viewstats.md``) as pages, and its plots, CSV files and
  ``run_config.json`` as files;
* ``benchmarks/results/<run>/summary.md``: one page per run, made of the run's
  entry in ``benchmarks/results/README.md`` (what it is and the commands that
  made it), its plots, the summary the report wrote and links to its tables;
* ``benchmarks/results/index.md``: the results README's introduction (how
  the runs were made) and a list of the runs.

It also lets the API pages read the docstrings' Sphinx roles
(``:func:`load_dataset```) as inline code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
NOTEBOOKS = ROOT / "notebooks"
#: Files of a run folder that are copied as they are (the summary is rebuilt).
COPIED = (".png", ".csv", ".json", ".md")
PLOTS = {"boxplot_roc_auc.png": "ROC-AUC per dataset, one box per detector",
         "cd_diagram.png": "Critical-difference diagram of the average ROC-AUC ranks"}


def runs() -> list[str]:
    """The committed runs: folders of ``benchmarks/results`` with a ``summary.md``."""
    return sorted(p.parent.name for p in RESULTS.glob("*/summary.md"))


def readme_sections() -> tuple[str, list[tuple[str, str]]]:
    """The results README's introduction, and its ``## `` sections as (heading, body)."""
    text = (RESULTS / "README.md").read_text(encoding="utf-8")
    intro, *rest = re.split(r"^## ", text, flags=re.M)
    sections = []
    for part in rest:
        heading, _, body = part.partition("\n")
        sections.append((heading.strip(), body))
    return intro, sections


def run_section(run: str) -> tuple[str, str]:
    """The README section of ``run``: the one whose heading names it, else the first
    whose body names it, else a placeholder (the docs tests then fail)."""
    _, sections = readme_sections()
    for heading, body in sections:
        if f"`{run}/`" in heading:
            return heading, body
    for heading, body in sections:
        if f"`{run}/`" in body:
            return heading, body
    # A run not described yet still gets its page; tests/test_docs.py asks for the entry.
    return f"`{run}/`: no entry in benchmarks/results/README.md yet", ""


def _relink(markdown: str, prefix: str) -> str:
    """Prefix relative link targets (``](x/y.md)``) for a page one folder deeper."""
    return re.sub(r"\]\((?!https?://|#|/)([^)\s]+)\)", lambda m: f"]({prefix}{m[1]})", markdown)


def run_page(run: str) -> str:
    """The Markdown of a run's page."""
    folder = RESULTS / run
    heading, body = run_section(run)
    title = heading if f"`{run}/`" in heading else f"`{run}/`: part of {heading}"
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    summary = summary.split("\n", 1)[1]  # the report's own title
    summary = re.sub(r"^(#+) ", r"#\1 ", summary, flags=re.M)
    parts = [f"# {title}\n", _relink(body, "../").strip() + "\n"]
    plots = [name for name in PLOTS if (folder / name).is_file()]
    # A run of its own script (explain, embeddingod_text) shows the plots it made.
    plots += sorted(p.name for p in folder.glob("*.png") if p.name not in PLOTS)
    if plots:
        parts.append("## Plots\n")
        parts += [f"![{PLOTS.get(name, name)}]({name})\n" for name in plots]
    parts.append("## Summary, as the report wrote it\n")
    parts.append(summary.strip() + "\n")
    tables = sorted(p.name for p in folder.glob("*.md") if p.name != "summary.md")
    data = sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".json"))
    parts.append("## Files\n")
    parts.append("Tables: " + ", ".join(f"[`{t}`]({t})" for t in tables) + ".\n")
    parts.append("Data: " + ", ".join(f"[`{d}`]({d})" for d in data) + ".\n")
    return "\n".join(parts)


def index_page() -> str:
    """The results README's introduction, and a list of the runs' pages."""
    intro, _ = readme_sections()
    lines = [intro.strip(), "", "## The runs", "",
             "| run | what | suite | sets | seeds |", "|---|---|---|---:|---|"]
    for run in runs():
        heading, _ = run_section(run)
        what = heading.split(":", 1)[1].strip()
        config_file = RESULTS / run / "run_config.json"
        if not config_file.is_file():  # a run of its own script, not of the runner
            lines.append(f"| [`{run}`]({run}/summary.md) | {what} | (own script) | | |")
            continue
        config = json.loads(config_file.read_text(encoding="utf-8"))
        seeds = ", ".join(str(s) for s in config.get("seeds", []))
        lines.append(f"| [`{run}`]({run}/summary.md) | {what} | `{config.get('suite')}` |"
                     f" {len(config.get('datasets', []))} | {seeds} |")
    lines += ["", "[`perf.md`](perf.md) has the speed, scaling and memory measurements;"
              " `perf_odds` and `perf_large` hold their cells."]
    return "\n".join(lines) + "\n"


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config) -> Files:
    site, urls = config["site_dir"], config["use_directory_urls"]
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        files.append(File(f"notebooks/{notebook.name}", str(ROOT), site, urls))
    for path in sorted(RESULTS.rglob("*")):
        if path.is_file() and path.suffix in COPIED and path.name not in ("summary.md",
                                                                          "README.md"):
            files.append(File(path.relative_to(ROOT).as_posix(), str(ROOT), site, urls))
    for run in runs():
        files.append(File.generated(config, f"benchmarks/results/{run}/summary.md",
                                    content=run_page(run)))
    files.append(File.generated(config, "benchmarks/results/index.md", content=index_page()))
    return files


# ------------------------------------------------------- docstrings' roles

_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|attr|data|obj|exc):`~?\.?([^`]+)`")


class _Roles(Preprocessor):
    def run(self, lines):
        return [_ROLE.sub(r"`\1`", line) for line in lines]


class RolesExtension(Extension):
    """Turns Sphinx roles (``:func:`x```) into inline code (```x```)."""

    def extendMarkdown(self, md):
        md.preprocessors.register(_Roles(md), "sphinx_roles", 30)


def on_config(config):
    config["markdown_extensions"].append(RolesExtension())
    return config
