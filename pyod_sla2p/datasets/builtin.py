"""Builtin datasets: made on the fly, with no file and no network.

They exist so that a benchmark or a notebook runs on a fresh machine.  All
recipes are deterministic (each has a fixed default seed) and small
(at most 1,669 rows and 64 features), so ~10 detectors x 3 seeds over the
whole suite take minutes, not hours.

Two families:

* ADBench-style synthetic anomalies (Han et al., "ADBench: Anomaly
  Detection Benchmark", NeurIPS 2022, section 3.3): inliers are drawn from a
  Gaussian mixture fitted to a real dataset, and one of four anomaly types
  is generated against it -- ``synthetic_local``, ``synthetic_global``,
  ``synthetic_dependency``, ``synthetic_clustered``.
* ODDS-style sets (Rayana, 2016) built from data that scikit-learn ships
  inside its wheel: ``wine``, ``breast_cancer``, ``digits``.  ODDS turns a
  classification set into an outlier set by down-sampling one class.

Use :func:`load_builtin` (or ``load_dataset("wine")`` /
``load_dataset("builtin:wine")``).
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import numpy as np

from ._base import Dataset, UnknownDatasetError

__all__ = ["BUILTIN_DATASETS", "load_builtin", "builtin_description"]

# ADBench's default strength for local (covariance) and clustered (mean)
# anomalies, and its box inflation for global anomalies.
LOCAL_ALPHA = 5.0
CLUSTERED_ALPHA = 5.0
GLOBAL_ALPHA = 1.1

# Synthetic sets: 950 inliers + 50 outliers (5 %), 30 features.
_SYNTH_INLIERS = 950
_SYNTH_OUTLIERS = 50


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


class _Mixture(NamedTuple):
    weights: np.ndarray  # (k,)
    means: np.ndarray  # (k, d)
    chols: np.ndarray  # (k, d, d) lower Cholesky factors of the covariances


@functools.lru_cache(maxsize=1)
def _breast_cancer_mixture() -> _Mixture:
    """Gaussian mixture fitted to scikit-learn's breast-cancer data.

    Features are ``log1p``-transformed (they are positive and right-skewed,
    so a Gaussian fits the log far better) and standardised.  The mixture
    has one full-covariance component per diagnosis (benign, malignant),
    fitted in closed form by maximum likelihood: class share, class mean,
    class covariance.  The closed form is used instead of EM
    (``sklearn.mixture.GaussianMixture``) because it is exactly
    reproducible and has no initialisation to depend on; the two diagnoses
    are the natural modes of this data anyway.
    """
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


def _sample_mixture(
    rng: np.random.Generator,
    n: int,
    mix: _Mixture,
    mean_scale: float = 1.0,
    cov_scale: float = 1.0,
) -> np.ndarray:
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


def _assemble(
    name: str,
    X_in: np.ndarray,
    X_out: np.ndarray,
    rng: np.random.Generator,
    description: str,
) -> Dataset:
    """Stack inliers and outliers, shuffle rows, label outliers 1."""
    X = np.vstack([X_in, X_out])
    y = np.concatenate([np.zeros(len(X_in), np.int64), np.ones(len(X_out), np.int64)])
    # Shuffle so that row order carries no label information.
    order = rng.permutation(len(X))
    return Dataset(
        X=X[order],
        y=y[order],
        name=name,
        source=f"builtin:{name}",
        description=inspect.cleandoc(description),
    )


def _downsample_class(
    name: str,
    X: np.ndarray,
    target: np.ndarray,
    outlier_classes: Tuple[int, ...],
    n_outliers: int,
    rng: np.random.Generator,
    description: str,
) -> Dataset:
    """ODDS recipe: all rows of the other classes are inliers, a random
    ``n_outliers`` of ``outlier_classes`` are the outliers."""
    is_out = np.isin(target, outlier_classes)
    out_idx = rng.choice(np.flatnonzero(is_out), size=n_outliers, replace=False)
    return _assemble(name, X[~is_out], X[np.sort(out_idx)], rng, description)


# --------------------------------------------------------------------------
# ADBench-style synthetic anomalies
# --------------------------------------------------------------------------


def make_synthetic_local(seed: int = 101) -> Dataset:
    """Local anomalies (ADBench type 1).

    Inliers: 950 rows from a two-component, full-covariance Gaussian
    mixture fitted to scikit-learn's breast-cancer data (30 features,
    log1p-transformed and standardised; one component per diagnosis).
    Outliers: 50 rows from the same mixture with every covariance scaled
    by alpha = 5 (same means): points near the inlier modes but off their
    local density.  1,000 rows, 30 features, 50 outliers (5 %).
    """
    rng = np.random.default_rng(seed)
    mix = _breast_cancer_mixture()
    X_in = _sample_mixture(rng, _SYNTH_INLIERS, mix)
    X_out = _sample_mixture(rng, _SYNTH_OUTLIERS, mix, cov_scale=LOCAL_ALPHA)
    return _assemble("synthetic_local", X_in, X_out, rng, make_synthetic_local.__doc__)


def make_synthetic_global(seed: int = 102) -> Dataset:
    """Global anomalies (ADBench type 2).

    Inliers: 950 rows from the breast-cancer Gaussian mixture (see
    ``synthetic_local``).  Outliers: 50 rows uniform in the box
    [alpha * min_j, alpha * max_j] over each feature j, with min/max taken
    over the inliers and alpha = 1.1: scattered points, mostly far from
    every mode.  1,000 rows, 30 features, 50 outliers (5 %).
    """
    rng = np.random.default_rng(seed)
    mix = _breast_cancer_mixture()
    X_in = _sample_mixture(rng, _SYNTH_INLIERS, mix)
    lo, hi = X_in.min(axis=0), X_in.max(axis=0)
    # Standardised features have lo < 0 < hi, so scaling both ends by
    # alpha widens the box on both sides.
    X_out = rng.uniform(GLOBAL_ALPHA * lo, GLOBAL_ALPHA * hi, size=(_SYNTH_OUTLIERS, len(lo)))
    return _assemble("synthetic_global", X_in, X_out, rng, make_synthetic_global.__doc__)


def make_synthetic_dependency(seed: int = 103) -> Dataset:
    """Dependency anomalies (ADBench type 3).

    Inliers: 950 rows from the breast-cancer Gaussian mixture (see
    ``synthetic_local``), whose features are strongly dependent (radius,
    perimeter and area correlate above 0.99).  Outliers: 50 rows whose
    features are drawn independently from the inliers' marginals -- each
    column resampled from its own random rows of a fresh 2,000-row draw of
    the mixture -- so every single feature looks normal but the joint
    dependence is broken.  ADBench fits a vine copula for the inliers and
    draws anomalies from independent kernel-density marginals; this recipe
    keeps the idea (same marginals, no dependence) with the mixture as the
    joint model and empirical marginals instead of KDEs.  1,000 rows, 30
    features, 50 outliers (5 %).
    """
    rng = np.random.default_rng(seed)
    mix = _breast_cancer_mixture()
    X_in = _sample_mixture(rng, _SYNTH_INLIERS, mix)
    pool = _sample_mixture(rng, 40 * _SYNTH_OUTLIERS, mix)
    d = pool.shape[1]
    # Independent row indices per column = sampling from the product of
    # the marginals.
    rows = rng.integers(0, len(pool), size=(_SYNTH_OUTLIERS, d))
    X_out = pool[rows, np.arange(d)]
    return _assemble("synthetic_dependency", X_in, X_out, rng, make_synthetic_dependency.__doc__)


def make_synthetic_clustered(seed: int = 104) -> Dataset:
    """Clustered anomalies (ADBench type 4).

    Inliers: 950 rows from the breast-cancer Gaussian mixture (see
    ``synthetic_local``).  Outliers: 50 rows from the same mixture with
    every component mean scaled by alpha = 5 (same covariances): tight
    groups of anomalies away from the inlier modes.  1,000 rows, 30
    features, 50 outliers (5 %).
    """
    rng = np.random.default_rng(seed)
    mix = _breast_cancer_mixture()
    X_in = _sample_mixture(rng, _SYNTH_INLIERS, mix)
    X_out = _sample_mixture(rng, _SYNTH_OUTLIERS, mix, mean_scale=CLUSTERED_ALPHA)
    return _assemble("synthetic_clustered", X_in, X_out, rng, make_synthetic_clustered.__doc__)


# --------------------------------------------------------------------------
# ODDS-style sets from scikit-learn's bundled data
# --------------------------------------------------------------------------


def make_wine(seed: int = 201) -> Dataset:
    """Wine, the ODDS way.

    UCI Wine as shipped with scikit-learn (178 wines, 13 chemical
    features, 3 cultivars).  Inliers: all 119 wines of cultivars 2 and 3.
    Outliers: 10 wines drawn at random from cultivar 1 (59 wines), as in
    ODDS's ``wine``.  129 rows, 13 features, 10 outliers (7.75 %).
    """
    from sklearn.datasets import load_wine

    data = load_wine()
    rng = np.random.default_rng(seed)
    return _downsample_class("wine", data.data, data.target, (0,), 10, rng, make_wine.__doc__)


def make_breast_cancer(seed: int = 202) -> Dataset:
    """Breast cancer (Wisconsin diagnostic), the ODDS ``wbc`` way.

    scikit-learn's copy of the UCI Wisconsin diagnostic breast-cancer data
    (569 tumours, 30 features of cell nuclei).  Inliers: all 357 benign
    tumours.  Outliers: 21 malignant tumours drawn at random from the 212,
    the same sizes as ODDS's ``wbc``.  378 rows, 30 features, 21 outliers
    (5.56 %).
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    rng = np.random.default_rng(seed)
    # sklearn codes malignant as 0 and benign as 1.
    return _downsample_class(
        "breast_cancer", data.data, data.target, (0,), 21, rng, make_breast_cancer.__doc__
    )


def make_digits(seed: int = 203) -> Dataset:
    """Handwritten digits, the ODDS ``optdigits`` way.

    scikit-learn's copy of the UCI optical-recognition digits (1,797
    images, 8 x 8 pixels = 64 features, counts 0-16).  Inliers: all 1,619
    images of digits 1-9.  Outliers: 50 images drawn at random from the
    178 zeros (ODDS's ``optdigits`` likewise down-samples digit 0).
    1,669 rows, 64 features, 50 outliers (3.00 %).
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    rng = np.random.default_rng(seed)
    return _downsample_class("digits", data.data, data.target, (0,), 50, rng, make_digits.__doc__)


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

_RECIPES: Dict[str, Callable[..., Dataset]] = {
    "synthetic_local": make_synthetic_local,
    "synthetic_global": make_synthetic_global,
    "synthetic_dependency": make_synthetic_dependency,
    "synthetic_clustered": make_synthetic_clustered,
    "wine": make_wine,
    "breast_cancer": make_breast_cancer,
    "digits": make_digits,
}

#: Names of the builtin datasets, in the ``builtin`` suite's order.
BUILTIN_DATASETS = tuple(_RECIPES)


def builtin_description(name: str) -> str:
    """Return the recipe docstring of builtin dataset ``name``."""
    return _recipe(name).__doc__ or ""


def _recipe(name: str) -> Callable[..., Dataset]:
    try:
        return _RECIPES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, BUILTIN_DATASETS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownDatasetError(
            f"no builtin dataset {name!r}.{hint} Builtin datasets: {', '.join(BUILTIN_DATASETS)}"
        ) from None


def load_builtin(name: str, seed: Optional[int] = None) -> Dataset:
    """Build a builtin dataset.

    Parameters
    ----------
    name : str
        One of :data:`BUILTIN_DATASETS` (a ``"builtin:"`` prefix is allowed).
    seed : int, optional
        Overrides the recipe's fixed default seed (which picks the sampled
        rows / the synthetic draw).  Same seed, same data.

    Returns
    -------
    Dataset
        ``source`` is ``"builtin:<name>"``.

    Raises
    ------
    UnknownDatasetError
        If ``name`` is not a builtin dataset.
    """
    if name.startswith("builtin:"):
        name = name[len("builtin:"):]
    recipe = _recipe(name)
    return recipe() if seed is None else recipe(seed=int(seed))
