"""Builtin datasets: made on the fly, with no file and no network.

They let a benchmark or a notebook run on a fresh machine; each recipe is
deterministic (a fixed default seed) and small (at most 1,669 rows, 64
features).  ADBench-style synthetic anomalies (Han et al., NeurIPS 2022,
section 3.3), inliers from a Gaussian mixture fitted to real data and one of
four anomaly types against it: ``synthetic_local``, ``synthetic_global``,
``synthetic_dependency``, ``synthetic_clustered``.  ODDS-style sets (Rayana,
2016) from data scikit-learn ships, one class down-sampled into the
outliers: ``wine``, ``breast_cancer``, ``digits``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, NamedTuple, Optional

import numpy as np

from ._base import Dataset, UnknownDatasetError, did_you_mean

__all__ = ["BUILTIN_DATASETS", "load_builtin"]

# ADBench's default strength for local (covariance) and clustered (mean)
# anomalies, and its box inflation for global anomalies.
LOCAL_ALPHA = CLUSTERED_ALPHA = 5.0
GLOBAL_ALPHA = 1.1
# Synthetic sets: 950 inliers + 50 outliers (5 %), 30 features.
_SYNTH_INLIERS, _SYNTH_OUTLIERS = 950, 50


class _Mixture(NamedTuple):
    weights: np.ndarray  # (k,)
    means: np.ndarray  # (k, d)
    chols: np.ndarray  # (k, d, d) lower Cholesky factors of the covariances


@functools.lru_cache(maxsize=1)
def _breast_cancer_mixture() -> _Mixture:
    """Gaussian mixture fitted to scikit-learn's breast-cancer data, ``log1p``-
    transformed (positive, right-skewed) and standardised: one full-covariance
    component per diagnosis (the natural modes), by maximum likelihood in
    closed form rather than EM, which has an initialisation to depend on."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    Z = np.log1p(data.data)
    Z = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    weights, means, chols = [], [], []
    for label in np.unique(data.target):
        Zk = Z[data.target == label]
        cov = np.cov(Zk, rowvar=False)
        # A small ridge: radius, perimeter and area are nearly collinear
        # (area ~ radius^2), which leaves the covariance close to singular.
        cov += 1e-2 * np.eye(cov.shape[0])
        weights.append(len(Zk) / len(Z))
        means.append(Zk.mean(axis=0))
        chols.append(np.linalg.cholesky(cov))
    return _Mixture(np.array(weights), np.array(means), np.array(chols))


def _sample_mixture(rng: np.random.Generator, n: int, mix: _Mixture, mean_scale: float = 1.0,
                    cov_scale: float = 1.0) -> np.ndarray:
    """Draw ``n`` rows from ``mix``, optionally with scaled means/covariances."""
    k, d = mix.means.shape
    comp = rng.choice(k, size=n, p=mix.weights)
    z = rng.standard_normal((n, d))
    out = np.empty((n, d))
    for c in range(k):
        rows = comp == c
        # x = s_mu * mu + sqrt(s_cov) * L z  has covariance s_cov * L L^T.
        out[rows] = mean_scale * mix.means[c] + np.sqrt(cov_scale) * z[rows] @ mix.chols[c].T
    return out


def _assemble(name: str, X_in: np.ndarray, X_out: np.ndarray, rng: np.random.Generator,
              description: str) -> Dataset:
    """Stack inliers and outliers, shuffle rows, label outliers 1."""
    X = np.vstack([X_in, X_out])
    y = np.concatenate([np.zeros(len(X_in), np.int64), np.ones(len(X_out), np.int64)])
    # Shuffle so that row order carries no label information.
    order = rng.permutation(len(X))
    return Dataset(X=X[order], y=y[order], name=name, source=f"builtin:{name}",
                   description=inspect.cleandoc(description))


def _synthetic(name: str, seed: int, outliers: Callable[..., np.ndarray],
               description: str) -> Dataset:
    """ADBench recipe: 950 inliers from the breast-cancer mixture, and the 50
    outliers ``outliers(rng, mix, X_in)`` makes."""
    rng = np.random.default_rng(seed)
    mix = _breast_cancer_mixture()
    X_in = _sample_mixture(rng, _SYNTH_INLIERS, mix)
    return _assemble(name, X_in, outliers(rng, mix, X_in), rng, description)


def _downsample_class(name: str, data: Any, n_outliers: int, seed: int,
                      description: str) -> Dataset:
    """ODDS recipe: of scikit-learn's ``data`` (``data``, ``target``), all rows
    of the classes but 0 are inliers, a random ``n_outliers`` of class 0 the
    outliers."""
    rng = np.random.default_rng(seed)
    is_out = data.target == 0
    out_idx = rng.choice(np.flatnonzero(is_out), size=n_outliers, replace=False)
    return _assemble(name, data.data[~is_out], data.data[np.sort(out_idx)], rng, description)


def make_synthetic_local(seed: int = 101) -> Dataset:
    """Local anomalies (ADBench type 1).

    Inliers: 950 rows from a two-component, full-covariance Gaussian
    mixture fitted to scikit-learn's breast-cancer data (30 features,
    log1p-transformed and standardised; one component per diagnosis).
    Outliers: 50 rows from the same mixture with every covariance scaled
    by alpha = 5 (same means): points near the inlier modes but off their
    local density.  1,000 rows, 30 features, 50 outliers (5 %).
    """
    return _synthetic("synthetic_local", seed, lambda rng, mix, _: _sample_mixture(
        rng, _SYNTH_OUTLIERS, mix, cov_scale=LOCAL_ALPHA), make_synthetic_local.__doc__)


def make_synthetic_global(seed: int = 102) -> Dataset:
    """Global anomalies (ADBench type 2).

    Inliers: 950 rows from the breast-cancer Gaussian mixture (see
    ``synthetic_local``).  Outliers: 50 rows uniform in the box
    [alpha * min_j, alpha * max_j] over each feature j, with min/max taken
    over the inliers and alpha = 1.1: scattered points, mostly far from
    every mode.  1,000 rows, 30 features, 50 outliers (5 %).
    """
    def outliers(rng, mix, X_in):
        lo, hi = X_in.min(axis=0), X_in.max(axis=0)
        # Standardised features have lo < 0 < hi, so scaling both ends by
        # alpha widens the box on both sides.
        return rng.uniform(GLOBAL_ALPHA * lo, GLOBAL_ALPHA * hi, size=(_SYNTH_OUTLIERS, len(lo)))

    return _synthetic("synthetic_global", seed, outliers, make_synthetic_global.__doc__)


def make_synthetic_dependency(seed: int = 103) -> Dataset:
    """Dependency anomalies (ADBench type 3).

    Inliers: 950 rows from the breast-cancer Gaussian mixture (see
    ``synthetic_local``), whose features are strongly dependent (radius,
    perimeter and area correlate above 0.99).  Outliers: 50 rows whose
    columns are each resampled from their own random rows of a fresh
    2,000-row draw: every feature looks normal, the dependence is broken.
    (ADBench uses a vine copula and kernel-density marginals; the idea is
    the same.)  1,000 rows, 30 features, 50 outliers (5 %).
    """
    def outliers(rng, mix, _):
        pool = _sample_mixture(rng, 40 * _SYNTH_OUTLIERS, mix)
        d = pool.shape[1]
        # Independent row indices per column = sampling from the product of
        # the marginals.
        return pool[rng.integers(0, len(pool), size=(_SYNTH_OUTLIERS, d)), np.arange(d)]

    return _synthetic("synthetic_dependency", seed, outliers, make_synthetic_dependency.__doc__)


def make_synthetic_clustered(seed: int = 104) -> Dataset:
    """Clustered anomalies (ADBench type 4).

    Inliers: 950 rows from the breast-cancer Gaussian mixture (see
    ``synthetic_local``).  Outliers: 50 rows from the same mixture with
    every component mean scaled by alpha = 5 (same covariances): tight
    groups of anomalies away from the inlier modes.  1,000 rows, 30
    features, 50 outliers (5 %).
    """
    return _synthetic("synthetic_clustered", seed, lambda rng, mix, _: _sample_mixture(
        rng, _SYNTH_OUTLIERS, mix, mean_scale=CLUSTERED_ALPHA), make_synthetic_clustered.__doc__)


def make_wine(seed: int = 201) -> Dataset:
    """Wine, the ODDS way.

    UCI Wine as shipped with scikit-learn (178 wines, 13 chemical
    features, 3 cultivars).  Inliers: all 119 wines of cultivars 2 and 3.
    Outliers: 10 wines drawn at random from cultivar 1 (59 wines), as in
    ODDS's ``wine``.  129 rows, 13 features, 10 outliers (7.75 %).
    """
    from sklearn.datasets import load_wine

    return _downsample_class("wine", load_wine(), 10, seed, make_wine.__doc__)


def make_breast_cancer(seed: int = 202) -> Dataset:
    """Breast cancer (Wisconsin diagnostic), the ODDS ``wbc`` way.

    scikit-learn's copy of the UCI Wisconsin diagnostic breast-cancer data
    (569 tumours, 30 features of cell nuclei).  Inliers: all 357 benign
    tumours.  Outliers: 21 malignant tumours drawn at random from the 212,
    the same sizes as ODDS's ``wbc``.  378 rows, 30 features, 21 outliers
    (5.56 %).
    """
    from sklearn.datasets import load_breast_cancer

    # sklearn codes malignant as 0 and benign as 1.
    return _downsample_class("breast_cancer", load_breast_cancer(), 21, seed,
                             make_breast_cancer.__doc__)


def make_digits(seed: int = 203) -> Dataset:
    """Handwritten digits, the ODDS ``optdigits`` way.

    scikit-learn's copy of the UCI optical-recognition digits (1,797
    images, 8 x 8 pixels = 64 features, counts 0-16).  Inliers: all 1,619
    images of digits 1-9.  Outliers: 50 images drawn at random from the
    178 zeros (ODDS's ``optdigits`` likewise down-samples digit 0).
    1,669 rows, 64 features, 50 outliers (3.00 %).
    """
    from sklearn.datasets import load_digits

    return _downsample_class("digits", load_digits(), 50, seed, make_digits.__doc__)


# Each recipe by its name: ``make_<name>``.
_RECIPES: Dict[str, Callable[..., Dataset]] = {f.__name__[len("make_"):]: f for f in (
    make_synthetic_local, make_synthetic_global, make_synthetic_dependency,
    make_synthetic_clustered, make_wine, make_breast_cancer, make_digits)}

#: Names of the builtin datasets, in the ``builtin`` suite's order.
BUILTIN_DATASETS = tuple(_RECIPES)


def load_builtin(name: str, seed: Optional[int] = None) -> Dataset:
    """Build builtin dataset ``name`` (of :data:`BUILTIN_DATASETS`, ``"builtin:"``
    prefix allowed), its ``source`` ``"builtin:<name>"``; ``seed`` replaces the
    recipe's fixed one (same seed, same data).

    Raises
    ------
    UnknownDatasetError
        If ``name`` is not a builtin dataset.
    """
    if name.startswith("builtin:"):
        name = name[len("builtin:"):]
    if name not in _RECIPES:
        raise UnknownDatasetError(f"no builtin dataset {name!r}.{did_you_mean(name, _RECIPES)} "
                                  f"Builtin datasets: {', '.join(BUILTIN_DATASETS)}")
    return _RECIPES[name]() if seed is None else _RECIPES[name](seed=int(seed))
