"""Latent Outlier Exposure as a second training phase (a research lever, ``loe``).

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

On the development suite (3 seeds) neither form paid, so SLA2P trains with
the plain cross-entropy; :class:`LOETrainer` extends the library's
:class:`~pyod_sla2p.training.Trainer` for the variant.
"""

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from pyod_sla2p.training import Trainer, TrainingLog

# Pairs per chunk of the LOE scoring pass: bounds its memory (a chunk's
# activations are pairs x 4r floats), as the detector's scoring chunks do.
_LOE_PAIRS_PER_CHUNK = 4096

#: Values of the ``loe`` lever.
LOE_MODES = ("none", "hard", "soft")


@dataclass
class LOETrainingLog(TrainingLog):
    """A :class:`~pyod_sla2p.training.TrainingLog` with the LOE phase.

    Attributes
    ----------
    n_flagged : int
        The training rows flagged as suspected outliers for the phase.
    loe_loss : list of float
        The loss of each batch of the phase; not part of ``loss``,
        ``batch_accuracy`` or ``running_accuracy``, which describe the usual
        training.
    """

    n_flagged: int = 0
    loe_loss: list = field(default_factory=list)


class LOETrainer(Trainer):
    """The usual training, then (with ``settings.loe`` not "none") the LOE phase."""

    def __init__(self, network, x, bank, settings, seed, verbose=False):
        super().__init__(network, x, bank, settings, seed, verbose)
        self.log = LOETrainingLog()

    def train_until_stop(self, progress):
        super().train_until_stop(progress)
        if self.settings.loe != "none":
            self.loe_phase()

    def loe_phase(self):
        """As many batches again, suspected outliers flipped.

        The shuffles continue from the trainer's generator, so the phase is
        seeded like the rest of training.
        """
        network, x, bank, log = self.network, self.x, self.bank, self.log
        suspected = flag_suspected_outliers(network, x, bank, self.settings.loe_fraction)
        log.n_flagged = int(suspected.sum())
        network.train()
        n_batches = max(log.n_batches, 1)
        while len(log.loe_loss) < n_batches:
            for _, rows, labels in self.epoch_batches():
                logits = network(bank.project_pairs(x[rows], labels))
                loss = loe_loss(logits, labels, suspected[rows], self.settings.loe)
                self.step(loss, log.n_batches + len(log.loe_loss) + 1)
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
