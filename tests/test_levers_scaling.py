"""Issue 26's guarded scaling lever (benchmarks/levers/preprocessing.py)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from benchmarks.levers.preprocessing import WhiteningPreprocessor, winsorized_statistics
from benchmarks.variants import SLA2PVariant
from pyod_sla2p.preprocessing import RowPreprocessor


def _dominated(big, n=100, d=5):
    X = np.random.default_rng(0).normal(size=(n, d))
    X[0], X[1] = big, 6.0
    return X


def test_winsorized_statistics_ignore_the_extreme_row():
    unit, mean, scale = winsorized_statistics(_dominated(1e300))
    plain = np.random.default_rng(0).normal(size=(100, 5))[2:]
    assert np.all(np.abs(mean * unit - plain.mean(axis=0)) < 0.3)
    assert np.all((scale * unit > 0.5) & (scale * unit < 2.0))


def test_guard_leaves_features_without_dominating_rows_alone():
    X = np.random.default_rng(1).normal(size=(300, 6))
    guarded = WhiteningPreprocessor(scaling="guarded").fit(X)
    assert not guarded.guarded_.any()
    assert_array_equal(guarded.transform(X), RowPreprocessor().fit(X).transform(X))


@pytest.mark.parametrize("big", [1e3, 1e6, 1e10, 1e300])
def test_one_extreme_row_no_longer_blinds_the_guarded_variant(big):
    """The issue's table: row 1 (6 in every feature) in the top 3 of rows 1-99."""
    X = _dominated(big)
    prep = WhiteningPreprocessor(scaling="guarded").fit(X)
    assert prep.guarded_.all()
    scores = SLA2PVariant(scaling="guarded", random_state=0).fit(X).decision_scores_[1:]
    assert int((scores > scores[0]).sum()) + 1 <= 3
    assert len(np.unique(scores)) >= 95
