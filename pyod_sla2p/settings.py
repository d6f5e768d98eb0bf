"""The resolved settings of one fit: a small, frozen record.

``fit`` resolves the detector's parameters once (``"auto"`` filled in from
:mod:`.defaults` or the paper preset) into a :class:`Settings`; every step
reads what it needs from it, and ``params_`` publishes it. It is immutable
and reads like a mapping (``clf.params_["n_projections"]``), so a fitted
model's settings can be inspected but not changed behind its back.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Settings(Mapping):
    """What one fit of SLA2P uses, with every ``"auto"`` resolved.

    Attributes
    ----------
    n_projections, projection_dim : int
        ``M`` and ``r`` (method page, step 3).
    hidden_dims : tuple of int
        The classifier's hidden widths (step 4).
    acc_threshold : float
        The running accuracy that stops training (step 5).
    epsilon : float
        The perturbation step on the per-row gradient; 0: none (step 6).
    views : tuple of str
        The views fitted (``"direction"``, ``"homogeneous"``).
    score_function : str
        ``"log_prob"`` or ``"brier"`` (step 7).
    standardize : bool
        Standardise each feature before the row normalisation.
    calibrate : bool
        Standardise each projection's pair scores by their training mean and
        spread before the mean over projections.
    epoch_num, batch_size : int
        Epoch cap and (row, projection) pairs per training batch.
    lr, adam_eps, weight_decay : float
        Adam's settings (``optimizer_params``).
    max_train_samples : int or None
        Rows the classifier trains on at most.
    patience : int
        Epochs without a gain of the running accuracy before training gives
        up (the accuracy stop cannot fire on data with nothing to learn).
    """

    n_projections: int
    projection_dim: int
    hidden_dims: tuple
    acc_threshold: float
    epsilon: float
    views: tuple
    score_function: str
    standardize: bool
    calibrate: bool
    epoch_num: int
    batch_size: int
    lr: float
    adam_eps: float
    weight_decay: float
    max_train_samples: object  # int or None
    patience: int = 20

    # A read-only mapping of the fields, for ``params_[name]`` and ``dict(params_)``.
    def __getitem__(self, name):
        if name not in self._names():
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())

    def _names(self):
        return tuple(f.name for f in fields(self))
