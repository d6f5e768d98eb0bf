"""The notebooks run top to bottom, and the committed ones carry their outputs.

Execution uses nbclient, the engine underneath nbconvert and papermill: it runs
every cell in a real Jupyter kernel (this interpreter's ipykernel), stops at the
first cell that raises with a ``CellExecutionError`` carrying the traceback, and
lets the test set the kernel's environment (``SLA2P_NOTEBOOK_FAST=1``) and
working directory (the repository root). papermill would add parameter
injection that an environment variable already covers, plus dependencies; nbval
compares fresh outputs with the saved ones, which fails on every timing or
number that legitimately changes. The same code runs the notebooks for the
committed outputs (``notebooks/execute.py``), so the test and the committed
files cannot drift apart in how they are executed.

The notebooks are executed as copies in ``tmp_path``; the committed files are
never modified (checked).
"""

import hashlib
import importlib.util
import json

import nbformat
import pytest

from conftest import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ["01_quickstart_pyod_workflow.ipynb", "02_benchmark_readout.ipynb",
            "03_how_sla2p_works.ipynb"]
CELL_TIMEOUT = 600  # seconds per cell; fast mode needs a few


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_notebooks_{name}", NOTEBOOK_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execute = _load("execute")
build = _load("build")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_three_notebooks_exist():
    assert NOTEBOOKS == EXPECTED


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_fast_mode(name, tmp_path, data_dir, monkeypatch):
    committed = NOTEBOOK_DIR / name
    before = _digest(committed)
    # A results directory chosen by the developer must not leak into the test.
    monkeypatch.delenv("SLA2P_BENCHMARK_RESULTS", raising=False)
    out = tmp_path / name
    # Raises nbclient.exceptions.CellExecutionError (with the traceback) if a cell fails.
    # TMPDIR: the benchmark notebook's fresh run and figures land in tmp_path.
    execute.execute_notebook(committed, fast=True, out=out, cwd=REPO_ROOT, timeout=CELL_TIMEOUT,
                             extra_env={"PYOD_SLA2P_DATA": str(data_dir), "TMPDIR": str(tmp_path)})
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors
    assert nb.metadata["sla2p"]["mode"] == "fast"
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "mode: FAST" in "".join(o.get("text", "") for o in params.outputs)  # the switch took effect
    assert _digest(committed) == before, "the committed notebook was modified"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_has_full_mode_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("sla2p", {}).get("mode") == "full", (
        f"{name} was not executed in full mode: run python notebooks/execute.py")
    code = [c for c in nb.cells if c.cell_type == "code"]
    missing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
               and "no-output" not in c.metadata.get("tags", []) and not c.get("outputs")]
    assert not missing, f"{name}: code cells {missing} have no saved output (stripped?)"
    assert all(c.get("execution_count") for c in code), f"{name}: not every code cell was executed"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{name} has no plot saved"
    text = json.dumps([o.get("text", "") for o in outputs])
    assert "mode: FULL" in text


@pytest.mark.parametrize("src", build.sources(), ids=lambda p: p.stem)
def test_notebook_matches_its_source(src):
    assert build.differences(src) == [], (
        "notebooks/src/ and the .ipynb differ: run python notebooks/build.py, "
        "then python notebooks/execute.py")
