"""Per-feature explanations of SLA2P's scores (issue 24).

:meth:`SLA2P.explain <ExplainMixin.explain>` gives, for every row, each input
feature's contribution to that row's outlier score, in the caller's own
feature space: through the standardisation, the row normalisation, every
view and their maximum. :meth:`SLA2P.explain_outlier
<ExplainMixin.explain_outlier>` draws one row's contributions as a bar
chart, as PyOD's COPOD and ECOD do, and returns the numbers.

Both work on :func:`differentiable_score`, a copy of ``decision_function`` as
a torch function of the raw rows, which reproduces it (bit for bit on the CPU
in our checks; the tests require 1e-5) and is checked against it on every
call.

Two attribution methods:

``"occlusion"`` (the default)
    Feature ablation: contribution ``j`` is ``score(x) - score(x with
    feature j set to its reference value)``; the reference is the training
    mean (the value the standardisation maps to 0) unless ``baseline`` gives
    another. Guarantee: each contribution is exactly that difference of two
    ``decision_function`` values (to float32 rounding; tested to 1e-5).
    Cost: ``n_features + 1`` forward passes per row, no gradients.
``"gradient"``
    Gradient x input: ``(x_j - reference_j) * d score / d x_j`` at ``x``.
    Guarantee: the derivative is the derivative of ``decision_function`` (of
    the view that attains the maximum; tested against finite differences).
    One forward and one backward pass per row; a local, first-order account
    that does not add up to the score.

*The choice, by measurement.* ``python -m benchmarks.explain`` (committed in
``benchmarks/results/explain/summary.md``) plants 1 to 3 causes in held-out
inlier rows of five ODDS sets and three correlated Gaussian sets (6 to 100
features) and counts how often each method ranks the planted features first
(precision@k, 3 seeds). Occlusion found extreme values about as well as the
best per-feature scores (mean 0.955 against 0.996 for the ``|z|``-score) and
contextual values (ordinary on their own, against their correlated
partners) more often than the per-feature scores and KernelSHAP (0.474;
``|z|``, COPOD and ECOD about 0.2; KernelSHAP on SLA2P 0.407 on the rows it
explained, where occlusion had 0.505), at about 3.2 CPU seconds per 1,000
rows of 20 features. Gradient x input is about five times faster and slightly better
on extreme values (0.975) but weaker on contextual ones (0.406).

*Why not Captum's IntegratedGradients.* Integrated gradients (IG) is the field's standard path method, and Captum
runs it on :func:`differentiable_score` without change (the benchmark does).
It does not serve as the default, for reasons of SLA2P's geometry, not of
Captum:

* IG needs a reference row the detector finds normal, and none can be
  computed from the fitted model. The training mean is not one: the
  homogeneous view sees a row's length, and a row at the mean has none, far
  shorter than any training row; it scores about as high as the planted
  outliers, so ``score(x) - score(mean)`` is small or negative for them and
  IG explains the wrong contrast. From the mean, IG found extreme values in
  0.792 of cases (occlusion 0.956 on the same rows; on contextual values
  0.507 against 0.484).
* Along the straight path from the mean the direction view, which sees only
  a row's direction, does not change at all, and its gradient grows as
  ``1/t`` towards the mean; the maximum over the views and the adversarial
  step (``epsilon > 0``) add kinks. Completeness (the contributions summing
  to ``score(x) - score(mean)``) then fails: the mean gap was 2.408 score
  units, more than the 2.099 it should have added up to.
* From training rows as references IG is well posed (gap 0.104) and found
  extreme values best (0.987), but it needs training rows, which SLA2P does
  not keep, it found contextual values less often (0.408) and it took about
  19 seconds per 1,000 rows with 4 references of 8 steps.

Occlusion changes one feature at a time around the row itself, so it needs
no normal reference row, and it is exact whatever the views, the
per-projection standardisation and ``epsilon`` are.

Only these fitted attributes of the detector are read: ``views_`` (each
view's ``name``, ``preprocessor``, ``projections.weights``, ``network``,
``pair_calibration``, ``score_mean`` and ``score_std``), ``n_features_in_``,
``feature_names_in_``, ``contamination`` and ``device``, and, through
:func:`_setting`, the fitted ``score_function`` and ``epsilon``.
"""

import copy
import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.validation import check_is_fitted

# The row normalisation's floor: a (near-)zero row stays near zero.
from .preprocessing import _NORM_FLOOR
from .scoring import _mean_over_projections, pair_scores

__all__ = ["ExplainMixin", "OutlierExplanation", "differentiable_score", "METHODS"]

#: The attribution methods of :meth:`ExplainMixin.explain`.
METHODS = ("occlusion", "gradient")

# (row, projection) pairs per network call: large enough for efficient
# matmuls, small enough that the activations of one chunk stay in cache
# (decision_function uses 4096; backward passes keep two copies).
_PAIRS_PER_CHUNK = 4096
# The differentiable score must reproduce decision_function to this
# relative tolerance (it does so bit for bit in float32 in practice; a looser
# bound still catches a configuration this module does not reproduce).
_MATCH_RTOL = 1e-5
_MATCH_ATOL = 1e-6


def _setting(clf, name):
    """The fitted setting ``name`` of ``clf`` (``params_[name]``).

    The one place that reads ``params_``, so that a change of its type (a
    read-only mapping today, perhaps a plain object later) is adapted here
    only: item access first, attribute access as the fallback.
    """
    params = clf.params_
    try:
        return params[name]
    except (KeyError, TypeError):
        return getattr(params, name)


class _Score:
    """SLA2P's ``decision_function`` as a torch function of raw rows.

    See :func:`differentiable_score`.
    """

    def __init__(self, clf, device):
        self.device = device
        self.score_function = _setting(clf, "score_function")
        if self.score_function not in ("log_prob", "brier"):
            raise NotImplementedError(
                f"explain supports the score functions 'log_prob' and 'brier', not "
                f"{self.score_function!r}.")
        self.epsilon = float(_setting(clf, "epsilon"))
        self.views = [self._prepare(view) for view in clf.views_]
        # Banks of one view are averaged first, then the views are combined
        # by their maximum, as the detector combines them.
        self.names = list(dict.fromkeys(view["name"] for view in self.views))
        self.n_projections = max(view["weights"].shape[1] for view in self.views)

    def _prepare(self, view):
        pre = view.preprocessor
        if getattr(pre, "pca_", None) is not None:
            raise NotImplementedError(
                "explain does not support whitened views (a research lever); fit "
                "the detector without whitening to explain it.")
        network = view.network
        if next(network.parameters()).device != self.device:
            network = copy.deepcopy(network).to(self.device)
        as64 = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64),  # noqa: E731
                                         device=self.device)
        return {
            "name": view.name,
            "homogeneous": bool(pre.homogeneous),
            "standardize": (tuple(as64(a) for a in (pre.unit_, pre.mean_, pre.scale_))
                            if pre.standardize else None),
            "weights": view.projections.weights.to(self.device),
            "network": network,
            "calibration": (None if view.pair_calibration is None
                            else tuple(as64(a) for a in view.pair_calibration)),
            "mean": float(view.score_mean),
            "std": float(view.score_std),
        }

    def _raw(self, view, x):
        """The view's raw score of each row of ``x`` (float64, shape (n,))."""
        # Preprocessing in float64 and the network in float32, as the
        # package does (RowPreprocessor.transform returns float32).
        s = x
        if view["standardize"] is not None:
            unit, mean, scale = view["standardize"]
            s = (x / unit - mean) / scale
        if view["homogeneous"]:
            s = torch.cat([s, s.new_full((s.shape[0], 1), float(np.sqrt(s.shape[1])))],
                          dim=1)
        norm = torch.linalg.vector_norm(s, dim=1, keepdim=True)
        v = (s / norm.clamp_min(_NORM_FLOOR)).to(torch.float32)
        weights, network = view["weights"], view["network"]
        d, m, r = weights.shape
        z = (v @ weights.reshape(d, m * r)).reshape(-1, r)
        if self.epsilon:
            z = self._perturb(network, z)
        labels = torch.arange(m, device=z.device).repeat(x.shape[0])
        pair = pair_scores(network(z), labels, self.score_function).view(x.shape[0], m)
        return _mean_over_projections(pair, view["calibration"])

    def _perturb(self, network, z):
        """``z + epsilon * grad_z CE(f(z), argmax f(z))``, per row.

        When gradients of the score are wanted, the step is differentiated
        through (``create_graph``), so that the attributions see the
        perturbation's dependence on the input too.
        """
        outer = torch.is_grad_enabled()
        with torch.enable_grad():
            zz = z if z.requires_grad else z.detach().requires_grad_(True)
            logits = network(zz)
            loss = F.cross_entropy(logits, logits.argmax(dim=1), reduction="sum")
            (grad,) = torch.autograd.grad(loss, zz, create_graph=outer)
        return (z if outer else z.detach()) + self.epsilon * grad

    def view_scores(self, x):
        """Each view's score, shape (n, n_views): standardised when there are several."""
        raw = [self._raw(view, x) for view in self.views]
        if len(self.views) == 1:
            return raw[0][:, None]
        columns = []
        for name in self.names:
            banks = [(r - v["mean"]) / v["std"] for v, r in zip(self.views, raw)
                     if v["name"] == name]
            columns.append(banks[0] if len(banks) == 1 else torch.stack(banks, 1).mean(1))
        return torch.stack(columns, dim=1)

    def __call__(self, x):
        return self.view_scores(x).max(dim=1).values


def differentiable_score(clf, device=None):
    """A fitted SLA2P's score as a differentiable torch function of raw rows.

    Parameters
    ----------
    clf : SLA2P
        A fitted detector.
    device : None, str or torch.device, default=None
        Where to compute; None follows the detector's ``device`` parameter
        (CUDA when available unless it says otherwise).

    Returns
    -------
    callable
        ``score(x)`` maps a float64 tensor of shape ``(n, n_features_in_)``
        (rows in the caller's units, on ``device``) to a float64 tensor of
        shape ``(n,)`` equal to ``clf.decision_function(x)`` (bit for bit on
        the CPU in our checks; :meth:`ExplainMixin.explain` checks it to 1e-5
        relative on every call). Differentiable with respect to ``x``,
        including through the adversarial step when ``epsilon > 0``. Its
        ``view_scores(x)`` gives the views' scores before their maximum.
        Use it to apply any attribution method of Captum or another library.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``clf`` is not fitted.
    """
    # Imported here: the detector module imports this one for its mixin.
    from .detector import resolve_device

    check_is_fitted(clf, ["views_"])
    return _Score(clf, resolve_device(clf.device if device is None else device))


# ------------------------------------------------------------------ inputs
class _IndexOutOfRange(IndexError, ValueError):
    """An index outside the rows: an IndexError that ValueError handlers catch too."""


def _feature_names(clf, n_features):
    names = getattr(clf, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return [f"x{j}" for j in range(n_features)]


def _check_rows(clf, X, what="X"):
    """Validate rows to explain; return them as float64 and their DataFrame index.

    Returns
    -------
    X : ndarray of shape (n, n_features_in_), float64, finite
    frame : tuple (index, columns) or None
        Only when ``X`` is a DataFrame: its index and column names.
    """
    check_is_fitted(clf, ["views_"])
    frame = None
    if hasattr(X, "columns") and hasattr(X, "index"):  # a pandas DataFrame
        frame = (X.index, list(X.columns))
    index = None if frame is None else frame[0]
    fitted_names = getattr(clf, "feature_names_in_", None)
    if index is not None and fitted_names is not None:
        columns = [str(c) for c in X.columns]
        if columns != [str(n) for n in fitted_names]:
            raise ValueError(
                f"The columns of {what} differ from those seen in fit: reorder or "
                f"select them as in fit ({list(fitted_names)[:5]}...).")
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must hold real numbers only; could not convert it "
                         f"to float ({exc}).") from exc
    if X.ndim == 1:
        raise ValueError(f"{what} must be 2-D (rows x features); for one row use "
                         f"X.reshape(1, -1).")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{what} must be a non-empty 2-D array (rows x features), got "
                         f"shape {X.shape}.")
    n_features = int(clf.n_features_in_)
    if X.shape[1] != n_features:
        raise ValueError(
            f"{what} has {X.shape[1]} features, but this SLA2P was fitted with "
            f"{n_features}: pass rows with the same features, in the same order, "
            "as in fit.")
    if not np.all(np.isfinite(X)):
        bad = int((~np.isfinite(X)).sum())
        raise ValueError(
            f"{what} contains {bad} NaN or infinite value(s); SLA2P cannot score or "
            "explain them. Impute them or drop their rows first.")
    return np.ascontiguousarray(X), frame


def _reference(clf, baseline, n_features):
    """The reference row in the caller's units, shape (n_features,)."""
    if baseline is None:
        pre = clf.views_[0].preprocessor
        if not pre.standardize:
            # Without standardisation the views know no mean: the origin.
            return np.zeros(n_features)
        # The point the standardisation maps to 0: the training mean.
        return (np.asarray(pre.mean_, dtype=np.float64)
                * np.asarray(pre.unit_, dtype=np.float64))
    ref = np.asarray(getattr(baseline, "values", baseline), dtype=np.float64)
    if ref.ndim == 2 and ref.shape[0] == 1:
        ref = ref[0]
    if ref.shape != (n_features,):
        raise ValueError(
            f"baseline must be one row of {n_features} values (one reference value "
            f"per feature, in the units of X), got shape {np.shape(baseline)}.")
    if not np.all(np.isfinite(ref)):
        raise ValueError("baseline contains NaN or infinite values; give finite "
                         "reference values.")
    return ref


# ----------------------------------------------------------------- methods
def _chunks(n, rows):
    for start in range(0, n, rows):
        yield slice(start, min(n, start + rows))


def _occlusion(score, X, ref):
    """Scores of the rows and their drops when each feature is set to ``ref``."""
    n, d = X.shape
    device = score.device
    contributions, scores = np.empty((n, d)), np.empty(n)
    ref_t = torch.as_tensor(ref, device=device)
    eye = torch.eye(d, dtype=torch.bool, device=device)
    rows = max(1, _PAIRS_PER_CHUNK // ((d + 1) * score.n_projections))
    for part in _chunks(n, rows):
        x = torch.as_tensor(X[part], device=device)
        b = x.shape[0]
        # Per row: the row itself, then one copy per feature with that feature
        # replaced by its reference value.
        batch = x[:, None, :].repeat(1, d + 1, 1)
        batch[:, 1:, :] = torch.where(eye, ref_t, batch[:, 1:, :])
        with torch.no_grad():
            s = score(batch.reshape(-1, d)).reshape(b, d + 1).cpu().numpy()
        scores[part] = s[:, 0]
        contributions[part] = s[:, :1] - s[:, 1:]
    return contributions, scores


def _gradient(score, X, ref):
    """Gradient x (input - reference) and the scores."""
    n, d = X.shape
    device = score.device
    contributions, scores = np.empty((n, d)), np.empty(n)
    ref_t = torch.as_tensor(ref, device=device)
    rows = max(1, _PAIRS_PER_CHUNK // score.n_projections)
    for part in _chunks(n, rows):
        x = torch.as_tensor(X[part], device=device).requires_grad_(True)
        with torch.enable_grad():
            s = score(x)
            (grad,) = torch.autograd.grad(s.sum(), x)
        scores[part] = s.detach().cpu().numpy()
        contributions[part] = (grad * (x.detach() - ref_t)).cpu().numpy()
    return contributions, scores


# ------------------------------------------------------------------- mixin
@dataclass(frozen=True)
class OutlierExplanation:
    """What :meth:`ExplainMixin.explain_outlier` returns.

    Attributes
    ----------
    index : int
        The row of ``X`` explained.
    score : float
        Its outlier score (``decision_function``).
    label : int
        1 when the detector labels it an outlier (``predict``), else 0.
    contributions : ndarray of shape (n_features,)
        Each feature's contribution to ``score`` (see :meth:`ExplainMixin.explain`).
    feature_names : list of str
        The names of all features, in the order of ``contributions``.
    columns : list of int
        The features drawn, in the order drawn.
    cutoffs : tuple of float
        The quantiles drawn as bands.
    cutoff_bands : ndarray of shape (len(cutoffs), n_features)
        Each feature's contribution at each quantile, over the rows of ``X``
        (at most ``max_band_rows`` of them, evenly spaced).
    method : str
        The attribution method.
    ax : matplotlib.axes.Axes or None
        The axes drawn on (None with ``plot=False``).
    """

    index: int
    score: float
    label: int
    contributions: np.ndarray
    feature_names: list
    columns: list
    cutoffs: tuple
    cutoff_bands: np.ndarray
    method: str
    ax: object = None

    def ranking(self):
        """``(feature name, contribution)`` pairs, largest contribution first."""
        order = np.argsort(-self.contributions, kind="stable")
        return [(self.feature_names[j], float(self.contributions[j])) for j in order]


class ExplainMixin:
    """Adds :meth:`explain` and :meth:`explain_outlier` to :class:`pyod_sla2p.SLA2P`."""

    def explain(self, X, method="occlusion", baseline=None):
        """Each feature's contribution to each row's outlier score.

        The contributions are computed in the caller's feature space, through
        everything between the raw row and the score: the standardisation,
        the row normalisation, the projections and classifier of every view,
        and the maximum over the views. Positive: the feature's value makes
        the row more abnormal than the reference value would; negative: less.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain, with the features of ``fit``. A pandas DataFrame
            gives a DataFrame back (its columns must be those of ``fit`` when
            ``fit`` saw a DataFrame).
        method : {"occlusion", "gradient"}, default="occlusion"
            ``"occlusion"``: contribution ``j`` is ``score(x) - score(x with
            feature j set to its reference value)``, exactly (two
            ``decision_function`` values). ``"gradient"``: ``(x_j -
            reference_j) * d score / d x_j`` at ``x``, the exact derivative
            of ``decision_function`` times the deviation; about five times
            faster, a local first-order account that does not add up to the
            score. The module docstring gives the measurement behind the
            default.
        baseline : None or array-like of shape (n_features,), default=None
            The reference value of each feature, in the units of ``X``.
            None: the training mean (the values the standardisation maps to
            0; the origin for a detector fitted without standardisation).
            The training median, or any typical row, may be passed instead.

        Returns
        -------
        contributions : ndarray or pandas.DataFrame of shape (n_samples, n_features)
            Row ``i``, column ``j``: feature ``j``'s contribution to row
            ``i``'s score. A DataFrame with the index and columns of ``X``
            when ``X`` is one, else an ndarray, as scikit-learn and PyOD
            return arrays; the names are in ``feature_names_in_`` when ``fit``
            saw a DataFrame.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the detector is not fitted: call ``fit`` first.
        ValueError
            For a width other than ``n_features_in_``, other columns than in
            ``fit``, NaN or infinite values, an unknown method, or a
            malformed ``baseline``.
        RuntimeError
            If the differentiable copy of the score does not reproduce
            ``decision_function`` (a configuration this module does not
            support): nothing wrong is returned silently.

        Notes
        -----
        Each row's contributions depend on that row only: not on the other
        rows, their order or how many there are. The cost is ``n_features +
        1`` forward passes per row for ``"occlusion"`` and one forward and
        one backward pass for ``"gradient"``, plus one ``decision_function``
        call that checks the scores. :func:`differentiable_score` gives the
        score as a torch function for any other attribution method.

        Examples
        --------
        >>> from pyod.utils.data import generate_data
        >>> from pyod_sla2p import SLA2P
        >>> X, _ = generate_data(n_train=300, n_features=5, train_only=True,
        ...                      random_state=0)
        >>> clf = SLA2P(random_state=0).fit(X)
        >>> clf.explain(X[:3]).shape
        (3, 5)
        """
        rows, frame = _check_rows(self, X)
        contributions = self._explain_rows(rows, method, baseline)
        if frame is None:
            return contributions
        import pandas as pd  # only reached with a DataFrame, so pandas is there

        index, columns = frame
        names = getattr(self, "feature_names_in_", None)
        return pd.DataFrame(contributions, index=index,
                            columns=columns if names is None else list(names))

    def _explain_rows(self, rows, method, baseline):
        """:meth:`explain` on validated float64 rows; returns an ndarray."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
        ref = _reference(self, baseline, rows.shape[1])
        score = differentiable_score(self)
        attribute = _occlusion if method == "occlusion" else _gradient
        contributions, scores = attribute(score, rows, ref)
        expected = self._scores_of(rows)
        if not np.allclose(scores, expected, rtol=_MATCH_RTOL, atol=_MATCH_ATOL):
            worst = float(np.max(np.abs(scores - expected)))
            raise RuntimeError(
                "explain's differentiable copy of the score differs from "
                f"decision_function by up to {worst:.3g}, so it would explain another "
                "score. This detector's configuration (a research lever?) is not "
                "supported by explain; please report it.")
        return contributions

    def _scores_of(self, rows):
        """``decision_function`` of validated rows, with the fitted names."""
        names = getattr(self, "feature_names_in_", None)
        if names is not None:  # fit saw a DataFrame, so pandas is there
            import pandas as pd

            rows = pd.DataFrame(rows, columns=names)
        return np.asarray(self.decision_function(rows))

    def explain_outlier(self, ind, X=None, method="occlusion", baseline=None, **options):
        """Bar chart of one row's per-feature contributions, and the numbers.

        The counterpart of PyOD's ``COPOD.explain_outlier`` and
        ``ECOD.explain_outlier``: one bar per feature (its contribution to
        the row's score, :meth:`explain`), with dashed bands at quantiles of
        each feature's contributions over the rows of ``X``, so that a bar
        above its band stands out. matplotlib is imported only here.

        Parameters
        ----------
        ind : int
            The row of ``X`` to explain (0-based; negative counts from the end).
        X : array-like of shape (n_samples, n_features)
            The rows ``ind`` indexes, usually the training data. Required:
            SLA2P does not keep its training rows (COPOD and ECOD do).
        method, baseline
            As for :meth:`explain`.
        **options
            Keyword options, PyOD's and this method's own:

        columns : list of int or str, optional
            The features to draw (indices or names); default all.
        cutoffs : list of float in (0, 1), optional
            Quantiles drawn as bands; default ``[1 - contamination, 0.99]``
            as PyOD (0.9 when ``contamination`` is a thresholder). An empty
            list draws none and skips explaining the other rows.
        feature_names : list of str, optional
            Names for the x axis: one per feature, or one per drawn column.
            Default: the fitted feature names, DataFrame columns, or ``x0``,
            ``x1``, ...
        file_name : str, optional
            Save the figure as ``file_name.file_type`` (300 dpi), as PyOD does.
        file_type : str, optional
            Default "png".
        max_band_rows : int, default=1000
            The bands are computed from at most this many rows of ``X``
            (evenly spaced, so the result is deterministic), which bounds the
            cost on large ``X``.
        ax : matplotlib.axes.Axes, optional
            Draw into these axes; default a new figure.
        plot : bool, default=True
            False returns the numbers without drawing (no matplotlib needed).

        Returns
        -------
        OutlierExplanation
            The row's score, label and contributions, the feature names, the
            bands, and the axes (``ax``). ``.ranking()`` lists the features
            by contribution. Call ``matplotlib.pyplot.show()`` in a script to
            see the figure; a notebook shows it by itself.

        Raises
        ------
        ValueError
            If ``X`` is missing, ``ind`` is out of range (an ``IndexError`` as
            well), or as :meth:`explain`.
        """
        unknown = set(options) - set(_OUTLIER_OPTIONS)
        if unknown:
            raise TypeError(f"explain_outlier got unexpected option(s) {sorted(unknown)}; "
                            f"the options are {sorted(_OUTLIER_OPTIONS)}.")
        options = {**_OUTLIER_OPTIONS, **options}
        columns, cutoffs = options["columns"], options["cutoffs"]
        feature_names = options["feature_names"]
        check_is_fitted(self, ["views_"])
        if X is None:
            raise ValueError(
                "SLA2P does not keep its training rows, so explain_outlier needs them: "
                "call explain_outlier(ind, X) with the rows ind indexes (e.g. the "
                "training data passed to fit).")
        rows, frame = _check_rows(self, X)
        n, d = rows.shape
        if isinstance(ind, (bool, np.bool_)) or not isinstance(ind, numbers.Integral):
            raise ValueError(f"ind must be an integer row index, got {ind!r}.")
        if not -n <= int(ind) < n:
            raise _IndexOutOfRange(
                f"ind={ind} is out of range for X with {n} rows: pass an index in "
                f"[0, {n - 1}] (or a negative one from -{n}).")
        ind = int(ind) % n
        names = (_feature_names(self, d) if frame is None or
                 getattr(self, "feature_names_in_", None) is not None
                 else [str(c) for c in frame[1]])
        columns = self._plot_columns(columns, names)
        if cutoffs is None:
            rate = self.contamination
            rate = float(rate) if isinstance(rate, numbers.Real) else 0.1
            cutoffs = [1 - rate, 0.99]
        cutoffs = tuple(float(q) for q in cutoffs)
        if any(not 0 < q < 1 for q in cutoffs):
            raise ValueError(f"cutoffs must lie in (0, 1), got {list(cutoffs)}.")
        contributions = self._explain_rows(rows[ind:ind + 1], method, baseline)[0]
        row_score = self._scores_of(rows[ind:ind + 1])
        score = float(row_score[0])
        # The label predict gives, from the score already computed.
        self._sync_threshold()
        label = int(self._labels_of(row_score)[0])
        bands = np.empty((0, d))
        if cutoffs:
            pick = np.unique(np.linspace(0, n - 1, min(n, int(options["max_band_rows"])))
                             .round()
                             .astype(int))
            others = self._explain_rows(rows[pick], method, baseline)
            bands = np.quantile(others, cutoffs, axis=0)
        if feature_names is not None:
            feature_names = [str(f) for f in feature_names]
            if len(feature_names) == d:
                names = feature_names
            elif len(feature_names) == len(columns):
                names = list(names)
                for j, name in zip(columns, feature_names):
                    names[j] = name
            else:
                raise ValueError(
                    f"feature_names has {len(feature_names)} names; give one per "
                    f"feature ({d}) or one per drawn column ({len(columns)}).")
        result = OutlierExplanation(index=ind, score=score, label=label,
                                    contributions=contributions, feature_names=list(names),
                                    columns=columns, cutoffs=cutoffs, cutoff_bands=bands,
                                    method=method, ax=None)
        if not options["plot"]:
            return result
        drawn = _draw(result, options["ax"])
        if options["file_name"] is not None:
            drawn.figure.savefig(f"{options['file_name']}.{options['file_type'] or 'png'}",
                                 dpi=300)
        return dataclasses.replace(result, ax=drawn)

    @staticmethod
    def _plot_columns(columns, names):
        if columns is None:
            return list(range(len(names)))
        out = []
        for c in columns:
            if isinstance(c, str):
                if c not in names:
                    raise ValueError(f"Unknown column {c!r}; the features are {names[:10]}...")
                out.append(names.index(c))
            elif isinstance(c, numbers.Integral) and -len(names) <= int(c) < len(names):
                out.append(int(c) % len(names))
            else:
                raise ValueError(f"columns must be feature indices in [0, {len(names) - 1}] "
                                 f"or feature names, got {c!r}.")
        return out


_YLABEL = {
    "occlusion": ("contribution to the outlier score\n"
                  "(score drop with the feature at its reference)"),
    "gradient": "contribution to the outlier score\n(gradient x (value - reference))",
}


#: explain_outlier's keyword options and their defaults (PyOD's first).
_OUTLIER_OPTIONS = {"columns": None, "cutoffs": None, "feature_names": None,
                    "file_name": None, "file_type": None, "max_band_rows": 1000,
                    "ax": None, "plot": True}


def _draw(result, ax):
    """The bar chart of :meth:`ExplainMixin.explain_outlier`; returns the axes."""
    ind, score, label, method = result.index, result.score, result.label, result.method
    contributions, names, columns = result.contributions, result.feature_names, result.columns
    cutoffs, bands = result.cutoffs, result.cutoff_bands
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("explain_outlier draws with matplotlib: pip install matplotlib, "
                          "or pass plot=False for the numbers only.") from exc
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(columns) + 2), 4.0))
    values = contributions[columns]
    positions = np.arange(len(columns))
    ax.bar(positions, values, color=np.where(values > 0, "tab:red", "tab:blue"),
           label="contribution of this row's value")
    for q, band, style in zip(cutoffs, bands, ("--", ":", "-.", "--")):
        ax.plot(positions, band[columns], style, marker="_", markersize=12,
                label=f"{q:g} quantile over the rows of X")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xticks(positions)
    ax.set_xticklabels([names[j] for j in columns], rotation=90 if len(columns) > 12 else 0)
    ax.set_xlabel("feature")
    ax.set_ylabel(_YLABEL[method])
    ax.set_title(f"Outlier score breakdown for row {ind} "
                 f"({'outlier' if label == 1 else 'inlier'}, score {score:.3g})")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax
