"""The pseudo-label classifier (method page, step 4).

An MLP ``Linear(r, 2r) -> BatchNorm -> LeakyReLU -> Linear(2r, 4r) ->
BatchNorm -> LeakyReLU -> Linear(4r, M)`` as in the authors' script; the
hidden widths are a parameter.
"""

import torch
from torch import nn


def build_classifier(input_dim, n_classes, hidden_dims, seed=0, activation=nn.LeakyReLU):
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
    seed : int, default=0
    activation : type of torch.nn.Module, default=torch.nn.LeakyReLU
        The hidden activation (the paper's leaky ReLU); built without
        arguments.

    Returns
    -------
    torch.nn.Sequential
    """
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(int(seed))
        layers = []
        width = input_dim
        for hidden in hidden_dims:
            layers += [nn.Linear(width, int(hidden)), nn.BatchNorm1d(int(hidden)),
                       activation()]
            width = int(hidden)
        layers.append(nn.Linear(width, n_classes))
        return nn.Sequential(*layers)


def fold_batchnorm(network):
    """An eval-mode copy of ``network`` with each BatchNorm folded into the
    Linear layer before it.

    In eval mode BatchNorm is the affine map ``(h - mean) / sqrt(var + eps) *
    gamma + beta``, so ``Linear -> BatchNorm`` equals one Linear layer with
    rescaled weights. Scoring runs the network three times per pair (forward,
    input gradient, forward again); folding removes the BatchNorm passes from
    all three without changing the function.

    Parameters
    ----------
    network : torch.nn.Sequential

    Returns
    -------
    torch.nn.Sequential
        A new module; ``network`` is not modified.
    """
    layers = []
    modules = list(network)
    i = 0
    while i < len(modules):
        layer = modules[i]
        nxt = modules[i + 1] if i + 1 < len(modules) else None
        if isinstance(layer, nn.Linear) and isinstance(nxt, nn.BatchNorm1d):
            scale = nxt.weight / torch.sqrt(nxt.running_var + nxt.eps)
            # skip_init: the weights are overwritten below, and a normal
            # init would draw from (and advance) the global torch RNG.
            fused = torch.nn.utils.skip_init(
                nn.Linear, layer.in_features, layer.out_features,
                device=layer.weight.device, dtype=layer.weight.dtype)
            with torch.no_grad():
                fused.weight.copy_(layer.weight * scale[:, None])
                fused.bias.copy_((layer.bias - nxt.running_mean) * scale + nxt.bias)
            layers.append(fused)
            i += 2
        else:
            layers.append(layer)
            i += 1
    folded = nn.Sequential(*layers).eval()
    for p in folded.parameters():
        p.requires_grad_(False)
    return folded
