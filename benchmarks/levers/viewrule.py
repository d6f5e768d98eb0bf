"""Which views to fit, chosen from the training rows (issue 15, lever 5).

The two views see different outliers (:mod:`pyod_sla2p.views`): ``direction`` finds
local and contextual ones, ``homogeneous`` extreme values. Picking the
better view per data set would gain much (the oracle over views reaches
0.855 mean ROC-AUC on ODDS), but statistics of the training *scores* did not
predict it. This module tries statistics of the training *data* instead.
It reads only the rows it is given: never a data set's name.

:func:`data_statistics` describes the rows; :func:`views_from_statistics`
turns that description into views by the rule below; :func:`choose_views`
does both. The ``view_rule="data"`` research lever of
``benchmarks.variants.SLA2PVariant`` calls :func:`choose_views` in ``fit``.

The rule (thresholds are the module constants, so the ablation can refit
them on the development suite):

1. Heavy tails: at least ``HEAVY_TAIL_SHARE`` of the rows (and at least
   ``MIN_TAIL_ROWS`` rows) lie beyond ``TAIL_Z`` standard deviations in the
   feature at the ``TAIL_QUANTILE`` quantile over features. Then some
   features carry extreme values, which only the homogeneous view sees:
   ``("homogeneous",)``.
2. Light tails: that share is at most ``LIGHT_TAIL_SHARE`` (a Gaussian
   feature has 0.27 % beyond 3 standard deviations): no feature carries
   extreme values, and the paper's ``("direction",)`` view is kept alone.
3. Otherwise, or when no feature varies, the rule is undecided and both
   views are fitted, as by default.

A quantile over features rather than the median, because the outliers the
defaults miss are extreme values in a *few* features (issue 15). The share
of variance in the leading principal components and the ratio of rows to
features are computed and returned too, but the rule does not use them yet:
they are there for the ablation to test.

Known blind spot: a rare binary indicator (a 0/1 column with a few ones)
counts as heavy-tailed, since its ones lie many standard deviations from
the mean.
"""

import math

import numpy as np

from pyod_sla2p.defaults import VIEWS

#: The values of the ``view_rule`` research lever.
VIEW_RULES = ("none", "data")

#: A value is in a feature's tail beyond this many standard deviations.
TAIL_Z = 3.0
#: The tail share of the feature at this quantile over features decides.
TAIL_QUANTILE = 0.9
#: Tail share from which a feature is heavy-tailed (about 4 times a
#: Gaussian's 0.27 %).
HEAVY_TAIL_SHARE = 0.01
#: ... and it must also be at least this many rows, so that one or two
#: rows of a small data set do not decide.
MIN_TAIL_ROWS = 3
#: Tail share up to which the features count as light-tailed (about twice a
#: Gaussian's, leaving room for sampling noise).
LIGHT_TAIL_SHARE = 0.006
#: Share of the principal components (at least one) whose variance
#: ``leading_variance_share`` sums.
LEADING_FRACTION = 0.1

# Above this many varying features the (features x features) correlation
# matrix (128 MB at 4096) is not formed and the component statistics are NaN.
_MAX_COMPONENT_FEATURES = 4096
# Rows per block when the statistics stream over X: bounds the temporary
# copies to a few MB per block whatever the data's size.
_BLOCK_ELEMENTS = 1 << 20


def data_statistics(X):
    """Statistics of the training rows that may tell which view fits.

    Every statistic depends on the values of ``X`` only, not on the order of
    its rows (up to floating-point rounding), and is invariant to a change
    of unit or offset of any feature. Constant features are left out.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite training rows.

    Returns
    -------
    dict
        ``n_rows``, ``n_features`` : int
        ``rows_per_feature`` : float
            ``n_rows / n_features``.
        ``n_varying_features`` : int
            Features that are not constant; the statistics below use those.
        ``tail_share_median``, ``tail_share_quantile`` : float
            The share of rows beyond ``TAIL_Z`` standard deviations from a
            feature's mean, its median over features and its
            ``TAIL_QUANTILE`` quantile (the rule's statistic).
        ``kurtosis_median``, ``kurtosis_quantile`` : float
            The features' excess kurtosis (0 for a Gaussian), median and
            ``TAIL_QUANTILE`` quantile over features.
        ``first_component_share``, ``leading_variance_share`` : float
            Share of the total variance of the standardised features in the
            first principal component, and in the first
            ``ceil(LEADING_FRACTION * n_varying_features)`` components.
        The tail, kurtosis and component statistics are NaN when no
        feature varies; the component ones also above 4096 varying features.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    # Dividing each column by its largest magnitude first keeps the squares
    # and fourth powers below finite limits on any finite data; none of the
    # statistics depends on a feature's unit.
    scale = np.abs(X).max(axis=0)
    varying = np.ptp(X, axis=0) > 0
    stats = {"n_rows": int(n), "n_features": int(d), "rows_per_feature": n / d,
             "n_varying_features": int(varying.sum())}
    nan = float("nan")
    if not varying.any():
        return {**stats, "tail_share_median": nan, "tail_share_quantile": nan,
                "kurtosis_median": nan, "kurtosis_quantile": nan,
                "first_component_share": nan, "leading_variance_share": nan}
    columns = np.flatnonzero(varying)
    mean = np.zeros(len(columns))
    for rows in _row_blocks(n, len(columns)):
        mean += (X[rows][:, columns] / scale[columns]).sum(axis=0)
    mean /= n
    moment2 = np.zeros(len(columns))
    moment4 = np.zeros(len(columns))
    wide = len(columns) > _MAX_COMPONENT_FEATURES
    cross = None if wide else np.zeros((len(columns), len(columns)))
    for rows in _row_blocks(n, len(columns)):
        centred = X[rows][:, columns] / scale[columns] - mean
        squared = centred * centred
        moment2 += squared.sum(axis=0)
        moment4 += (squared * squared).sum(axis=0)
        if not wide:
            cross += centred.T @ centred
    moment2 /= n
    moment4 /= n
    std = np.sqrt(moment2)
    beyond = np.zeros(len(columns))
    for rows in _row_blocks(n, len(columns)):
        centred = X[rows][:, columns] / scale[columns] - mean
        beyond += (np.abs(centred) > TAIL_Z * std).sum(axis=0)
    tail_share = beyond / n
    kurtosis = moment4 / (moment2 * moment2) - 3.0
    first, leading = nan, nan
    if not wide:
        # Eigenvalues of the correlation matrix: the variances of the
        # principal components of the standardised features.
        correlation = cross / n / np.outer(std, std)
        eigenvalues = np.clip(np.linalg.eigvalsh(correlation)[::-1], 0.0, None)
        total = eigenvalues.sum()
        n_leading = max(1, math.ceil(LEADING_FRACTION * len(columns)))
        first = float(eigenvalues[0] / total)
        leading = float(eigenvalues[:n_leading].sum() / total)
    return {**stats,
            "tail_share_median": float(np.median(tail_share)),
            "tail_share_quantile": float(np.quantile(tail_share, TAIL_QUANTILE)),
            "kurtosis_median": float(np.median(kurtosis)),
            "kurtosis_quantile": float(np.quantile(kurtosis, TAIL_QUANTILE)),
            "first_component_share": first, "leading_variance_share": leading}


def views_from_statistics(stats):
    """The views the rule picks for rows described by ``stats``.

    Parameters
    ----------
    stats : dict
        As :func:`data_statistics` returns (``n_rows`` and
        ``tail_share_quantile`` are read).

    Returns
    -------
    tuple of str
        ``("homogeneous",)``, ``("direction",)`` or both views (undecided);
        see the module docstring for the rule.
    """
    share = stats["tail_share_quantile"]
    if not np.isfinite(share):
        return VIEWS
    if share >= max(HEAVY_TAIL_SHARE, MIN_TAIL_ROWS / stats["n_rows"]):
        return ("homogeneous",)
    if share <= LIGHT_TAIL_SHARE:
        return ("direction",)
    return VIEWS


def choose_views(X):
    """The views to fit on the training rows ``X``, by the data rule.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        As for :func:`data_statistics`.

    Returns
    -------
    tuple of str
        See :func:`views_from_statistics`.
    """
    return views_from_statistics(data_statistics(X))


def _row_blocks(n_rows, n_columns):
    """Slices of rows that together cover ``n_rows``, about ``_BLOCK_ELEMENTS`` values each."""
    step = max(1, _BLOCK_ELEMENTS // max(1, n_columns))
    return [slice(start, start + step) for start in range(0, n_rows, step)]
