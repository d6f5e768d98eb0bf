"""Views: one complete SLA²P pipeline per way of preprocessing the rows.

A view is the preprocessing (:mod:`.preprocessing`), its projection bank
(:mod:`.projections`), the classifier trained on it (:mod:`.network`,
:mod:`.training`) and the statistics of its training scores. Two views
exist:

``direction``
    Row L2 normalisation, as in the paper: sees a row's direction only. It
    finds local and contextual outliers.
``homogeneous``
    A constant coordinate appended before the normalisation, so the
    normalised row keeps its magnitude. It finds extreme-value outliers,
    which the direction view cannot see.

With several views, each view's scores are standardised by the mean and
standard deviation of its own training scores and combined with ``combo``'s
score combination (maximum by default, or average), as PyOD's ensembles do.
A view may be fitted several times with independent banks and networks (the
``n_banks`` research lever); its banks' standardised scores are averaged
first.

A fitted view also keeps what two scoring levers learn from its training
rows (issue 15): each projection's pair-score mean and spread
(``calibrate``) and each projection's centre in the classifier's last
hidden layer (``score_space="centre"``), so that ``decision_function``
scores new rows with the same statistics.
"""

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from combo.models.score_comb import average, maximization

from .network import build_classifier, fold_batchnorm
from .preprocessing import RowPreprocessor
from .projections import ProjectionBank
from .scoring import (
    mean_over_projections,
    pair_score_matrix,
    pair_statistics,
    projection_centres,
    score_rows,
)
from .training import TrainingLog, train_classifier

VIEWS = ("direction", "homogeneous")
COMBINATIONS = {"max": maximization, "average": average}


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
    training_log : TrainingLog
    score_mean, score_std : float
        Of the view's scores on the training rows; used to standardise
        before views are combined.
    pair_calibration : tuple of two ndarrays of shape (M,) or None
        Each projection's pair-score mean and standard deviation on the
        training rows, by which every pair score is standardised (the
        ``calibrate`` research lever); None without it.
    centres : torch.Tensor of shape (M, h) or None
        Each projection's centre in the classifier's last hidden layer (the
        ``score_space="centre"`` research lever); None without it.
    """

    name: str
    preprocessor: RowPreprocessor
    projections: ProjectionBank
    network: torch.nn.Module
    training_log: TrainingLog
    score_mean: float
    score_std: float
    pair_calibration: tuple = None
    centres: torch.Tensor = None

    def score(self, X, config, batch_rows, device, verbose=False):
        """Raw scores of the rows of ``X`` under this view (higher = more abnormal).

        The stored network and bank are not moved: a copy goes to ``device``
        when they live elsewhere.
        """
        network = self.network
        if not _on_device(network, torch.device(device)):
            network = copy.deepcopy(network).to(device)
        centres = None if self.centres is None else self.centres.to(device)
        return score_rows(network, self.preprocessor.transform(X),
                          self.projections.to(device), config, batch_rows,
                          device=device, verbose=verbose,
                          calibration=self.pair_calibration, centres=centres)

    def to_cpu(self):
        """A copy whose tensors live on the CPU (for pickling)."""
        return dataclasses.replace(
            self, projections=self.projections.to("cpu"),
            network=copy.deepcopy(self.network).cpu(),
            centres=None if self.centres is None else self.centres.cpu())


def _on_device(network, device):
    """Whether the network's weights live on ``device`` ("cuda" means any GPU index)."""
    where = next(network.parameters()).device
    return where.type == device.type and device.index in (None, where.index)


def fit_view(name, X, pipeline, training, scoring, seeds, device, batch_rows,
             verbose=False):
    """Fit one view on the rows of ``X`` and score them.

    Parameters
    ----------
    name : {"direction", "homogeneous"}
    X : ndarray of shape (n_samples, n_features), float64
    pipeline : PipelineConfig
    training : TrainingConfig
    scoring : ScoringConfig
    seeds : sequence of 4 ints
        For the bank, the network's initial weights, the training subsample
        and the shuffling.
    device : torch.device
    batch_rows : int
        Rows per scoring chunk.
    verbose : bool

    Returns
    -------
    view : FittedView
    train_scores : ndarray of shape (n_samples,)
        The view's raw scores of the rows of ``X``.

    Raises
    ------
    DegenerateDataError
        When every training row looks the same to this view, so the
        classifier could never learn (and the accuracy stop never fire).
    """
    # The classifier's training subsample (max_train_samples); the whitening
    # is fitted on the same rows, so it too is bounded on large data.
    pick = None
    cap = training.max_train_samples
    if cap is not None and X.shape[0] > cap:
        pick = np.sort(np.random.default_rng(seeds[2]).choice(X.shape[0], cap,
                                                               replace=False))
    preprocessor = RowPreprocessor(pipeline.standardize,
                                   homogeneous=(name == "homogeneous"),
                                   whiten=pipeline.whiten).fit(X, whiten_rows=pick)
    x_proc = preprocessor.transform(X)
    _check_not_degenerate(x_proc, name)
    bank = ProjectionBank.draw(pipeline.n_projections, x_proc.shape[1],
                               pipeline.projection_dim, seed=seeds[0])
    network = build_classifier(pipeline.projection_dim, pipeline.n_projections,
                               pipeline.hidden_dims, pipeline.activation,
                               seed=seeds[1]).to(device)
    x_train = x_proc if pick is None else x_proc[pick]
    bank_on_device = bank.to(device)
    log = train_classifier(network, torch.as_tensor(x_train, device=device),
                           bank_on_device, training, seed=seeds[3], verbose=verbose)
    # Folded once here: scoring runs the network three times per pair.
    network = fold_batchnorm(network)
    # The research levers' statistics come from the rows the classifier was
    # trained on (bounded by max_train_samples, as training's memory is).
    centres = calibration = None
    if scoring.score_space == "centre":
        centres = projection_centres(network, x_train, bank_on_device, batch_rows,
                                     device=device)
    if scoring.calibrate:
        pairs = pair_score_matrix(network, x_train, bank_on_device, scoring,
                                  batch_rows, device=device, verbose=verbose,
                                  centres=centres)
        calibration = pair_statistics(pairs)
    if calibration is not None and x_train is x_proc:
        # Every row was just scored pair by pair: reduce, don't score again.
        train_scores = mean_over_projections(pairs, calibration)
    else:
        train_scores = score_rows(network, x_proc, bank_on_device, scoring, batch_rows,
                                  device=device, verbose=verbose,
                                  calibration=calibration, centres=centres)
    std = float(np.std(train_scores))
    view = FittedView(name, preprocessor, bank_on_device, network, log,
                      score_mean=float(np.mean(train_scores)),
                      # A view whose training scores are all equal carries no
                      # ranking; a unit scale keeps the standardisation finite.
                      score_std=std if std > 0 else 1.0,
                      pair_calibration=calibration, centres=centres)
    return view, train_scores


def _check_not_degenerate(x_proc, name):
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


def combine(views, raw_scores, how):
    """Combine per-view raw scores into one score per row.

    Parameters
    ----------
    views : list of FittedView
        Banks of the same view share its ``name``.
    raw_scores : list of ndarray of shape (n,)
    how : {"max", "average"}
        How the views are combined; the banks of one view are always averaged.

    Returns
    -------
    ndarray of shape (n,)
        The raw scores for a single fitted pipeline (the paper's scale);
        otherwise the combination of the standardised scores.
    """
    if len(views) == 1:
        return raw_scores[0]
    names = list(dict.fromkeys(v.name for v in views))
    per_view = []
    for name in names:
        banks = np.column_stack([(s - v.score_mean) / v.score_std
                                 for v, s in zip(views, raw_scores) if v.name == name])
        per_view.append(np.asarray(average(banks), dtype=np.float64).ravel())
    if len(per_view) == 1:
        return per_view[0]
    return np.asarray(COMBINATIONS[how](np.column_stack(per_view)),
                      dtype=np.float64).ravel()
