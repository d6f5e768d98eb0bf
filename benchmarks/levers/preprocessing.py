"""Preprocessing levers: PCA whitening (``whiten``) and guarded scaling (``scaling``).

Guarded scaling (issue 26, "one extreme row must not blind SLA2P"): a single
extreme row drags a feature's mean and standard deviation, squeezing every
other row towards the centre. ``scaling="guarded"`` keeps the standard
scaling of every feature whose standard deviation is at most
``guard_factor`` (default 3) times its winsorised standard deviation (the values clipped
to their ``k``-th smallest and largest, ``k = max(1, floor(0.01 n))``), and
uses the winsorised mean and standard deviation for the others. On features
without dominating values nothing changes; where a few rows dominate, the
inliers keep their spread.


Issue 15, "Width for wide inputs": the rows are rotated onto their principal
components and each component scaled to unit variance before the
normalisation. On wide embeddings a few directions carry most of the
variance and dominate every row's direction; after whitening every retained
direction weighs the same. The components kept are those that explain 99 %
of the training variance, not all ``min(n, d)``: whitening raises every
kept component to unit variance, so the near-zero-variance tail (numerical
noise, or exactly zero on rank-deficient data such as fewer rows than
features) would otherwise be blown up to weigh as much as the leading
directions. The whitened rows are narrower than the input when components
are dropped; the projection bank is drawn for whatever width comes out.
On the development suite (3 seeds) whitening wide rows raised the image
sets' ROC-AUC but lowered AP in every family, so SLA2P does not whiten.
"""

import numpy as np
from sklearn.decomposition import PCA

from pyod_sla2p.preprocessing import RowPreprocessor, power_of_two_scale

_LARGEST = np.finfo(np.float64).max

#: The default of ``guard_factor``: a feature whose standard deviation exceeds
#: its winsorised one by more than this is scaled by the winsorised statistics.
GUARD_FACTOR = 3.0
#: Share of the rows clipped at each end before the winsorised statistics.
WINSOR_SHARE = 0.01
SCALINGS = ("standard", "guarded", "trimmed")

#: ``scaling="trimmed"``: at most this share of the rows (at least one) may
#: dominate a feature ...
TRIM_SHARE = 0.001
#: ... and they dominate it when they raise its standard deviation more than
#: this many times over the standard deviation of the other rows, i.e. when
#: they would squeeze the other rows' spread by an order of magnitude.
TRIM_FACTOR = 10.0


def trimmed_statistics(X, share=TRIM_SHARE):
    """Per-feature unit, mean and spread of ``X`` without its farthest rows.

    For each feature the ``k = max(1, floor(share * n))`` values farthest from
    its median are left out (each feature its own rows).

    Returns
    -------
    unit, mean, scale : ndarray of shape (n_features,)
        ``mean`` and ``scale`` of the kept values in units of ``unit``, a
        power of two near the kept values' largest magnitude: the kept rows
        have their own units, so an excluded 1e300 cannot flush them to zero.
    spread : ndarray of bool, shape (n_features,)
        Whether the kept values differ at all (not all equal).
    """
    n = X.shape[0]
    k = min(max(1, int(np.floor(share * n))), n - 2)
    # Distances in units of each column's largest magnitude: cannot overflow.
    units = power_of_two_scale(np.abs(X).max(axis=0))
    scaled = X / units
    distance = np.abs(scaled - np.median(scaled, axis=0))
    farthest = np.argpartition(-distance, k - 1, axis=0)[:k]
    kept = np.ones(X.shape, dtype=bool)
    np.put_along_axis(kept, farthest, False, axis=0)
    core = np.where(kept, X, np.nan)
    unit = power_of_two_scale(np.nanmax(np.abs(core), axis=0))
    core = core / unit
    spread = np.nanmax(core, axis=0) > np.nanmin(core, axis=0)
    return unit, np.nanmean(core, axis=0), np.nanstd(core, axis=0), spread


def winsorized_statistics(X):
    """Per-feature unit, mean and spread of ``X`` clipped at its k-th extremes.

    Order statistics, not interpolated percentiles: an interpolated 99th
    percentile of 100 rows moves with the largest value itself.

    Returns
    -------
    unit, mean, scale : ndarray of shape (n_features,)
        ``mean`` and ``scale`` in units of ``unit``, a power of two near the
        largest clipped magnitude, so that they neither overflow nor underflow.
    """
    n = X.shape[0]
    k = max(1, int(np.floor(WINSOR_SHARE * n)))
    ordered = np.sort(X, axis=0)
    low, high = ordered[min(k, n - 1)], ordered[max(n - 1 - k, 0)]
    clipped = np.clip(X, low, high)
    unit = power_of_two_scale(np.abs(clipped).max(axis=0))
    scaled = clipped / unit
    return unit, scaled.mean(axis=0), scaled.std(axis=0)

# Share of the training variance the whitening keeps (see the module docstring).
WHITEN_VARIANCE = 0.99
# ``whiten="wide"`` whitens rows wider than this: the package's default
# projection width r, so exactly the inputs that the projections compress.
# A rule that reads only the shape cannot be tuned to a data set's labels
# (issue 15: a rule may read only the training data).
WIDE_FEATURES = 64


def resolve_whiten(whiten, n_features):
    """Whether ``whiten`` (``True``, ``False`` or ``"wide"``) whitens rows of ``n_features``.

    ``"wide"`` whitens only rows wider than :data:`WIDE_FEATURES`.
    """
    if isinstance(whiten, str):  # "wide"
        return n_features > WIDE_FEATURES
    return bool(whiten)



class WhiteningPreprocessor(RowPreprocessor):
    """SLA2P's preprocessing with optional PCA whitening after the standardisation.

    Parameters
    ----------
    standardize, homogeneous
        As for :class:`pyod_sla2p.preprocessing.RowPreprocessor`.
    whiten : bool or "wide", default=False
        Project the (standardised) rows on the principal components of the
        training rows that explain 99 % of their variance, each scaled to
        unit variance (``sklearn.decomposition.PCA`` with ``whiten=True``).
        ``"wide"``: only when the training rows have more than 64 features.
        The homogeneous coordinate is appended after the whitening.
    scaling : {"standard", "guarded"}, default="standard"
        ``"guarded"``: winsorised statistics for features whose standard
        deviation a few rows dominate (see the module docstring).
    guard_factor : float > 1, default=3.0
        How many times the winsorised standard deviation a feature's may be
        before ``"guarded"`` replaces its statistics.

    Attributes
    ----------
    guarded_ : ndarray of bool or None
        Which features got the winsorised statistics (``scaling="guarded"``).
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

    def __init__(self, standardize=True, homogeneous=False, whiten=False,
                 scaling="standard", guard_factor=GUARD_FACTOR):
        super().__init__(standardize, homogeneous)
        self.whiten = whiten
        self.scaling = scaling
        self.guard_factor = guard_factor
        self.guarded_ = None
        self.pca_ = None
        self.pca_unit_ = None

    def fit(self, X, whiten_rows=None):
        """Learn the standardisation from ``X`` and, if enabled, the whitening.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float64
        whiten_rows : ndarray of int or None, default=None
            The rows of ``X`` the PCA is fitted on (None: all); the variant
            passes the classifier's training subsample, so that on large data
            the PCA costs no more than training does.

        Returns
        -------
        self
        """
        super().fit(X)
        if self.standardize and self.scaling == "guarded":
            self._guard(X)
        elif self.standardize and self.scaling == "trimmed" and X.shape[0] > 2:
            self._trim(X)
        if resolve_whiten(self.whiten, X.shape[1]):
            rows = X if whiten_rows is None else X[whiten_rows]
            self._fit_whitening(self._standardized(rows) if self.standardize else rows)
        return self

    def _guard(self, X):
        """Winsorised statistics for the features a few rows dominate."""
        unit, mean, scale = winsorized_statistics(X)
        # Both spreads in real units, compared in the log domain: neither overflows.
        with np.errstate(divide="ignore"):
            log_std = np.log(self.scale_) + np.log(self.unit_)
            log_wstd = np.log(scale) + np.log(unit)
        guarded = (scale > 0) & (log_std > log_wstd + np.log(self.guard_factor))
        self.guarded_ = guarded
        self.unit_ = np.where(guarded, unit, self.unit_)
        self.mean_ = np.where(guarded, mean, self.mean_)
        self.scale_ = np.where(guarded, scale, self.scale_)

    def _trim(self, X):
        """The statistics of the other rows for features that a few rows dominate."""
        unit, mean, scale, spread = trimmed_statistics(X)
        with np.errstate(divide="ignore"):
            log_std = np.log(self.scale_) + np.log(self.unit_)
            log_kept = np.log(scale) + np.log(unit)
        guarded = spread & (scale > 0) & (log_std > log_kept + np.log(TRIM_FACTOR))
        self.guarded_ = guarded
        self.unit_ = np.where(guarded, unit, self.unit_)
        self.mean_ = np.where(guarded, mean, self.mean_)
        self.scale_ = np.where(guarded, scale, self.scale_)

    def _features(self, X):
        X = super()._features(X)
        return self._whitened(X) if self.pca_ is not None else X

    def _fit_whitening(self, X):
        self.pca_unit_ = float(power_of_two_scale(np.abs(X).max()))
        X = X / self.pca_unit_
        if not np.any(np.ptp(X, axis=0) > 0):
            return  # no variance to whiten: the view rejects such rows
        # svd_solver="full": exact and deterministic (random_state is then
        # unused but fixed, so no solver choice can draw from global state).
        self.pca_ = PCA(n_components=WHITEN_VARIANCE, whiten=True,
                        svd_solver="full", random_state=0).fit(X)

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
