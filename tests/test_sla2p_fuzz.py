"""Property-based fuzzing of SLA2P's inputs and parameters (hypothesis).

Whatever the shape, dtype, magnitude, NaN/inf positions or parameter values,
``fit`` plus ``decision_function`` either returns finite scores of the right
shape or raises a ValueError/TypeError whose message names the problem.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyod_sla2p import SLA2P

# Words one of which every error message must contain, so that it names
# what was wrong (a parameter, or a property of X).
_NAMED = ("parameter", "optimizer_params", "NaN", "infinite", "sample", "feature",
          "2-D", "identical", "same score", "Non-numeric", "Complex", "epsilon")

PARAMETER_VALUES = {
    "n_projections": st.sampled_from([2, 3, 8, "auto", 1, 0, -3, 2.5, None, "8"]),
    "projection_dim": st.sampled_from([1, 4, 8, "auto", 0, -1, 1.5, "x"]),
    "hidden_dims": st.sampled_from(["auto", (8,), (4, 4), 64, (8, 0), (), "wide"]),
    "acc_threshold": st.sampled_from([0.3, 0.5, 0.99, "auto", 0.0, 1.0, -0.1,
                                      float("nan"), float("inf")]),
    "epsilon": st.sampled_from([0.0, 0.5, 7.8125, "auto", -1.0, float("nan"),
                                float("inf"), 1e308, 1e6]),
    "views": st.sampled_from(["auto", "both", "direction", "homogeneous",
                              ["homogeneous"], [], "sideways"]),
    "score_function": st.sampled_from(["auto", "brier", "log_prob", "score"]),
    "batch_size": st.sampled_from([2, 16, 128, 1, 0, 3.0]),
    "optimizer_params": st.sampled_from([None, {"lr": 1e-2}, {"lr": float("inf")},
                                         {"weight_decay": float("nan")},
                                         {"eps": 0.0}, {"beta": 1}, "adam"]),
    "max_train_samples": st.sampled_from([None, 5, 10000, 0, -5]),
    "score_batch_size": st.sampled_from(["auto", 1, 7, 0, "big"]),
    "contamination": st.sampled_from([0.1, 0.5, np.float32(0.05), 0.0, 0.7, "x"]),
    "random_state": st.sampled_from([0, 7, None, -1, 2 ** 40, "seed"]),
}


@st.composite
def matrices(draw):
    n = draw(st.integers(0, 30))
    d = draw(st.integers(0, 5))
    magnitude = 10.0 ** draw(st.integers(-300, 300))
    X = np.random.default_rng(draw(st.integers(0, 2 ** 16))).normal(size=(n, d)) * magnitude
    if draw(st.booleans()) and X.size:
        X = np.round(X / magnitude) * magnitude  # ties and duplicated rows
    if draw(st.booleans()) and X.size:
        pos = draw(st.integers(0, X.size - 1))
        X.flat[pos] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    kind = draw(st.sampled_from(["float64", "float32", "int64", "bool", "object",
                                 "list", "1d"]))
    with np.errstate(over="ignore", invalid="ignore"):
        if kind == "float32":
            return X.astype(np.float32)
        if kind == "int64":
            return np.nan_to_num(X).clip(-1e18, 1e18).astype(np.int64)
        if kind == "bool":
            return X > 0
        if kind == "object":
            return X.astype(object)
        if kind == "list":
            return X.tolist()
        if kind == "1d":
            return X.ravel()
    return X


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(X=matrices(), params=st.fixed_dictionaries({}, optional=PARAMETER_VALUES))
def test_fit_and_score_succeed_or_say_why(X, params):
    clf = SLA2P(epoch_num=3, **params)
    try:
        clf.fit(X)
        scores = clf.decision_function(X)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert any(word in message for word in _NAMED), message
        return
    assert scores.shape == (np.asarray(X).shape[0],)
    assert np.isfinite(scores).all()
    assert np.isfinite(clf.decision_scores_).all()
    assert set(np.unique(clf.labels_)) <= {0, 1}


def test_the_fuzzer_reaches_both_outcomes():
    # Guard against a strategy that only ever produces errors (or never does).
    outcomes = set()

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(X=matrices())
    def run(X):
        try:
            SLA2P(n_projections=4, projection_dim=4, epoch_num=3).fit(X)
            outcomes.add("fitted")
        except (ValueError, TypeError):
            outcomes.add("error")

    run()
    assert outcomes == {"fitted", "error"}


if __name__ == "__main__":  # pragma: no cover - a longer run by hand
    pytest.main([__file__, "--hypothesis-show-statistics"])
