"""SLA2P as a PyOD detector.

This module holds the estimator: its parameters, ``fit``,
``decision_function`` and the ``predict*`` methods. ``fit`` reads as named
steps, each a method a variant may replace (as PyOD's deep detectors'
``build_model`` / ``training_forward``): :meth:`SLA2P._resolve_settings`
(parameters to a frozen :class:`~.settings.Settings`),
:meth:`SLA2P._fit_preprocessor` (prepare the rows),
:meth:`SLA2P._build_model` (the bank and the network),
:meth:`SLA2P._train`, :meth:`SLA2P._build_scorer` and
:meth:`SLA2P._calibrate`, then :meth:`SLA2P._combine` across views. The
maths lives in the step modules: :mod:`.preprocessing` (standardisation
and row normalisation), :mod:`.projections` (the random projection bank),
:mod:`.network` (the pseudo-label classifier), :mod:`.training` (the
accuracy-threshold stop), :mod:`.scoring` (the adversarial perturbation and
the score) and :mod:`.views` (a fitted pipeline, and the combination).
Every parameter is checked in one place, :mod:`.validation`.
"""

import dataclasses
import numbers

import numpy as np
import torch
from pyod.models.base import BaseDetector
from scipy.special import erf
from scipy.stats import binom
from sklearn.utils.validation import check_is_fitted

from .budget import check_budget
from .defaults import OPTIMIZER_DEFAULTS, resolve_settings
from .explain import ExplainMixin
from .network import build_classifier, fold_batchnorm
from .preprocessing import RowPreprocessor
from .projections import ProjectionBank
from .scoring import (
    PairScorer,
    mean_over_projections,
    pair_score_matrix,
    pair_statistics,
    score_rows,
)
from .training import Trainer
from .validation import PARAMETER_CONSTRAINTS, check_input, check_parameters, feature_names_of
from .views import (
    FittedView,
    check_not_degenerate,
    combine,
    training_subsample,
    with_score_statistics,
)

# Pairs (row, projection) per scoring chunk when ``score_batch_size="auto"``:
# large enough to keep the matmuls efficient, small enough that a chunk's
# activations (pairs x 4r floats) stay in the CPU's caches. With the
# perturbation (three passes per pair, autograd in between) 4096 was fastest
# among 2048 to 65536 on a 2-core CPU; the fused forward without it
# (:mod:`.fused`) keeps no autograd state and was fastest at 8192
# (benchmarks/results/profile.md).
_SCORE_PAIRS_PER_CHUNK = 4096
_FUSED_PAIRS_PER_CHUNK = 8192

# Fewer distinct training rows than this leave nothing to learn what is typical.
_MIN_DISTINCT_ROWS = 3


class SLA2P(ExplainMixin, BaseDetector):
    """SLA²P: self-supervised anomaly detection with adversarial perturbation.

    Each view of the data (by default two: the rows' direction, and their
    direction with their magnitude kept) standardises the features, scales
    every row to unit L2 norm and maps it by ``n_projections`` fixed Gaussian
    random projections of width ``projection_dim``. A small MLP learns to
    tell which projection produced a transformed row, and stops training as
    soon as its running accuracy passes ``acc_threshold``, before it learns
    the rare rows too.
    A row's score is the mean over projections of the classifier's negative
    log-probability of the true projection, each projection's score first
    standardised by its mean and spread on the training rows (optionally
    after pushing each projected row against the classifier's prediction by
    ``epsilon``, the paper's adversarial perturbation; off by default). Each
    view's scores are standardised on its training scores and the views are
    combined by their maximum. Rows the classifier handles badly, the rare
    and scattered ones, score high.

    Parameters
    ----------
    contamination : float in (0, 0.5] or a PyThresh-style object, default=0.1
        The expected share of outliers, used to set ``threshold_``; or an
        object with ``fit(scores)``, ``labels_`` and ``thresh_`` (and
        ``predict(scores)`` for :meth:`predict`), as PyOD allows.
    n_projections : int >= 2 or "auto", default="auto"
        ``M``, the number of random projections (pseudo-classes). "auto": 64.
    projection_dim : int or "auto", default="auto"
        ``r``, the width of each projection. "auto": 64.
    hidden_dims : sequence of int or "auto", default="auto"
        Hidden widths of the classifier; "auto" is the paper's ``(2r, 4r)``.
    acc_threshold : float in (0, 1) or "auto", default="auto"
        Training stops as soon as the epoch's running accuracy exceeds it.
        "auto": 0.3.
    epsilon : float in [0, 1e6] or "auto", default="auto"
        Step of the adversarial perturbation ``z + epsilon * g`` on the
        *per-row* gradient ``g``; 0 disables it (the paper's SLA ablation).
        The script's ``1000`` on its batch-mean gradient equals
        ``1000 / 128 = 7.8125`` here. "auto": 0, because no perturbation
        helped on the benchmark suites (the documentation's method page).
    views : "auto", "direction", "homogeneous", "both" or a list of them
        Which pipelines to fit. ``"direction"`` is the paper's: rows scaled
        to unit L2 norm, so only their direction counts; it finds local and
        contextual outliers. ``"homogeneous"`` appends the constant
        coordinate ``sqrt(n_features)`` before the normalisation so that a
        row's magnitude survives; it finds extreme-value outliers. With
        both, each view's scores are standardised by its training scores
        and combined by their maximum (``combo``). "auto": both.
    score_function : {"log_prob", "brier"} or "auto", default="auto"
        Per-projection score: the negative log-probability of the true
        pseudo-label, or the paper's Brier distance ``||p - e_m||^2``.
        "auto": "log_prob", which measured higher on every benchmark suite;
        the paper preset uses "brier".
    epoch_num : int, default=1000
        Upper bound on training epochs; the accuracy stop normally fires in
        the first or second epoch. Training also stops when 20 epochs in a
        row bring no gain in running accuracy.
    batch_size : int >= 2, default=128
        (row, projection) pairs per training batch (the paper's 128).
    optimizer_params : dict or None, default=None
        Adam's settings, any of ``lr``, ``eps`` and ``weight_decay``; what is
        not given keeps the authors' value (``lr=1e-3``, ``eps=1e-7``,
        ``weight_decay=5e-4``).
    max_train_samples : int or None, default=10000
        Train the classifier on at most this many rows, drawn at random from
        ``X`` (all rows are still scored). Bounds the cost of ``fit`` on large
        data, as the script's 12 000-row cap; None uses every row.
    score_batch_size : int or "auto", default="auto"
        Rows per scoring chunk (each chunk holds ``rows * M`` pairs); bounds
        memory and does not change the scores, so it may be changed with
        ``set_params`` after ``fit``. "auto": 8192 pairs per chunk, 4096
        with the perturbation (``epsilon > 0``).
    preset : None or "paper", default=None
        "paper" fills every "auto" parameter with the authors' tabular
        setting: one view (direction), 256 projections of width 256 (64 of
        width 128 above 2000 rows, the script's setting for its large tabular
        set), accuracy stop 0.6, epsilon 7.8125 (their 1000 on the batch-mean
        gradient), the Brier score, no feature standardisation and the raw
        mean over projections. BatchNorm
        weights start at 1 (current PyTorch), not at the uniform (0, 1) draw
        of the PyTorch 0.4 the script ran on.
    device : None, "auto", "cpu", "cuda", "mps" or torch.device, default=None
        None and "auto" pick CUDA when available, else CPU; "mps" is Apple
        silicon's GPU, refused where this PyTorch has no MPS. A fitted model
        scores on whatever device this resolves to at call time, so a model
        fitted on a GPU can be pickled and used on a CPU-only machine.
    random_state : int, numpy Generator/RandomState or None, default=None
        Seeds the projections, the network's initial weights, the training
        subsample and the shuffling. The global numpy and torch RNGs are
        never used.
    verbose : int, default=0
        1 or more shows tqdm progress bars for training and scoring.

    Attributes
    ----------
    decision_scores_ : ndarray of shape (n_samples,)
        Outlier scores of the training data (higher = more abnormal).
    threshold_ : float
        The score above which a row is labelled an outlier.
    labels_ : ndarray of shape (n_samples,)
        Binary labels of the training data (1 = outlier).
    n_features_in_ : int
        Feature count seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit``; only when ``X`` was a DataFrame with
        string column names. Scoring then checks the columns match.
    params_ : Settings
        The settings actually used, with "auto" resolved: an immutable
        record that reads like a mapping (``params_["n_projections"]``).
    views_ : list of FittedView
        One fitted pipeline per view, each with its ``preprocessor`` (learned
        standardisation and row normalisation), ``projections`` (the bank drawn
        once in ``fit``), ``network`` (the trained classifier, BatchNorm
        folded), ``scorer`` (how a pair is perturbed and scored),
        ``training_log`` (running accuracy and loss per batch, and why
        training stopped), ``pair_calibration`` and the mean and spread of
        its training scores.

    Notes
    -----
    The defaults are fixed values, listed in :mod:`pyod_sla2p.defaults`;
    they do not depend on the data. Research switches are not parameters of
    this class: the benchmark's ``benchmarks.variants.SLA2PVariant`` replaces
    the fit's named steps to try them.

    References
    ----------
    .. [1] Y. Wang, C. Qin, R. Wei, Y. Xu, Y. Bai, Y. Fu. "SLA²P:
       Self-supervised Anomaly Detection with Adversarial Perturbation".
       arXiv:2111.12896; IEEE TKDE 36(12), 2024.

    Examples
    --------
    >>> from pyod.utils.data import generate_data
    >>> from pyod_sla2p import SLA2P
    >>> X_train, X_test, y_train, y_test = generate_data(
    ...     n_train=300, n_test=100, n_features=5, random_state=0)
    >>> clf = SLA2P(random_state=0).fit(X_train)
    >>> scores = clf.decision_function(X_test)  # higher = more abnormal
    >>> labels = clf.predict(X_test)            # 0 inlier, 1 outlier
    """

    def __init__(self, contamination=0.1, n_projections="auto",
                 projection_dim="auto", hidden_dims="auto", acc_threshold="auto",
                 epsilon="auto", views="auto", score_function="auto",
                 epoch_num=1000, batch_size=128, optimizer_params=None,
                 max_train_samples=10000, score_batch_size="auto", preset=None,
                 device=None, random_state=None, verbose=0):
        # sklearn contract: store only; validation happens in fit.
        self.contamination = contamination
        self.n_projections = n_projections
        self.projection_dim = projection_dim
        self.hidden_dims = hidden_dims
        self.acc_threshold = acc_threshold
        self.epsilon = epsilon
        self.views = views
        self.score_function = score_function
        self.epoch_num = epoch_num
        self.batch_size = batch_size
        self.optimizer_params = optimizer_params
        self.max_train_samples = max_train_samples
        self.score_batch_size = score_batch_size
        self.preset = preset
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    #: The allowed values of each constructor parameter, checked once in fit.
    _sla2p_constraints = PARAMETER_CONSTRAINTS

    def fit(self, X, y=None):
        """Fit the detector on ``X`` (``y`` is ignored: unsupervised).

        Everything learned is published only once all of it has succeeded:
        a ``fit`` that fails leaves a previously fitted model as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        # Only this estimator's own parameters: with deep=True a PyThresh
        # thresholder passed as contamination is asked for its parameters.
        check_parameters(self.get_params(deep=False), type(self).__name__,
                         self._sla2p_constraints)
        feature_names = feature_names_of(X)
        X = check_input(X)
        n_samples, n_features = X.shape
        if n_samples < 2:
            raise ValueError(f"SLA2P needs at least 2 samples to fit, got "
                             f"{n_samples} sample.")
        settings = self._resolve_settings(X)
        device = resolve_device(self.device)
        names = self._view_names(settings)
        seeds = _draw_seeds(self.random_state, 4 * len(names))
        views, raw = [], []
        for i, name in enumerate(names):
            view, scores = self._fit_view(name, X, settings, seeds[4 * i:4 * i + 4], device)
            views.append(view)
            raw.append(scores)
        decision_scores = self._combine_checked(views, raw, "training rows")
        if np.ptp(decision_scores) == 0:
            raise ValueError(self._same_score_message(X, settings, views))
        threshold, labels = self._threshold(decision_scores)
        if _as_rate(self.contamination) is not None and not labels.any():
            n_top = int(np.sum(decision_scores == decision_scores.max()))
            raise ValueError(
                f"{n_top} of the {n_samples} training rows tie at the highest score "
                f"(only {len(np.unique(decision_scores))} distinct scores), so no "
                f"threshold at contamination={self.contamination} labels any row an "
                "outlier. The classifier's output is saturated"
                + (f": epsilon={settings.epsilon:g} pushes every pair to the same "
                   "score; lower epsilon." if settings.epsilon > 0 else
                   "; check for many identical rows."))

        self.n_features_in_ = n_features
        if feature_names is not None:
            self.feature_names_in_ = feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.params_ = settings
        self.views_ = views
        self.decision_scores_ = decision_scores
        self.threshold_, self.labels_ = threshold, labels
        self._threshold_for = self.contamination
        self._mu = float(np.mean(decision_scores))
        self._sigma = float(np.std(decision_scores))
        self._classes = 2  # y is ignored: always inlier/outlier
        return self

    # ---------------------------------------------------- the fit's steps
    def _resolve_settings(self, X):
        """Step 0: the parameters, "auto" resolved, as a frozen Settings."""
        return resolve_settings(self.get_params(deep=False), X.shape[0])

    def _view_names(self, settings):
        """The views to fit, in order (one fit each)."""
        return list(settings.views)

    def _fit_view(self, name, X, settings, seeds, device):
        """Fit one view on the rows of ``X``; returns it and its raw training scores.

        ``seeds`` are 4 ints: for the bank, the network's initial weights,
        the training subsample and the shuffling.
        """
        pick = training_subsample(X.shape[0], settings.max_train_samples, seeds[2])
        preprocessor = self._fit_preprocessor(name, X, pick, settings)
        x_proc = preprocessor.transform(X)
        check_not_degenerate(x_proc, name)
        x_train = x_proc if pick is None else x_proc[pick]
        pairs_per_chunk = self._score_batch_rows(settings) * settings.n_projections
        check_budget(settings, x_train.shape[0], x_proc.shape[1], pairs_per_chunk, device)
        bank, network = self._build_model(settings, x_proc.shape[1], seeds[:2], device)
        log = self._train(network, torch.as_tensor(x_train, device=device), bank,
                          settings, seeds[3])
        # Folded once here: scoring runs the network up to three times per pair.
        network = fold_batchnorm(network)
        scorer = self._build_scorer(settings, network, bank, x_train)
        view = FittedView(name, preprocessor, bank, network, scorer, log)
        return self._calibrate(view, x_proc, x_train, settings, train_rows=pick)

    def _fit_preprocessor(self, name, X, train_rows, settings):
        """Prepare the rows: the view's standardisation and row normalisation.

        ``train_rows`` (the classifier's subsample, or None) is unused here;
        a variant whose preprocessing learns more than the standardisation
        fits it on those rows, so it stays bounded on large data.
        """
        return RowPreprocessor(settings.standardize,
                               homogeneous=(name == "homogeneous")).fit(X)

    def _build_model(self, settings, n_inputs, seeds, device):
        """The projection bank (``seeds[0]``) and the untrained classifier (``seeds[1]``)."""
        bank = ProjectionBank.draw(settings.n_projections, n_inputs,
                                   settings.projection_dim, seed=seeds[0])
        network = build_classifier(settings.projection_dim, settings.n_projections,
                                   settings.hidden_dims, seed=seeds[1])
        return bank.to(device), network.to(device)

    def _train(self, network, x_train, bank, settings, seed):
        """Train the classifier until the accuracy stop; returns its TrainingLog."""
        return Trainer(network, x_train, bank, settings, seed, bool(self.verbose)).run()

    def _build_scorer(self, settings, network, bank, x_train):
        """How the fitted view perturbs and scores a pair (its settings frozen)."""
        return PairScorer(settings.epsilon, settings.score_function)

    def _calibrate(self, view, x_proc, x_train, settings, train_rows=None):
        """Learn each projection's pair-score statistics and score the training rows.

        The statistics come from the rows the classifier was trained on
        (bounded by ``max_train_samples``, as training's memory is):
        ``x_train``, which is ``x_proc[train_rows]``, or ``x_proc`` itself
        when ``train_rows`` is None. Those rows' pair scores give their row
        scores too, so only the other rows are scored again.
        """
        batch_rows = self._score_batch_rows(settings)
        verbose = bool(self.verbose)
        if not settings.calibrate:
            scores = score_rows(view, x_proc, batch_rows, verbose)
            return with_score_statistics(view, scores), scores
        pairs = pair_score_matrix(view, x_train, batch_rows, verbose)
        view = dataclasses.replace(view, pair_calibration=pair_statistics(pairs))
        train_scores = mean_over_projections(pairs, view.pair_calibration)
        if train_rows is None:
            scores = train_scores
        else:
            scores = np.empty(x_proc.shape[0], dtype=np.float64)
            scores[train_rows] = train_scores
            others = np.ones(x_proc.shape[0], dtype=bool)
            others[train_rows] = False
            scores[others] = score_rows(view, x_proc[others], batch_rows, verbose)
        return with_score_statistics(view, scores), scores

    def _combine(self, views, raw):
        """One score per row from the views' raw scores (their maximum, standardised)."""
        return combine(views, raw)

    def _combine_checked(self, views, raw, what):
        """:meth:`_combine`, after checking that every raw score is finite."""
        n_bad = sum(int((~np.isfinite(scores)).sum()) for scores in raw)
        if n_bad:
            raise ValueError(
                f"SLA2P produced {n_bad} non-finite score(s) for the {what}. This "
                "happens when the perturbation step (epsilon) is too large for the "
                "data or the training diverged; lower epsilon or optimizer_params['lr'].")
        return self._combine(views, raw)

    @staticmethod
    def _same_score_message(X, settings, views):
        """Why every training row got the same score: say what actually happened."""
        n_rows = X.shape[0]
        n_distinct = len(np.unique(X, axis=0))
        changed = {k: v for k, v in (("lr", settings.lr), ("weight_decay", settings.weight_decay))
                   if v != OPTIMIZER_DEFAULTS[k]}
        if changed and _classifier_collapsed(views):
            given = ", ".join(f"{k}={v:g}" for k, v in changed.items())
            return ("SLA2P's training collapsed: with optimizer_params " + given
                    + " the classifier ends up giving every input the same output, so "
                    "every training row gets the same score. Lower them (the defaults "
                    f"are lr={OPTIMIZER_DEFAULTS['lr']:g}, weight_decay="
                    f"{OPTIMIZER_DEFAULTS['weight_decay']:g}).")
        if n_distinct < _MIN_DISTINCT_ROWS:
            return (f"SLA2P gave every one of the {n_rows} training rows the same score: "
                    f"with {n_distinct} distinct rows there are too few to learn what is "
                    f"typical (each row is as typical as the other). Fit on at least "
                    f"{_MIN_DISTINCT_ROWS} distinct rows.")
        return (f"SLA2P gave every one of the {n_rows} training rows the same score, so "
                "it cannot rank them: the classifier learned nothing that tells the rows "
                "apart. Check for identical or nearly identical rows.")

    def _threshold(self, scores):
        """The threshold and 0/1 labels of ``scores``, as PyOD computes them."""
        rate = _as_rate(self.contamination)
        if rate is not None:
            threshold = float(np.percentile(scores, 100 * (1 - rate)))
            return threshold, (scores > threshold).astype(int).ravel()
        thresholder = self.contamination
        thresholder.fit(scores)
        labels = np.asarray(thresholder.labels_).astype(int).ravel()
        threshold = thresholder.thresh_
        if not threshold:  # PyOD's rule for thresholders without a threshold
            threshold = np.sum(labels) / len(labels)
        return threshold, labels

    # -------------------------------------------------------------- scoring
    def decision_function(self, X):
        """Outlier score of each row of ``X`` (higher = more abnormal).

        A row's score depends on that row alone: not on the batch size, the
        order of the rows, or the other rows scored with it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, ["decision_scores_", "views_"])
        X = check_input(X, n_features=self.n_features_in_,
                        feature_names=getattr(self, "feature_names_in_", None))
        device = resolve_device(self.device)
        batch_rows = self._score_batch_rows(self.params_)
        raw = [view.score(X, batch_rows, device, bool(self.verbose)) for view in self.views_]
        return self._combine_checked(self.views_, raw, "rows of X")

    def _score_batch_rows(self, settings):
        """Rows per scoring chunk for the resolved ``settings``.

        ``score_batch_size`` is read at call time, not from ``params_``: the
        chunk size changes memory and speed, never the scores, so it may be
        set after fit. "auto" takes ``M`` and whether pairs are perturbed
        (``epsilon > 0``, smaller chunks) from ``settings``.
        """
        rows = self.score_batch_size
        if isinstance(rows, str) and rows == "auto":
            pairs = _SCORE_PAIRS_PER_CHUNK if settings.epsilon > 0 else _FUSED_PAIRS_PER_CHUNK
            return max(1, pairs // settings.n_projections)
        check_parameters({"score_batch_size": rows}, type(self).__name__,
                         self._sla2p_constraints)
        return int(rows)

    # ------------------------------------------------------------ labels
    # PyOD's versions take X as given (a list of lists breaks them) and test
    # contamination with isinstance(float, int), which sends numpy floats
    # down the thresholder branch; these validate X once and accept both.
    def predict(self, X, return_confidence=False):
        """0/1 outlier labels of the rows of ``X`` (1 = outlier).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_confidence : bool, default=False
            Also return :meth:`predict_confidence`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        confidence : ndarray of shape (n_samples,)
            Only with ``return_confidence=True``.
        """
        check_is_fitted(self, ["decision_scores_", "threshold_", "labels_"])
        self._sync_threshold()
        scores = self.decision_function(X)
        labels = self._labels_of(scores)
        if return_confidence:
            return labels, self._confidence(scores, labels)
        return labels

    def predict_proba(self, X, method="linear", return_confidence=False):
        """Outlier probability of the rows of ``X`` (PyOD's ``linear`` or ``unify``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        method : {"linear", "unify"}, default="linear"
            Min-max scaling on the training scores, or Kriegel et al.'s
            unified score (a Gaussian CDF on the training scores).
        return_confidence : bool, default=False

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns: inlier and outlier probability.
        confidence : ndarray of shape (n_samples,)
            Only with ``return_confidence=True``.
        """
        check_is_fitted(self, ["decision_scores_", "threshold_", "labels_"])
        self._sync_threshold()
        if method not in ("linear", "unify"):
            raise ValueError(f"method must be 'linear' or 'unify', got {method!r}.")
        scores = self.decision_function(X)
        if method == "linear":
            low, high = self.decision_scores_.min(), self.decision_scores_.max()
            outlier = ((scores - low) / (high - low)).clip(0, 1)
        else:
            outlier = erf((scores - self._mu) / (self._sigma * np.sqrt(2))).clip(0, 1)
        proba = np.column_stack([1 - outlier, outlier])
        if return_confidence:
            return proba, self._confidence(scores, self._labels_of(scores))
        return proba

    def predict_confidence(self, X):
        """How surely each row would keep its label under a slightly
        different training set (Perini et al., as PyOD computes it).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), values in [0, 1]
        """
        check_is_fitted(self, ["decision_scores_", "threshold_", "labels_"])
        self._sync_threshold()
        scores = self.decision_function(X)
        return self._confidence(scores, self._labels_of(scores))

    def _sync_threshold(self):
        """Follow a ``contamination`` set after ``fit``, checked as ``fit`` checks it.

        The threshold comes from the training scores alone, so a new
        contamination needs no refit: ``threshold_`` and ``labels_`` are
        recomputed from ``decision_scores_``, and the labels, probabilities
        and confidences all use the new value.
        """
        check_parameters({"contamination": self.contamination}, type(self).__name__,
                         self._sla2p_constraints)
        before = getattr(self, "_threshold_for", self.contamination)
        rate, old_rate = _as_rate(self.contamination), _as_rate(before)
        same = (rate == old_rate) if rate is not None and old_rate is not None \
            else self.contamination is before
        if not same:
            self.threshold_, self.labels_ = self._threshold(self.decision_scores_)
            self._threshold_for = self.contamination

    def _labels_of(self, scores):
        if _as_rate(self.contamination) is not None:
            return (scores > self.threshold_).astype(int).ravel()
        return np.asarray(self.contamination.predict(scores)).astype(int).ravel()

    def _confidence(self, scores, labels):
        train = np.sort(self.decision_scores_)
        n = len(train)
        rate = _as_rate(self.contamination)
        if rate is None:
            rate = np.sum(self.labels_) / n
        # Share of training scores at or below each score, with a uniform prior.
        posterior = (1 + np.searchsorted(train, scores, side="right")) / (2 + n)
        confidence = 1 - binom.cdf(n - int(n * rate), n, posterior)
        return np.where(labels == 0, 1 - confidence, confidence)

    # ---------------------------------------------------------- persistence
    def __getstate__(self):
        # Pickle the fitted tensors on the CPU so a model fitted on a GPU
        # loads on a machine without one; scoring moves them where needed.
        state = self.__dict__.copy()
        if "views_" in state:
            state["views_"] = [view.to_cpu() for view in state["views_"]]
        return state


def resolve_device(device):
    """Turn the ``device`` parameter into a ``torch.device`` this machine has.

    Parameters
    ----------
    device : None, "auto", str or torch.device
        Checked here too, not only in ``fit``: a device set with
        ``set_params`` after fitting is used by the next scoring call.

    Returns
    -------
    torch.device

    Raises
    ------
    InvalidParameterError
        For a device SLA2P does not run on.
    ValueError
        For CUDA or MPS where this PyTorch cannot use them.
    """
    check_parameters({"device": device}, "SLA2P")
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    available = {"cuda": torch.cuda.is_available, "mps": _mps_available}
    if resolved.type in available and not available[resolved.type]():
        raise ValueError(f"device={device!r} was requested but {resolved.type.upper()} "
                         "is not available to this PyTorch here; use device=None or "
                         "'cpu'.")
    return resolved


def _mps_available():
    """Whether PyTorch can use Apple's Metal (MPS) backend here."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _as_rate(contamination):
    """``contamination`` as a float when it is a number (numpy ones too), else None."""
    if isinstance(contamination, (numbers.Real, np.floating, np.integer)) and not \
            isinstance(contamination, (bool, np.bool_)):
        return float(contamination)
    return None


def _classifier_collapsed(views):
    """Whether every view's classifier gives one output whatever the input."""
    for view in views:
        probe = torch.randn(16, view.projections.projection_dim,
                            generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            logits = view.on("cpu").network(probe)
        if float(logits.max(dim=0).values.sub(logits.min(dim=0).values).max()) > 1e-6:
            return False
    return True


def _draw_seeds(random_state, count):
    """Independent integer seeds from ``random_state``, without the global RNG.

    An int or None becomes a fresh ``numpy.random.Generator`` (None: OS
    entropy); a user's Generator or RandomState is drawn from, as sklearn does.
    """
    if isinstance(random_state, np.random.Generator):
        return [int(s) for s in random_state.integers(0, 2 ** 63 - 1, size=count)]
    if isinstance(random_state, np.random.RandomState):
        return [int(s) for s in random_state.randint(0, 2 ** 31 - 1, size=count)]
    rng = np.random.default_rng(random_state)
    return [int(s) for s in rng.integers(0, 2 ** 63 - 1, size=count)]
