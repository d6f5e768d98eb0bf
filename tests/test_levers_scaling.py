"""Issue 26's per-feature scaling levers, guarded and trimmed (benchmarks/levers/preprocessing.py)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from benchmarks.levers.preprocessing import (
    WhiteningPreprocessor,
    trimmed_statistics,
    winsorized_statistics,
)
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
def test_the_guarded_variant_meets_the_issues_table(big):
    """Row 1 (6 in every feature) in the top 3 of rows 1-99. SLA2P now leaves
    the gross row 0 out of its standardisation first, so the guard has nothing
    left to do on this table."""
    X = _dominated(big)
    prep = WhiteningPreprocessor(scaling="guarded").fit(X)
    assert not prep.guarded_.any()
    scores = SLA2PVariant(scaling="guarded", random_state=0).fit(X).decision_scores_[1:]
    assert int((scores > scores[0]).sum()) + 1 <= 3
    assert len(np.unique(scores)) >= 95


@pytest.mark.parametrize("scaling", ["guarded", "trimmed"])
def test_per_feature_scalings_act_on_a_feature_one_row_dominates(scaling):
    """One row extreme in one feature of five is not a gross row; the
    per-feature levers still rescale that feature by the other rows."""
    X = np.random.default_rng(5).normal(size=(300, 5))
    X[0, 2] = 1e6
    prep = WhiteningPreprocessor(scaling=scaling).fit(X)
    assert_array_equal(prep.guarded_, [False, False, True, False, False])
    others = np.delete(X[:, 2], 0)
    assert abs(prep.scale_[2] * prep.unit_[2] / others.std() - 1) < 0.1
    plain = RowPreprocessor().fit(X)
    assert_array_equal(prep.scale_[[0, 1, 3, 4]], plain.scale_[[0, 1, 3, 4]])


def test_trimmed_statistics_leave_out_the_farthest_rows():
    X = _dominated(1e300)
    unit, mean, scale, spread = trimmed_statistics(X)
    assert spread.all()
    plain = np.random.default_rng(0).normal(size=(100, 5))
    # Row 0 left out of every feature; row 1 (6.0) is the next farthest but stays.
    kept = np.vstack([[6.0] * 5, plain[2:]])
    assert_allclose(mean * unit, kept.mean(axis=0), rtol=1e-12)
