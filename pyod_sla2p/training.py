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
"""

from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

# The least rise of an epoch's running accuracy that counts as progress.
_MIN_GAIN = 1e-3


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

    @property
    def stopped_by_threshold(self):
        """Whether the accuracy threshold fired."""
        return self.stop_reason == "threshold"

    @property
    def n_batches(self):
        return len(self.loss)


class Trainer:
    """Trains ``network`` to tell the projections of ``bank`` apart.

    One trainer serves one fit: it owns the shuffling generator, the
    optimiser and the log. :meth:`run` is the whole training; a research
    variant extends it (the benchmarks' Latent Outlier Exposure adds a phase
    after :meth:`train_until_stop`, with the same generator and optimiser).

    Parameters
    ----------
    network : torch.nn.Module
        Maps ``(b, r)`` projected rows to ``(b, M)`` logits; trained in place.
    x : torch.Tensor of shape (n, d)
        Preprocessed training rows, on the network's device.
    bank : ProjectionBank
        On the same device.
    settings : Settings
        ``acc_threshold``, ``epoch_num``, ``batch_size``, ``patience`` and
        Adam's ``lr``, ``adam_eps``, ``weight_decay``.
    seed : int
        Seed of the shuffling generator.
    verbose : bool, default=False
        Show a progress bar over batches.
    """

    def __init__(self, network, x, bank, settings, seed, verbose=False):
        self.network, self.x, self.bank, self.settings = network, x, bank, settings
        self.generator = torch.Generator(device="cpu").manual_seed(int(seed))
        self.optimizer = torch.optim.Adam(network.parameters(), lr=settings.lr,
                                          eps=settings.adam_eps,
                                          weight_decay=settings.weight_decay,
                                          **_adam_implementation(x.device))
        self.log = TrainingLog()
        self.verbose = verbose

    def run(self):
        """Train, then leave the network in eval mode.

        Returns
        -------
        TrainingLog

        Raises
        ------
        ValueError
            When the loss becomes NaN or infinite (a learning rate too large
            for the data, for example); the message names the batch.
        """
        self.network.train()
        progress = tqdm(total=None, desc="SLA2P training", unit="batch",
                        disable=not self.verbose, leave=False)
        try:
            self.train_until_stop(progress)
            return self.log
        finally:
            progress.close()
            self.network.eval()

    def train_until_stop(self, progress):
        """Train until the accuracy stop, a plateau or the epoch cap; fills the log."""
        log, settings = self.log, self.settings
        loss_fn = nn.CrossEntropyLoss()
        best_epoch_accuracy, epochs_without_gain = -1.0, 0
        for _ in range(settings.epoch_num):
            log.n_epochs += 1
            correct = seen = 0
            for pairs, rows, labels in self.epoch_batches():
                logits = self.network(self.bank.project_pairs(self.x[rows], labels))
                loss = loss_fn(logits, labels)
                self.step(loss, log.n_batches + 1)

                hits = int((logits.detach().argmax(dim=1) == labels).sum())
                correct += hits
                seen += pairs.numel()
                log.loss.append(float(loss.detach()))
                log.batch_accuracy.append(hits / pairs.numel())
                log.running_accuracy.append(correct / seen)
                progress.update(1)
                progress.set_postfix(acc=f"{correct / seen:.3f}", refresh=False)
                if correct / seen > settings.acc_threshold:
                    log.stop_reason = "threshold"
                    return
            # The accuracy stop may never fire (data with nothing to learn):
            # give up once whole epochs stop improving.
            epoch_accuracy = correct / max(seen, 1)
            if epoch_accuracy > best_epoch_accuracy + _MIN_GAIN:
                best_epoch_accuracy, epochs_without_gain = epoch_accuracy, 0
            else:
                epochs_without_gain += 1
                if epochs_without_gain >= settings.patience:
                    log.stop_reason = "plateau"
                    return

    def epoch_batches(self):
        """Yield ``(pairs, rows, labels)`` for one shuffled pass over every (row, projection) pair.

        One permutation is drawn from the generator per call, so every phase
        of training consumes it the same way.
        """
        m = self.bank.n_projections
        n_pairs = self.x.shape[0] * m
        order = torch.randperm(n_pairs, generator=self.generator).to(self.x.device)
        for start in range(0, n_pairs, self.settings.batch_size):
            pairs = order[start:start + self.settings.batch_size]
            if pairs.numel() < 2:
                # BatchNorm cannot normalise a batch of one in train mode.
                continue
            yield pairs, pairs // m, pairs % m

    def step(self, loss, batch_number):
        """One optimiser step on ``loss``, refusing a non-finite loss."""
        if not torch.isfinite(loss):
            raise ValueError(
                f"SLA2P training diverged: the loss became {float(loss.detach())} at "
                f"batch {batch_number}. Lower optimizer_params['lr'] "
                f"(now {self.settings.lr:g}) or check the data for extreme values.")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


def _adam_implementation(device):
    """Adam's multi-tensor update where the device has it.

    Training takes small batches, so each step costs more in per-tensor
    overhead than in arithmetic; PyTorch's default loop over the parameters
    took a quarter of training's time on the CPU. The multi-tensor
    (``foreach``) update does the same operations in the same order on all
    parameters at once: the same numbers, about 9 % less training time on a
    2-core CPU. The one-kernel (``fused``) update was faster still (about
    30 %) but rounds differently, and training amplifies that: 5 of the 59
    development sets moved ROC-AUC in the third decimal, so it is not used.
    """
    return {"foreach": True} if device.type in ("cpu", "cuda") else {}


def train_classifier(network, x, bank, settings, seed, verbose=False):
    """Train ``network`` with a :class:`Trainer`; returns its :class:`TrainingLog`."""
    return Trainer(network, x, bank, settings, seed, verbose).run()
