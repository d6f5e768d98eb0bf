"""SLA2P with its research levers as constructor parameters.

The public :class:`pyod_sla2p.SLA2P` keeps a constructor a user can hold in
their head; the switches that the ablation measured and that did not change
the defaults (or were made defaults, but are still switched in the
ablation) live here, beside the ablation tool that uses them
(``sla2p-variant`` in the detector registry). With every lever at its
default, :class:`SLA2PVariant` gives exactly SLA2P's scores.
"""

from pyod_sla2p import SLA2P

#: The levers; their defaults in the constructor are SLA2P's fixed behaviour
#: ("auto" where the paper preset differs from the defaults).
LEVERS = ("perturbation", "n_steps", "score_mode", "temperature", "n_banks",
          "activation", "combine", "standardize", "loe", "loe_fraction",
          "projection_rule", "whiten", "calibrate", "score_space", "view_rule")


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
        training rows' tail heaviness (:mod:`pyod_sla2p.viewrule`; needs
        ``views="auto"``); ``params_["views"]`` records the choice.
    """

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
                 score_space="softmax", view_rule="none"):
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

    def _lever_overrides(self):
        return {name: getattr(self, name) for name in LEVERS}
