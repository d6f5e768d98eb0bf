"""What a setting costs, estimated before anything is allocated.

A user may ask for settings that cannot run: 65,536 projections on 100
rows (6.5 million training pairs, each classified into 65,536 classes), or
hidden layers of 65,536 units (torch then fails deep inside its allocator).
``fit`` estimates the memory the largest allocations need and the
multiply-adds of one training epoch from the resolved settings, and refuses
a setting beyond this machine with a message that says why and what would
run. The estimates are upper bounds of the dominant terms, not exact.
"""

import os

import torch

_FLOAT = 4  # bytes of a float32
# Adam keeps the weights, their gradients and two moments: four copies.
_ADAM_COPIES = 4
#: Largest multiply-adds of one training epoch that fit accepts (forward and
#: backward counted as three forward passes). At the default settings an
#: epoch of 10,000 rows is about 1e11; 2e13 is minutes on a GPU and hours on
#: a CPU, and the accuracy stop may never fire.
MAX_EPOCH_MULTIPLY_ADDS = 2e13
#: Share of the device's memory one fit may plan to use.
MEMORY_SHARE = 0.5


def device_memory_bytes(device):
    """Total memory of ``device`` (physical RAM for the CPU), or None if unknown."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        return None


def network_multiply_adds(projection_dim, hidden_dims, n_projections):
    """Multiply-adds of one classifier pass over one pair: ``r*h1 + h1*h2 + ... + h_last*M``."""
    widths = (int(projection_dim), *(int(h) for h in hidden_dims), int(n_projections))
    return sum(a * b for a, b in zip(widths, widths[1:]))


def estimate(settings, n_train, n_inputs, pairs_per_chunk):
    """Dominant memory (bytes) and multiply-adds per training epoch of a fit.

    Parameters
    ----------
    settings : Settings
    n_train : int
        Rows the classifier trains on.
    n_inputs : int
        Width of a preprocessed row.
    pairs_per_chunk : int
        (row, projection) pairs scored at once.

    Returns
    -------
    memory : int
        The bank, the network with Adam's state, one scoring chunk's
        activations and one epoch's permutation of pair indices.
    epoch_work : float
        Multiply-adds of one pass over every training pair.
    """
    m, r = settings.n_projections, settings.projection_dim
    weights = network_multiply_adds(r, settings.hidden_dims, m)  # = the weight count
    memory = (n_inputs * m * r * _FLOAT
              + weights * _FLOAT * _ADAM_COPIES
              + pairs_per_chunk * (r + sum(settings.hidden_dims) + m) * _FLOAT * 3
              + n_train * m * 8)
    epoch_work = 3.0 * n_train * m * (n_inputs * r + weights)
    return memory, epoch_work


def check_budget(settings, n_train, n_inputs, pairs_per_chunk, device):
    """Refuse a setting whose estimated memory or work is beyond this machine.

    Raises
    ------
    ValueError
        Saying what the setting would need and which parameters lower it.
    """
    memory, work = estimate(settings, n_train, n_inputs, pairs_per_chunk)
    what = (f"n_projections={settings.n_projections}, projection_dim="
            f"{settings.projection_dim}, hidden_dims={settings.hidden_dims} on "
            f"{n_train} training rows of {n_inputs} values")
    total = device_memory_bytes(device)
    if total is not None and memory > MEMORY_SHARE * total:
        raise ValueError(
            f"SLA2P with {what} needs about {memory / 2**30:.1f} GiB, more than "
            f"{MEMORY_SHARE:.0%} of the {total / 2**30:.1f} GiB of this {device.type} "
            "device. Lower n_projections, projection_dim or hidden_dims (the defaults, "
            "64, 64 and (128, 256), need well under 1 GiB).")
    if work > MAX_EPOCH_MULTIPLY_ADDS:
        raise ValueError(
            f"SLA2P with {what} needs about {work:.1e} multiply-adds per training "
            f"epoch, beyond the {MAX_EPOCH_MULTIPLY_ADDS:.0e} SLA2P accepts (hours on a "
            "CPU, and the accuracy stop may never fire). Lower n_projections, "
            "projection_dim or hidden_dims, or max_train_samples.")
