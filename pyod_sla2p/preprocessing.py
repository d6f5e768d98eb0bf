"""Preprocessing learned in ``fit``: optional standardisation, optional PCA
whitening, then row L2 normalisation (method page, step 2).

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

PCA whitening (a research lever, ``whiten``; issue 15, "Width for wide
inputs") rotates the rows onto their principal components and scales each
component to unit variance before the normalisation. On wide embeddings a
few directions carry most of the variance and dominate every row's
direction; after whitening every retained direction weighs the same. The
components kept are those that explain 99 % of the training variance, not
all ``min(n, d)``: whitening raises every kept component to unit variance,
so the near-zero-variance tail (numerical noise, or exactly zero on
rank-deficient data such as fewer rows than features) would otherwise be
blown up to weigh as much as the leading directions. The whitened rows
are narrower than the input when components are dropped; the projection
bank is drawn for whatever width comes out.

Extreme magnitudes: a column's variance, or a row's squared norm, overflows
float64 from values near 1e154 on and underflows below about 1e-154, which
would flatten every row to zero. Both are therefore computed on values
first divided by a power of two near their largest magnitude. Dividing by a
power of two is exact in floating point, so for data of ordinary size the
result is bit for bit what the plain formulas give.
"""

import numpy as np
from sklearn.decomposition import PCA

# Share of the training variance the whitening keeps (see the module docstring).
WHITEN_VARIANCE = 0.99
# ``whiten="wide"`` whitens rows wider than this: the package's default
# projection width r, so exactly the inputs that the projections compress.
# A rule that reads only the shape cannot be tuned to a data set's labels
# (issue 15: a rule may read only the training data).
WIDE_FEATURES = 64

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


def resolve_whiten(whiten, n_features):
    """Whether ``whiten`` (``True``, ``False`` or ``"wide"``) whitens rows of ``n_features``.

    ``"wide"`` whitens only rows wider than :data:`WIDE_FEATURES`.
    """
    if isinstance(whiten, str):  # "wide"
        return n_features > WIDE_FEATURES
    return bool(whiten)


class RowPreprocessor:
    """Standardise features (optional), whiten (optional), then scale rows to unit L2 norm.

    Parameters
    ----------
    standardize : bool
        Learn per-feature mean and standard deviation in :meth:`fit`.
    homogeneous : bool, default=False
        Append the constant coordinate ``sqrt(n_features)`` before the row
        normalisation, so the output keeps the row's magnitude. A typical
        standardised row has norm ``sqrt(d)``, so the constant weighs
        direction and magnitude about equally.
    whiten : bool or "wide", default=False
        After the standardisation, project the rows on the principal
        components of the training rows that explain 99 % of their variance,
        each scaled to unit variance (``sklearn.decomposition.PCA`` with
        ``whiten=True``). ``"wide"``: only when the training rows have more
        than 64 features. The homogeneous coordinate is appended after the
        whitening.

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
    pca_ : sklearn.decomposition.PCA or None
        The fitted whitening; None when the rows are not whitened (``whiten``
        off or ``"wide"`` on narrow rows, or training rows without any
        variance, which the view then rejects as degenerate).
    pca_unit_ : float or None
        A power of two near the largest magnitude the PCA was fitted on;
        rows are divided by it before the PCA so its covariance cannot
        overflow. Whitening is invariant to a common scale, so this changes
        nothing else.
    """

    def __init__(self, standardize=True, homogeneous=False, whiten=False):
        self.standardize = standardize
        self.homogeneous = homogeneous
        self.whiten = whiten
        self.mean_ = None
        self.scale_ = None
        self.unit_ = None
        self.pca_ = None
        self.pca_unit_ = None

    def fit(self, X, whiten_rows=None):
        """Learn the standardisation and, if enabled, the whitening from ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float64
        whiten_rows : ndarray of int or None, default=None
            The rows of ``X`` the whitening's PCA is fitted on; None: all.
            The views pass the classifier's training subsample, so that on
            large data the PCA (an SVD of the rows) costs no more than
            training does. The standardisation always uses every row.

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
        if resolve_whiten(self.whiten, X.shape[1]):
            rows = X if whiten_rows is None else X[whiten_rows]
            self._fit_whitening(self._standardized(rows) if self.standardize else rows)
        return self

    def _fit_whitening(self, X):
        self.pca_unit_ = float(power_of_two_scale(np.abs(X).max()))
        X = X / self.pca_unit_
        if not np.any(np.ptp(X, axis=0) > 0):
            return  # no variance to whiten: the view rejects such rows
        # svd_solver="full": exact and deterministic (random_state is then
        # unused but fixed, so no solver choice can draw from global state).
        self.pca_ = PCA(n_components=WHITEN_VARIANCE, whiten=True,
                        svd_solver="full", random_state=0).fit(X)

    def _standardized(self, X):
        """``X`` standardised with the learned mean and scale (``X`` in original units)."""
        X = (X / self.unit_ - self.mean_) / self.scale_
        # A value far outside the training range may overflow here;
        # the largest float keeps its row's direction.
        return np.clip(X, -_LARGEST, _LARGEST)

    def _whitened(self, X):
        """``pca_.transform(X / pca_unit_)``, computed so that it cannot overflow.

        Each row is first divided by a power of two near its largest
        magnitude (exact), transformed, and scaled back with saturation at
        the largest float: a test row far outside the training range keeps
        its direction instead of turning into inf or NaN.
        """
        pca = self.pca_
        X = X / self.pca_unit_
        row_unit = power_of_two_scale(np.maximum(
            np.abs(X).max(axis=1, keepdims=True), np.abs(pca.mean_).max()))
        Y = ((X / row_unit - pca.mean_ / row_unit) @ pca.components_.T
             / np.sqrt(pca.explained_variance_))
        # Rows scaled down (unit below 1) cannot overflow on the way back.
        bound = _LARGEST / np.maximum(row_unit, 1.0)
        return np.clip(Y, -bound, bound) * row_unit

    def transform(self, X):
        """Return the preprocessed rows as float32 (what the network eats).

        Shape ``(n, d)``, or ``(n, d + 1)`` when ``homogeneous``; with
        whitening ``d`` is the number of principal components kept.
        """
        if self.standardize:
            X = self._standardized(X)
        if self.pca_ is not None:
            X = self._whitened(X)
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
