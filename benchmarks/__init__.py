"""The benchmark runner: SLA2P beside PyOD's detectors on identical splits.

Run ``python -m benchmarks --help`` from the repository root. Modules:

:mod:`benchmarks.detectors`
    Registry of detectors by name and the ``NAME:KEY=VALUE`` specifications.
:mod:`benchmarks.protocols`
    The ``inductive`` (PyOD's) and ``transductive`` (the paper's) splits.
:mod:`benchmarks.cell`
    One (dataset, detector, protocol, seed) cell in an isolated process,
    with a timeout; the metrics.
:mod:`benchmarks.runner`
    The grid, the joblib and Dask backends, ``--resume``.
:mod:`benchmarks.resultsfile`
    ``results.csv``, appended one row per finished cell.
:mod:`benchmarks.report`
    Tables, average ranks, wins, the box plot and the critical-difference
    diagram.

The package imports the library (:mod:`pyod_sla2p`), never the reverse.
"""
