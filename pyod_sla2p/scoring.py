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
on the benchmark suites (README, ablation).

Two research levers (issue 15; off by default) change the pair score:
``score_space="centre"`` replaces it by GOAD's distance of the pair's last
hidden activations to its projection's training centre, and ``calibrate``
standardises each pair score by its own projection's training mean and
spread before the mean over projections, so that projections whose
pseudo-class is harder to tell apart do not dominate the mean.

The gradient is taken per row. The authors' script averages the loss over
the batch, which scales each row's gradient by ``1 / batch_size`` and makes a
row's score depend on which rows share its batch (method page, "Two
traps"). Summing the loss instead gives every row exactly its own gradient,
because in eval mode BatchNorm uses its running statistics and the rows of a
batch do not interact. ``epsilon`` here is therefore on the per-row scale:
the script's ``1000`` with full batches of 128 is ``1000 / 128 = 7.8125``.
"""

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .network import split_head

#: The spaces a pair is scored in (see :func:`pair_score_matrix`).
SCORE_SPACES = ("softmax", "centre")


def perturb(network, z, epsilon, mode="gradient", n_steps=1):
    """Push each row of ``z`` against the classifier's own prediction.

    Parameters
    ----------
    network : torch.nn.Module
        In eval mode, so that rows are independent.
    z : torch.Tensor of shape (k, r)
    epsilon : float
        Step size; its meaning depends on ``mode``.
    mode : {"gradient", "relative", "sign"}, default="gradient"
        ``"gradient"``: ``z + epsilon * g`` on the raw per-row gradient ``g``
        (the paper; not its sign). ``"relative"``: ``z + epsilon * |z| *
        g / |g|``, a step of ``epsilon`` times the row's own norm along the
        gradient direction, so one ``epsilon`` means the same on every data
        set and for every row, however small its gradient. ``"sign"``: the
        fast-gradient-sign step ``z + epsilon * |z| / sqrt(r) * sign(g)``,
        whose length is also ``epsilon`` times the row's norm.
    n_steps : int, default=1
        Split the step into this many equal steps of ``epsilon / n_steps``,
        recomputing the prediction and the gradient before each (iterative
        FGSM / projected-gradient style). 1 is the paper's single step.

    Returns
    -------
    torch.Tensor of shape (k, r)
        The perturbed rows, detached.
    """
    if epsilon == 0:
        return z
    z = z.detach()
    # Relative and sign steps are sized by the clean row's norm, so every
    # sub-step of an iterated push has the same length.
    norm = z.norm(dim=1, keepdim=True)
    step = epsilon / n_steps
    for _ in range(n_steps):
        grad = _prediction_gradient(network, z)
        if mode == "relative":
            grad = grad * (norm / grad.norm(dim=1, keepdim=True).clamp_min(1e-30))
        elif mode == "sign":
            grad = grad.sign() * (norm / np.sqrt(z.shape[1]))
        z = z + step * grad
    return z


def _prediction_gradient(network, z):
    """Gradient of each row's cross-entropy against its own predicted label."""
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        logits = network(z)
        predicted = logits.argmax(dim=1)
        # Sum, not mean: each row gets the gradient of its own loss only.
        loss = F.cross_entropy(logits, predicted, reduction="sum")
        (grad,) = torch.autograd.grad(loss, z)
    return grad


def pair_scores(logits, labels, score_function="log_prob", temperature=1.0):
    """Anomaly score of each (row, projection) pair from its logits.

    Parameters
    ----------
    logits : torch.Tensor of shape (k, M)
    labels : torch.LongTensor of shape (k,)
        The true pseudo-label (projection index) of each pair.
    score_function : {"brier", "log_prob"}, default="log_prob"
        ``"brier"``: ``||softmax - e_m||^2`` (the paper). ``"log_prob"``:
        ``-log softmax_m``, the cross-entropy of the true pseudo-label.
    temperature : float > 0, default=1.0
        The logits are divided by it first; above 1 softens the softmax, so
        that confidently classified pairs still differ in score.

    Returns
    -------
    torch.Tensor of shape (k,)
        Higher = more abnormal.
    """
    if temperature != 1.0:
        logits = logits / temperature
    if score_function == "log_prob":
        return F.cross_entropy(logits, labels, reduction="none")
    prob = logits.softmax(dim=1)
    true = prob.gather(1, labels[:, None]).squeeze(1)
    # ||p - e_m||^2 = sum_j p_j^2 - 2 p_m + 1, without building the one-hot.
    return (prob * prob).sum(dim=1) - 2.0 * true + 1.0


def score_rows(network, x, bank, config, batch_rows, device="cpu", verbose=False,
               calibration=None, centres=None):
    """Anomaly score of every row: the mean pair score over all projections.

    Parameters
    ----------
    network : torch.nn.Module
        The trained classifier, in eval mode, on ``device``.
    x : ndarray of shape (n, d)
        Preprocessed rows (float32 or float64).
    bank : ProjectionBank
        On ``device``.
    config : ScoringConfig
        ``epsilon`` (0 gives SLA, no perturbation), the ``perturbation`` form
        and its ``n_steps`` (see :func:`perturb`), the ``score_function`` and
        ``temperature`` (see :func:`pair_scores`), the ``score_mode``:
        ``"perturbed"`` scores the pairs after the push (the paper),
        ``"change"`` the pair score after the push minus before it, and the
        ``score_space`` (see :func:`pair_score_matrix`).
    batch_rows : int
        Rows per chunk; each chunk holds ``batch_rows * M`` pairs. Scores do
        not depend on it.
    device : str or torch.device, default="cpu"
    verbose : bool, default=False
        Show a progress bar over chunks.
    calibration : tuple of two ndarrays of shape (M,) or None, default=None
        Each projection's pair-score mean and standard deviation on the
        training rows (:func:`pair_statistics`); when given, every pair score
        is standardised by its own projection's before the mean over
        projections (the ``calibrate`` research lever). None: the raw mean.
    centres : torch.Tensor of shape (M, h) or None, default=None
        The projections' centres in the classifier's last hidden layer
        (:func:`projection_centres`); needed when ``config.score_space`` is
        ``"centre"``.

    Returns
    -------
    ndarray of shape (n,), float64
        Higher = more abnormal.
    """
    out = np.empty(x.shape[0], dtype=np.float64)
    if calibration is not None:
        calibration = tuple(torch.as_tensor(a, dtype=torch.float64, device=device)
                            for a in calibration)
    for start, per_pair in _pair_score_chunks(network, x, bank, config, batch_rows,
                                              device, verbose, centres):
        with torch.inference_mode():
            rows = _mean_over_projections(per_pair, calibration)
        out[start:start + per_pair.shape[0]] = rows.cpu().numpy()
    return out


def pair_score_matrix(network, x, bank, config, batch_rows, device="cpu",
                      verbose=False, centres=None):
    """The score of every (row, projection) pair, before the mean over projections.

    A pair's score lives in one of two spaces (``config.score_space``):
    ``"softmax"`` (the package's) scores the classifier's output with
    :func:`pair_scores`; ``"centre"`` (GOAD's score form, Bergman & Hoshen,
    ICLR 2020) is the squared Euclidean distance of the pair's last hidden
    activations to its projection's training centre, ``||h(z') - c_m||^2``,
    where ``h`` is the classifier without its final Linear layer and ``z'``
    the pair after the perturbation (none with ``epsilon=0``).

    Parameters
    ----------
    network, x, bank, config, batch_rows, device, verbose, centres
        As for :func:`score_rows`.

    Returns
    -------
    ndarray of shape (n, M), float32
        Row ``i``, column ``m``: the score of row ``i`` under projection ``m``.
    """
    out = np.empty((x.shape[0], bank.n_projections), dtype=np.float32)
    for start, per_pair in _pair_score_chunks(network, x, bank, config, batch_rows,
                                              device, verbose, centres):
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
        As for :func:`score_rows`.

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


def projection_centres(network, x, bank, batch_rows, device="cpu"):
    """Each projection's centre in the classifier's last hidden layer.

    The centre ``c_m`` is the mean of the last hidden activations ``h(x W_m)``
    over the rows of ``x``, on the clean (unperturbed) pairs: the training
    rows as the classifier saw them, as GOAD takes its centres.

    Parameters
    ----------
    network : torch.nn.Sequential
        The trained (folded) classifier, ending with its Linear head.
    x : ndarray of shape (n, d)
        Preprocessed training rows.
    bank : ProjectionBank
        On ``device``.
    batch_rows : int
        Rows per chunk; the centres do not depend on it beyond rounding.
    device : str or torch.device, default="cpu"

    Returns
    -------
    torch.Tensor of shape (M, h), float32, on ``device``
    """
    body, _ = split_head(network)
    m = bank.n_projections
    total = None
    with torch.inference_mode():
        for start in range(0, x.shape[0], batch_rows):
            chunk = torch.as_tensor(x[start:start + batch_rows], dtype=torch.float32,
                                    device=device)
            b = chunk.shape[0]
            hidden = body(bank.project_all(chunk).reshape(b * m, -1)).view(b, m, -1)
            # Summed in float64 so that the centre of many rows keeps its digits.
            part = hidden.double().sum(dim=0)
            total = part if total is None else total + part
    return (total / x.shape[0]).float()


def _pair_score_chunks(network, x, bank, config, batch_rows, device, verbose, centres):
    """Yield ``(first row, pair scores of shape (b, M))`` for chunks of ``x``."""
    m = bank.n_projections
    if config.score_space == "centre":
        if centres is None:
            raise ValueError("score_space='centre' needs the projections' centres "
                             "(projection_centres); got centres=None.")
        body, _ = split_head(network)
        space = (body, centres)
    else:
        space = None
    labels_full = torch.arange(m, device=device).repeat(batch_rows)
    starts = range(0, x.shape[0], batch_rows)
    for start in tqdm(starts, desc="SLA2P scoring", unit="chunk",
                      disable=not verbose, leave=False):
        chunk = torch.as_tensor(x[start:start + batch_rows], dtype=torch.float32,
                                device=device)
        b = chunk.shape[0]
        with torch.no_grad():  # not inference_mode: perturb needs autograd on z
            z = bank.project_all(chunk).reshape(b * m, -1)
        labels = labels_full[:b * m]
        if config.score_mode == "change":
            with torch.inference_mode():
                clean = _pair_score(network, z, labels, config, space)
        z = perturb(network, z, config.epsilon, config.perturbation, config.n_steps)
        with torch.inference_mode():
            per_pair = _pair_score(network, z, labels, config, space)
            if config.score_mode == "change":
                per_pair = per_pair - clean
            per_pair = per_pair.view(b, m)
        yield start, per_pair


def _pair_score(network, z, labels, config, space):
    """Score of each pair ``z`` (true projection ``labels``) in the configured space."""
    if space is None:
        return pair_scores(network(z), labels, config.score_function, config.temperature)
    body, centres = space
    return ((body(z) - centres[labels]) ** 2).sum(dim=1)
