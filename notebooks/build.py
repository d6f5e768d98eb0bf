"""Write the notebooks (``*.ipynb``) from their reviewable sources in ``src/``.

Each notebook is written as a plain Python file in the "percent" format
(the one Jupytext, VS Code and Spyder read), so that a review diff shows
code, not JSON::

    # %% [markdown]
    # # A title
    # Some *Markdown*; each line starts with "# ".

    # %% tags=["no-output"]
    import numpy as np        # a code cell; tags are optional

Tags used here: ``parameters`` marks the cell holding the fast/full switch
(papermill's convention), ``no-output`` a code cell that legitimately prints
nothing (the tests check that every other code cell has saved outputs).

Usage (from the repository root)::

    python notebooks/build.py            # rewrite every notebook whose cells changed (drops its outputs)
    python notebooks/build.py 02         # only the notebooks whose name contains "02"
    python notebooks/build.py --check    # exit 1 if a notebook's cells differ from src/

Building a notebook whose cells changed drops its outputs (an unchanged one is
left alone); run ``python notebooks/execute.py`` afterwards to execute the
notebooks in place (full mode) so the outputs are saved.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path
from typing import List, Optional, Sequence

import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"

_MARKER = re.compile(r"^# %%(?P<md> \[markdown\])?(?:\s+tags=(?P<tags>\[.*\]))?\s*$")

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def sources() -> List[Path]:
    """The notebook sources, in order (``src/NN_*.py``)."""
    return sorted(SRC.glob("[0-9][0-9]_*.py"))


def notebook_path(src: Path) -> Path:
    """Where the notebook built from ``src`` lives."""
    return HERE / (src.stem + ".ipynb")


def _strip_blank_edges(lines: List[str]) -> List[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def parse_cells(text: str) -> List[nbformat.NotebookNode]:
    """Split a percent-format source into notebook cells.

    Text before the first ``# %%`` marker (a module docstring or a comment
    header) is not part of the notebook.
    """
    cells = []
    kind = tags = None
    body: List[str] = []

    def flush():
        if kind is None:
            return
        lines = _strip_blank_edges(body)
        if kind == "markdown":
            out = []
            for line in lines:
                if line == "#":
                    out.append("")
                elif line.startswith("# "):
                    out.append(line[2:])
                else:
                    raise ValueError(f"markdown line does not start with '# ': {line!r}")
            cell = nbformat.v4.new_markdown_cell("\n".join(out))
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
        if tags:
            cell.metadata["tags"] = list(tags)
        cell.pop("id", None)  # ids are added when the notebook is written
        cells.append(cell)

    for line in text.splitlines():
        m = _MARKER.match(line)
        if m:
            flush()
            kind = "markdown" if m.group("md") else "code"
            tags = ast.literal_eval(m.group("tags")) if m.group("tags") else None
            body = []
        else:
            body.append(line)
    flush()
    return cells


def build_notebook(src: Path) -> nbformat.NotebookNode:
    """A fresh notebook (no outputs) from one source file."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = parse_cells(src.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb.cells):
        # Stable ids: rebuilding an unchanged source gives an identical file.
        cell["id"] = f"{src.stem[:2]}-{i:03d}"
    nbformat.validate(nb)
    return nb


def _cell_key(cell) -> tuple:
    return (cell.cell_type, cell.source, tuple(cell.get("metadata", {}).get("tags", ())))


def differences(src: Path) -> List[str]:
    """How the notebook on disk differs from its source (cell types, code, tags)."""
    path = notebook_path(src)
    if not path.exists():
        return [f"{path.name}: missing (run python notebooks/build.py)"]
    on_disk = nbformat.read(path, as_version=4)
    want = build_notebook(src)
    got_keys = [_cell_key(c) for c in on_disk.cells]
    want_keys = [_cell_key(c) for c in want.cells]
    if got_keys == want_keys:
        return []
    if len(got_keys) != len(want_keys):
        return [f"{path.name}: {len(got_keys)} cells, source {src.name} has {len(want_keys)}"]
    return [f"{path.name}: cell {i} differs from {src.name}"
            for i, (g, w) in enumerate(zip(got_keys, want_keys)) if g != w]


def _select(names: Sequence[str]) -> List[Path]:
    all_src = sources()
    if not names:
        return all_src
    chosen = [s for s in all_src if any(n in s.stem for n in names)]
    if not chosen:
        raise SystemExit(f"no notebook source matches {', '.join(names)} "
                         f"(have: {', '.join(s.stem for s in all_src)})")
    return chosen


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="substrings of notebook names (default: all)")
    parser.add_argument("--force", action="store_true",
                        help="rewrite notebooks (dropping outputs) even if they match their source")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a notebook's cells differ from its source")
    args = parser.parse_args(argv)
    chosen = _select(args.names)
    if args.check:
        problems = [p for s in chosen for p in differences(s)]
        for p in problems:
            print(p)
        print("notebooks match their sources" if not problems else
              "run python notebooks/build.py, then python notebooks/execute.py")
        return 1 if problems else 0
    for src in chosen:
        if not args.force and not differences(src):
            print(f"{notebook_path(src).relative_to(HERE.parent)}: matches its source, "
                  "outputs kept (--force rewrites it)")
            continue
        nb = build_notebook(src)
        nbformat.write(nb, notebook_path(src))
        print(f"wrote {notebook_path(src).relative_to(HERE.parent)} ({len(nb.cells)} cells, "
              "no outputs: run python notebooks/execute.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
