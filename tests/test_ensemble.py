"""SLA2P in an ensemble (benchmarks/ensemble.py): the averaged standardised
scores, the estimator contract, and the registry entries the runner uses."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from benchmarks.__main__ import main
from benchmarks.ensemble import SLA2PEnsemble
from benchmarks.registry import REGISTRY
from benchmarks.resultsfile import read_rows
from benchmarks.specs import resolve_detectors

SMALL = {"n_projections": 8, "projection_dim": 8, "acc_threshold": 0.5}


@pytest.fixture(scope="module", params=["iforest", "knn"])
def fitted(request, pyod_data):
    return SLA2PEnsemble(partner=request.param, random_state=0, sla2p_params=SMALL).fit(
        pyod_data[0])


def _standardised(members, X, train):
    scores = np.column_stack([m.decision_function(X) for m in members])
    return ((scores - train.mean(axis=0)) / train.std(axis=0)).mean(axis=1)


def test_scores_are_the_mean_of_scores_standardised_on_the_training_rows(fitted, pyod_data):
    X_train, X_test = pyod_data[0], pyod_data[1]
    sla2p, partner = fitted.detectors_
    train = np.column_stack([sla2p.decision_scores_, partner.decision_scores_])
    expected = ((train - train.mean(axis=0)) / train.std(axis=0)).mean(axis=1)
    np.testing.assert_allclose(fitted.decision_scores_, expected)
    # New rows are scaled with the training statistics, not their own.
    scores = fitted.decision_function(X_test)
    np.testing.assert_allclose(scores, _standardised(fitted.detectors_, X_test, train))
    assert abs(scores.mean()) > 1e-3 or abs(scores.std() - 1) > 1e-3
    # A row's score does not depend on the rows scored with it (up to float32 rounding).
    np.testing.assert_allclose(fitted.decision_function(X_test[:1]), scores[:1], atol=1e-5)
    assert fitted.n_features_in_ == X_train.shape[1]


def test_it_finds_the_outliers_and_labels_like_a_pyod_detector(fitted, pyod_data):
    from sklearn.metrics import roc_auc_score

    _, X_test, y_train, y_test = pyod_data
    assert roc_auc_score(y_test, fitted.decision_function(X_test)) > 0.9
    assert fitted.labels_.shape == y_train.shape and set(np.unique(fitted.labels_)) <= {0, 1}
    assert fitted.labels_.sum() == pytest.approx(0.1 * len(y_train), abs=2)
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2) and np.all((proba >= 0) & (proba <= 1))
    assert fitted.predict(X_test).shape == y_test.shape


def test_both_members_get_the_seed_and_defaults(fitted):
    # The same random_state for both (SLA2P's own tests check that a seed fixes its scores).
    sla2p, partner = fitted.detectors_
    assert type(sla2p).__name__ == "SLA2P" and sla2p.random_state == 0
    assert sla2p.n_projections == 8  # sla2p_params
    assert type(partner).__name__ == {"iforest": "IForest", "knn": "KNN"}[fitted.partner]
    if fitted.partner == "iforest":
        assert partner.random_state == 0
        assert partner.n_estimators == 100  # PyOD's default
    else:
        assert partner.n_neighbors == 5  # PyOD's default


def test_clone_and_pickle(fitted, pyod_data):
    X_test = pyod_data[1]
    fresh = clone(fitted)
    assert fresh.get_params() == fitted.get_params()
    assert not hasattr(fresh, "detectors_")
    with pytest.raises(NotFittedError):
        fresh.decision_function(X_test)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.decision_function(X_test), fitted.decision_function(X_test))


@pytest.mark.parametrize("params, message", [
    ({"partner": "lof"}, "partner must be one of 'iforest', 'knn', 'ecod', got 'lof'"),
    ({"contamination": 0.7}, "contamination must be in (0, 0.5], got 0.7"),
])
def test_bad_parameters_fail_in_fit(params, message, pyod_data):
    detector = SLA2PEnsemble(**params)  # __init__ stores only
    with pytest.raises(ValueError) as err:
        detector.fit(pyod_data[0])
    assert message in str(err.value)


def test_wrong_feature_count_is_refused(fitted, pyod_data):
    with pytest.raises(ValueError, match="X has 4 features, but SLA2PEnsemble was fitted with 5"):
        fitted.decision_function(pyod_data[1][:, :4])


def test_the_registry_entries_resolve():
    resolved = resolve_detectors("sla2p+iforest,sla2p+knn,sla2p+ecod")
    assert [(d.label, d.kwargs, d.seed_param) for d in resolved] == [
        ("sla2p+iforest", {"partner": "iforest"}, "random_state"),
        ("sla2p+knn", {"partner": "knn"}, "random_state"),
        ("sla2p+ecod", {"partner": "ecod"}, "random_state")]
    assert REGISTRY["sla2p+knn"].estimator == "benchmarks.ensemble:SLA2PEnsemble"


def test_the_runner_runs_it(tmp_path):
    small = "{'n_projections': 8, 'projection_dim': 8}"
    out = tmp_path / "run"
    rc = main(["--suite", "builtin", "--datasets", "wine",
               "--detectors", f"sla2p+iforest:sla2p_params={small},knn", "--seeds", "0",
               "--out", str(out), "--n-jobs", "1", "--no-progress", "--no-report"])
    assert rc == 0
    rows = {r["detector"]: r for r in read_rows(out / "results.csv")}
    assert rows["sla2p+iforest"]["status"] == "ok", rows["sla2p+iforest"]["error"]
    assert 0.5 < float(rows["sla2p+iforest"]["roc_auc"]) <= 1.0
