"""How SLA2P's ``"auto"`` parameters are chosen, and the ``"paper"`` preset.

The rule looks at the shape of the training data only (rows ``n`` and
features ``d``), never at a dataset's name or labels, so it applies the same
way to data nobody has seen yet.
"""

# The authors' tabular configuration (method page, "The script's settings"),
# with epsilon converted to the per-row gradient: the script's 1000 on the
# batch-mean gradient over full batches of 128 is 1000 / 128 per row.
# Above PAPER_LARGE_ROWS rows the script's own large tabular setting
# (KDDCUP99: 64 projections of width 128) applies, as in the faithful port.
PAPER_LARGE_ROWS = 2000
PAPER_PRESET = {
    "n_projections": 256,
    "projection_dim": 256,
    "acc_threshold": 0.6,
    "epsilon": 1000.0 / 128.0,
    "perturbation": "gradient",
    "score": "brier",
    "views": ("direction",),
    "standardize": False,
}



def paper_preset(n_samples, n_features):
    """The authors' configuration for data of this shape."""
    preset = dict(PAPER_PRESET)
    if n_samples > PAPER_LARGE_ROWS:
        preset.update(n_projections=64, projection_dim=128)
    return preset


PRESETS = {"paper": paper_preset}

AUTO_PARAMETERS = ("n_projections", "projection_dim", "acc_threshold",
                   "epsilon", "perturbation", "score", "views", "standardize")


def shape_rule(n_samples, n_features):
    """The default parameters for data of shape ``(n_samples, n_features)``.

    Parameters
    ----------
    n_samples, n_features : int

    Returns
    -------
    dict
        Values for every name in ``AUTO_PARAMETERS``.
    """
    return {
        "n_projections": 64,
        "projection_dim": 64,
        "acc_threshold": 0.3,
        "epsilon": 0.0,
        "perturbation": "gradient",
        "score": "log_prob",
        "views": ("direction", "homogeneous"),
        "standardize": True,
    }


def resolve_parameters(params, n_samples, n_features):
    """Replace every ``"auto"`` in ``params`` by the preset's or the rule's value.

    Parameters
    ----------
    params : dict
        The estimator's parameters (``get_params()``), including ``preset``.
    n_samples, n_features : int

    Returns
    -------
    dict
        ``params`` with ``"auto"`` resolved; explicit values win over the
        preset, the preset wins over the shape rule.
    """
    preset = params.get("preset")
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose None or one of "
                         f"{sorted(PRESETS)}.")
    base = shape_rule(n_samples, n_features)
    if preset is not None:
        base.update(PRESETS[preset](n_samples, n_features))
    resolved = dict(params)
    for name in AUTO_PARAMETERS:
        if isinstance(resolved.get(name), str) and resolved[name] == "auto":
            resolved[name] = base[name]
    return resolved
