"""Views: one complete SLA²P pipeline per way of preprocessing the rows.

A view is the preprocessing (:mod:`.preprocessing`), its projection bank
(:mod:`.projections`), the classifier trained on it (:mod:`.network`,
:mod:`.training`), its pair scorer (:mod:`.scoring`) and the statistics of
its training scores. Two views exist:

``direction``
    Row L2 normalisation, as in the paper: sees a row's direction only. It
    finds local and contextual outliers.
``homogeneous``
    A constant coordinate appended before the normalisation, so the
    normalised row keeps its magnitude. It finds extreme-value outliers,
    which the direction view cannot see.

With both, each view's scores are standardised by the mean and standard
deviation of its own training scores and combined by their maximum
(``combo``'s ``maximization``), as PyOD's ensembles do.

The steps that fit a view are methods of the detector
(:class:`pyod_sla2p.SLA2P`), so that a variant replaces one of them; this
module holds what they return and the pieces they share.
"""

import copy
import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch
from combo.models.score_comb import maximization

from .preprocessing import RowPreprocessor
from .scoring import PairScorer, fused_forward_of, score_rows
from .training import TrainingLog


class DegenerateDataError(ValueError):
    """The training rows leave a view nothing to learn."""


@dataclass(frozen=True)
class FittedView:
    """One fitted pipeline, ready to score.

    Attributes
    ----------
    name : str
        ``"direction"`` or ``"homogeneous"``.
    preprocessor : RowPreprocessor
    projections : ProjectionBank
    network : torch.nn.Module
        The trained classifier with its BatchNorm layers folded into the
        Linear layers before them (eval mode, no gradients on its weights).
    scorer : PairScorer
        How a pair is perturbed and scored, with its settings frozen.
    training_log : TrainingLog
    score_mean, score_std : float
        Of the view's scores on the training rows; used to standardise
        before views are combined.
    pair_calibration : tuple of two ndarrays of shape (M,) or None
        Each projection's pair-score mean and standard deviation on the
        training rows, by which every pair score is standardised; None when
        the raw mean is used (the paper preset).
    """

    name: str
    preprocessor: RowPreprocessor
    projections: object
    network: torch.nn.Module
    scorer: PairScorer
    training_log: TrainingLog
    score_mean: float = 0.0
    score_std: float = 1.0
    pair_calibration: tuple = None
    # The scorer's fused forward, built on first use and kept: building it
    # costs as much as scoring a row. A view made by dataclasses.replace
    # starts without it; pickles leave it out (__getstate__).
    _fused: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def fused_forward(self):
        """This view's :class:`~.fused.FusedForward` (None where it does not apply)."""
        if "forward" not in self._fused:
            self._fused["forward"] = fused_forward_of(self)
        return self._fused["forward"]

    def __getstate__(self):
        return {**self.__dict__, "_fused": {}}

    def score(self, X, batch_rows, device, verbose=False):
        """Raw scores of the rows of ``X`` under this view (higher = more abnormal).

        The stored network and bank are not moved: a copy goes to ``device``
        when they live elsewhere.
        """
        return score_rows(self.on(device), self.preprocessor.transform(X), batch_rows,
                          verbose)

    def on(self, device):
        """This view with its network, bank and scorer on ``device`` (copies where
        needed; this view itself, with its fused forward, where nothing moves)."""
        device = torch.device(device)
        network = self.network
        if not _on_device(network, device):
            network = copy.deepcopy(network).to(device)
        projections, scorer = self.projections.to(device), self.scorer.to(device)
        if network is self.network and projections is self.projections \
                and scorer is self.scorer:
            return self
        return dataclasses.replace(self, network=network, projections=projections,
                                   scorer=scorer)

    def to_cpu(self):
        """A copy whose tensors live on the CPU (for pickling)."""
        return dataclasses.replace(
            self, projections=self.projections.to("cpu"),
            network=copy.deepcopy(self.network).cpu(), scorer=self.scorer.to("cpu"))


def _on_device(network, device):
    """Whether the network's weights live on ``device`` ("cuda" means any GPU index)."""
    where = next(network.parameters()).device
    return where.type == device.type and device.index in (None, where.index)


def training_subsample(n_rows, cap, seed):
    """Sorted indices of the ``cap`` rows the classifier trains on, or None for all."""
    if cap is None or n_rows <= cap:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, cap, replace=False))


def check_not_degenerate(x_proc, name):
    """Refuse preprocessed training rows that leave the view nothing to learn."""
    if x_proc.shape[0] > 1 and np.ptp(x_proc, axis=0).max() > 0:
        return
    what = ("all zero" if not np.any(x_proc) else "all identical")
    raise DegenerateDataError(
        f"After preprocessing, the {x_proc.shape[0]} training row(s) are {what} "
        f"to SLA2P's {name!r} view, so there is nothing to learn or rank. "
        "SLA2P needs at least 2 distinct rows: check for identical rows, "
        "columns that are constant, or (with standardize=False) rows whose values "
        "are all below about 1e-12." + (
            " The direction view sees rows that differ only in length as "
            "identical; views='homogeneous' keeps their magnitude."
            if name == "direction" else ""))


def with_score_statistics(view, train_scores):
    """``view`` with the mean and spread of its training scores filled in."""
    std = float(np.std(train_scores))
    # A view whose training scores are all equal carries no ranking; a unit
    # scale keeps the standardisation finite.
    return dataclasses.replace(view, score_mean=float(np.mean(train_scores)),
                               score_std=std if std > 0 else 1.0)


def standardized_scores(views, raw_scores):
    """Each view's raw scores standardised by its training statistics, as columns."""
    return np.column_stack([(s - v.score_mean) / v.score_std
                            for v, s in zip(views, raw_scores)])


def combine(views, raw_scores):
    """Combine per-view raw scores into one score per row.

    Parameters
    ----------
    views : list of FittedView
    raw_scores : list of ndarray of shape (n,)

    Returns
    -------
    ndarray of shape (n,)
        The raw scores for a single view (the paper's scale); otherwise the
        maximum of the views' standardised scores.
    """
    if len(views) == 1:
        return raw_scores[0]
    return np.asarray(maximization(standardized_scores(views, raw_scores)),
                      dtype=np.float64).ravel()
