"""SLA2P as a PyOD detector: the checks of PyOD's per-model tests, plus the
sklearn contract, reproducibility, persistence, bad input and batch
independence."""

import io
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from pyod_sla2p import SLA2P
from pyod_sla2p.detector import resolve_device


# ---------------------------------------------------------------- PyOD shape
def test_parameters(fitted):
    for attr in ("decision_scores_", "labels_", "threshold_", "_mu", "_sigma",
                 "n_features_in_", "views_", "params_"):
        assert hasattr(fitted, attr) and getattr(fitted, attr) is not None, attr
    assert fitted.n_features_in_ == 5
    direction, homogeneous = fitted.views_
    assert direction.projections.weights.shape == (5, 8, 8)
    # The homogeneous view sees one extra (constant) coordinate.
    assert homogeneous.projections.weights.shape == (6, 8, 8)


def test_train_scores(fitted, pyod_data):
    assert fitted.decision_scores_.shape == (pyod_data[0].shape[0],)
    assert np.isfinite(fitted.decision_scores_).all()
    # The threshold comes from PyOD's contamination rule.
    assert fitted.threshold_ == pytest.approx(
        np.percentile(fitted.decision_scores_, 90))
    assert fitted.labels_.sum() == pytest.approx(0.1 * len(fitted.labels_), abs=2)


def test_prediction_scores(fitted, pyod_data):
    X_test, y_test = pyod_data[1], pyod_data[3]
    scores = fitted.decision_function(X_test)
    assert scores.shape == (X_test.shape[0],)
    # generate_data's outliers are uniform noise around Gaussian inliers:
    # any working detector separates them.
    assert roc_auc_score(y_test, scores) > 0.9


def test_prediction_labels(fitted, pyod_data):
    pred = fitted.predict(pyod_data[1])
    assert pred.shape == (pyod_data[1].shape[0],)
    assert set(np.unique(pred)) <= {0, 1}


@pytest.mark.parametrize("method", ["linear", "unify"])
def test_prediction_proba(fitted, pyod_data, method):
    proba = fitted.predict_proba(pyod_data[1], method=method)
    assert proba.shape == (pyod_data[1].shape[0], 2)
    assert proba.min() >= 0 and proba.max() <= 1
    assert_allclose(proba.sum(axis=1), 1.0)


def test_prediction_proba_unknown_method(fitted, pyod_data):
    with pytest.raises(ValueError):
        fitted.predict_proba(pyod_data[1], method="something")


def test_predict_confidence(fitted, pyod_data):
    pred, conf = fitted.predict(pyod_data[1], return_confidence=True)
    assert pred.shape == conf.shape == (pyod_data[1].shape[0],)
    assert conf.min() >= 0 and conf.max() <= 1
    assert_allclose(fitted.predict_confidence(pyod_data[1]), conf)


def test_training_labels_match_predict(fitted, pyod_data):
    assert fitted.labels_.shape == (pyod_data[0].shape[0],)
    assert_array_equal(fitted.predict(pyod_data[0]), fitted.labels_)


def test_rank_by_contamination_object(pyod_data, small_params):
    class HalfAboveMedian:
        """A PyThresh-style thresholder: fit(scores), labels_, thresh_."""

        def fit(self, scores):
            self.thresh_ = float(np.median(scores))
            self.labels_ = (scores > self.thresh_).astype(int)
            return self

    clf = SLA2P(contamination=HalfAboveMedian(), random_state=0, **small_params).fit(pyod_data[0])
    assert clf.threshold_ == pytest.approx(np.median(clf.decision_scores_))
    assert clf.labels_.sum() == (clf.decision_scores_ > clf.threshold_).sum()


# ---------------------------------------------------------------- sklearn
def test_clone_and_params(fitted):
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params()
    assert not hasattr(twin, "decision_scores_")
    twin.set_params(epsilon=2.0, n_projections=4)
    assert twin.epsilon == 2.0 and twin.n_projections == 4


def test_init_stores_parameters_only():
    clf = SLA2P(n_projections=-5, acc_threshold=7, preset="nonsense")
    assert clf.n_projections == -5 and clf.preset == "nonsense"


def test_unfitted_raises(pyod_data):
    with pytest.raises(NotFittedError):
        SLA2P().decision_function(pyod_data[1])


# ---------------------------------------------------------------- reproducibility
def test_same_seed_same_scores(pyod_data, small_params):
    a = SLA2P(random_state=3, **small_params).fit(pyod_data[0])
    b = SLA2P(random_state=3, **small_params).fit(pyod_data[0])
    assert_array_equal(a.decision_scores_, b.decision_scores_)
    assert_array_equal(a.decision_function(pyod_data[1]), b.decision_function(pyod_data[1]))
    c = SLA2P(random_state=4, **small_params).fit(pyod_data[0])
    assert not np.array_equal(a.decision_scores_, c.decision_scores_)


@pytest.mark.parametrize("random_state", [0, None, np.random.default_rng(1)])
def test_global_rng_untouched(pyod_data, random_state, small_params):
    np_state = np.random.get_state()
    torch_state = torch.get_rng_state()
    clf = SLA2P(random_state=random_state, max_train_samples=50, **small_params).fit(pyod_data[0])
    clf.decision_function(pyod_data[1])
    after = np.random.get_state()
    assert np_state[0] == after[0] and np.array_equal(np_state[1], after[1])
    assert np_state[2:] == after[2:]
    assert torch.equal(torch_state, torch.get_rng_state())


def test_pickle_and_joblib_round_trip(fitted, pyod_data):
    expected = fitted.decision_function(pyod_data[1])
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.decision_function(pyod_data[1]), expected)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    assert_array_equal(joblib.load(buffer).decision_function(pyod_data[1]), expected)
    assert all(next(v.network.parameters()).device.type == "cpu"
               for v in restored.views_)


# ---------------------------------------------------------------- inputs
def test_dataframe_and_dtypes(pyod_data, small_params):
    X = np.round(pyod_data[0] * 10)
    base = SLA2P(random_state=0, **small_params).fit(X)
    as_df = SLA2P(random_state=0, **small_params).fit(pd.DataFrame(X, columns=list("abcde")))
    assert_array_equal(base.decision_scores_, as_df.decision_scores_)
    as_int = SLA2P(random_state=0, **small_params).fit(X.astype(np.int64))
    assert_array_equal(base.decision_scores_, as_int.decision_scores_)
    as_f32 = SLA2P(random_state=0, **small_params).fit(X.astype(np.float32))
    assert_allclose(base.decision_scores_, as_f32.decision_scores_, rtol=1e-5, atol=1e-6)
    assert_array_equal(base.decision_function(pd.DataFrame(X)), base.decision_scores_)


def test_constant_columns_and_duplicate_rows(small_params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    X[:, 1] = 3.0                       # constant column
    X = np.vstack([X, np.repeat(X[:1], 20, axis=0)])  # duplicates
    clf = SLA2P(random_state=0, **small_params).fit(X)
    assert np.isfinite(clf.decision_scores_).all()
    dup = clf.decision_scores_[60:]
    assert_allclose(dup, dup[0], rtol=1e-6)


BAD_INPUTS = {
    "nan": (np.array([[1.0, np.nan], [2.0, 3.0]]), "NaN"),
    "inf": (np.array([[1.0, np.inf], [2.0, 3.0]]), "infinite"),
    "one_d": (np.arange(5.0), "2-D"),
    "zero_rows": (np.empty((0, 3)), "0 samples"),
    "zero_cols": (np.empty((4, 0)), "0 features"),
    "strings": (np.array([["a", "b"], ["c", "d"]]), "Non-numeric"),
    "frame_with_text": (pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), "Non-numeric"),
    "frame_with_na": (pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64")}), "NaN"),
    "scalar": (3.0, "2-D array"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_in_fit(case, small_params):
    X, message = BAD_INPUTS[case]
    with pytest.raises(ValueError, match=message):
        SLA2P(**small_params).fit(X)


@pytest.mark.parametrize("case", ["nan", "one_d", "zero_rows", "strings"])
def test_bad_input_in_decision_function(fitted, case):
    X, message = BAD_INPUTS[case]
    with pytest.raises(ValueError, match=message):
        fitted.decision_function(X)


def test_feature_count_mismatch(fitted):
    with pytest.raises(ValueError, match="3 features, but SLA2P is expecting 5 features"):
        fitted.decision_function(np.ones((4, 3)))


@pytest.mark.parametrize("params, message", [
    ({"n_projections": 0}, "'n_projections' parameter"),
    ({"n_projections": 1}, "integer in \\[2, 65536\\]"),
    ({"projection_dim": 2.5}, "'projection_dim' parameter"),
    ({"acc_threshold": 1.5}, "'acc_threshold' parameter"),
    ({"epsilon": -1.0}, "'epsilon' parameter"),
    ({"epsilon": float("nan")}, "'epsilon' parameter"),
    ({"epsilon": 1e308}, "'epsilon' parameter"),
    ({"batch_size": 1}, "'batch_size' parameter"),
    ({"preset": "nonsense"}, "'preset' parameter"),
    ({"contamination": 0.7}, "'contamination' parameter"),
    ({"score_function": "entropy"}, "'score_function' parameter"),
    ({"hidden_dims": (16, -1)}, "'hidden_dims' parameter"),
    ({"hidden_dims": 64}, "'hidden_dims' parameter"),
    ({"score_batch_size": 0}, "'score_batch_size' parameter"),
    ({"views": "sideways"}, "'views' parameter"),
    ({"views": ()}, "'views' parameter"),
    ({"views": ["direction", "direction"]}, "'views' parameter"),
    ({"random_state": "seed"}, "'random_state' parameter"),
    ({"random_state": -1}, "'random_state' parameter"),
    ({"device": "tpu"}, "'device' parameter"),
    ({"epoch_num": 0}, "'epoch_num' parameter"),
    ({"max_train_samples": 0}, "'max_train_samples' parameter"),
    ({"verbose": -1}, "'verbose' parameter"),
    ({"optimizer_params": {"lr": float("inf")}}, "optimizer_params\\['lr'\\]"),
    ({"optimizer_params": {"lr": float("nan")}}, "optimizer_params\\['lr'\\]"),
    ({"optimizer_params": {"eps": float("inf")}}, "optimizer_params\\['eps'\\]"),
    ({"optimizer_params": {"weight_decay": float("nan")}},
     "optimizer_params\\['weight_decay'\\]"),
    ({"optimizer_params": {"weight_decay": -1.0}}, "optimizer_params\\['weight_decay'\\]"),
    ({"optimizer_params": {"momentum": 0.9}}, "Unknown key 'momentum'"),
    ({"optimizer_params": [("lr", 0.1)]}, "'optimizer_params' parameter"),
])
def test_bad_parameters(pyod_data, params, message, small_params):
    with pytest.raises(ValueError, match=message):
        SLA2P(**{**small_params, **params}).fit(pyod_data[0][:50])


def test_cuda_requested_without_cuda(pyod_data, small_params):
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(ValueError, match="CUDA is not available"):
            SLA2P(device="cuda", **small_params).fit(pyod_data[0][:50])
    assert resolve_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("auto") == resolve_device(None)


# ---------------------------------------------------------------- the method
def test_epsilon_zero_is_sla(pyod_data, small_params):
    from benchmarks.variants import SLA2PVariant

    # One view and no per-projection calibration: its scores are the raw
    # Brier distances (calibration centres each projection's training
    # scores at 0, whatever epsilon), so their scale compares.
    kwargs = dict(random_state=0, views="direction", score_function="brier",
                  calibrate=False, **small_params)
    sla = SLA2PVariant(epsilon=0.0, **kwargs).fit(pyod_data[0])
    sla2p = SLA2PVariant(epsilon=50.0, **kwargs).fit(pyod_data[0])
    # Same training (same seed), different scoring: the perturbation matters.
    assert [v.training_log.loss for v in sla.views_] == \
        [v.training_log.loss for v in sla2p.views_]
    assert not np.allclose(sla.decision_scores_, sla2p.decision_scores_)
    # Pushing against the prediction can only make the classifier worse on
    # average, so the mean distance to the true pseudo-label grows.
    assert sla2p.decision_scores_.mean() > sla.decision_scores_.mean()


@pytest.mark.parametrize("epsilon", [0.0, 5.0])
def test_scores_do_not_depend_on_batching(fitted, pyod_data, epsilon):
    clf = clone(fitted).set_params(epsilon=epsilon, score_batch_size=1000)
    clf.fit(pyod_data[0])
    X = pyod_data[1]
    whole = clf.decision_function(X)
    for rows in (1, 7, 32):
        clf.set_params(score_batch_size=rows)  # scoring-time knob: no refit
        assert_allclose(clf.decision_function(X), whole, rtol=1e-5, atol=2e-5)
    perm = np.random.default_rng(0).permutation(len(X))
    assert_allclose(clf.decision_function(X[perm]), whole[perm], rtol=1e-5, atol=2e-5)
    alone = np.array([clf.decision_function(X[i:i + 1])[0] for i in range(5)])
    assert_allclose(alone, whole[:5], rtol=1e-5, atol=2e-5)
    # A row scored beside very different rows keeps its score.
    mixed = np.vstack([X[:3], 100 * np.ones((5, X.shape[1]))])
    assert_allclose(clf.decision_function(mixed)[:3], whole[:3], rtol=1e-5, atol=2e-5)


def test_max_train_samples_caps_training(pyod_data, monkeypatch, small_params):
    trained_on = []
    original = SLA2P._train

    def spy(self, network, x, *args, **kwargs):
        trained_on.append(x.shape[0])
        return original(self, network, x, *args, **kwargs)

    monkeypatch.setattr(SLA2P, "_train", spy)
    clf = SLA2P(random_state=0, max_train_samples=40, **small_params).fit(pyod_data[0])
    assert trained_on == [40, 40]                       # one per view
    assert clf.decision_scores_.shape == (pyod_data[0].shape[0],)  # all rows scored
    SLA2P(random_state=0, max_train_samples=None, **small_params).fit(pyod_data[0])
    assert trained_on[2:] == [len(pyod_data[0])] * 2


def test_paper_preset_and_overrides():
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = SLA2P(preset="paper", n_projections=4, projection_dim=4,
                epoch_num=1, random_state=0).fit(X)
    p = clf.params_
    assert (p["n_projections"], p["projection_dim"]) == (4, 4)  # explicit wins
    assert p["acc_threshold"] == 0.6 and p["epsilon"] == pytest.approx(1000 / 128)
    assert p["standardize"] is False
    assert [v.name for v in clf.views_] == ["direction"]
    assert clf.views_[0].preprocessor.mean_ is None


def test_verbose_shows_progress(pyod_data, capsys, small_params):
    SLA2P(random_state=0, verbose=1, **small_params).fit(pyod_data[0][:60])
    err = capsys.readouterr().err
    assert "SLA2P training" in err and "SLA2P scoring" in err


@pytest.mark.parametrize("views", ["direction", "homogeneous", "both",
                                   ["homogeneous", "direction"]])
def test_views(pyod_data, views, small_params):
    clf = SLA2P(random_state=0, views=views, **small_params).fit(pyod_data[0])
    expected = views if isinstance(views, list) else {
        "direction": ["direction"], "homogeneous": ["homogeneous"],
        "both": ["direction", "homogeneous"]}[views]
    assert [v.name for v in clf.views_] == list(expected)
    assert roc_auc_score(pyod_data[3], clf.decision_function(pyod_data[1])) > 0.9


def _view_scores(clf, X):
    rows = clf._score_batch_rows(clf.params_)
    return [v.score(X, rows, resolve_device("cpu")) for v in clf.views_]


def test_two_views_combine_standardised_scores(pyod_data, small_params):
    both = SLA2P(views="both", random_state=0, **small_params).fit(pyod_data[0])
    z = [(s - v.score_mean) / v.score_std
         for v, s in zip(both.views_, _view_scores(both, pyod_data[1]))]
    assert_allclose(both.decision_function(pyod_data[1]), np.maximum(*z), rtol=1e-6)
    # Each view's statistics are those of its own training scores.
    train_raw = _view_scores(both, pyod_data[0])[0]
    assert both.views_[0].score_mean == pytest.approx(train_raw.mean())
    assert both.views_[0].score_std == pytest.approx(train_raw.std())


def test_one_view_keeps_the_raw_scale(pyod_data, small_params):
    from benchmarks.variants import SLA2PVariant

    single = SLA2P(random_state=0, views="direction", **small_params).fit(pyod_data[0])
    assert_allclose(single.decision_scores_, _view_scores(single, pyod_data[0])[0], rtol=1e-6)
    # Without the per-projection calibration the view's scores are mean
    # log-probabilities, never negative; standardised ones would be.
    raw = SLA2PVariant(random_state=0, views="direction", calibrate=False,
                       **small_params).fit(pyod_data[0])
    assert_allclose(raw.decision_scores_, _view_scores(raw, pyod_data[0])[0], rtol=1e-6)
    assert raw.decision_scores_.min() >= 0


def test_network_is_folded_once_and_never_moved(fitted, pyod_data):
    for view in fitted.views_:
        assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in view.network.modules())
    before = [next(v.network.parameters()) for v in fitted.views_]
    fitted.decision_function(pyod_data[1])
    assert [next(v.network.parameters()) for v in fitted.views_] == before


@pytest.mark.parametrize("epsilon", [0.0, 1.0])
def test_scoring_memory_is_bounded_by_the_chunk(pyod_data, monkeypatch, small_params, epsilon):
    # Scoring must never project more than score_batch_size rows at once
    # (rows x M x r values), whatever the number of rows scored: through the
    # fused forward (epsilon = 0) or the general loop.
    from pyod_sla2p.fused import FusedForward
    from pyod_sla2p.projections import ProjectionBank

    clf = SLA2P(random_state=0, epsilon=epsilon, **small_params).fit(pyod_data[0])
    seen = []
    cls, name = (FusedForward, "logits") if epsilon == 0 else (ProjectionBank, "project_all")
    original = getattr(cls, name)

    def spy(self, x):
        seen.append(x.shape[0])
        return original(self, x)

    monkeypatch.setattr(cls, name, spy)
    X_big = np.tile(pyod_data[1], (20, 1))  # 2000 rows
    clf.set_params(score_batch_size=16)
    scores = clf.decision_function(X_big)
    assert max(seen) <= 16 and sum(seen) == 2 * len(X_big)  # two views
    assert_allclose(scores[:100], scores[100:200], rtol=1e-6, atol=1e-7)


def test_failed_refit_leaves_the_fitted_model(fitted, pyod_data, monkeypatch):
    clf = clone(fitted).fit(pyod_data[0])
    before = clf.decision_function(pyod_data[1])

    def broken(*args, **kwargs):
        raise RuntimeError("training failed")

    monkeypatch.setattr(SLA2P, "_fit_view", broken)
    with pytest.raises(RuntimeError, match="training failed"):
        clf.fit(pyod_data[0][:50])
    assert_array_equal(clf.decision_function(pyod_data[1]), before)
    assert len(clf.decision_scores_) == len(pyod_data[0])
