"""Benchmark protocols: identical, deterministic splits for every detector."""


import numpy as np
import pytest
from sklearn.model_selection import train_test_split


from benchmarks.cell import CellSpec, run_cell_in_process
from benchmarks.metrics import CellError, score_metrics
from benchmarks.protocols import TEST_SIZE, make_split


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4)) * [1.0, 10.0, 100.0, 0.1] + [0.0, 5.0, -3.0, 1.0]
    y = (rng.random(150) < 0.1).astype(np.int64)
    y[:3] = 1
    return X, y


def test_inductive_is_pyods_protocol(xy):
    X, y = xy
    s = make_split(X, y, "inductive", seed=3)
    X_tr, X_te, _, y_te = train_test_split(X, y, test_size=TEST_SIZE, random_state=3)
    mu, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    np.testing.assert_allclose(s.X_fit, (X_tr - mu) / sd)
    np.testing.assert_allclose(s.X_score, (X_te - mu) / sd)  # train statistics
    np.testing.assert_array_equal(s.y_score, y_te)
    assert s.X_score.shape[0] == 60 and not s.score_fitted_rows


def test_splits_are_deterministic_and_seeded(xy):
    X, y = xy
    a, b = make_split(X, y, "inductive", 0), make_split(X, y, "inductive", 0)
    np.testing.assert_array_equal(a.X_fit, b.X_fit)
    np.testing.assert_array_equal(a.y_score, b.y_score)
    c = make_split(X, y, "inductive", 1)
    assert not np.array_equal(a.X_score, c.X_score)


def test_transductive_scores_the_fitted_rows(xy):
    X, y = xy
    s0, s1 = make_split(X, y, "transductive", 0), make_split(X, y, "transductive", 1)
    assert s0.score_fitted_rows and s0.X_fit is s0.X_score
    np.testing.assert_allclose(s0.X_fit, (X - X.mean(axis=0)) / X.std(axis=0))
    np.testing.assert_array_equal(s0.y_score, y)
    np.testing.assert_array_equal(s0.X_fit, s1.X_fit)  # the seed only seeds the detector


def test_unknown_protocol(xy):
    with pytest.raises(ValueError, match="unknown protocol"):
        make_split(*xy, "semi", 0)


def test_score_metrics_by_hand():
    y = np.array([0, 0, 0, 1, 1, 0])
    scores = np.array([0.1, 0.4, 0.35, 0.8, 0.3, 0.2])
    m = score_metrics(y, scores)
    # Positives 0.8 and 0.3: 0.8 beats all 4 negatives, 0.3 beats 2 (0.1, 0.2).
    assert m["roc_auc"] == pytest.approx(6 / 8)
    # Ranking: 0.8(+), 0.4, 0.35, 0.3(+): AP = (1/1 + 2/4) / 2.
    assert m["average_precision"] == pytest.approx(0.75)
    assert m["precision_at_n"] == pytest.approx(0.5)  # top 2: 0.8(+), 0.4(-)
    with pytest.raises(CellError, match="non-finite scores: 2 of 6"):
        score_metrics(y, np.array([np.nan, 1, 2, np.inf, 3, 4]))
    with pytest.raises(CellError, match="single class"):
        score_metrics(np.zeros(6, int), scores)


def _spec(detector, estimator, tmp_path, xy, **kw):
    X, y = xy
    path = tmp_path / "toy.npz"
    np.savez(path, X=X, y=y)
    return CellSpec(dataset="toy", source=str(path), data_dir=None, detector=detector,
                    estimator=estimator, kwargs=kw, params_json="{}",
                    seed_param="random_state", n_features_param=None, protocol="inductive",
                    seed=5, timeout=60)


def test_every_detector_sees_the_same_rows(tmp_path, xy):
    """Two detectors in two cells get the split that make_split gives for the seed."""
    split = make_split(*xy, "inductive", 5)
    a = run_cell_in_process(_spec("mean", "benchmarks.testing:MeanDistance", tmp_path, xy))
    b = run_cell_in_process(_spec("iforest", "pyod.models.iforest:IForest", tmp_path, xy))
    for out in (a, b):
        assert out["status"] == "ok", out["error"]
        assert (out["n_train"], out["n_test"]) == (90, 60)
        assert out["n_outliers_test"] == int(split.y_score.sum())
    from benchmarks.testing import MeanDistance
    expected = score_metrics(split.y_score, MeanDistance().fit(split.X_fit).decision_function(
        split.X_score))
    assert a["roc_auc"] == expected["roc_auc"]
