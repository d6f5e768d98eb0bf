"""The benchmark runner: SLA2P beside PyOD's detectors on identical splits.

Run ``python -m benchmarks --help`` from the repository root. Modules:

:mod:`benchmarks.registry`
    Detectors by name (``sla2p``, ``lof``, ...) and their classes.
:mod:`benchmarks.specs`
    ``NAME:KEY=VALUE`` specifications, ``--set`` and ``--config`` to
    validated detectors.
:mod:`benchmarks.protocols`
    The ``inductive`` (PyOD's) and ``transductive`` (the paper's) splits.
:mod:`benchmarks.cell` and :mod:`benchmarks.metrics`
    One (dataset, detector, protocol, seed) cell in this process; its metrics.
:mod:`benchmarks.isolation`
    A cell in its own process, with a timeout.
:mod:`benchmarks.runner`
    The grid, the joblib and Dask backends, ``--resume`` and ``--overwrite``.
:mod:`benchmarks.resultsfile` and :mod:`benchmarks.runconfig`
    ``results.csv`` (appended one row per finished cell, checked when read)
    and ``run_config.json``.
:mod:`benchmarks.report`, :mod:`benchmarks.ablation`, :mod:`benchmarks.perf`
    Tables, ranks and plots; variant-vs-baseline tables; speed and scaling.

The package imports the library (:mod:`pyod_sla2p`), never the reverse.
"""
