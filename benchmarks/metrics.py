"""The metrics of one cell: ROC-AUC, average precision and precision@n."""

from __future__ import annotations

from typing import Dict

import numpy as np
from pyod.utils.utility import precision_n_scores
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["CellError", "check_both_classes", "score_metrics"]


class CellError(Exception):
    """A cell that cannot produce metrics for a reason worth stating plainly."""


def check_both_classes(y: np.ndarray) -> None:
    """Raise :class:`CellError` unless ``y`` holds inliers and outliers."""
    n_out, n = int(np.sum(y)), int(np.size(y))
    if n_out == 0 or n_out == n:
        raise CellError(f"the scored rows hold a single class ({n_out} outliers of {n}); "
                        "the metrics are undefined")


def score_metrics(y: np.ndarray, scores: np.ndarray) -> Dict[str, float]:
    """ROC-AUC, average precision and precision@n (outliers positive).

    Parameters
    ----------
    y : ndarray of shape (n,)
        1 = outlier.
    scores : ndarray of shape (n,)
        Higher = more abnormal.

    Returns
    -------
    dict
        ``roc_auc``, ``average_precision``, ``precision_at_n`` (precision
        among the ``n`` top-scored rows, ``n`` = number of true outliers;
        PyOD's ``precision_n_scores``).

    Raises
    ------
    CellError
        Non-finite scores, a length mismatch, or a single class in ``y``.
    """
    y = np.asarray(y).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.shape != y.shape:
        raise CellError(f"got {scores.size} scores for {y.size} rows")
    bad = int((~np.isfinite(scores)).sum())
    if bad:
        raise CellError(f"non-finite scores: {bad} of {scores.size}")
    check_both_classes(y)
    return {
        "roc_auc": float(roc_auc_score(y, scores)),
        "average_precision": float(average_precision_score(y, scores)),
        "precision_at_n": float(precision_n_scores(y, scores)),
    }
