"""The fixed defaults, the paper preset, and how "auto" is resolved."""

import pytest

from pyod_sla2p import SLA2P
from pyod_sla2p.defaults import DEFAULTS, OPTIMIZER_DEFAULTS, PAPER_PRESET, resolve_parameters


def test_auto_resolves_to_the_defaults():
    resolved = resolve_parameters(SLA2P().get_params(deep=False), 100)
    for name, value in DEFAULTS.items():
        if name != "hidden_dims":
            assert resolved[name] == value, name
    r = DEFAULTS["projection_dim"]
    assert resolved["hidden_dims"] == (2 * r, 4 * r)
    assert resolved["optimizer_params"] == OPTIMIZER_DEFAULTS


def test_resolution_order():
    params = SLA2P(preset="paper", projection_dim=32).get_params(deep=False)
    resolved = resolve_parameters(params, 100)
    assert resolved["projection_dim"] == 32          # explicit beats preset
    assert resolved["hidden_dims"] == (64, 128)      # follows the explicit r
    assert resolved["n_projections"] == PAPER_PRESET["n_projections"]
    assert resolved["epsilon"] == pytest.approx(1000 / 128)
    assert resolved["standardize"] is False          # preset beats the default


def test_paper_preset_follows_the_script_on_large_data():
    params = SLA2P(preset="paper").get_params(deep=False)
    assert resolve_parameters(params, 2000)["n_projections"] == 256
    large = resolve_parameters(params, 2001)
    assert (large["n_projections"], large["projection_dim"]) == (64, 128)


def test_views_and_optimizer_params_are_normalised():
    both = resolve_parameters(SLA2P(views="both").get_params(deep=False), 10)
    assert both["views"] == ("direction", "homogeneous")
    one = resolve_parameters(SLA2P(views="homogeneous").get_params(deep=False), 10)
    assert one["views"] == ("homogeneous",)
    partial = resolve_parameters(
        SLA2P(optimizer_params={"lr": 0.01}).get_params(deep=False), 10)
    assert partial["optimizer_params"] == {**OPTIMIZER_DEFAULTS, "lr": 0.01}


def test_issue_15_defaults_and_the_unchanged_paper_preset():
    """Calibration is a default, whitening is not; the paper preset keeps neither."""
    assert (DEFAULTS["calibrate"], DEFAULTS["whiten"]) == (True, False)
    paper = resolve_parameters(SLA2P(preset="paper").get_params(deep=False), 100)
    assert (paper["calibrate"], paper["whiten"]) == (False, False)
    assert paper["standardize"] is False and paper["views"] == ("direction",)
