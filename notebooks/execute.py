"""Execute the notebooks on a fresh kernel (nbclient) and save their outputs.

Usage (from the repository root)::

    python notebooks/execute.py                               # full mode, every notebook, in place
    python notebooks/execute.py 03                            # notebooks whose name contains "03"
    python notebooks/execute.py --fast --output-dir /tmp/nb   # fast mode, into copies

Full mode produces the committed outputs. Fast mode sets ``SLA2P_NOTEBOOK_FAST=1``
in the kernel's environment, and every notebook then shrinks its data, seeds and
grids; the tests run it that way, always into copies.

What this adds to nbclient: the kernel is this interpreter's own ipykernel (a
``python3`` kernelspec of another environment cannot take over), it runs in
``notebooks/`` as in Jupyter, with one BLAS/OpenMP thread unless the caller set
``OMP_NUM_THREADS`` etc. (these small networks run several times slower with
threads contending on a shared CPU), and a notebook whose cell fails is still
written, so the traceback can be read in it.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def execute_notebook(path: Path, out: Path, fast: bool, timeout: int = 1200) -> None:
    """Run every cell of ``path`` on a fresh kernel and write the result to ``out``.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell raises (``out`` is written all the same).
    """
    nb = nbformat.read(path, as_version=4)
    env = {**ONE_THREAD, **os.environ, "SLA2P_NOTEBOOK_FAST": "1" if fast else "0"}
    # No kernel directories: only ipykernel's built-in spec, which runs sys.executable.
    kernel = AsyncKernelManager(kernel_name="python3",
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    client = NotebookClient(nb, km=kernel, timeout=timeout,
                            resources={"metadata": {"path": str(HERE)}})
    try:
        client.execute(env=env)
    finally:
        nbformat.write(nb, out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="substrings of notebook names (default: all)")
    parser.add_argument("--fast", action="store_true", help="fast mode; needs --output-dir")
    parser.add_argument("--output-dir", type=Path, help="write the executed copies there")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell (1200)")
    args = parser.parse_args(argv)
    chosen = [p for p in sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
              if not args.names or any(n in p.stem for n in args.names)]
    if not chosen:
        parser.error(f"no notebook in {HERE} matches {args.names}")
    if args.fast and args.output_dir is None:
        parser.error("--fast outputs are not committed: pass --output-dir DIR")
    if args.output_dir:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in chosen:
        out = args.output_dir / path.name if args.output_dir else path
        print(f"{path.name}: executing ({'fast' if args.fast else 'full'} mode)", flush=True)
        start = time.perf_counter()
        try:
            execute_notebook(path, out, args.fast, args.timeout)
        except Exception as exc:  # report it and go on with the next notebook
            failed += 1
            print(f"{path.name}: FAILED, partial output in {out}\n{exc}", file=sys.stderr)
            continue
        print(f"{path.name}: done in {time.perf_counter() - start:.0f} s -> {out}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
