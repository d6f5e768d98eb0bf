"""The research levers, through benchmarks.variants.SLA2PVariant."""

import dataclasses

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from benchmarks.variants import LEVERS, SLA2PVariant
from pyod_sla2p import SLA2P
from benchmarks.levers.scoring import LeverPairScorer
from pyod_sla2p.scoring import score_rows


def test_levers_at_their_defaults_are_sla2p(pyod_data, small_params):
    public = SLA2P(random_state=0, **small_params).fit(pyod_data[0])
    variant = SLA2PVariant(random_state=0, **small_params).fit(pyod_data[0])
    assert_array_equal(variant.decision_function(pyod_data[1]), public.decision_function(pyod_data[1]))
    assert set(LEVERS) <= set(variant.get_params()) and not set(LEVERS) & set(public.get_params())
    twin = clone(SLA2PVariant(n_banks=2, combine="average"))
    assert (twin.n_banks, twin.combine) == (2, "average")


@pytest.mark.parametrize("params, message", [
    ({"perturbation": "fgsm"}, "'perturbation' parameter"),
    ({"n_steps": 0}, "'n_steps' parameter"),
    ({"n_banks": 2.0}, "'n_banks' parameter"),
    ({"temperature": 0.0}, "'temperature' parameter"),
    ({"temperature": float("inf")}, "'temperature' parameter"),
    ({"score_mode": "delta"}, "'score_mode' parameter"),
    ({"score_mode": "change", "epsilon": 0.0}, "epsilon > 0"),
    ({"activation": "swish"}, "'activation' parameter"),
    ({"combine": "median"}, "'combine' parameter"),
    ({"standardize": "yes"}, "'standardize' parameter"),
])
def test_bad_levers(pyod_data, params, message, small_params):
    with pytest.raises(ValueError, match=message):
        SLA2PVariant(**{**small_params, **params}).fit(pyod_data[0][:50])


def test_average_combination(pyod_data, small_params):
    both = SLA2PVariant(combine="average", random_state=0, **small_params).fit(pyod_data[0])
    z = [(v.score(pyod_data[1], 64, torch.device("cpu")) - v.score_mean) / v.score_std
         for v in both.views_]
    assert_allclose(both.decision_function(pyod_data[1]), (z[0] + z[1]) / 2, rtol=1e-6)


def test_homogeneous_view_sees_magnitude(small_params):
    # Rows that differ only in length are identical to the direction view
    # and different to the homogeneous one.
    X = np.random.default_rng(0).normal(size=(200, 4))
    X_scaled = np.vstack([X[:5], 6 * X[:5]])
    kw = dict(random_state=0, standardize=False, **small_params)
    d = SLA2PVariant(views="direction", **kw).fit(X).decision_function(X_scaled)
    h = SLA2PVariant(views="homogeneous", **kw).fit(X).decision_function(X_scaled)
    assert_allclose(d[:5], d[5:], rtol=1e-5)
    assert (h[5:] > h[:5]).mean() >= 0.8


def test_bank_ensemble_averages_standardised_banks(pyod_data, small_params):
    clf = SLA2PVariant(random_state=0, views="both", n_banks=3, **small_params).fit(pyod_data[0])
    assert [v.name for v in clf.views_] == ["direction"] * 3 + ["homogeneous"] * 3
    # Independent seeds: the three banks of a view differ.
    banks = [v.projections.weights for v in clf.views_[:3]]
    assert not torch.allclose(banks[0], banks[1])
    assert not torch.allclose(banks[1], banks[2])
    # The score: the max over views of each view's mean standardised bank score.
    z = np.column_stack([(v.score(pyod_data[1], 64, torch.device("cpu")) - v.score_mean)
                         / v.score_std for v in clf.views_])
    expected = np.maximum(z[:, :3].mean(axis=1), z[:, 3:].mean(axis=1))
    assert_allclose(clf.decision_function(pyod_data[1]), expected, rtol=1e-6, atol=1e-6)


def test_scoring_levers_change_the_scores_of_one_trained_network(pyod_data, small_params):
    # The levers act at scoring time only: one fitted view, scored under
    # each setting, without refitting.
    view = SLA2P(random_state=0, views="direction", **small_params).fit(pyod_data[0]).views_[0]
    x = view.preprocessor.transform(pyod_data[1])
    base = dict(epsilon=0.05, score_function="log_prob", perturbation="relative")

    def scores(**kw):
        scorer = LeverPairScorer(**{**base, **kw})
        return score_rows(dataclasses.replace(view, scorer=scorer), x, batch_rows=32)

    reference = scores()
    for kw in (dict(temperature=2.0), dict(perturbation="sign"), dict(n_steps=3),
               dict(score_mode="change"), dict(score_function="brier")):
        assert not np.allclose(scores(**kw), reference), kw
