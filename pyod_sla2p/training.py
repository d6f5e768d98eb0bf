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
        The accuracy stop, the epoch cap, the batch size, Adam's settings and
        the plateau patience.
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
    n, m = x.shape[0], bank.n_projections
    n_pairs = n * m
    device = x.device
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr, eps=config.eps,
                                 weight_decay=config.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    log = TrainingLog()
    best_epoch_accuracy, epochs_without_gain = -1.0, 0
    network.train()
    progress = tqdm(total=None, desc="SLA2P training", unit="batch",
                    disable=not verbose, leave=False)
    try:
        for _ in range(config.epoch_num):
            log.n_epochs += 1
            order = torch.randperm(n_pairs, generator=generator).to(device)
            correct = seen = 0
            for start in range(0, n_pairs, config.batch_size):
                pairs = order[start:start + config.batch_size]
                if pairs.numel() < 2:
                    # BatchNorm cannot normalise a batch of one in train mode.
                    continue
                rows, labels = pairs // m, pairs % m
                logits = network(bank.project_pairs(x[rows], labels))
                loss = loss_fn(logits, labels)
                if not torch.isfinite(loss):
                    raise ValueError(
                        f"SLA2P training diverged: the loss became {float(loss.detach())} at "
                        f"batch {log.n_batches + 1}. Lower optimizer_params['lr'] "
                        f"(now {config.lr:g}) or check the data for extreme values.")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

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
                    return log
            # The accuracy stop may never fire (data with nothing to learn):
            # give up once whole epochs stop improving.
            epoch_accuracy = correct / max(seen, 1)
            if epoch_accuracy > best_epoch_accuracy + _MIN_GAIN:
                best_epoch_accuracy, epochs_without_gain = epoch_accuracy, 0
            else:
                epochs_without_gain += 1
                if epochs_without_gain >= config.patience:
                    log.stop_reason = "plateau"
                    return log
        return log
    finally:
        progress.close()
        network.eval()
