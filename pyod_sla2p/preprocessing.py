"""Preprocessing learned in ``fit``: optional standardisation, then row L2
normalisation (method page, step 2).

The authors' script scales every row to unit L2 norm before projecting; a
row's direction, not its length, is what the projections see. Per-feature
standardisation first (as PyOD's deep detectors do) keeps a feature with a
large unit from dominating every row's direction.

Normalising throws away each row's magnitude, and many anomalies are
extreme values. The *homogeneous* variant appends a constant coordinate
``sqrt(d)`` before normalising (projective coordinates): the normalised row
then still encodes the original length through the share of that
coordinate, at the price of blurring directions of short rows. The
detector's ``views`` parameter uses either or both.
"""

import numpy as np

# Rows whose norm is below this are left at (near) zero instead of being
# blown up to unit length by division by a tiny number.
_NORM_FLOOR = 1e-12


class RowPreprocessor:
    """Standardise features (optional), then scale rows to unit L2 norm.

    Parameters
    ----------
    standardize : bool
        Learn per-feature mean and standard deviation in :meth:`fit`.
    homogeneous : bool, default=False
        Append the constant coordinate ``sqrt(n_features)`` before the row
        normalisation, so the output keeps the row's magnitude. A typical
        standardised row has norm ``sqrt(d)``, so the constant weighs
        direction and magnitude about equally.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
    scale_ : ndarray of shape (n_features,) or None
        Standard deviations, with constant features given scale 1 so they
        map to 0 instead of NaN.
    """

    def __init__(self, standardize=True, homogeneous=False):
        self.standardize = standardize
        self.homogeneous = homogeneous
        self.mean_ = None
        self.scale_ = None

    def fit(self, X):
        if self.standardize:
            self.mean_ = X.mean(axis=0)
            scale = X.std(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X):
        """Return the preprocessed rows as float32 (what the network eats).

        Shape ``(n, d)``, or ``(n, d + 1)`` when ``homogeneous``.
        """
        if self.standardize:
            X = (X - self.mean_) / self.scale_
        if self.homogeneous:
            X = np.hstack([X, np.full((X.shape[0], 1), np.sqrt(X.shape[1]))])
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        return (X / np.maximum(norms, _NORM_FLOOR)).astype(np.float32)
