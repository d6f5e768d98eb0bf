"""Issue 26: one extreme row must not blind SLA2P (pyod_sla2p.preprocessing.gross_rows)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from pyod_sla2p import SLA2P
from pyod_sla2p.preprocessing import RowPreprocessor, gross_rows


def _dominated(big, n=100, d=5):
    """The issue's data: row 0 set to ``big`` in every feature, row 1 to 6.0."""
    X = np.random.default_rng(0).normal(size=(n, d))
    X[0], X[1] = big, 6.0
    return X


@pytest.mark.parametrize("big", [1e3, 1e6, 1e10, 1e300])
def test_one_extreme_row_no_longer_blinds_the_defaults(big):
    """The issue's table: row 1 in the top 3 of rows 1-99, which keep >= 95 distinct scores.

    Before the fix row 1 ranked 99, 57, 96 and 99 (every row tied at 1e300).
    """
    scores = SLA2P(random_state=0).fit(_dominated(big)).decision_scores_
    rest = scores[1:]
    assert 1 + int(np.sum(rest > rest[0])) <= 3
    assert len(np.unique(rest)) >= 95
    assert scores[0] == scores.max()  # the extreme row itself still ranks first


@pytest.mark.parametrize("big", [1e3, 1e300, -1e300])
def test_the_extreme_row_is_found_and_left_out_of_the_standardisation(big):
    X = _dominated(big)
    assert_array_equal(np.flatnonzero(gross_rows(X)), [0])
    prep = RowPreprocessor().fit(X)
    assert_array_equal(prep.gross_rows_, [0])
    plain = RowPreprocessor().fit(X[1:])
    assert_array_equal(prep.mean_ * prep.unit_, plain.mean_ * plain.unit_)
    assert np.isfinite(prep.transform(X)).all()


def test_rows_without_a_dominating_row_are_standardised_as_before():
    """No gross row: the statistics of every row, bit for bit."""
    X = np.random.default_rng(1).standard_t(3, size=(500, 8))
    assert not gross_rows(X).any()
    prep = RowPreprocessor().fit(X)
    assert prep.gross_rows_.size == 0
    unit = prep.unit_
    assert_array_equal(prep.mean_, (X / unit).mean(axis=0))
    assert_array_equal(prep.scale_, (X / unit).std(axis=0))


def test_a_row_dominating_few_features_is_not_gross():
    """Sparse features (one image lighting one channel) are not a gross row:
    excluding such rows feature by feature cost the image family ROC-AUC."""
    X = np.random.default_rng(2).normal(size=(200, 10))
    X[5, :3] = 1e4  # 3 of 10 features
    X[7, 3] = 1e6
    assert not gross_rows(X).any()


def test_a_feature_whose_other_rows_are_equal_is_not_dominated():
    """A one-hot column (one row set) squeezes nothing: the others are all equal."""
    X = np.zeros((50, 4))
    X[0] = 1.0
    X[:, 3] = np.random.default_rng(3).normal(size=50)
    assert not gross_rows(X).any()


def test_few_rows_have_no_gross_row():
    assert not gross_rows(np.array([[0.0, 1.0], [1e300, 1e300]])).any()
    X = np.array([[0.0, 0.0], [1.0, 0.5], [1e12, 1e12]])
    assert_array_equal(gross_rows(X), [False, False, True])


def test_several_gross_rows_on_large_data():
    """Up to a share of 0.1 % of the rows may be gross at once."""
    X = np.random.default_rng(4).normal(size=(5000, 6))
    X[[10, 20, 30]] = 1e8
    assert_array_equal(np.flatnonzero(gross_rows(X)), [10, 20, 30])
