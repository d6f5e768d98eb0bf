"""Detector registry and specification parsing of the benchmark runner."""

import json

import pytest

from benchmarks.registry import DEFAULT_DETECTORS, REGISTRY
from benchmarks.specs import (
    SpecError,
    load_config,
    parse_detector_list,
    parse_set,
    parse_value,
    resolve_detectors,
    split_top_level,
)

ISSUE_NAMES = ["sla2p", "sla", "lof", "knn", "iforest", "ecod", "copod", "hbos", "ocsvm", "pca",
               "cblof", "inne", "dif", "lunar", "deepsvdd", "autoencoder"]


def test_registry_has_every_detector_of_the_issue():
    assert set(ISSUE_NAMES) <= set(REGISTRY)
    assert 8 <= len(DEFAULT_DETECTORS) <= 13
    resolved = resolve_detectors(",".join(REGISTRY))  # every entry imports and validates
    assert [d.label for d in resolved] == list(REGISTRY)


def test_default_set_and_special_entries():
    by_label = {d.label: d for d in resolve_detectors()}
    assert list(by_label) == list(DEFAULT_DETECTORS)
    (sla,) = resolve_detectors("sla")
    assert sla.kwargs == {"epsilon": 0.0}
    assert by_label["sla2p"].kwargs == {}
    assert by_label["sla2p"].seed_param == "random_state"
    assert by_label["ecod"].seed_param is None  # ECOD takes no random_state
    paper, deep = resolve_detectors("sla2p-paper,deepsvdd")
    assert paper.kwargs == {"preset": "paper"}
    assert deep.n_features_param == "n_features" and deep.kwargs["verbose"] == 0


@pytest.mark.parametrize("text, value", [
    ("5", 5), ("-3", -3), ("0.5", 0.5), ("1e-3", 1e-3), ("None", None), ("none", None),
    ("true", True), ("False", False), ("[64, 32]", [64, 32]), ("(1,2)", (1, 2)),
    ("'cpu'", "cpu"), ("cpu", "cpu"), ("leaky_relu", "leaky_relu"),
])
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_split_respects_brackets_and_quotes():
    assert split_top_level("a,b:h=[1,2],c:s='x,y'", ",") == ["a", "b:h=[1,2]", "c:s='x,y'"]


def test_parse_detector_list_with_overrides_and_labels():
    assert parse_detector_list("sla2p:hidden_dims=[64,32]:epsilon=0,lof5=lof:n_neighbors=5,ecod") == [
        ("sla2p", "sla2p", {"hidden_dims": [64, 32], "epsilon": 0}),
        ("lof5", "lof", {"n_neighbors": 5}),
        ("ecod", "ecod", {}),
    ]
    assert parse_set("lof:n_neighbors=7:metric=manhattan") == (
        "lof", {"n_neighbors": 7, "metric": "manhattan"})


def test_resolve_applies_config_then_inline_then_set(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"lof": {"n_neighbors": 10, "p": 1}, "iforest": {}}))
    config = load_config(cfg)
    # Without --detectors the config's detectors run.
    assert [d.label for d in resolve_detectors(None, (), config)] == ["lof", "iforest"]
    (lof,) = resolve_detectors("lof:n_neighbors=12", ["lof:leaf_size=40"], config)
    assert lof.kwargs == {"n_neighbors": 12, "p": 1, "leaf_size": 40}
    assert json.loads(lof.params_json()) == lof.overrides == lof.kwargs


def test_toml_config(tmp_path):
    pytest.importorskip("tomllib")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sla2p]\nepsilon = 0.5\n\n["wide=sla2p"]\nn_projections = 128\n')
    a, b = resolve_detectors(None, (), load_config(cfg))
    assert (a.label, a.kwargs) == ("sla2p", {"epsilon": 0.5})
    assert (b.label, b.name, b.kwargs) == ("wide", "sla2p", {"n_projections": 128})


@pytest.mark.parametrize("detectors, sets, message", [
    ("isoforest", (), "unknown detector 'isoforest'. Did you mean 'iforest'"),
    ("lof:n_neighbours=5", (), "unknown parameter 'n_neighbours' for detector 'lof' (LOF). "
                               "Did you mean 'n_neighbors'?"),
    ("sla2p:random_state=3", (), "cannot be set: it is set from --seeds"),
    ("deepsvdd:n_features=3", (), "cannot be set: it is set from the dataset"),
    ("lof,lof", (), "listed twice"),
    ("lof:n_neighbors", (), "expected KEY=VALUE"),
    ("lof,,ecod", (), "comma-separated"),
    ("lof", ("ecod:n_jobs=2",), "'ecod' is not in the detector list"),
    ("lof", ("lof",), "expected NAME:KEY=VALUE"),
])
def test_bad_specifications(detectors, sets, message):
    with pytest.raises(SpecError) as info:
        resolve_detectors(detectors, sets)
    assert message in str(info.value)


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(SpecError, match=r"Valid: .*n_projections.*epsilon"):
        resolve_detectors("sla2p:bogus=1")


def test_bad_config_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpecError, match="cannot parse"):
        load_config(bad)
    flat = tmp_path / "flat.json"
    flat.write_text('{"lof": 5}')
    with pytest.raises(SpecError, match="must map detector names"):
        load_config(flat)
    with pytest.raises(SpecError, match="cannot read"):
        load_config(tmp_path / "missing.json")


def test_levers_go_through_the_variant_entry():
    (relative,) = resolve_detectors("relative=sla2p-variant:epsilon=0.3:perturbation=relative")
    assert relative.estimator == "benchmarks.variants:SLA2PVariant"
    assert relative.kwargs == {"epsilon": 0.3, "perturbation": "relative"}
    (brier,) = resolve_detectors("brier=sla2p:score_function=brier")
    assert brier.estimator == "pyod_sla2p:SLA2P"
    for lever in ("perturbation", "n_steps", "score_mode", "temperature", "n_banks",
                  "activation", "combine", "standardize"):
        with pytest.raises(SpecError, match=f"unknown parameter '{lever}' for detector 'sla2p'"):
            resolve_detectors(f"sla2p:{lever}=1")
        (variant,) = resolve_detectors(f"sla2p-variant:{lever}=1")
        assert variant.overrides == {lever: 1}
