"""The pseudo-label classifier (method page, step 4).

An MLP ``Linear(r, 2r) -> BatchNorm -> LeakyReLU -> Linear(2r, 4r) ->
BatchNorm -> LeakyReLU -> Linear(4r, M)`` as in the authors' script; the
hidden widths and the activation are parameters.
"""

import torch
from torch import nn

ACTIVATIONS = {
    "leaky_relu": nn.LeakyReLU,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
}


def build_classifier(input_dim, n_classes, hidden_dims, activation="leaky_relu",
                     seed=0):
    """Build the MLP with seeded initial weights.

    The weights are initialised on the CPU inside a forked RNG, so the same
    seed gives the same network and the caller's global torch RNG state is
    left exactly as it was.

    Parameters
    ----------
    input_dim : int
        ``r``, the projection dimension.
    n_classes : int
        ``M``, the number of projections (pseudo-labels).
    hidden_dims : sequence of int
        Widths of the hidden layers; the paper uses ``(2r, 4r)``.
    activation : str, default="leaky_relu"
        One of ``ACTIVATIONS``.
    seed : int, default=0

    Returns
    -------
    torch.nn.Sequential
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; "
                         f"choose one of {sorted(ACTIVATIONS)}.")
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(int(seed))
        layers = []
        width = input_dim
        for hidden in hidden_dims:
            layers += [nn.Linear(width, int(hidden)), nn.BatchNorm1d(int(hidden)),
                       ACTIVATIONS[activation]()]
            width = int(hidden)
        layers.append(nn.Linear(width, n_classes))
        return nn.Sequential(*layers)
