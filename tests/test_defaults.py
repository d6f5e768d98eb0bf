"""The fixed defaults, the paper preset, and how "auto" is resolved."""

import pytest

from pyod_sla2p import SLA2P
from pyod_sla2p.defaults import (
    DEFAULTS,
    OPTIMIZER_DEFAULTS,
    PAPER_PRESET,
    resolve_settings,
    resolve_values,
)


def test_auto_resolves_to_the_defaults():
    resolved = resolve_values(SLA2P().get_params(deep=False), 100)
    for name, value in DEFAULTS.items():
        if name != "hidden_dims":
            assert resolved[name] == value, name
    r = DEFAULTS["projection_dim"]
    assert resolved["hidden_dims"] == (2 * r, 4 * r)
    assert resolved["optimizer_params"] == OPTIMIZER_DEFAULTS


def test_resolution_order():
    params = SLA2P(preset="paper", projection_dim=32).get_params(deep=False)
    resolved = resolve_values(params, 100)
    assert resolved["projection_dim"] == 32          # explicit beats preset
    assert resolved["hidden_dims"] == (64, 128)      # follows the explicit r
    assert resolved["n_projections"] == PAPER_PRESET["n_projections"]
    assert resolved["epsilon"] == pytest.approx(1000 / 128)
    assert resolved["standardize"] is False          # preset beats the default


def test_paper_preset_follows_the_script_on_large_data():
    params = SLA2P(preset="paper").get_params(deep=False)
    assert resolve_values(params, 2000)["n_projections"] == 256
    large = resolve_values(params, 2001)
    assert (large["n_projections"], large["projection_dim"]) == (64, 128)


def test_views_and_optimizer_params_are_normalised():
    both = resolve_values(SLA2P(views="both").get_params(deep=False), 10)
    assert both["views"] == ("direction", "homogeneous")
    one = resolve_values(SLA2P(views="homogeneous").get_params(deep=False), 10)
    assert one["views"] == ("homogeneous",)
    partial = resolve_values(
        SLA2P(optimizer_params={"lr": 0.01}).get_params(deep=False), 10)
    assert partial["optimizer_params"] == {**OPTIMIZER_DEFAULTS, "lr": 0.01}


def test_issue_15_defaults_and_the_unchanged_paper_preset():
    """Calibration is a default; the paper preset keeps the raw mean."""
    assert DEFAULTS["calibrate"] is True
    paper = resolve_values(SLA2P(preset="paper").get_params(deep=False), 100)
    assert paper["calibrate"] is False
    assert paper["standardize"] is False and paper["views"] == ("direction",)


def test_settings_are_an_immutable_mapping():
    """params_ is a frozen record that reads like the dict it replaced."""
    import dataclasses
    import pickle

    settings = resolve_settings(SLA2P(preset="paper").get_params(deep=False), 100)
    assert settings["n_projections"] == settings.n_projections == 256
    assert dict(settings)["views"] == ("direction",) and "lr" in settings
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.epsilon = 0.0
    with pytest.raises(KeyError):
        settings["loe"]
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_library_holds_no_research_lever():
    """Issue 23: no research-lever name anywhere in the library's source."""
    import pathlib

    import pyod_sla2p

    root = pathlib.Path(pyod_sla2p.__file__).parent
    levers = ("loe", "whiten", "score_space", "projection_centres", "view_rule",
              "projection_rule", "n_banks", "score_mode", "temperature")
    found = {}
    for path in root.rglob("*.py"):
        if "datasets" in path.parts:
            continue
        words = set(__import__("re").findall(r"[A-Za-z_]+", path.read_text()))
        hits = [lever for lever in levers if lever in words]
        if hits:
            found[path.name] = hits
    assert not found
