"""The notebooks run top to bottom, match their sources, and carry their outputs.

Each notebook is executed in fast mode by ``notebooks/execute.py``, the same
command that makes the committed (full-mode) outputs, into a copy in
``tmp_path``; the committed files are never modified (checked). Each
``notebooks/NN_name.ipynb`` is paired by Jupytext with ``notebooks/src/NN_name.py``
(``notebooks/jupytext.toml``); the two must hold the same cells.
"""

import hashlib
import os
import subprocess
import sys

import jupytext
import nbformat
import pytest
from jupytext.compare import NotebookDifference, compare_cells

from conftest import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted(p.name for p in (NOTEBOOK_DIR / "src").glob("[0-9][0-9]_*.py"))
EXPECTED = ["01_quickstart_pyod_workflow", "02_benchmark_readout", "03_how_sla2p_works"]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_three_notebooks_and_their_sources_exist():
    assert NOTEBOOKS == [f"{n}.ipynb" for n in EXPECTED]
    assert SOURCES == [f"{n}.py" for n in EXPECTED]


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_has_the_cells_of_its_source(name):
    notebook = jupytext.read(NOTEBOOK_DIR / f"{name}.ipynb")
    source = jupytext.read(NOTEBOOK_DIR / "src" / f"{name}.py")
    try:
        # Cell types, sources and metadata (tags; execution timings are ignored).
        compare_cells(notebook.cells, source.cells, compare_outputs=False, compare_ids=False,
                      allow_filtered_cell_metadata=True)
        return
    except NotebookDifference as error:
        difference = str(error)
    pytest.fail(f"notebooks/{name}.ipynb (+) and notebooks/src/{name}.py (-) differ: run "
                f"`jupytext --sync notebooks/src/{name}.py`, then "
                f"`python notebooks/execute.py {name[:2]}`.\n{difference}", pytrace=False)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_in_fast_mode(name, tmp_path, data_dir):
    committed = NOTEBOOK_DIR / f"{name}.ipynb"
    before = _digest(committed)
    env = {key: value for key, value in os.environ.items()
           if key != "SLA2P_BENCHMARK_RESULTS"}  # a developer's results must not leak in
    # TMPDIR: the benchmark notebook's fresh run and figures land in tmp_path.
    env.update(PYOD_SLA2P_DATA=str(data_dir), TMPDIR=str(tmp_path))
    run = subprocess.run([sys.executable, str(NOTEBOOK_DIR / "execute.py"), name, "--fast",
                          "--output-dir", str(tmp_path), "--timeout", "600"],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr  # the failing cell's traceback
    nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "mode: FAST" in "".join(o.get("text", "") for o in params.outputs)  # the switch took effect
    assert _digest(committed) == before, "the committed notebook was modified"


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_notebook_has_full_mode_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    missing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
               and "no-output" not in c.metadata.get("tags", []) and not c.get("outputs")]
    assert not missing, f"{name}: code cells {missing} have no saved output (stripped?)"
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{name}: not executed top to bottom in one run: run python notebooks/execute.py {name[:2]}")
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{name} has no plot saved"
    params = next(c for c in code if "parameters" in c.metadata.get("tags", []))
    assert "mode: FULL" in "".join(o.get("text", "") for o in params.outputs)
