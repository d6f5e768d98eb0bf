"""One cell of the grid -- (dataset, detector, protocol, seed) -- run in this process.

:class:`CellSpec` is everything a worker needs (small and picklable);
:func:`run_cell_in_process` loads the dataset, splits it, fits, scores and
measures, with no isolation and no timeout. The runner calls it through
:func:`benchmarks.isolation.run_cell_isolated`, which runs it in a child
process with a timeout.
"""

from __future__ import annotations

import importlib
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import numpy as np

from pyod_sla2p.datasets import load_dataset

from .metrics import CellError, check_both_classes, score_metrics
from .protocols import Split, cap_rows, make_split
from .registry import build_detector

__all__ = ["CellSpec", "one_line", "run_cell_in_process"]

_MAX_MESSAGE = 500


@dataclass(frozen=True)
class CellSpec:
    """Everything a worker needs to run one cell.

    Attributes
    ----------
    dataset : str
        Name in the results (the key).
    source : str
        What :func:`pyod_sla2p.datasets.load_dataset` loads: a dataset name
        of the suite or a file path.
    data_dir : str or None
    detector : str
        Detector label in the results.
    estimator : str
        ``"module:Class"``.
    kwargs : dict
        Constructor arguments, without seed and feature count.
    params_json : str
        The user's overrides as JSON (the ``params`` column).
    seed_param, n_features_param : str or None
        Constructor arguments the cell fills with the seed / feature count.
    protocol : str
    seed : int
    timeout : float
        Seconds for the whole cell (load, split, fit, score).
    max_memory_gb : float or None
        Resident memory of the cell's process above which it is killed;
        None: a share of the memory of the machine that runs it
        (:func:`benchmarks.isolation.default_memory_gb`).
    threads : int or None
        BLAS/torch threads of the child; None: CPU cores divided by the
        threads of the Dask worker (or 1).
    preload : tuple of str
        Modules the cell server imports once, before the first child.
    warm_up : bool
        Compile PyOD's numba kernels (:mod:`benchmarks._jitwarm`) before the
        timed fit, once per process.
    max_rows : int or None
        Cap on the dataset's rows (:func:`benchmarks.protocols.cap_rows`),
        applied before the split; None: all rows.
    """

    dataset: str
    source: str
    data_dir: Optional[str]
    detector: str
    estimator: str
    kwargs: Dict[str, Any]
    params_json: str
    seed_param: Optional[str]
    n_features_param: Optional[str]
    protocol: str
    seed: int
    timeout: float
    max_memory_gb: Optional[float] = None
    threads: Optional[int] = 1
    preload: Tuple[str, ...] = field(default=())
    warm_up: bool = False
    max_rows: int | None = None

    @property
    def key(self) -> Tuple[str, str, str, int]:
        """``(dataset, detector, protocol, seed)``: the cell's identity."""
        return (self.dataset, self.detector, self.protocol, self.seed)


def one_line(text: str) -> str:
    """``text`` on one line, at most 500 characters (for the ``error`` column)."""
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 3] + "..."


def _seed_globals(seed: int) -> None:
    """Seed the global RNGs for detectors that use them instead of random_state."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def _build(spec: CellSpec, n_features: int) -> Any:
    kwargs = dict(spec.kwargs)
    if spec.seed_param:
        kwargs[spec.seed_param] = spec.seed
    if spec.n_features_param:
        kwargs[spec.n_features_param] = n_features
    if spec.warm_up:  # a no-op where the cell server has imported it already
        importlib.import_module("benchmarks._jitwarm")
    _seed_globals(spec.seed)
    return build_detector(spec.estimator, kwargs)


def _fit_and_score(detector: Any, split: Split, out: Dict[str, Any]) -> np.ndarray:
    start = time.perf_counter()
    detector.fit(split.X_fit)
    out["fit_seconds"] = time.perf_counter() - start
    if split.score_fitted_rows:
        return detector.decision_scores_
    start = time.perf_counter()
    scores = detector.decision_function(split.X_score)
    out["score_seconds"] = time.perf_counter() - start
    return scores


def run_cell_in_process(spec: CellSpec) -> Dict[str, Any]:
    """Run one cell in the current process (no isolation, no timeout).

    Returns ``status`` ("ok" or "error"), ``error`` (message or None), the
    three metrics, ``fit_seconds``, ``score_seconds``, ``n_train``,
    ``n_test``, ``n_features`` and ``n_outliers_test``; measured values are
    kept even when a later stage fails.
    """
    out: Dict[str, Any] = {"status": "error", "error": None}
    stage = "loading the dataset"
    try:
        ds = load_dataset(spec.source, data_dir=spec.data_dir, verify=True)  # pinned sums
        out["n_features"] = ds.n_features
        stage = "subsampling"
        X, y = cap_rows(ds.X, ds.y, spec.max_rows)
        stage = "splitting"
        split = make_split(X, y, spec.protocol, spec.seed)
        out.update(n_train=int(split.X_fit.shape[0]), n_test=int(split.X_score.shape[0]),
                   n_outliers_test=int(split.y_score.sum()))
        check_both_classes(split.y_score)  # before spending a fit on it
        stage = "building the detector"
        detector = _build(spec, ds.n_features)
        stage = "fit"
        scores = _fit_and_score(detector, split, out)
        stage = "metrics"
        try:
            out.update(score_metrics(split.y_score, scores))
        except CellError as exc:  # name who produced the scores
            raise CellError(f"{type(detector).__name__} gave {exc}") from None
        out["status"] = "ok"
    except CellError as exc:
        out["error"] = one_line(str(exc))
    except Exception as exc:  # noqa: BLE001 -- any detector failure is a result
        if stage == "fit" and "fit_seconds" in out:
            stage = "scoring"
        out["error"] = one_line(f"{stage} failed: {type(exc).__name__}: {exc}")
    return out
