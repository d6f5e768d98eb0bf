"""Training the pseudo-label classifier with the accuracy-threshold stop.

Method page, steps 4-5: the self-supervised task has ``n * M`` examples
(row ``i`` under projection ``m``, label ``m``), seen in shuffled mini-batches
with cross-entropy and Adam. Training stops as soon as the running accuracy
of the current epoch passes ``acc_threshold``, checked after every batch; the
stop keeps the classifier from also learning the anomalies, so it is part of
the method, not a convenience.

Batches are built from (row, projection) index pairs and projected on the
fly, so memory beyond the input is one permutation of pair indices per epoch
(8 bytes per pair, bounded by ``max_train_samples * M``) plus one batch.

Latent Outlier Exposure (a research lever, ``loe``; Qiu et al., "Latent
Outlier Exposure for Anomaly Detection with Contaminated Data", ICML 2022):
the training rows contain the anomalies, and the classifier learns them
too. LOE keeps them in training but flips their objective. Here it is a
second phase: once the usual training has stopped (the accuracy stop
usually fires within the first epoch, so flags refreshed per epoch would
never be used), the trained network scores every training row (its mean
cross-entropy over the projections, the detector's clean score); the
``loe_fraction`` highest-scoring rows are the suspected outliers, and
training goes on for as many batches again, their pairs now trained to be
*mis*-classified with the anomaly loss ``-log(1 - p_true)``: ``"hard"``
replaces the cross-entropy by it, ``"soft"`` averages the two (the paper's
soft LOE with weight 1/2). Unflagged rows keep the cross-entropy.
"""

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

# The least rise of an epoch's running accuracy that counts as progress.
_MIN_GAIN = 1e-3

# Pairs per chunk of the LOE scoring pass: bounds its memory (a chunk's
# activations are pairs x 4r floats), as the detector's scoring chunks do.
_LOE_PAIRS_PER_CHUNK = 4096

#: Values of the ``loe`` lever.
LOE_MODES = ("none", "hard", "soft")


@dataclass
class TrainingLog:
    """What happened during training.

    Attributes
    ----------
    running_accuracy : list of float
        The running accuracy of the current epoch after each batch.
    batch_accuracy : list of float
        The accuracy of each batch on its own.
    loss : list of float
        The mean cross-entropy of each batch.
    n_epochs : int
        Epochs started.
    n_flagged : int
        With Latent Outlier Exposure: the training rows flagged as
        suspected outliers for its phase (0 without LOE).
    loe_loss : list of float
        With Latent Outlier Exposure: the loss of each batch of its phase
        (empty without LOE); not part of ``loss``, ``batch_accuracy`` or
        ``running_accuracy``, which describe the usual training.
    stop_reason : str
        ``"threshold"`` (the running accuracy passed ``acc_threshold``, the
        paper's stop), ``"plateau"`` (the epoch's running accuracy had not
        improved for ``patience`` epochs) or ``"epoch_cap"`` (``epoch_num``
        epochs ran).
    """

    running_accuracy: list = field(default_factory=list)
    batch_accuracy: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    n_epochs: int = 0
    stop_reason: str = "epoch_cap"
    n_flagged: int = 0
    loe_loss: list = field(default_factory=list)

    @property
    def stopped_by_threshold(self):
        """Whether the accuracy threshold fired."""
        return self.stop_reason == "threshold"

    @property
    def n_batches(self):
        return len(self.loss)


def train_classifier(network, x, bank, config, seed, verbose=False):
    """Train ``network`` to tell the projections of ``bank`` apart.

    Parameters
    ----------
    network : torch.nn.Module
        Maps ``(b, r)`` projected rows to ``(b, M)`` logits; trained in place.
    x : torch.Tensor of shape (n, d)
        Preprocessed training rows, on the network's device.
    bank : ProjectionBank
        On the same device.
    config : TrainingConfig
        The accuracy stop, the epoch cap, the batch size, Adam's settings,
        the plateau patience and Latent Outlier Exposure (``loe``,
        ``loe_fraction``; see the module docstring).
    seed : int
        Seed of the shuffling generator.
    verbose : bool, default=False
        Show a progress bar over batches.

    Returns
    -------
    TrainingLog

    Raises
    ------
    ValueError
        When the loss becomes NaN or infinite (a learning rate too large for
        the data, for example); the message names the batch.
    """
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr, eps=config.eps,
                                 weight_decay=config.weight_decay)
    log = TrainingLog()
    network.train()
    progress = tqdm(total=None, desc="SLA2P training", unit="batch",
                    disable=not verbose, leave=False)
    try:
        _usual_training(network, x, bank, config, generator, optimizer, log, progress)
        if config.loe != "none":
            _loe_phase(network, x, bank, config, generator, optimizer, log)
        return log
    finally:
        progress.close()
        network.eval()


def _usual_training(network, x, bank, config, generator, optimizer, log, progress):
    """Train until the accuracy stop, a plateau or the epoch cap; fills ``log``."""
    loss_fn = nn.CrossEntropyLoss()
    best_epoch_accuracy, epochs_without_gain = -1.0, 0
    for _ in range(config.epoch_num):
        log.n_epochs += 1
        correct = seen = 0
        for pairs, rows, labels in _epoch_batches(x, bank, config.batch_size, generator):
            logits = network(bank.project_pairs(x[rows], labels))
            loss = loss_fn(logits, labels)
            _step(optimizer, loss, log.n_batches + 1, config.lr)

            hits = int((logits.detach().argmax(dim=1) == labels).sum())
            correct += hits
            seen += pairs.numel()
            log.loss.append(float(loss.detach()))
            log.batch_accuracy.append(hits / pairs.numel())
            log.running_accuracy.append(correct / seen)
            progress.update(1)
            progress.set_postfix(acc=f"{correct / seen:.3f}", refresh=False)
            if correct / seen > config.acc_threshold:
                log.stop_reason = "threshold"
                return
        # The accuracy stop may never fire (data with nothing to learn):
        # give up once whole epochs stop improving.
        epoch_accuracy = correct / max(seen, 1)
        if epoch_accuracy > best_epoch_accuracy + _MIN_GAIN:
            best_epoch_accuracy, epochs_without_gain = epoch_accuracy, 0
        else:
            epochs_without_gain += 1
            if epochs_without_gain >= config.patience:
                log.stop_reason = "plateau"
                return


def _epoch_batches(x, bank, batch_size, generator):
    """Yield ``(pairs, rows, labels)`` for one shuffled pass over every (row, projection) pair.

    One permutation is drawn from ``generator`` per call, so both training
    phases consume the generator the same way.
    """
    m = bank.n_projections
    n_pairs = x.shape[0] * m
    order = torch.randperm(n_pairs, generator=generator).to(x.device)
    for start in range(0, n_pairs, batch_size):
        pairs = order[start:start + batch_size]
        if pairs.numel() < 2:
            # BatchNorm cannot normalise a batch of one in train mode.
            continue
        yield pairs, pairs // m, pairs % m


def _step(optimizer, loss, batch_number, lr):
    """One optimiser step on ``loss``, refusing a non-finite loss."""
    if not torch.isfinite(loss):
        raise ValueError(
            f"SLA2P training diverged: the loss became {float(loss.detach())} at "
            f"batch {batch_number}. Lower optimizer_params['lr'] "
            f"(now {lr:g}) or check the data for extreme values.")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _loe_phase(network, x, bank, config, generator, optimizer, log):
    """Latent Outlier Exposure: as many batches again, suspected outliers flipped.

    The shuffles continue from ``generator``, so the phase is seeded like
    the rest of training.
    """
    suspected = flag_suspected_outliers(network, x, bank, config.loe_fraction)
    log.n_flagged = int(suspected.sum())
    network.train()
    n_batches = max(log.n_batches, 1)
    while len(log.loe_loss) < n_batches:
        for _, rows, labels in _epoch_batches(x, bank, config.batch_size, generator):
            logits = network(bank.project_pairs(x[rows], labels))
            loss = loe_loss(logits, labels, suspected[rows], config.loe)
            _step(optimizer, loss, log.n_batches + len(log.loe_loss) + 1, config.lr)
            log.loe_loss.append(float(loss.detach()))
            if len(log.loe_loss) >= n_batches:
                return


def n_suspected(fraction, n_rows):
    """How many of ``n_rows`` training rows LOE flags: ``floor(fraction * n_rows)``.

    Floor, so that the flagged share never exceeds ``fraction``; the small
    tolerance keeps products such as ``0.29 * 100 = 28.999999999999996``
    at their exact value. Fewer than ``1 / fraction`` rows flag none.
    """
    return math.floor(fraction * n_rows + 1e-9)


def row_losses(network, x, bank):
    """Each row's mean cross-entropy of its true projection, over all projections.

    The detector's clean score (``log_prob``, no perturbation), computed
    with ``network`` as it is, in eval mode and without gradients, in chunks
    of about :data:`_LOE_PAIRS_PER_CHUNK` pairs. The network is left in eval
    mode; the caller restores train mode.

    Parameters
    ----------
    network : torch.nn.Module
    x : torch.Tensor of shape (n, d)
    bank : ProjectionBank

    Returns
    -------
    torch.Tensor of shape (n,), on ``x``'s device
    """
    m = bank.n_projections
    rows_per_chunk = max(1, _LOE_PAIRS_PER_CHUNK // m)
    labels_full = torch.arange(m, device=x.device).repeat(rows_per_chunk)
    network.eval()  # BatchNorm's running statistics: rows do not interact
    out = []
    with torch.inference_mode():
        for start in range(0, x.shape[0], rows_per_chunk):
            chunk = x[start:start + rows_per_chunk]
            b = chunk.shape[0]
            logits = network(bank.project_all(chunk).reshape(b * m, -1))
            pair = F.cross_entropy(logits, labels_full[:b * m], reduction="none")
            out.append(pair.view(b, m).mean(dim=1))
    return torch.cat(out)


def flag_suspected_outliers(network, x, bank, fraction):
    """The training rows LOE treats as suspected outliers.

    Parameters
    ----------
    network : torch.nn.Module
        The classifier being trained; left in eval mode.
    x : torch.Tensor of shape (n, d)
        The training rows.
    bank : ProjectionBank
    fraction : float in (0, 0.5]
        ``loe_fraction``.

    Returns
    -------
    torch.BoolTensor of shape (n,)
        True for the :func:`n_suspected` rows with the highest
        :func:`row_losses`; ties are broken by row index (a stable sort), so
        the flags do not depend on the device's sort.
    """
    losses = row_losses(network, x, bank)
    k = n_suspected(fraction, x.shape[0])
    flagged = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    flagged[torch.argsort(losses, descending=True, stable=True)[:k]] = True
    return flagged


def anomaly_loss(logits, labels):
    """``-log(1 - p_true)`` per pair: small when the true projection is *not* recognised.

    Computed as ``logsumexp`` of the other logits minus ``logsumexp`` of all
    of them, which is ``-log(1 - p_true)`` exactly and stays finite and
    differentiable where ``p_true`` rounds to 1 in float32. Clamping
    ``1 - p_true`` instead would zero the gradient exactly for the
    confidently recognised suspected outliers, the pairs LOE most needs to
    push away.

    Parameters
    ----------
    logits : torch.Tensor of shape (k, M)
    labels : torch.LongTensor of shape (k,)

    Returns
    -------
    torch.Tensor of shape (k,)
    """
    others = logits.scatter(1, labels[:, None], float("-inf"))
    return torch.logsumexp(logits, dim=1) - torch.logsumexp(others, dim=1)


def loe_loss(logits, labels, flagged, mode):
    """The batch loss under Latent Outlier Exposure.

    Parameters
    ----------
    logits : torch.Tensor of shape (k, M)
    labels : torch.LongTensor of shape (k,)
    flagged : torch.BoolTensor of shape (k,)
        Whether each pair's row is a suspected outlier.
    mode : {"hard", "soft"}
        ``"hard"``: flagged pairs get :func:`anomaly_loss` instead of the
        cross-entropy. ``"soft"``: they get the mean of the two.

    Returns
    -------
    torch.Tensor
        The mean over the batch (a scalar); unflagged pairs keep their
        cross-entropy.
    """
    normal = F.cross_entropy(logits, labels, reduction="none")
    abnormal = anomaly_loss(logits, labels)
    if mode == "soft":
        abnormal = 0.5 * (normal + abnormal)
    return torch.where(flagged, abnormal, normal).mean()
