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

Gross rows (issue 26): one row far outside the others in most features (a
unit error, a record shifted by a column) drags every feature's mean and
standard deviation, so every other row is squeezed towards the centre and
SLA2P can no longer tell them apart. :func:`gross_rows` finds such rows and
the standardisation is learned without them; they are still transformed and
scored, and rank as the outliers they are. A row that dominates only a few
features is left alone: excluding those rows feature by feature lowered the
image family's ROC-AUC on the development suite (ResNet features are
sparse, and one image often dominates a channel), see
``benchmarks/results/gross_rows``.
"""

import numpy as np

# Rows whose norm is below this are left at (near) zero instead of being
# blown up to unit length by division by a tiny number.
_NORM_FLOOR = 1e-12
_LARGEST = np.finfo(np.float64).max

# A feature is dominated when its farthest rows, at most this share of the
# rows (at least one), raise its standard deviation more than
# _DOMINANCE_FACTOR times over that of the other rows: they squeeze the other
# rows' spread by an order of magnitude.
_DOMINANT_SHARE = 0.001
_DOMINANCE_FACTOR = 10.0


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


def gross_rows(X):
    """Rows that dominate the spread of more than half of the features.

    For each feature the ``k = max(1, floor(0.001 n))`` values farthest from
    its median are its candidates; the feature is dominated when its standard
    deviation exceeds that of the other values by more than 10 times. A row
    that is a dominating candidate in more than half of the features is gross.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64, finite

    Returns
    -------
    ndarray of bool, shape (n_samples,)
        All False for fewer than 3 rows.
    """
    n, d = X.shape
    votes = np.zeros(n, dtype=np.int64)
    k = min(max(1, int(_DOMINANT_SHARE * n)), n - 2)
    if k < 1:
        return votes.astype(bool)
    # One column at a time: memory stays O(n) on a million rows.
    for column in X.T:
        farthest = _dominating_rows(column, k)
        if farthest is not None:
            votes[farthest] += 1
    return votes > d / 2


def _dominating_rows(column, k):
    """The ``k`` rows of ``column`` farthest from its median if they dominate it, else None."""
    unit = power_of_two_scale(np.abs(column).max())
    scaled = column / unit
    distance = np.abs(scaled - np.median(scaled))
    farthest = np.argpartition(distance, len(column) - k)[-k:]
    rest = np.delete(column, farthest)
    if not rest.max() > rest.min():
        return None  # the other rows are all equal (a sparse feature): nothing is squeezed
    rest_unit = power_of_two_scale(np.abs(rest).max())
    # Both spreads in real units, compared in the log domain: neither overflows,
    # and the other rows are in their own units, so a 1e300 cannot flush them to 0.
    with np.errstate(divide="ignore"):
        log_all = np.log(scaled.std()) + np.log(unit)
        log_rest = np.log((rest / rest_unit).std()) + np.log(rest_unit)
    return farthest if log_all > log_rest + np.log(_DOMINANCE_FACTOR) else None


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
    gross_rows_ : ndarray of int or None
        Indices of the training rows :func:`gross_rows` left out of the
        standardisation (usually empty).

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
        self.gross_rows_ = None

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
            gross = gross_rows(X)
            self.gross_rows_ = np.flatnonzero(gross)
            if gross.any():
                X = X[~gross]
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
        # One new array, then in place: a million rows are not copied thrice.
        X = X / self.unit_
        X -= self.mean_
        X /= self.scale_
        # A value far outside the training range may overflow here;
        # the largest float keeps its row's direction.
        return np.clip(X, -_LARGEST, _LARGEST, out=X)

    def transform(self, X):
        """Return the preprocessed rows as float32 (what the network eats).

        Shape ``(n, d)``, or ``(n, d + 1)`` when ``homogeneous`` (``d`` the
        width :meth:`_features` returns). ``X`` itself is not changed.
        """
        given = X
        X = self._features(X)
        if self.homogeneous:
            X = np.hstack([X, np.full((X.shape[0], 1), np.sqrt(X.shape[1]))])
        elif X is given:
            X = np.array(X, dtype=np.float64)
        # From here in place on X, which is this method's own array.
        # Rows in units of a power of two near their largest entry: the norm
        # neither overflows nor underflows, and the direction is unchanged.
        largest = np.maximum(X.max(axis=1, keepdims=True), -X.min(axis=1, keepdims=True))
        row_unit = power_of_two_scale(largest)
        X /= row_unit
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        # The floor applies to the row's true norm, as before the rescaling.
        small = norms * row_unit < _NORM_FLOOR
        X /= np.where(small, _NORM_FLOOR / row_unit, norms)
        return X.astype(np.float32)
