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

Extreme magnitudes: a column's variance, or a row's squared norm, overflows
float64 from values near 1e154 on and underflows below about 1e-154, which
would flatten every row to zero. Both are therefore computed on values
first divided by a power of two near their largest magnitude. Dividing by a
power of two is exact in floating point, so for data of ordinary size the
result is bit for bit what the plain formulas give.
"""

import numpy as np

# Rows whose norm is below this are left at (near) zero instead of being
# blown up to unit length by division by a tiny number.
_NORM_FLOOR = 1e-12
_LARGEST = np.finfo(np.float64).max


def power_of_two_scale(max_abs):
    """A power of two ``u`` with ``1 <= max_abs / u < 2`` (1 where ``max_abs`` is 0).

    Parameters
    ----------
    max_abs : ndarray
        Largest absolute values (of columns or rows); finite, >= 0.

    Returns
    -------
    ndarray of the same shape
    """
    _, exponent = np.frexp(max_abs)
    return np.where(max_abs > 0, np.ldexp(1.0, exponent - 1), 1.0)


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
        Per-feature means, divided by ``unit_``.
    scale_ : ndarray of shape (n_features,) or None
        Standard deviations, divided by ``unit_``; constant features get
        scale 1 so they map to 0 instead of NaN.
    unit_ : ndarray of shape (n_features,) or None
        A power of two per feature near its largest training magnitude;
        mean and scale are stored in these units so that neither overflows.

    Notes
    -----
    A subclass changes the features before the row normalisation by
    overriding :meth:`_features` (the benchmarks' whitening does).
    """

    def __init__(self, standardize=True, homogeneous=False):
        self.standardize = standardize
        self.homogeneous = homogeneous
        self.mean_ = None
        self.scale_ = None
        self.unit_ = None

    def fit(self, X):
        """Learn the standardisation from ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float64

        Returns
        -------
        self
        """
        if self.standardize:
            self.unit_ = power_of_two_scale(np.abs(X).max(axis=0))
            scaled = X / self.unit_
            self.mean_ = scaled.mean(axis=0)
            scale = scaled.std(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def _features(self, X):
        """The features each row is normalised from: standardised when enabled."""
        return self._standardized(X) if self.standardize else X

    def _standardized(self, X):
        """``X`` standardised with the learned mean and scale (``X`` in original units)."""
        X = (X / self.unit_ - self.mean_) / self.scale_
        # A value far outside the training range may overflow here;
        # the largest float keeps its row's direction.
        return np.clip(X, -_LARGEST, _LARGEST)

    def transform(self, X):
        """Return the preprocessed rows as float32 (what the network eats).

        Shape ``(n, d)``, or ``(n, d + 1)`` when ``homogeneous`` (``d`` the
        width :meth:`_features` returns).
        """
        X = self._features(X)
        if self.homogeneous:
            X = np.hstack([X, np.full((X.shape[0], 1), np.sqrt(X.shape[1]))])
        # Rows in units of a power of two near their largest entry: the norm
        # neither overflows nor underflows, and the direction is unchanged.
        row_unit = power_of_two_scale(np.abs(X).max(axis=1, keepdims=True))
        X = X / row_unit
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        # The floor applies to the row's true norm, as before the rescaling.
        small = norms * row_unit < _NORM_FLOOR
        out = X / np.where(small, _NORM_FLOOR / row_unit, norms)
        return out.astype(np.float32)
