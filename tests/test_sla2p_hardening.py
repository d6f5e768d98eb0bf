"""What a hostile user tried (issue 12, detector items 1-7): each case ends
in finite, meaningful scores or in an error that says what was wrong."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pyod_sla2p import SLA2P


# ------------------------------------------------ 1. extreme magnitudes
@pytest.mark.parametrize("factor", [1e300, 1e-300, 1e160])
def test_extreme_magnitudes_keep_the_ranking(pyod_data, factor, small_params):
    X, y = pyod_data[0], pyod_data[2]
    reference = SLA2P(random_state=0, **small_params).fit(X).decision_scores_
    scaled = SLA2P(random_state=0, **small_params).fit(X * factor)
    scores = scaled.decision_scores_
    assert np.isfinite(scores).all() and np.ptp(scores) > 0
    assert 0 < scaled.labels_.sum() < len(X)
    # Standardisation makes the scale irrelevant: the same ranking quality.
    assert roc_auc_score(y, scores) == pytest.approx(roc_auc_score(y, reference), abs=0.02)


def test_a_few_huge_rows_are_the_outliers(pyod_data, small_params):
    X = pyod_data[0].copy()
    X[:3] *= 1e160                      # a column's variance would overflow
    clf = SLA2P(random_state=0, **small_params).fit(X)
    assert np.isfinite(clf.decision_scores_).all()
    assert set(np.argsort(clf.decision_scores_)[-3:]) == {0, 1, 2}


def test_values_near_the_float_limit(pyod_data, small_params):
    X = pyod_data[0].copy()
    X[0, 0], X[1, 1] = 1.7e308, -1.7e308
    clf = SLA2P(random_state=0, **small_params).fit(X)
    assert np.isfinite(clf.decision_scores_).all()
    assert clf.labels_[0] == clf.labels_[1] == 1
    # Scoring rows far outside the training range stays finite, too.
    assert np.isfinite(clf.decision_function(pyod_data[1] * 1e300)).all()


def test_scores_are_checked_after_fit_and_scoring(pyod_data, monkeypatch, small_params):
    import pyod_sla2p.detector as detector_module
    import pyod_sla2p.views as views_module

    clf = SLA2P(random_state=0, **small_params).fit(pyod_data[0])
    monkeypatch.setattr(views_module, "score_rows",
                        lambda *a, **k: np.full(a[1].shape[0], np.nan))
    with pytest.raises(ValueError, match="non-finite score"):
        clf.decision_function(pyod_data[1])
    monkeypatch.setattr(views_module, "score_rows", lambda *a, **k: np.ones(a[1].shape[0]))
    # With the calibration (the default), fit reduces the training rows' pair
    # scores itself instead of scoring them again.
    monkeypatch.setattr(detector_module, "mean_over_projections",
                        lambda pairs, *a, **k: np.ones(pairs.shape[0]))
    with pytest.raises(ValueError, match="same score"):
        SLA2P(random_state=0, **small_params).fit(pyod_data[0])


# ---------------------------------------- 2. non-finite hyperparameters
@pytest.mark.parametrize("params", [
    {"optimizer_params": {"lr": float("inf")}},
    {"optimizer_params": {"weight_decay": float("nan")}},
    {"optimizer_params": {"eps": float("inf")}},
    {"epsilon": 1e308},
])
def test_non_finite_or_absurd_floats_are_rejected_before_training(pyod_data, params, small_params):
    with pytest.raises(ValueError, match="must be .*finite number"):
        SLA2P(**small_params, **params).fit(pyod_data[0])


# --------------------------------------------------- 3. atomic refit
def test_numpy_float_contamination(pyod_data, small_params):
    as_float = SLA2P(contamination=0.1, random_state=0, **small_params).fit(pyod_data[0])
    as_f32 = SLA2P(contamination=np.float32(0.1), random_state=0, **small_params).fit(pyod_data[0])
    assert as_f32.threshold_ == pytest.approx(as_float.threshold_)
    assert_array_equal(as_f32.labels_, as_float.labels_)
    assert_array_equal(as_f32.predict(pyod_data[1]), as_float.predict(pyod_data[1]))
    assert_allclose(as_f32.predict_confidence(pyod_data[1]), as_float.predict_confidence(pyod_data[1]))


def test_failing_thresholder_leaves_the_previous_model(pyod_data, small_params):
    class Flaky:
        """Fits once, then fails (a PyThresh-style thresholder)."""

        calls = 0

        def fit(self, scores):
            Flaky.calls += 1
            if Flaky.calls > 1:
                raise RuntimeError("thresholder failed")
            self.thresh_ = float(np.median(scores))
            self.labels_ = (scores > self.thresh_).astype(int)
            return self

        def predict(self, scores):
            return (scores > self.thresh_).astype(int)

    clf = SLA2P(contamination=Flaky(), random_state=0, **small_params).fit(pyod_data[0])
    state = (clf.decision_scores_.copy(), clf.threshold_, clf.labels_.copy(), clf.params_)
    with pytest.raises(RuntimeError, match="thresholder failed"):
        clf.set_params(n_projections=4).fit(pyod_data[0][:50])
    assert_array_equal(clf.decision_scores_, state[0])
    assert clf.threshold_ == state[1] and clf.params_ is state[3]
    assert_array_equal(clf.labels_, state[2])
    assert clf.views_[0].projections.n_projections == 8


# ---------------------------------------------------- 4. degenerate data
def test_identical_rows_are_a_clear_error_not_an_endless_fit(small_params):
    X = np.tile([1.0, 2, 3, 4, 5], (60, 1))
    with pytest.raises(ValueError, match="identical"):
        SLA2P(random_state=0, **small_params).fit(X)


def test_one_sample_is_a_clear_error(small_params):
    with pytest.raises(ValueError, match="at least 2 samples.*1 sample"):
        SLA2P(**small_params).fit(np.ones((1, 3)))


def test_training_log_records_why_it_stopped(fitted):
    assert all(v.training_log.stop_reason == "threshold" for v in fitted.views_)


# ------------------------------------------------- 5. PyThresh objects
def test_a_pythresh_thresholder_is_not_asked_for_its_parameters(pyod_data, small_params):
    from pythresh.thresholds.ocsvm import OCSVM

    clf = SLA2P(contamination=OCSVM(), random_state=0, **small_params).fit(pyod_data[0])
    assert not [k for k in clf.params_ if "__" in k]
    assert set(np.unique(clf.predict(pyod_data[1]))) <= {0, 1}
    assert clf.predict_proba(pyod_data[1]).shape == (len(pyod_data[1]), 2)


# --------------------------------------------- 6. no shadowed score()
def test_sklearn_tools_see_no_score_method(pyod_data, small_params):
    X = pyod_data[0]
    assert not hasattr(SLA2P(), "score")
    with pytest.raises(AttributeError, match="score"):
        make_pipeline(StandardScaler(), SLA2P(random_state=0, **small_params)).fit(X).score(X)
    with pytest.raises(TypeError, match="score"):
        cross_validate(SLA2P(random_state=0, **small_params), X, pyod_data[2], cv=2)


# ------------------------------------------------------ 7. input checks
def test_sparse_input_says_it_is_sparse(fitted, pyod_data, small_params):
    with pytest.raises(TypeError, match="Sparse data.*dense"):
        SLA2P(**small_params).fit(sp.csr_matrix(pyod_data[0]))
    with pytest.raises(TypeError, match="Sparse data"):
        fitted.decision_function(sp.csr_matrix(pyod_data[1]))


def test_dataframe_column_names_are_kept_and_checked(pyod_data, small_params):
    columns = list("abcde")
    frame = pd.DataFrame(pyod_data[0], columns=columns)
    clf = SLA2P(random_state=0, **small_params).fit(frame)
    assert list(clf.feature_names_in_) == columns
    test = pd.DataFrame(pyod_data[1], columns=columns)
    assert_array_equal(clf.decision_function(test),
                       clf.decision_function(pyod_data[1]))
    with pytest.raises(ValueError, match="feature names should match.*order"):
        clf.decision_function(test[list("edcba")])
    with pytest.raises(ValueError, match="unseen at fit time: \\['z'\\]"):
        clf.decision_function(test.rename(columns={"a": "z"}))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.decision_function(pyod_data[1])
    # Refitting on an array forgets the names.
    assert not hasattr(clf.fit(pyod_data[0]), "feature_names_in_")


def test_every_public_method_takes_array_likes(fitted, pyod_data):
    rows = pyod_data[1][:5].tolist()
    expected = fitted.decision_function(pyod_data[1][:5])
    assert_allclose(fitted.decision_function(rows), expected)
    assert_array_equal(fitted.predict(rows), fitted.predict(pyod_data[1][:5]))
    assert fitted.predict_proba(rows).shape == (5, 2)
    assert fitted.predict_proba(rows, method="unify").shape == (5, 2)
    assert fitted.predict_confidence(rows).shape == (5,)


def test_confidence_and_probabilities_match_pyod(fitted, pyod_data):
    from pyod.models.base import BaseDetector

    X = pyod_data[1]
    assert_allclose(fitted.predict_confidence(X), BaseDetector.predict_confidence(fitted, X))
    for method in ("linear", "unify"):
        assert_allclose(fitted.predict_proba(X, method=method),
                        BaseDetector.predict_proba(fitted, X, method=method))


@pytest.mark.parametrize("y", ["continuous", "three_classes"])
def test_y_is_ignored(pyod_data, y, small_params):
    X = pyod_data[0]
    target = (np.linspace(0, 1, len(X)) if y == "continuous"
              else np.arange(len(X)) % 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning: y is documented as ignored
        clf = SLA2P(random_state=0, **small_params).fit(X, target)
    plain = SLA2P(random_state=0, **small_params).fit(X)
    assert_array_equal(clf.decision_scores_, plain.decision_scores_)
    assert clf.predict_proba(pyod_data[1]).shape == (len(pyod_data[1]), 2)


@pytest.mark.parametrize("X, error, message", [
    (np.empty((0, 3)), ValueError, "0 sample"),
    (np.empty((12, 0)), ValueError, "0 feature\\(s\\) \\(shape=\\(12, 0\\)\\)"),
    (np.ones((5, 2)) + 1j, ValueError, "Complex data not supported"),
    (np.array([[1.0, {"a": 1}], [2.0, 3.0]], dtype=object), TypeError,
     "argument must be a string.* number"),
])
def test_messages_that_sklearn_checks_expect(X, error, message, small_params):
    with pytest.raises(error, match=message):
        SLA2P(**small_params).fit(X)


# ------------------------------------------- issue 26: a hostile user's findings
def test_masked_values_are_refused_not_read(small_params):
    """Item 1: a masked entry's hidden value must not be used as data."""
    X = np.random.default_rng(0).normal(size=(60, 4))
    masked = np.ma.masked_array(X.copy(), mask=np.zeros_like(X, dtype=bool))
    masked[0, 0] = 1e10
    masked.mask[0, 0] = True
    with pytest.raises(ValueError, match=r"masked array with 1 masked value.*filled"):
        SLA2P(**small_params).fit(masked)
    # Without masked entries a masked array is just its data.
    plain = np.ma.masked_array(X, mask=False)
    a = SLA2P(random_state=0, **small_params).fit(plain).decision_scores_
    assert_allclose(a, SLA2P(random_state=0, **small_params).fit(X).decision_scores_)


def test_saturated_scores_that_label_no_row_are_an_error():
    """Item 2: brier with a huge epsilon ties most rows at the top; say so."""
    X = np.random.default_rng(0).normal(size=(100, 5))
    with pytest.raises(ValueError, match=r"tie at the highest score.*lower epsilon"):
        SLA2P(score_function="brier", epsilon=1e6, random_state=0).fit(X)


def test_contamination_set_after_fit_is_checked_and_used(pyod_data, small_params):
    """Item 3: whatever may change after fit is checked where it is used."""
    clf = SLA2P(random_state=0, **small_params).fit(pyod_data[0])
    for bad in (5, "x"):
        clf.set_params(contamination=bad)
        for method in (clf.predict, clf.predict_confidence, clf.predict_proba):
            with pytest.raises(ValueError, match="'contamination' parameter of SLA2P"):
                method(pyod_data[1])
    clf.set_params(contamination=0.3)
    labels = clf.predict(pyod_data[0])
    assert clf.labels_.mean() == pytest.approx(0.3, abs=0.01)
    assert labels.mean() == pytest.approx(0.3, abs=0.01)
    assert np.unique(clf.predict_confidence(pyod_data[1])).size > 2
    clf.set_params(device="nonsense")
    with pytest.raises(ValueError, match="'device' parameter of SLA2P"):
        clf.decision_function(pyod_data[1])


@pytest.mark.parametrize("params, message", [
    ({"n_projections": 65536, "projection_dim": 8}, "GiB|multiply-adds"),
    ({"n_projections": 4096, "projection_dim": 4096}, "multiply-adds per training epoch"),
    ({"projection_dim": 65536}, "GiB"),
    ({"hidden_dims": [65536, 65536]}, "GiB"),
])
def test_settings_beyond_the_machine_are_refused_before_allocating(params, message):
    """Item 5: estimate memory and work first; refuse with why and what would run."""
    import time

    X = np.random.default_rng(0).normal(size=(100, 5))
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message) as info:
        SLA2P(**params).fit(X)
    assert time.perf_counter() - start < 30
    assert "Lower n_projections" in str(info.value)


def test_budget_accepts_the_defaults_and_the_paper_preset():
    from pyod_sla2p.budget import estimate
    from pyod_sla2p.defaults import resolve_settings

    for preset, rows, width in ((None, 10000, 769), ("paper", 2000, 275)):
        settings = resolve_settings(SLA2P(preset=preset).get_params(deep=False), rows)
        memory, work = estimate(settings, rows, width, 4096)
        assert memory < 2 ** 30 and work < 2e13


def test_same_score_messages_say_what_happened():
    """Item 6: too few rows, or a collapsed training, not 'identical rows'."""
    X = np.random.default_rng(0).normal(size=(100, 5))
    with pytest.raises(ValueError, match="2 distinct rows there are too few"):
        SLA2P(random_state=0).fit(X[:2])
    with pytest.raises(ValueError, match=r"training collapsed.*lr=9.9, weight_decay=9.9"):
        SLA2P(random_state=0, optimizer_params={"lr": 9.9, "weight_decay": 9.9}).fit(X)


# --------------------------------------------------- issue 27: devices
@pytest.mark.parametrize("as_object", [False, True])
def test_mps_is_accepted_where_torch_has_it_and_refused_alike_where_not(monkeypatch,
                                                                       as_object):
    import torch

    from pyod_sla2p.detector import resolve_device

    device = torch.device("mps") if as_object else "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="MPS is not available"):
        resolve_device(device)
    with pytest.raises(ValueError, match="MPS is not available"):
        SLA2P(device=device).fit(np.random.default_rng(0).normal(size=(20, 3)))
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device(device) == torch.device("mps")


@pytest.mark.parametrize("device", ["meta", "tpu", "cpu:x"])
def test_unknown_devices_are_refused_alike_as_string_and_object(device):
    import torch

    for value in (device, _device_or_none(torch, device)):
        if value is None:
            continue
        with pytest.raises(ValueError, match="'device' parameter of SLA2P"):
            SLA2P(device=value).fit(np.random.default_rng(0).normal(size=(20, 3)))


def _device_or_none(torch, name):
    try:
        return torch.device(name)
    except (RuntimeError, ValueError):
        return None
