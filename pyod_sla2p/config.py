"""The small, frozen settings each step of the method receives.

``fit`` resolves the detector's parameters once (:mod:`.defaults`) and
hands each step only what it needs: a :class:`PipelineConfig` to build a
view, a :class:`TrainingConfig` to train its classifier and a
:class:`ScoringConfig` to score rows.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PipelineConfig:
    """How one view is built (method page, steps 2-4)."""

    n_projections: int
    projection_dim: int
    hidden_dims: tuple
    activation: str
    standardize: bool
    # PCA-whiten the rows before the row normalisation: False, True, or
    # "wide" (only rows of more than 64 features; preprocessing.py).
    whiten: object = False
    # "data": the views are chosen from the training rows (viewrule.py);
    # "none": as resolved from ``views``.
    view_rule: str = "none"


@dataclass(frozen=True)
class TrainingConfig:
    """How the pseudo-label classifier is trained (method page, step 5)."""

    acc_threshold: float
    epoch_num: int
    batch_size: int
    lr: float
    eps: float
    weight_decay: float
    max_train_samples: object  # int or None
    # Epochs without a gain of the epoch's running accuracy before training
    # gives up (the accuracy stop cannot fire on data with nothing to learn).
    patience: int = 20
    # Latent Outlier Exposure (training.py): "none", "hard" or "soft", and
    # the share of training rows flagged as suspected outliers.
    loe: str = "none"
    loe_fraction: float = 0.1


@dataclass(frozen=True)
class ScoringConfig:
    """How a transformed row is perturbed and scored (steps 6-7)."""

    epsilon: float
    score_function: str = "log_prob"
    perturbation: str = "gradient"
    n_steps: int = 1
    temperature: float = 1.0
    score_mode: str = "perturbed"
    # "softmax": the classifier's output; "centre": the distance of the last
    # hidden activations to the projection's training centre (GOAD).
    score_space: str = "softmax"
    # Standardise each pair score by its projection's training mean and spread.
    calibrate: bool = False


def configs_from_params(params):
    """Split the resolved parameters into the three step configurations.

    Parameters
    ----------
    params : dict
        Output of :func:`pyod_sla2p.defaults.resolve_parameters`.

    Returns
    -------
    PipelineConfig, TrainingConfig, ScoringConfig
    """
    optimizer = params["optimizer_params"]
    pipeline = PipelineConfig(
        n_projections=int(params["n_projections"]),
        projection_dim=int(params["projection_dim"]),
        hidden_dims=tuple(params["hidden_dims"]),
        activation=params["activation"],
        standardize=bool(params["standardize"]),
        whiten=params["whiten"],
        view_rule=params["view_rule"])
    training = TrainingConfig(
        acc_threshold=float(params["acc_threshold"]),
        epoch_num=int(params["epoch_num"]),
        batch_size=int(params["batch_size"]),
        lr=float(optimizer["lr"]), eps=float(optimizer["eps"]),
        weight_decay=float(optimizer["weight_decay"]),
        max_train_samples=(None if params["max_train_samples"] is None
                           else int(params["max_train_samples"])),
        loe=params["loe"], loe_fraction=float(params["loe_fraction"]))
    scoring = ScoringConfig(
        epsilon=float(params["epsilon"]),
        score_function=params["score_function"],
        perturbation=params["perturbation"],
        n_steps=int(params["n_steps"]),
        temperature=float(params["temperature"]),
        score_mode=params["score_mode"],
        score_space=params["score_space"],
        calibrate=bool(params["calibrate"]))
    return pipeline, training, scoring
