"""Adversarial perturbation and the anomaly score (method page, steps 6-7).

For a transformed row ``z = x @ W_m`` the classifier predicts
``y_hat = argmax f(z)``; the row is pushed along the gradient of
``CE(f(z), y_hat)`` with respect to ``z``: ``z' = z + epsilon * grad``. Each
(row, projection) pair gets a score and the pair scores are averaged over
the ``M`` projections. Normal rows stay well classified after the push,
anomalies fall over, so a larger mean score is more abnormal (PyOD's
convention: higher = more abnormal).

The pair score is the paper's Brier-type distance
``||softmax(f(z')) - e_m||^2`` or, the package's default, the negative
log-probability of the true pseudo-label ``-log softmax(f(z'))_m``. The
package's default ``epsilon`` is 0: the classifier scores the clean
transformed rows (the paper's SLA ablation), because no perturbation helped
on the benchmark suites (docs/method.md, ablations). By default each pair score is
also standardised by its own projection's training mean and spread before
the mean over projections (``calibrate``), so that projections whose
pseudo-class is harder to tell apart do not dominate the mean.

The gradient is taken per row. The authors' script averages the loss over
the batch, which scales each row's gradient by ``1 / batch_size`` and makes a
row's score depend on which rows share its batch (method page, "Two
traps"). Summing the loss instead gives every row exactly its own gradient,
because in eval mode BatchNorm uses its running statistics and the rows of a
batch do not interact. ``epsilon`` here is therefore on the per-row scale:
the script's ``1000`` with full batches of 128 is ``1000 / 128 = 7.8125``.

A fitted view holds a *pair scorer* (:class:`PairScorer` here); the chunked
loops below only project rows and ask it for pair scores, so a research
variant changes how a pair is perturbed or scored by handing the view
another scorer.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .fused import FusedForward


def perturb(network, z, epsilon):
    """Push each row of ``z`` against the classifier's own prediction.

    Parameters
    ----------
    network : torch.nn.Module
        In eval mode, so that rows are independent.
    z : torch.Tensor of shape (k, r)
    epsilon : float
        Step on the raw per-row gradient (the paper's form; not its sign).

    Returns
    -------
    torch.Tensor of shape (k, r)
        ``z + epsilon * g``, detached (``z`` itself when ``epsilon`` is 0).
    """
    if epsilon == 0:
        return z
    z = z.detach()
    return z + epsilon * prediction_gradient(network, z)


def prediction_gradient(network, z):
    """Gradient of each row's cross-entropy against its own predicted label."""
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        logits = network(z)
        predicted = logits.argmax(dim=1)
        # Sum, not mean: each row gets the gradient of its own loss only.
        loss = F.cross_entropy(logits, predicted, reduction="sum")
        (grad,) = torch.autograd.grad(loss, z)
    return grad


def pair_scores(logits, labels, score_function="log_prob"):
    """Anomaly score of each (row, projection) pair from its logits.

    Parameters
    ----------
    logits : torch.Tensor of shape (k, M)
    labels : torch.LongTensor of shape (k,)
        The true pseudo-label (projection index) of each pair.
    score_function : {"brier", "log_prob"}, default="log_prob"
        ``"brier"``: ``||softmax - e_m||^2`` (the paper). ``"log_prob"``:
        ``-log softmax_m``, the cross-entropy of the true pseudo-label.

    Returns
    -------
    torch.Tensor of shape (k,)
        Higher = more abnormal.
    """
    if score_function == "log_prob":
        return F.cross_entropy(logits, labels, reduction="none")
    prob = logits.softmax(dim=1)
    true = prob.gather(1, labels[:, None]).squeeze(1)
    # ||p - e_m||^2 = sum_j p_j^2 - 2 p_m + 1, without building the one-hot.
    return (prob * prob).sum(dim=1) - 2.0 * true + 1.0


@dataclass(frozen=True)
class PairScorer:
    """Perturb a batch of pairs, then score them (steps 6-7).

    Attributes
    ----------
    epsilon : float
        See :func:`perturb`; 0 scores the clean pairs (SLA).
    score_function : {"log_prob", "brier"}
        See :func:`pair_scores`.
    """

    epsilon: float
    score_function: str

    def __call__(self, network, z, labels):
        """Scores of the pairs ``z`` (true projections ``labels``), shape ``(k,)``."""
        z = perturb(network, z, self.epsilon)
        with torch.inference_mode():
            return pair_scores(network(z), labels, self.score_function)

    def to(self, device):
        """This scorer for a network on ``device`` (it holds no tensors)."""
        return self

    def fused(self, bank, network):
        """A :class:`~.fused.FusedForward` that computes this scorer's pairs
        faster, or None: only without perturbation, and only for SLA2P's own
        scorer (a subclass may score a pair otherwise)."""
        if type(self) is not PairScorer or self.epsilon != 0:
            return None
        return FusedForward.of(bank, network)


def fused_forward_of(view):
    """A :class:`~.fused.FusedForward` for the view's scorer, bank and network, or None
    where the scorer does not allow one (see :meth:`PairScorer.fused`)."""
    fused = getattr(view.scorer, "fused", None)
    return None if fused is None else fused(view.projections, view.network)


def pair_score_chunks(view, x, batch_rows, verbose=False):
    """Yield ``(first row, pair scores of shape (b, M))`` for chunks of ``x``.

    Parameters
    ----------
    view : FittedView
        Its ``network``, ``projections`` and ``scorer``, all on one device.
    x : ndarray of shape (n, d)
        Rows preprocessed by the view.
    batch_rows : int
        Rows per chunk; each chunk holds ``batch_rows * M`` pairs. Scores do
        not depend on it.
    verbose : bool, default=False
        Show a progress bar over chunks.
    """
    bank, network, scorer = view.projections, view.network, view.scorer
    device = bank.weights.device
    m = bank.n_projections
    labels_full = torch.arange(m, device=device).repeat(batch_rows)
    # A fitted view keeps its fused forward; any other view (a test's) builds one.
    cached = getattr(view, "fused_forward", None)
    fused = cached() if cached is not None else fused_forward_of(view)
    if fused is not None:
        fused = fused.with_own_buffers()  # concurrent calls must not share them
    starts = range(0, x.shape[0], batch_rows)
    for start in tqdm(starts, desc="SLA2P scoring", unit="chunk",
                      disable=not verbose, leave=False):
        chunk = torch.as_tensor(x[start:start + batch_rows], dtype=torch.float32,
                                device=device)
        b = chunk.shape[0]
        labels = labels_full[:b * m]
        if fused is not None:
            with torch.inference_mode():
                # float(): a no-op in float32; logits in another format are scored in float32.
                per_pair = pair_scores(fused.logits(chunk).float(), labels,
                                       scorer.score_function)
                yield start, per_pair.view(b, m)
            continue
        with torch.no_grad():  # not inference_mode: a perturbation needs autograd on z
            z = bank.project_all(chunk).reshape(b * m, -1)
        per_pair = scorer(network, z, labels)
        with torch.inference_mode():
            yield start, per_pair.view(b, m)


def score_rows(view, x, batch_rows, verbose=False):
    """Anomaly score of every row: the (calibrated) mean pair score over projections.

    Parameters
    ----------
    view, x, batch_rows, verbose
        As for :func:`pair_score_chunks`; the view's ``pair_calibration``
        (or None) standardises the pair scores first.

    Returns
    -------
    ndarray of shape (n,), float64
        Higher = more abnormal.
    """
    out = np.empty(x.shape[0], dtype=np.float64)
    calibration = view.pair_calibration
    if calibration is not None:
        device = view.projections.weights.device
        calibration = tuple(torch.as_tensor(a, dtype=torch.float64, device=device)
                            for a in calibration)
    for start, per_pair in pair_score_chunks(view, x, batch_rows, verbose):
        with torch.inference_mode():
            rows = _mean_over_projections(per_pair, calibration)
        out[start:start + per_pair.shape[0]] = rows.cpu().numpy()
    return out


def pair_score_matrix(view, x, batch_rows, verbose=False):
    """The score of every (row, projection) pair, before the mean over projections.

    Parameters
    ----------
    view, x, batch_rows, verbose
        As for :func:`pair_score_chunks`.

    Returns
    -------
    ndarray of shape (n, M), float32
        Row ``i``, column ``m``: the score of row ``i`` under projection ``m``.
    """
    out = np.empty((x.shape[0], view.projections.n_projections), dtype=np.float32)
    for start, per_pair in pair_score_chunks(view, x, batch_rows, verbose):
        out[start:start + per_pair.shape[0]] = per_pair.cpu().numpy()
    return out


def pair_statistics(pairs):
    """Each projection's pair-score mean and standard deviation.

    Parameters
    ----------
    pairs : ndarray of shape (n, M)
        Pair scores of the training rows (:func:`pair_score_matrix`).

    Returns
    -------
    mean, std : ndarray of shape (M,), float64
        A projection whose pairs all score the same gets ``std = 1``: it
        carries no ranking, and a unit scale keeps the standardisation finite.
        So does one whose spread is below the float32 rounding of its
        scores, which would otherwise blow rounding noise up to unit variance.
    """
    pairs = np.asarray(pairs, dtype=np.float64)
    mean = pairs.mean(axis=0)
    std = pairs.std(axis=0)
    constant = std <= np.finfo(np.float32).eps * np.abs(mean)
    return mean, np.where(constant, 1.0, std)


def mean_over_projections(pairs, calibration=None):
    """Row scores from a matrix of pair scores, as :func:`score_rows` forms them.

    Parameters
    ----------
    pairs : ndarray of shape (n, M)
        Float32 pair scores (:func:`pair_score_matrix`).
    calibration : tuple of two ndarrays of shape (M,) or None, default=None
        Each projection's pair-score mean and spread (:func:`pair_statistics`).

    Returns
    -------
    ndarray of shape (n,), float64
    """
    if calibration is not None:
        calibration = tuple(torch.as_tensor(a, dtype=torch.float64) for a in calibration)
    return _mean_over_projections(torch.as_tensor(pairs), calibration).numpy()


def _mean_over_projections(per_pair, calibration):
    """Mean over projections of a (rows, M) tensor of pair scores, as float64."""
    if calibration is None:
        # The mean in float32, then float64: the package's scores, bit for bit.
        return per_pair.mean(dim=1).double()
    mean, std = calibration
    return ((per_pair.double() - mean) / std).mean(dim=1)
