"""Scoring without perturbation as three matrix products (issue 25).

At the defaults (``epsilon = 0``) a pair's score is a plain forward pass:
project the row, run the folded classifier, take the log-probability of the
true projection. Timed op by op (``benchmarks/results/profile.md``), the
products themselves run near the CPU's matmul peak, but a third of the time
went to memory passes around them: the projection as its own product, each
bias copied into every row of its layer's output before the product, and an
activation that allocates a new tensor. This module removes them without
changing the function:

* **The projection is folded into the first layer** where that is less
  work. Pair ``(x, m)`` enters the first layer as ``W1 (P_m^T x)``, which
  is ``(P_m W1^T)^T x``: one ``(d, h1)`` matrix per projection, computed
  once per fitted view in float64, and a chunk's first layer for all ``M``
  projections is one ``(b, d + 1) @ (d + 1, M * (h1 + 1))`` product. That
  costs ``(d + 1)(h1 + 1)`` multiply-adds per pair against
  ``(d + 1)(r + 1) + (r + 1)(h1 + 1)`` for projecting first, so it pays
  for inputs narrower than about ``r (h1 + 1) / (h1 - r)`` features (130 at
  the defaults). Wider inputs (image and text embeddings) are projected
  first, the projection carrying the ones column through.
* **Each bias rides in its product.** Every layer's input carries a last
  column of ones and every weight matrix a last row holding the bias, so
  the product adds the bias itself. The layers also produce that ones
  column for the next layer: a column of zero weights and bias 1 gives
  exactly 1, which the activation keeps (leaky ReLU and ReLU map 1 to 1).
* **The activation works in place** on the product's output.

Only the rounding changes: the bias is added inside the dot product instead
of after it, and the projection's product is formed once in float64. The
perturbed path (``epsilon > 0``, the paper preset) needs the input gradient
of the unfolded network and keeps :mod:`.scoring`'s general loop, as does
any network or scorer this module does not recognise (a research variant's).
"""

import dataclasses
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# Activations that map 1 to 1, so the ones column survives them; each is
# applied in place with its own negative slope.
_IN_PLACE = {nn.LeakyReLU: lambda layer: (lambda h: F.leaky_relu_(h, layer.negative_slope)),
             nn.ReLU: lambda layer: torch.relu_}


@dataclass(frozen=True)
class FusedForward:
    """A view's projections and folded classifier as augmented matrices.

    Attributes
    ----------
    first : torch.Tensor of shape (d + 1, M * (k + 1))
        The product the augmented rows go through first, per projection an
        output column that is always 1. Folded (``k = h1``): every
        projection folded into the first layer, its bias in the last row.
        Not folded (``k = r``): the projections themselves.
    hidden : tuple of torch.Tensor
        The layers after ``first`` but the last, as ``(h_in + 1, h_out + 1)``
        matrices, bias in the last row, last column producing the ones
        column (when not folded, the first layer is the first of them).
    last : torch.Tensor of shape (h_last + 1, M)
        The output layer, bias in the last row.
    activations : tuple of callables
        One in-place activation per hidden layer.
    n_projections : int
    folded : bool
        Whether the projections are folded into the first layer.
    """

    first: torch.Tensor
    hidden: tuple
    last: torch.Tensor
    activations: tuple
    n_projections: int
    folded: bool = True
    # Output buffers reused from chunk to chunk: a fresh multi-megabyte
    # tensor per layer and chunk costs page faults on every allocation.
    _buffers: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, bank, network, dtype=None):
        """The fused form of a bank and a folded network, or None where it does not apply.

        It applies to an ``nn.Sequential`` of ``Linear`` layers with leaky
        ReLU or ReLU between them (what ``fit`` builds and folds). Whether the scorer allows it (no
        perturbation) is for the caller to decide.

        Parameters
        ----------
        bank : ProjectionBank
        network : torch.nn.Sequential
        dtype : torch.dtype or None, default=None
            Number format of the products (None: the bank's, float32).
            SLA2P scores in float32; ``torch.bfloat16`` (which rounds the
            matrices and every layer's output, the products accumulating in
            float32) is measured by ``benchmarks/precision.py`` and was left
            out: it moved ROC-AUC by more than 0.002 on 4 development sets.
        """
        if not isinstance(network, nn.Sequential):
            return None  # a research variant's own module: the general path
        layers = list(network)
        linears, activations = layers[0::2], layers[1::2]
        if len(layers) % 2 == 0 or not all(isinstance(m, nn.Linear) for m in linears) \
                or not all(type(m) in _IN_PLACE for m in activations):
            return None
        return cls._build(bank.weights, linears, activations, dtype or bank.weights.dtype)

    @classmethod
    def _build(cls, bank, linears, activations, dtype):
        d, m, r = bank.shape
        h1 = linears[0].weight.shape[0]
        fold = (d + 1) * (h1 + 1) <= (d + 1) * (r + 1) + (r + 1) * (h1 + 1)
        with torch.no_grad():
            if fold:
                w1, b1 = linears[0].weight.double(), linears[0].bias.double()
                # (d, M, r) x (h1, r) -> (d, M, h1): every P_m W1^T, in float64.
                first = bank.new_zeros((d + 1, m, h1 + 1), dtype=torch.float64)
                first[:d, :, :h1] = torch.einsum("dmr,hr->dmh", bank.double(), w1)
                first[d, :, :h1] = b1
                first[d, :, h1] = 1.0
            else:
                first = bank.new_zeros((d + 1, m, r + 1))
                first[:d, :, :r] = bank
                first[d, :, r] = 1.0
            hidden = []
            for layer in linears[int(fold):-1]:
                out_dim = layer.weight.shape[0]
                w = layer.weight.new_zeros((layer.weight.shape[1] + 1, out_dim + 1))
                w[:-1, :out_dim] = layer.weight.t()
                w[-1, :out_dim] = layer.bias
                w[-1, out_dim] = 1.0
                hidden.append(w)
            last_layer = linears[-1]
            last = torch.cat([last_layer.weight.t(), last_layer.bias[None, :]])
        return cls(first=first.view(d + 1, -1).to(dtype),
                   hidden=tuple(w.to(dtype).contiguous() for w in hidden),
                   last=last.to(dtype).contiguous(),
                   activations=tuple(_IN_PLACE[type(a)](a) for a in activations),
                   n_projections=m, folded=fold)

    def with_own_buffers(self):
        """This forward, sharing its matrices, with output buffers of its own.

        :meth:`logits` writes into the buffers, so two calls that may run at
        once (two threads scoring one fitted model) each take their own.
        """
        return dataclasses.replace(self, _buffers={})

    def logits(self, x):
        """Logits of every (row, projection) pair of the rows ``x``.

        Parameters
        ----------
        x : torch.Tensor of shape (b, d)
            Preprocessed rows.

        Returns
        -------
        torch.Tensor of shape (b * M, M)
            Row ``i * M + m`` is pair ``(x[i], m)``, as in :mod:`.scoring`;
            in the products' number format. It lives in a buffer that the
            next call overwrites: use it (or copy it) before calling again.
        """
        b = x.shape[0]
        augmented = self._buffer("input", b, x.shape[1] + 1)
        augmented[:, :-1] = x
        augmented[:, -1] = 1.0
        pairs = b * self.n_projections
        h = torch.mm(augmented, self.first,
                     out=self._buffer("first", b, self.first.shape[1])).view(pairs, -1)
        activations = self.activations
        if self.folded:  # h is the first layer's output; else the projected pairs
            activations[0](h)
            activations = activations[1:]
        for i, (weight, activation) in enumerate(zip(self.hidden, activations)):
            h = torch.mm(h, weight, out=self._buffer(i, pairs, weight.shape[1]))
            activation(h)
        return torch.mm(h, self.last, out=self._buffer("last", pairs, self.last.shape[1]))

    def _buffer(self, name, rows, columns):
        """The first ``rows`` rows of a reusable ``(rows_max, columns)`` buffer
        (the matrices' number format and device)."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape[0] < rows or buffer.shape[1] != columns:
            buffer = self.first.new_empty((rows, columns))
            self._buffers[name] = buffer
        return buffer[:rows]
