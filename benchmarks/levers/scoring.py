"""Scoring levers: perturbation forms, iterated steps, temperature, the score
change and GOAD's centre score (research levers; issue 15 and the ODDS and
embeddings ablations).

:class:`LeverPairScorer` stands in for the library's
:class:`~pyod_sla2p.scoring.PairScorer` in a fitted view: the library's
chunked loops project the rows and hand it each chunk of pairs.

- ``perturbation``: ``"gradient"`` is the paper's ``z + epsilon * g``;
  ``"relative"`` a step of ``epsilon`` times the row's own norm along the
  gradient direction, so one ``epsilon`` means the same on every data set
  and for every row however small its gradient; ``"sign"`` the
  fast-gradient-sign step of the same length.
- ``n_steps``: the step split into equal steps, the prediction and gradient
  recomputed before each (iterative FGSM).
- ``temperature``: the logits divided by it before the pair score.
- ``score_mode="change"``: the pair score after the push minus before it.
- ``score_space="centre"``: GOAD's score form (Bergman & Hoshen, ICLR
  2020), the squared distance of the pair's last hidden activations to its
  projection's centre on the training rows, ``||h(z') - c_m||^2``.

None of them beat the default on the benchmark suites (docs/method.md, ablations).
"""

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from pyod_sla2p.fused import FusedForward
from pyod_sla2p.scoring import pair_scores, prediction_gradient

#: The spaces a pair is scored in.
SCORE_SPACES = ("softmax", "centre")


def perturb(network, z, epsilon, mode="gradient", n_steps=1):
    """:func:`pyod_sla2p.scoring.perturb` with the step's form and count as levers.

    Parameters
    ----------
    network, z
        As for :func:`pyod_sla2p.scoring.perturb`.
    epsilon : float
        Step size; its meaning depends on ``mode``.
    mode : {"gradient", "relative", "sign"}, default="gradient"
        See the module docstring.
    n_steps : int, default=1
        Equal steps of ``epsilon / n_steps``, each with a fresh gradient.

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
        grad = prediction_gradient(network, z)
        if mode == "relative":
            grad = grad * (norm / grad.norm(dim=1, keepdim=True).clamp_min(1e-30))
        elif mode == "sign":
            grad = grad.sign() * (norm / np.sqrt(z.shape[1]))
        z = z + step * grad
    return z


@dataclass(frozen=True)
class LeverPairScorer:
    """Perturb and score a batch of pairs with the scoring levers.

    Attributes
    ----------
    epsilon : float
    score_function : {"log_prob", "brier"}
    perturbation : {"gradient", "relative", "sign"}
    n_steps : int
    temperature : float
    score_mode : {"perturbed", "change"}
    centres : torch.Tensor of shape (M, h) or None
        The projections' centres (:func:`projection_centres`); given, pairs
        are scored by their distance to them (``score_space="centre"``).
    """

    epsilon: float
    score_function: str
    perturbation: str = "gradient"
    n_steps: int = 1
    temperature: float = 1.0
    score_mode: str = "perturbed"
    centres: torch.Tensor = None

    def __call__(self, network, z, labels):
        space = None
        if self.centres is not None:
            space = (split_head(network)[0], self.centres)
        if self.score_mode == "change":
            with torch.inference_mode():
                clean = self._score(network, z, labels, space)
        z = perturb(network, z, self.epsilon, self.perturbation, self.n_steps)
        with torch.inference_mode():
            per_pair = self._score(network, z, labels, space)
            if self.score_mode == "change":
                per_pair = per_pair - clean
        return per_pair

    def _score(self, network, z, labels, space):
        if space is None:
            logits = network(z)
            if self.temperature != 1.0:
                logits = logits / self.temperature
            return pair_scores(logits, labels, self.score_function)
        body, centres = space
        return ((body(z) - centres[labels]) ** 2).sum(dim=1)

    def fused(self, bank, network):
        """The library's fused forward where these levers score as SLA2P does
        (no perturbation, logits at temperature 1, no centres); else None."""
        if self.epsilon != 0 or self.centres is not None or self.temperature != 1.0 \
                or self.score_mode != "perturbed":
            return None
        return FusedForward.of(bank, network)

    def to(self, device):
        """This scorer with its centres (if any) on ``device``."""
        centres = None if self.centres is None else self.centres.to(device)
        return self if centres is self.centres else replace(self, centres=centres)


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


def split_head(network):
    """Split a (folded) classifier into its body and its final Linear layer.

    The body maps a transformed row to the classifier's last hidden
    activations, the input of the head; the ``score_space="centre"``
    research lever scores pairs by their distance in that space (GOAD's
    score form), so it needs the body alone.

    Parameters
    ----------
    network : torch.nn.Sequential
        Ending with an ``nn.Linear`` layer, as :func:`build_classifier`
        builds it (BatchNorm folded or not).

    Returns
    -------
    body : torch.nn.Sequential
        Every layer but the last; it shares the layers (and their weights)
        of ``network``, nothing is copied.
    head : torch.nn.Linear
        The last layer.
    """
    modules = list(network)
    if not modules or not isinstance(modules[-1], nn.Linear):
        raise ValueError("split_head needs an nn.Sequential ending with an nn.Linear "
                         f"layer, got {type(network).__name__} ending with "
                         f"{type(modules[-1]).__name__ if modules else 'nothing'}.")
    body = nn.Sequential(*modules[:-1])
    # The container's own flag only, not .train(): that would also reset the
    # shared layers' modes, a side effect on ``network``.
    body.training = network.training
    return body, modules[-1]
