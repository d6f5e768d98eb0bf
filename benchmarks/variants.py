"""SLA2P with its research levers as constructor parameters.

The public :class:`pyod_sla2p.SLA2P` keeps a constructor a user can hold in
their head and a library that holds only what it runs; the switches that
the ablations measured live here, beside the ablation tool that uses them
(``sla2p-variant`` in the detector registry). :class:`SLA2PVariant`
replaces SLA2P's named fit steps with the lever modules of
:mod:`benchmarks.levers`; with every lever at its default it gives exactly
SLA2P's scores.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np
from combo.models.score_comb import average, maximization
from torch import nn

from benchmarks.levers.preprocessing import SCALINGS, WhiteningPreprocessor
from benchmarks.levers.scoring import SCORE_SPACES, LeverPairScorer, projection_centres
from benchmarks.levers.training import LOE_MODES, LOETrainer
from benchmarks.levers.viewrule import VIEW_RULES, choose_views
from pyod_sla2p import SLA2P
from pyod_sla2p.defaults import DEFAULTS, resolve_values, settings_from_values
from pyod_sla2p.network import build_classifier
from pyod_sla2p.projections import ProjectionBank
from pyod_sla2p.settings import Settings
from pyod_sla2p.views import standardized_scores
from pyod_sla2p.validation import (
    BOOLEAN,
    PARAMETER_CONSTRAINTS,
    InvalidParameterError,
    integer,
    options,
    real,
)

#: The levers; their defaults in the constructor are SLA2P's fixed behaviour
#: ("auto" where the paper preset differs from the defaults).
LEVERS = ("perturbation", "n_steps", "score_mode", "temperature", "n_banks",
          "activation", "combine", "standardize", "loe", "loe_fraction",
          "projection_rule", "whiten", "calibrate", "score_space", "view_rule",
          "scaling", "guard_factor")

ACTIVATIONS = {
    "leaky_relu": nn.LeakyReLU,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
}
COMBINATIONS = {"max": maximization, "average": average}

#: SLA2P's constraints plus the levers'.
LEVER_CONSTRAINTS = {
    **PARAMETER_CONSTRAINTS,
    "perturbation": [options("auto", "gradient", "relative", "sign")],
    "n_steps": [integer(1, 1000)],
    "score_mode": [options("perturbed", "change")],
    "temperature": [real(1e-6, 1e6)],
    "n_banks": [integer(1, 1000)],
    "activation": [options(*ACTIVATIONS)],
    "combine": [options(*COMBINATIONS)],
    "standardize": [BOOLEAN, options("auto")],
    "calibrate": [BOOLEAN, options("auto")],
    "score_space": [options(*SCORE_SPACES)],
    "view_rule": [options(*VIEW_RULES)],
    "loe": [options(*LOE_MODES)],
    "loe_fraction": [real(0.0, 0.5, low_open=True)],
    "projection_rule": [options("fixed", "features")],
    "whiten": [BOOLEAN, options("wide")],
    "scaling": [options(*SCALINGS)],
    "guard_factor": [real(1.0, 1e6, low_open=True)],
}

#: What "auto" (or a lever left out) becomes: SLA2P's defaults plus the levers'.
VARIANT_DEFAULTS = {**DEFAULTS, "perturbation": "gradient"}


@dataclass(frozen=True)
class VariantSettings(Settings):
    """SLA2P's :class:`~pyod_sla2p.settings.Settings` plus the levers' values."""

    perturbation: str = "gradient"
    n_steps: int = 1
    score_mode: str = "perturbed"
    temperature: float = 1.0
    n_banks: int = 1
    activation: str = "leaky_relu"
    combine: str = "max"
    loe: str = "none"
    loe_fraction: float = 0.1
    projection_rule: str = "fixed"
    whiten: object = False
    score_space: str = "softmax"
    view_rule: str = "none"
    scaling: str = "standard"
    guard_factor: float = 3.0


# The range of widths ``projection_rule="features"`` picks from: the
# package's default r at the bottom, the paper's widest r at the top.
FEATURES_RULE_DIMS = (64, 256)


def projection_dim_from_features(n_features):
    """``projection_rule="features"``: r from the width of the training rows.

    The smallest power of two at least ``n_features``, clipped to
    :data:`FEATURES_RULE_DIMS`: rows of up to 64 features keep the default
    r = 64, 65 to 128 features get 128, wider rows 256 (the paper's width
    for its 274-feature and image sets). A rule that reads only the shape
    cannot be tuned to a data set (issue 15).

    Parameters
    ----------
    n_features : int >= 1

    Returns
    -------
    int
    """
    low, high = FEATURES_RULE_DIMS
    return min(high, max(low, 1 << (int(n_features) - 1).bit_length()))



class SLA2PVariant(SLA2P):
    """SLA2P plus the research levers of the benchmark's ablation.

    Parameters
    ----------
    contamination, n_projections, projection_dim, hidden_dims, acc_threshold,
    epsilon, views, score_function, epoch_num, batch_size, optimizer_params,
    max_train_samples, score_batch_size, preset, device, random_state, verbose
        As for :class:`pyod_sla2p.SLA2P`.
    perturbation : {"gradient", "relative", "sign"} or "auto", default="auto"
        ``"gradient"``: ``z + epsilon * g`` with the raw per-row gradient
        (the paper; "auto"). ``"relative"``: a step of ``epsilon`` times the
        transformed row's norm along ``g``. ``"sign"``: the fast-gradient-sign
        step, of the same length as ``"relative"``.
    n_steps : int, default=1
        Split the perturbation into this many steps, each recomputing the
        gradient (iterative FGSM); ``epsilon`` is the total step.
    score_mode : {"perturbed", "change"}, default="perturbed"
        Score the perturbed pairs (the paper), or the perturbed minus the
        clean pair scores (needs ``epsilon > 0``).
    temperature : float > 0, default=1.0
        Divides the classifier's logits before the score.
    n_banks : int, default=1
        Fit each view this many times with independent banks, networks and
        subsamples, and average the banks' standardised scores.
    activation : {"leaky_relu", "relu", "elu", "gelu", "tanh"}, default="leaky_relu"
        The classifier's hidden activation (the paper: leaky ReLU).
    combine : {"max", "average"}, default="max"
        How the standardised scores of several views are combined.
    standardize : bool or "auto", default="auto"
        Standardise each feature before the row normalisation ("auto": True,
        or False under ``preset="paper"``).
    loe : {"none", "hard", "soft"}, default="none"
        Latent Outlier Exposure (Qiu et al., ICML 2022), as a second
        training phase: once the usual training stops, the ``loe_fraction``
        training rows the classifier scores worst are suspected outliers,
        and training goes on for as many batches again with their pairs
        under the anomaly loss ``-log(1 - p_true)`` (``"hard"``) or the mean
        of it and the cross-entropy (``"soft"``). "none": no second phase.
    loe_fraction : float in (0, 0.5], default=0.1
        Share of the training rows LOE flags (``floor(loe_fraction * n)``).
    projection_rule : {"fixed", "features"}, default="fixed"
        "fixed": ``projection_dim`` as given or resolved. "features": a
        ``projection_dim`` left at "auto" becomes the smallest power of two
        at least the number of features, clipped to [64, 256] (over the
        default and the preset; an explicit integer still wins).
        ``hidden_dims="auto"`` follows it.
    whiten : bool or "wide", default=False
        PCA-whiten the (standardised) rows before the row normalisation,
        keeping the components that explain 99 % of the training variance
        (fitted on the classifier's training subsample).
        "wide": only when the training rows have more than 64 features.
    calibrate : bool or "auto", default="auto"
        Standardise each projection's pair scores by that projection's mean
        and standard deviation on the training rows before averaging over
        projections, so that hard pseudo-classes do not dominate the mean.
        "auto": True (SLA2P's default), or False under ``preset="paper"``.
    score_space : {"softmax", "centre"}, default="softmax"
        "softmax": the pair score from the classifier's output
        (``score_function``). "centre": GOAD's score, the squared distance of
        the pair's last hidden activations to its projection's centre on the
        training rows (``score_function`` and ``temperature`` do not apply;
        with ``epsilon > 0`` the pair is perturbed first).
    view_rule : {"none", "data"}, default="none"
        "none": fit ``views`` as given. "data": choose the views from the
        training rows' tail heaviness (:mod:`benchmarks.levers.viewrule`; needs
        ``views="auto"``); ``params_["views"]`` records the choice.
    scaling : {"standard", "guarded"}, default="standard"
        "guarded": features whose standard deviation a few rows dominate
        (more than 3 times the winsorised one) are standardised by their
        winsorised mean and spread (:mod:`benchmarks.levers.preprocessing`).
    guard_factor : float > 1, default=3.0
        The factor of ``scaling="guarded"``.
    """

    _sla2p_constraints = LEVER_CONSTRAINTS

    def __init__(self, contamination=0.1, n_projections="auto",
                 projection_dim="auto", hidden_dims="auto", acc_threshold="auto",
                 epsilon="auto", views="auto", score_function="auto",
                 epoch_num=1000, batch_size=128, optimizer_params=None,
                 max_train_samples=10000, score_batch_size="auto", preset=None,
                 device=None, random_state=None, verbose=0,
                 perturbation="auto", n_steps=1, score_mode="perturbed",
                 temperature=1.0, n_banks=1, activation="leaky_relu",
                 combine="max", standardize="auto", loe="none", loe_fraction=0.1,
                 projection_rule="fixed", whiten=False, calibrate="auto",
                 score_space="softmax", view_rule="none", scaling="standard",
                 guard_factor=3.0):
        super().__init__(
            contamination=contamination, n_projections=n_projections,
            projection_dim=projection_dim, hidden_dims=hidden_dims,
            acc_threshold=acc_threshold, epsilon=epsilon, views=views,
            score_function=score_function, epoch_num=epoch_num,
            batch_size=batch_size, optimizer_params=optimizer_params,
            max_train_samples=max_train_samples,
            score_batch_size=score_batch_size, preset=preset, device=device,
            random_state=random_state, verbose=verbose)
        self.perturbation = perturbation
        self.n_steps = n_steps
        self.score_mode = score_mode
        self.temperature = temperature
        self.n_banks = n_banks
        self.activation = activation
        self.combine = combine
        self.standardize = standardize
        self.loe = loe
        self.loe_fraction = loe_fraction
        self.projection_rule = projection_rule
        self.whiten = whiten
        self.calibrate = calibrate
        self.score_space = score_space
        self.view_rule = view_rule
        self.scaling = scaling
        self.guard_factor = guard_factor

    # ------------------------------------------------- the replaced steps
    def _resolve_settings(self, X):
        given = self.get_params(deep=False)
        if given["view_rule"] == "data" and not (
                isinstance(given["views"], str) and given["views"] == "auto"):
            # Silently overriding a user's explicit choice would hide a mistake.
            raise InvalidParameterError(
                "view_rule='data' chooses the views from the training rows, so "
                f"{type(self).__name__} needs views='auto' with it; got "
                f"views={given['views']!r}.")
        if given["projection_rule"] == "features" and (
                isinstance(given["projection_dim"], str) and given["projection_dim"] == "auto"):
            # Over the default and the preset; an explicit integer still wins.
            given["projection_dim"] = projection_dim_from_features(X.shape[1])
        values = resolve_values(given, X.shape[0], VARIANT_DEFAULTS)
        if values["view_rule"] == "data":
            # Recorded in params_, so a user sees which views the rule chose.
            values["views"] = choose_views(X)
        _check_resolved(values, type(self).__name__)
        return settings_from_values(values, VariantSettings,
                                    **{name: values[name] for name in LEVERS
                                       if name not in ("standardize", "calibrate")})

    def _view_names(self, settings):
        return [name for name in settings.views for _ in range(settings.n_banks)]

    def _fit_preprocessor(self, name, X, train_rows, settings):
        return WhiteningPreprocessor(settings.standardize, homogeneous=(name == "homogeneous"),
                                     whiten=settings.whiten,
                                     scaling=settings.scaling,
                                     guard_factor=settings.guard_factor
                                     ).fit(X, whiten_rows=train_rows)

    def _build_model(self, settings, n_inputs, seeds, device):
        bank = ProjectionBank.draw(settings.n_projections, n_inputs,
                                   settings.projection_dim, seed=seeds[0])
        network = build_classifier(settings.projection_dim, settings.n_projections,
                                   settings.hidden_dims, seed=seeds[1],
                                   activation=ACTIVATIONS[settings.activation])
        return bank.to(device), network.to(device)

    def _train(self, network, x_train, bank, settings, seed):
        return LOETrainer(network, x_train, bank, settings, seed, bool(self.verbose)).run()

    def _build_scorer(self, settings, network, bank, x_train):
        centres = None
        if settings.score_space == "centre":
            centres = projection_centres(network, x_train, bank,
                                         self._score_batch_rows(settings),
                                         device=bank.weights.device)
        return LeverPairScorer(settings.epsilon, settings.score_function,
                               settings.perturbation, settings.n_steps,
                               settings.temperature, settings.score_mode, centres)

    def _combine(self, views, raw):
        """Banks of one view averaged, then the views combined by ``combine``."""
        if len(views) == 1:
            return raw[0]
        names = list(dict.fromkeys(v.name for v in views))
        per_view = []
        for name in names:
            pairs = [(v, s) for v, s in zip(views, raw) if v.name == name]
            banks = standardized_scores(*zip(*pairs))
            per_view.append(np.asarray(average(banks), dtype=np.float64).ravel())
        if len(per_view) == 1:
            return per_view[0]
        return np.asarray(COMBINATIONS[self.combine](
            np.column_stack(per_view)), dtype=np.float64).ravel()


def _check_resolved(values, estimator_name):
    """Checks that need the resolved values ("auto" filled in)."""
    if values["score_mode"] == "change" and values["epsilon"] == 0:
        raise InvalidParameterError(
            f"score_mode='change' compares perturbed and clean scores, so "
            f"{estimator_name} needs epsilon > 0 with it (with epsilon=0 every "
            "score would be 0).")
    if values["score_space"] == "centre" and values["temperature"] != 1.0:
        raise InvalidParameterError(
            f"score_space='centre' scores hidden activations, not logits, so "
            f"{estimator_name} cannot apply temperature={values['temperature']!r} "
            "with it; leave temperature at 1.0.")
