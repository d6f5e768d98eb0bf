"""Evaluation protocols: which rows a detector is fit on and which it scores.

``inductive``
    PyOD's benchmark protocol: ``train_test_split(X, y, test_size=0.4,
    random_state=seed)``, z-scores learned on the training part
    (:func:`pyod.utils.utility.standardizer`), fit on the training rows,
    score the test rows with ``decision_function``.
``transductive``
    The paper's unsupervised protocol: z-scores learned on all rows, fit on
    all rows, score the same rows. The scores are the detector's
    ``decision_scores_`` (its scores of the data it was fit on, as PyOD
    defines them), so a neighbour method does not count a row as its own
    neighbour; their cost is part of the fit time. The split does not
    depend on the seed; the seed only seeds the detector.

A split depends on the dataset, the protocol and the seed only, never on the
detector, so every detector of a run sees identical rows.

``--max-rows N`` (:func:`cap_rows`) first keeps a stratified subsample of
``N`` rows of a larger dataset, drawn with the fixed :data:`SUBSAMPLE_SEED`,
so the capped rows are the same for every detector and seed of a run; the
split is then made within them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyod.utils.utility import standardizer
from sklearn.model_selection import train_test_split

__all__ = ["PROTOCOLS", "SUBSAMPLE_SEED", "TEST_SIZE", "Split", "cap_rows", "make_split"]

PROTOCOLS = ("inductive", "transductive")

#: Test share of the inductive protocol (PyOD's benchmark value).
TEST_SIZE = 0.4

#: Seed of the ``--max-rows`` subsample. Fixed, not the cell's seed: the
#: seeds of a run vary the split and the detector, never the rows under study.
SUBSAMPLE_SEED = 0


@dataclass(frozen=True, eq=False)
class Split:
    """Rows to fit on and rows to score.

    Attributes
    ----------
    X_fit : ndarray of shape (n_fit, n_features)
    X_score : ndarray of shape (n_score, n_features)
    y_score : ndarray of shape (n_score,)
        Labels of the scored rows (1 = outlier).
    score_fitted_rows : bool
        True when ``X_score`` is ``X_fit`` (transductive): the scores are
        then the fitted detector's ``decision_scores_``.
    """

    X_fit: np.ndarray
    X_score: np.ndarray
    y_score: np.ndarray
    score_fitted_rows: bool


def make_split(X: np.ndarray, y: np.ndarray, protocol: str, seed: int) -> Split:
    """Split and standardise one dataset for one protocol and seed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    protocol : {"inductive", "transductive"}
    seed : int

    Returns
    -------
    Split
    """
    if protocol == "inductive":
        X_train, X_test, _, y_test = train_test_split(X, y, test_size=TEST_SIZE,
                                                      random_state=seed)
        X_train, X_test = standardizer(X_train, X_test)
        return Split(X_train, X_test, np.asarray(y_test), False)
    if protocol == "transductive":
        Xs = standardizer(X)
        return Split(Xs, Xs, np.asarray(y), True)
    raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


def cap_rows(X: np.ndarray, y: np.ndarray, max_rows, seed: int = SUBSAMPLE_SEED):
    """At most ``max_rows`` rows: a stratified subsample of a larger dataset.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    max_rows : int or None
        None, or a dataset of at most ``max_rows`` rows: returned as is.
    seed : int, default=SUBSAMPLE_SEED

    Returns
    -------
    X, y : ndarray
        The kept rows in their original order, with the outlier share of
        the full dataset (to the nearest row).
    """
    if max_rows is None or len(y) <= max_rows:
        return X, y
    keep, _ = train_test_split(np.arange(len(y)), train_size=int(max_rows), stratify=y,
                               random_state=seed)
    keep = np.sort(keep)
    return X[keep], y[keep]
