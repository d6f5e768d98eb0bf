"""The shape rule and the paper preset."""

import pytest

from pyod_sla2p import SLA2P
from pyod_sla2p.defaults import AUTO_PARAMETERS, PAPER_PRESET, resolve_parameters, shape_rule


@pytest.mark.parametrize("shape", [(10, 1), (500, 30), (100000, 800)])
def test_rule_covers_every_auto_parameter(shape):
    rule = shape_rule(*shape)
    assert set(rule) == set(AUTO_PARAMETERS)
    assert rule["n_projections"] >= 2 and rule["projection_dim"] >= 1
    assert 0 < rule["acc_threshold"] < 1 and rule["epsilon"] >= 0


def test_resolution_order():
    params = SLA2P(preset="paper", projection_dim=32).get_params()
    resolved = resolve_parameters(params, 100, 10)
    assert resolved["projection_dim"] == 32
    assert resolved["n_projections"] == PAPER_PRESET["n_projections"]
    assert resolved["epsilon"] == pytest.approx(1000 / 128)
    plain = resolve_parameters(SLA2P().get_params(), 100, 10)
    assert {k: plain[k] for k in AUTO_PARAMETERS} == shape_rule(100, 10)


def test_paper_preset_follows_the_script_on_large_data():
    params = SLA2P(preset="paper").get_params()
    assert resolve_parameters(params, 2000, 10)["n_projections"] == 256
    large = resolve_parameters(params, 2001, 10)
    assert (large["n_projections"], large["projection_dim"]) == (64, 128)


def test_unknown_preset():
    with pytest.raises(ValueError, match="Unknown preset"):
        resolve_parameters(SLA2P(preset="authors").get_params(), 10, 2)
