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
score combination (maximum or average), as PyOD's ensembles do. A view may
be fitted several times with independent banks and networks
(``n_banks``); its banks' standardised scores are averaged first.
"""

import copy
from dataclasses import dataclass

import numpy as np
import torch
from combo.models.score_comb import average, maximization

from .network import build_classifier, fold_batchnorm
from .preprocessing import RowPreprocessor
from .projections import ProjectionBank
from .scoring import score_rows
from .training import TrainingLog, train_classifier

VIEWS = ("direction", "homogeneous")
COMBINATIONS = {"max": maximization, "average": average}


@dataclass
class FittedView:
    """One fitted pipeline.

    Attributes
    ----------
    name : str
        ``"direction"`` or ``"homogeneous"``.
    preprocessor : RowPreprocessor
    projections : ProjectionBank
    network : torch.nn.Module
        The trained classifier (eval mode).
    training_log : TrainingLog
    score_mean, score_std : float
        Of the view's scores on the training rows; used to standardise
        before views are combined.
    """

    name: str
    preprocessor: RowPreprocessor
    projections: ProjectionBank
    network: torch.nn.Module
    training_log: TrainingLog
    score_mean: float = 0.0
    score_std: float = 1.0

    def score(self, X, params, device, verbose=False):
        """Raw scores of the rows of ``X`` under this view (higher = more abnormal)."""
        rows = params["score_batch_rows"]
        return score_rows(
            fold_batchnorm(self.network.to(device)), self.preprocessor.transform(X),
            self.projections.to(device), epsilon=params["epsilon"],
            batch_rows=rows, score=params["score"],
            perturbation=params["perturbation"],
            # .get: models pickled before these parameters existed score as before.
            n_steps=params.get("n_steps", 1), temperature=params.get("temperature", 1.0),
            score_mode=params.get("score_mode", "perturbed"),
            device=device, verbose=verbose)

    def to_cpu(self):
        """A copy whose tensors live on the CPU (for pickling)."""
        return FittedView(self.name, self.preprocessor, self.projections.to("cpu"),
                          copy.deepcopy(self.network).cpu(), self.training_log,
                          self.score_mean, self.score_std)


def fit_view(name, X, params, seeds, device, verbose=False):
    """Fit one view on the rows of ``X``.

    Parameters
    ----------
    name : {"direction", "homogeneous"}
    X : ndarray of shape (n_samples, n_features), float64
    params : dict
        The detector's resolved parameters.
    seeds : sequence of 4 ints
        For the bank, the network's initial weights, the training subsample
        and the shuffling.
    device : torch.device
    verbose : bool

    Returns
    -------
    FittedView
        Without its score statistics (see :func:`set_score_statistics`).
    """
    preprocessor = RowPreprocessor(params["standardize"],
                                   homogeneous=(name == "homogeneous")).fit(X)
    x_proc = preprocessor.transform(X)
    r = params["projection_dim"]
    m = params["n_projections"]
    hidden = params["hidden_dims"]
    if isinstance(hidden, str):  # "auto": the paper's (2r, 4r)
        hidden = (2 * r, 4 * r)
    bank = ProjectionBank.draw(m, x_proc.shape[1], r, seed=seeds[0])
    network = build_classifier(r, m, tuple(int(h) for h in hidden),
                               params["activation"], seed=seeds[1]).to(device)

    cap = params["max_train_samples"]
    if cap is not None and x_proc.shape[0] > cap:
        pick = np.random.default_rng(seeds[2]).choice(x_proc.shape[0], cap, replace=False)
        x_proc = x_proc[np.sort(pick)]
    log = train_classifier(
        network, torch.as_tensor(x_proc, device=device), bank.to(device),
        acc_threshold=params["acc_threshold"], epoch_num=params["epoch_num"],
        batch_size=params["batch_size"], lr=params["lr"],
        adam_eps=params["adam_eps"], weight_decay=params["weight_decay"],
        seed=seeds[3], verbose=verbose)
    return FittedView(name, preprocessor, bank, network, log)


def set_score_statistics(view, train_scores):
    """Record the mean and spread of a view's training scores."""
    std = float(np.std(train_scores))
    view.score_mean = float(np.mean(train_scores))
    # A view whose training scores are all equal carries no ranking; a unit
    # scale keeps the standardisation finite.
    view.score_std = std if std > 0 else 1.0


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
