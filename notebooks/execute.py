"""Execute the notebooks with a real Jupyter kernel (nbclient) and save the outputs.

Usage (from the repository root, or anywhere)::

    python notebooks/execute.py                  # full mode, every notebook, in place
    python notebooks/execute.py 03               # only notebooks whose name contains "03"
    python notebooks/execute.py --fast --output-dir /tmp/nb   # fast mode, copies elsewhere

Full mode (the default) produces the outputs that are committed. Fast mode
sets ``SLA2P_NOTEBOOK_FAST=1`` in the kernel's environment: every notebook
reads it in its parameter cell and shrinks its data, seeds and grids so that
it runs in well under a minute; the test suite runs it that way
(``tests/test_notebooks.py``). A notebook is never written in place in fast
mode unless ``--in-place-fast`` is given, so fast outputs are not committed by
accident.

The kernel is this interpreter's own ipykernel (``sys.executable``), found
without consulting the user's Jupyter kernel directories, so a ``python3``
kernelspec that points to another environment cannot hijack the run. The
working directory of the kernel is the repository root, and it runs with
one BLAS/OpenMP/torch thread (``OMP_NUM_THREADS=1`` etc.) unless those
variables are already set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import default

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
FAST_ENV = "SLA2P_NOTEBOOK_FAST"
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def notebooks() -> List[Path]:
    """The committed notebooks, in order."""
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


class ThisPythonKernelManager(AsyncKernelManager):
    """A kernel manager whose only kernel is this interpreter's ipykernel.

    An empty ``kernel_dirs`` leaves ipykernel's native ``python3`` spec,
    which launches ``sys.executable -m ipykernel_launcher``.
    """

    @default("kernel_spec_manager")
    def _this_python_only(self):
        return KernelSpecManager(kernel_dirs=[])


def execute_notebook(path: Path, fast: bool, out: Optional[Path] = None,
                     cwd: Path = REPO_ROOT, timeout: int = 1200,
                     extra_env: Optional[Dict[str, str]] = None) -> float:
    """Run every cell of ``path`` on a fresh kernel and write the result.

    Parameters
    ----------
    path : Path
        The notebook to run.
    fast : bool
        Sets ``SLA2P_NOTEBOOK_FAST`` to ``"1"`` (fast) or ``"0"`` (full) in
        the kernel's environment.
    out : Path, optional
        Where to write the executed notebook (default: ``path``, in place).
    cwd : Path
        The kernel's working directory (default: the repository root).
    timeout : int
        Seconds allowed per cell.
    extra_env : dict, optional
        More environment variables for the kernel.

    Returns
    -------
    float
        Wall-clock seconds of the execution.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell raises; the partly executed notebook is still written to
        ``out`` so the traceback can be read there.
    """
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env[FAST_ENV] = "1" if fast else "0"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets a debugger warning
    # One BLAS/OpenMP/torch thread unless the caller chose otherwise: the
    # networks here are small, and on a shared CPU several threads per
    # process contend and run several times slower, not faster.
    for var in THREAD_ENV:
        env.setdefault(var, "1")
    env.update(extra_env or {})
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            kernel_manager_class=ThisPythonKernelManager,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute(env=env)
    finally:
        seconds = time.perf_counter() - start
        nb.metadata["sla2p"] = {"mode": "fast" if fast else "full"}
        nbformat.write(nb, out or path)
    return seconds


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="substrings of notebook names (default: all)")
    parser.add_argument("--fast", action="store_true",
                        help=f"fast mode ({FAST_ENV}=1): small data, few seeds; "
                             "needs --output-dir or --in-place-fast")
    parser.add_argument("--output-dir", type=Path,
                        help="write the executed notebooks there instead of in place")
    parser.add_argument("--in-place-fast", action="store_true",
                        help="allow --fast to overwrite the committed notebooks")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell (1200)")
    args = parser.parse_args(argv)

    chosen = [p for p in notebooks() if not args.names or any(n in p.stem for n in args.names)]
    if not chosen:
        parser.error(f"no notebook matches {args.names}")
    if args.fast and args.output_dir is None and not args.in_place_fast:
        parser.error("--fast would overwrite the committed (full-mode) outputs; "
                     "pass --output-dir DIR (or --in-place-fast)")
    if args.output_dir:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in chosen:
        out = args.output_dir / path.name if args.output_dir else path
        mode = "fast" if args.fast else "full"
        print(f"{path.name}: executing ({mode} mode) ...", flush=True)
        try:
            seconds = execute_notebook(path, args.fast, out=out, timeout=args.timeout)
        except Exception as exc:  # report and go on with the next notebook
            failed += 1
            print(f"{path.name}: FAILED ({type(exc).__name__}); partial output in {out}\n{exc}",
                  file=sys.stderr)
            continue
        print(f"{path.name}: done in {seconds:.0f} s -> {out}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
