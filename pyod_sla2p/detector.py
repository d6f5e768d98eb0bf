"""SLA2P as a PyOD detector.

This module holds the estimator: its parameters, ``fit`` and
``decision_function``. The maths lives in the step modules it orchestrates:
:mod:`.preprocessing` (row normalisation), :mod:`.projections` (the random
projection bank), :mod:`.network` (the pseudo-label classifier),
:mod:`.training` (the accuracy-threshold stop) and :mod:`.scoring` (the
adversarial perturbation and the score).
"""

import numbers

import numpy as np
import torch
from pyod.models.base import BaseDetector
from sklearn.utils.validation import check_is_fitted

from .defaults import resolve_parameters
from .network import ACTIVATIONS
from .scoring import PERTURBATIONS, SCORE_MODES, SCORES
from .validation import check_input
from .views import COMBINATIONS, VIEWS, combine, fit_view, set_score_statistics

# Pairs (row, projection) per scoring chunk when ``score_batch_size="auto"``:
# large enough to keep the matmuls efficient, small enough that a chunk's
# activations (pairs x 4r floats) stay in the CPU's caches; measured fastest
# among 4096/16384/65536 on a 2-core CPU (benchmarks/perf.py).
_SCORE_PAIRS_PER_CHUNK = 4096


class SLA2P(BaseDetector):
    """SLA²P: self-supervised anomaly detection with adversarial perturbation.

    Each row is L2-normalised and mapped by ``n_projections`` fixed Gaussian
    random projections; a small MLP learns to tell which projection produced
    a transformed row, and stops training once its running accuracy passes
    ``acc_threshold``. At scoring time every transformed row is pushed
    against the classifier's prediction (step ``epsilon`` on its own
    gradient), and the anomaly score is the mean Brier distance between the
    classifier's output and the true projection label. Rows that the
    classifier handles badly, the rare and scattered ones, score high.

    Parameters
    ----------
    contamination : float in (0, 0.5] or a PyThresh-style object, default=0.1
        The expected share of outliers, used to set ``threshold_``; or an
        object with ``fit(scores)``, ``labels_`` and ``thresh_``, as PyOD allows.
    n_projections : int or "auto", default="auto"
        ``M``, the number of random projections (pseudo-classes).
    projection_dim : int or "auto", default="auto"
        ``r``, the width of each projection.
    hidden_dims : sequence of int or "auto", default="auto"
        Hidden widths of the classifier; ``"auto"`` is the paper's ``(2r, 4r)``.
    activation : str, default="leaky_relu"
        Hidden activation: "leaky_relu" (the paper), "relu", "elu", "gelu" or "tanh".
    acc_threshold : float in (0, 1) or "auto", default="auto"
        Training stops as soon as the epoch's running accuracy exceeds it.
    epsilon : float >= 0 or "auto", default="auto"
        Step of the adversarial perturbation, on the *per-row* gradient. 0
        disables the perturbation (the paper's SLA ablation). With
        ``perturbation="gradient"`` the script's ``1000`` on its batch-mean
        gradient equals ``1000 / 128 = 7.8125`` here.
    perturbation : {"gradient", "relative", "sign"} or "auto", default="auto"
        ``"gradient"``: ``z + epsilon * g`` with the raw per-row gradient ``g``
        (the paper). ``"relative"``: a step of ``epsilon`` times the
        transformed row's norm along ``g``, comparable across data sets.
        ``"sign"``: the fast-gradient-sign step, of the same length as
        ``"relative"``.
    score : {"brier", "log_prob"} or "auto", default="auto"
        Per-projection score: the paper's Brier distance ``||p - e_m||^2``, or
        the negative log probability of the true pseudo-label. ``"auto"`` is
        "log_prob", which measured higher on every benchmark suite (see the
        README's ablation); the paper preset uses "brier".
    views : "auto", "direction", "homogeneous", "both" or a list of them
        Which pipelines to fit. ``"direction"`` is the paper's: rows scaled
        to unit L2 norm, so only their direction counts; it finds local and
        contextual outliers. ``"homogeneous"`` appends the constant
        coordinate ``sqrt(n_features)`` before the normalisation so that a
        row's magnitude survives; it finds extreme-value outliers. With
        both, each view's scores are standardised by its training scores and
        combined by ``combine``.
    combine : {"max", "average"}, default="max"
        How the standardised scores of several views are combined (``combo``'s
        ``maximization`` or ``average``). Max flags a row that either view
        finds abnormal.
    standardize : bool or "auto", default="auto"
        Standardise each feature (mean and standard deviation learned in
        ``fit``) before the row L2 normalisation. ``"auto"`` is True, as in
        PyOD's deep detectors: without it, a feature with a large unit
        dominates every row's direction. The paper preset sets it to False,
        as in the authors' script.
    n_steps : int, default=1
        Split the perturbation into this many smaller steps, each recomputing
        the gradient (iterative FGSM); ``epsilon`` is the total step.
    score_mode : {"perturbed", "change"}, default="perturbed"
        ``"perturbed"``: score the perturbed pairs (the paper). ``"change"``:
        score the perturbed pairs minus the clean ones, i.e. how much the push
        hurt the true pseudo-label; needs ``epsilon > 0``.
    temperature : float > 0, default=1.0
        Divides the classifier's logits before the score is computed.
    n_banks : int, default=1
        Fit each view this many times, with independent projection banks,
        networks and training subsamples, and average the banks' standardised
        scores (``combo``'s ``average``) before the views are combined: an
        ensemble over banks, at ``n_banks`` times the cost.
    epoch_num : int, default=1000
        Upper bound on training epochs; the accuracy stop normally fires long
        before.
    batch_size : int, default=128
        (row, projection) pairs per training batch (the paper's 128).
    lr : float, default=1e-3
        Adam's learning rate.
    adam_eps : float, default=1e-7
        Adam's epsilon (the script's value).
    weight_decay : float, default=5e-4
        Adam's L2 penalty.
    max_train_samples : int or None, default=10000
        Train the classifier on at most this many rows, drawn at random from
        ``X`` (all rows are still scored). Bounds the cost of ``fit`` on large
        data, as the script's 12 000-row cap; None uses every row.
    score_batch_size : int or "auto", default="auto"
        Rows per scoring chunk (each chunk holds ``rows * M`` pairs); bounds
        memory and does not change the scores, so it may be changed with
        ``set_params`` after ``fit``. ``"auto"``: 4096 pairs per chunk.
    preset : None or "paper", default=None
        ``"paper"`` fills every ``"auto"`` parameter with the authors' tabular
        setting: 256 projections of width 256 (64 of width 128 above 2000
        rows, the script's setting for its large tabular set), accuracy stop
        0.6, epsilon 7.8125 (their 1000 on the batch-mean gradient), no
        standardisation.
        BatchNorm weights start at 1 (current PyTorch), not at the uniform
        (0, 1) draw of the PyTorch 0.4 the script ran on. One view
        (direction), raw-gradient perturbation.
    device : None, "auto", "cpu", "cuda" or torch.device, default=None
        None and "auto" pick CUDA when available, else CPU. A fitted model
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
    params_ : dict
        The parameters actually used, with ``"auto"`` resolved.
    views_ : list of FittedView
        One fitted pipeline per view, each with its ``preprocessor`` (learned
        standardisation and row normalisation), ``projections`` (the bank drawn
        once in ``fit``), ``network`` (the trained classifier),
        ``training_log`` (running accuracy and loss per batch; whether the
        threshold fired) and the mean and spread of its training scores.

    Notes
    -----
    The ``"auto"`` rule is in :func:`pyod_sla2p.defaults.shape_rule` and
    depends on the training data's shape only. Currently: both views, 64
    projections of width 64, accuracy stop 0.3, epsilon 0 (the perturbation
    did not help on the benchmarks; see the README), standardisation on.

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
                 projection_dim="auto", hidden_dims="auto",
                 activation="leaky_relu", acc_threshold="auto", epsilon="auto",
                 perturbation="auto", score="auto", views="auto", combine="max",
                 standardize="auto", n_steps=1, score_mode="perturbed",
                 temperature=1.0, n_banks=1, epoch_num=1000,
                 batch_size=128, lr=1e-3, adam_eps=1e-7, weight_decay=5e-4,
                 max_train_samples=10000, score_batch_size="auto", preset=None,
                 device=None, random_state=None, verbose=0):
        # sklearn contract: store only; validation happens in fit.
        self.contamination = contamination
        self.n_projections = n_projections
        self.projection_dim = projection_dim
        self.hidden_dims = hidden_dims
        self.activation = activation
        self.acc_threshold = acc_threshold
        self.epsilon = epsilon
        self.perturbation = perturbation
        self.score = score
        self.views = views
        self.combine = combine
        self.standardize = standardize
        self.n_steps = n_steps
        self.score_mode = score_mode
        self.temperature = temperature
        self.n_banks = n_banks
        self.epoch_num = epoch_num
        self.batch_size = batch_size
        self.lr = lr
        self.adam_eps = adam_eps
        self.weight_decay = weight_decay
        self.max_train_samples = max_train_samples
        self.score_batch_size = score_batch_size
        self.preset = preset
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Fit the detector on ``X`` (``y`` is ignored: unsupervised).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        X = check_input(X)
        self._set_n_classes(y)
        n_samples, n_features = X.shape
        params = resolve_parameters(self.get_params(), n_samples, n_features)
        params["views"] = _check_views(params["views"])
        _check_parameters(params)
        device = resolve_device(self.device)
        n_banks = params["n_banks"]
        seeds = _draw_seeds(self.random_state, 4 * len(params["views"]) * n_banks)

        # Fit into locals and publish at the end, so a failure part-way
        # leaves a previously fitted model as it was.
        scoring_params = self._scoring_params(params)
        views, raw = [], []
        pipelines = [name for name in params["views"] for _ in range(n_banks)]
        for i, name in enumerate(pipelines):
            view = fit_view(name, X, params, seeds[4 * i:4 * i + 4], device,
                            verbose=bool(self.verbose))
            scores = view.score(X, scoring_params, device, bool(self.verbose))
            set_score_statistics(view, scores)
            views.append(view)
            raw.append(scores)
        self.n_features_in_ = n_features
        self.params_ = params
        self.views_ = views
        self.decision_scores_ = combine(views, raw, params["combine"])
        self._process_decision_scores()
        return self

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
        X = check_input(X, n_features=self.n_features_in_)
        device = resolve_device(self.device)
        params = self._scoring_params(self.params_)
        raw = [view.score(X, params, device, bool(self.verbose)) for view in self.views_]
        return combine(self.views_, raw, self.params_["combine"])

    def _scoring_params(self, params):
        """``params`` (the resolved method parameters) plus the live chunk size."""
        params = dict(params)
        # Read live, not from params_: the chunk size changes memory and
        # speed, never the scores, so it may be set after fit.
        rows = self.score_batch_size
        if _is_auto(rows):
            rows = max(1, _SCORE_PAIRS_PER_CHUNK // params["n_projections"])
        elif not isinstance(rows, (numbers.Integral, np.integer)) or rows < 1:
            raise ValueError(f"score_batch_size must be a positive integer or "
                             f"'auto', got {rows!r}.")
        params["score_batch_rows"] = int(rows)
        return params

    # ---------------------------------------------------------- persistence
    def __getstate__(self):
        # Pickle the fitted tensors on the CPU so a model fitted on a GPU
        # loads on a machine without one; scoring moves them where needed.
        state = self.__dict__.copy()
        if "views_" in state:
            state["views_"] = [view.to_cpu() for view in state["views_"]]
        return state


def resolve_device(device):
    """Turn the ``device`` parameter into a ``torch.device``.

    Parameters
    ----------
    device : None, "auto", str or torch.device

    Returns
    -------
    torch.device
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"Unknown device {device!r}; use None, 'auto', 'cpu' "
                         "or 'cuda'.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not "
                         "available here; use device=None or 'cpu'.")
    return resolved


def _check_views(views):
    """Normalise the ``views`` parameter to a tuple of view names."""
    if isinstance(views, str):
        views = VIEWS if views == "both" else (views,)
    try:
        views = tuple(views)
    except TypeError:
        views = (views,)
    unknown = [v for v in views if v not in VIEWS]
    if not views or unknown or len(set(views)) != len(views):
        raise ValueError(f"views must be 'auto', 'both', one of {VIEWS} or a "
                         f"list of distinct names from it, got {views!r}.")
    return views


def _is_auto(value):
    return isinstance(value, str) and value == "auto"


def _draw_seeds(random_state, count):
    """Independent integer seeds from ``random_state``, without the global RNG.

    An int or None becomes a fresh ``numpy.random.Generator`` (None: OS
    entropy); a user's Generator or RandomState is drawn from, as sklearn does.
    """
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        rng = np.random.default_rng(random_state)
        return [int(s) for s in rng.integers(0, 2 ** 63 - 1, size=count)]
    if isinstance(random_state, np.random.Generator):
        return [int(s) for s in random_state.integers(0, 2 ** 63 - 1, size=count)]
    if isinstance(random_state, np.random.RandomState):
        return [int(s) for s in random_state.randint(0, 2 ** 31 - 1, size=count)]
    raise ValueError(f"random_state must be None, an int, or a numpy "
                     f"Generator/RandomState, got {random_state!r}.")


_MAY_BE_AUTO = ("n_projections", "projection_dim", "score_batch_size")


def _check_parameters(p):
    """Raise a ValueError naming the first invalid parameter."""
    def positive_int(name):
        v = p[name]
        if not isinstance(v, (numbers.Integral, np.integer)) or isinstance(v, bool) or v < 1:
            also = " or 'auto'" if name in _MAY_BE_AUTO else ""
            raise ValueError(f"{name} must be a positive integer{also}, got {v!r}.")

    c = p["contamination"]
    if isinstance(c, (numbers.Real, np.floating)) and not isinstance(c, bool):
        if not 0.0 < c <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {c!r}.")
    elif not hasattr(c, "fit"):
        raise ValueError("contamination must be a float in (0, 0.5] or a "
                         f"PyThresh-style object with fit(), got {c!r}.")
    for name in ("n_projections", "projection_dim", "epoch_num", "batch_size",
                 "n_steps", "n_banks"):
        positive_int(name)
    if p["batch_size"] < 2:
        raise ValueError("batch_size must be at least 2 (BatchNorm needs two "
                         f"rows per training batch), got {p['batch_size']!r}.")
    if p["n_projections"] < 2:
        raise ValueError("n_projections must be at least 2: the classifier "
                         f"tells projections apart, got {p['n_projections']!r}.")
    if p["max_train_samples"] is not None:
        positive_int("max_train_samples")
    if not _is_auto(p["score_batch_size"]):
        positive_int("score_batch_size")
    if not _is_auto(p["hidden_dims"]):
        dims = p["hidden_dims"]
        if isinstance(dims, (str, bytes)) or not all(
                isinstance(h, (numbers.Integral, np.integer)) and h >= 1 for h in dims):
            raise ValueError("hidden_dims must be 'auto' or a sequence of "
                             f"positive integers, got {dims!r}.")
    acc = p["acc_threshold"]
    if not isinstance(acc, numbers.Real) or not 0.0 < acc < 1.0:
        raise ValueError(f"acc_threshold must be in (0, 1), got {acc!r}.")
    eps = p["epsilon"]
    if not isinstance(eps, numbers.Real) or not np.isfinite(eps) or eps < 0:
        raise ValueError(f"epsilon must be a finite number >= 0, got {eps!r}.")
    for name in ("lr", "adam_eps"):
        if not isinstance(p[name], numbers.Real) or not p[name] > 0:
            raise ValueError(f"{name} must be > 0, got {p[name]!r}.")
    if not isinstance(p["weight_decay"], numbers.Real) or p["weight_decay"] < 0:
        raise ValueError(f"weight_decay must be >= 0, got {p['weight_decay']!r}.")
    if p["activation"] not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                         f"got {p['activation']!r}.")
    if p["perturbation"] not in PERTURBATIONS:
        raise ValueError(f"perturbation must be one of {PERTURBATIONS}, "
                         f"got {p['perturbation']!r}.")
    if p["score_mode"] not in SCORE_MODES:
        raise ValueError(f"score_mode must be one of {SCORE_MODES}, "
                         f"got {p['score_mode']!r}.")
    if p["score_mode"] == "change" and eps == 0:
        raise ValueError("score_mode='change' compares perturbed and clean "
                         "scores, so it needs epsilon > 0 (with epsilon=0 "
                         "every score would be 0).")
    t = p["temperature"]
    if (not isinstance(t, numbers.Real) or isinstance(t, bool)
            or not np.isfinite(t) or not t > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {t!r}.")
    if p["combine"] not in COMBINATIONS:
        raise ValueError(f"combine must be one of {sorted(COMBINATIONS)}, "
                         f"got {p['combine']!r}.")
    if p["score"] not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {p['score']!r}.")
    if not isinstance(p["standardize"], (bool, np.bool_)):
        raise ValueError(f"standardize must be True, False or 'auto', "
                         f"got {p['standardize']!r}.")
