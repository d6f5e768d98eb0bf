"""SLA2P.explain and SLA2P.explain_outlier (issue 24).

Small settings (8 projections of width 8, accuracy stop 0.5) keep the fits
fast; the guarantees checked here do not depend on the model's quality.
"""

import copy
import functools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError

from pyod_sla2p import SLA2P
from pyod_sla2p.explain import METHODS, OutlierExplanation, differentiable_score

SMALL = dict(n_projections=8, projection_dim=8, acc_threshold=0.5)
CONFIGS = {
    "default": {},
    "epsilon": {"epsilon": 5.0},
    "brier": {"score_function": "brier"},
    "direction only": {"views": "direction"},
    "paper preset": {"preset": "paper"},
}


def _rows(n=300, d=6, seed=0):
    """Correlated rows: features 0-2 share a factor, 3-5 are independent."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 1] = X[:, 0] + 0.2 * rng.normal(size=n)
    X[:, 2] = X[:, 0] + 0.2 * rng.normal(size=n)
    return X * np.arange(1, d + 1) + 10.0  # features in different units and offsets


@functools.lru_cache(maxsize=None)
def _fitted(config="default", random_state=0, device="cpu"):
    """A fit on ``_rows()``, shared by the tests (they never change it)."""
    return SLA2P(random_state=random_state, device=device, **SMALL,
                 **CONFIGS[config]).fit(_rows())


@pytest.fixture(scope="module")
def X():
    return _rows()


@pytest.fixture(scope="module")
def clf():
    return _fitted()


@pytest.fixture(scope="module")
def test_rows(X):
    rows = X[:12].copy()
    rows[::3, 4] += 40.0  # some extreme values
    return rows


def _training_mean(X):
    return X.mean(axis=0)


# ------------------------------------------------------------ shapes, names
@pytest.mark.parametrize("method", METHODS)
def test_shape_dtype_and_finite(clf, test_rows, method):
    out = clf.explain(test_rows, method=method)
    assert isinstance(out, np.ndarray)
    assert out.shape == test_rows.shape and out.dtype == np.float64
    assert np.all(np.isfinite(out))


def test_dataframe_in_gives_dataframe_out_with_names_and_index(X, test_rows):
    names = [f"f_{j}" for j in range(X.shape[1])]
    clf = SLA2P(random_state=0, device="cpu", **SMALL).fit(pd.DataFrame(X, columns=names))
    frame = pd.DataFrame(test_rows, columns=names, index=[f"r{i}" for i in range(len(test_rows))])
    out = clf.explain(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == names and list(out.index) == list(frame.index)
    np.testing.assert_array_equal(out.to_numpy(), clf.explain(test_rows))
    with pytest.raises(ValueError, match="columns"):
        clf.explain(frame[names[::-1]])


def test_dataframe_on_a_model_fitted_without_names_keeps_its_columns(clf, test_rows):
    frame = pd.DataFrame(test_rows, columns=[f"c{j}" for j in range(test_rows.shape[1])])
    out = clf.explain(frame)
    assert list(out.columns) == list(frame.columns)
    np.testing.assert_array_equal(out.to_numpy(), clf.explain(test_rows))


def test_list_input_is_accepted(clf, test_rows):
    np.testing.assert_array_equal(clf.explain(test_rows.tolist()), clf.explain(test_rows))


# -------------------------------------------------------------- guarantees
@pytest.mark.parametrize("config", list(CONFIGS))
def test_differentiable_score_reproduces_decision_function(test_rows, config):
    clf = _fitted(config)
    score = differentiable_score(clf)
    with torch.no_grad():
        ours = score(torch.as_tensor(test_rows)).numpy()
    np.testing.assert_allclose(ours, clf.decision_function(test_rows), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_occlusion_is_the_score_drop_with_the_feature_at_its_reference(X, test_rows, config):
    """The stated guarantee, against decision_function itself."""
    clf = _fitted(config)
    # Without standardisation the reference is the origin, else the training mean.
    reference = np.zeros(X.shape[1]) if config == "paper preset" else _training_mean(X)
    out = clf.explain(test_rows)
    full = clf.decision_function(test_rows)
    for j in range(X.shape[1]):
        changed = test_rows.copy()
        changed[:, j] = reference[j]
        np.testing.assert_allclose(out[:, j], full - clf.decision_function(changed),
                                   rtol=1e-5, atol=1e-5)


def test_occlusion_with_a_given_baseline(clf, X, test_rows):
    median = np.median(X, axis=0)
    out = clf.explain(test_rows, baseline=median)
    changed = test_rows.copy()
    changed[:, 3] = median[3]
    np.testing.assert_allclose(out[:, 3], clf.decision_function(test_rows)
                               - clf.decision_function(changed), rtol=1e-5, atol=1e-5)
    assert not np.allclose(out, clf.explain(test_rows))  # the baseline matters


def test_gradient_is_the_derivative_of_decision_function_times_the_deviation(clf, X, test_rows):
    rows = test_rows[:4]
    out = clf.explain(rows, method="gradient")
    reference = _training_mean(X)
    step = 1e-4 * X.std(axis=0)  # small against each feature's spread, in its units
    derivative = np.empty_like(rows)
    for j in range(rows.shape[1]):
        up, down = rows.copy(), rows.copy()
        up[:, j] += step[j]
        down[:, j] -= step[j]
        derivative[:, j] = (clf.decision_function(up)
                            - clf.decision_function(down)) / (2 * step[j])
    np.testing.assert_allclose(out, derivative * (rows - reference), rtol=5e-2, atol=5e-3)


def test_same_random_state_gives_the_same_explanations(X, test_rows):
    a = _fitted(random_state=3).explain(test_rows)
    b = SLA2P(random_state=3, device="cpu", **SMALL).fit(X).explain(test_rows)
    np.testing.assert_array_equal(a, b)
    c = _fitted(random_state=4).explain(test_rows)
    assert not np.allclose(a, c)  # the seed does reach the model


@pytest.mark.parametrize("method", METHODS)
def test_rows_are_explained_independently_of_batch_and_order(clf, X, method):
    rows = X[:40]
    whole = clf.explain(rows, method=method)
    order = np.random.default_rng(1).permutation(len(rows))
    np.testing.assert_allclose(clf.explain(rows[order], method=method), whole[order],
                               rtol=1e-6, atol=1e-6)
    one_by_one = np.vstack([clf.explain(rows[i:i + 1], method=method) for i in range(5)])
    np.testing.assert_allclose(one_by_one, whole[:5], rtol=1e-6, atol=1e-6)


# The share of rows whose planted feature gets the largest contribution; chance
# is 1/6. Gradient x input, a local account, is held to a lower bar.
@pytest.mark.parametrize("method, at_least", [("occlusion", 0.9), ("gradient", 0.6)])
def test_a_planted_extreme_feature_is_found(method, at_least):
    X = _rows(n=400, seed=5)
    clf = SLA2P(random_state=0, device="cpu", **SMALL).fit(X)
    rng = np.random.default_rng(6)
    rows = _rows(n=30, seed=7)
    planted = rng.integers(0, X.shape[1], size=len(rows))
    sd = X.std(axis=0)
    rows[np.arange(len(rows)), planted] += rng.choice([-1, 1], size=len(rows)) * 8 * sd[planted]
    top = clf.explain(rows, method=method).argmax(axis=1)
    assert np.mean(top == planted) >= at_least


# ----------------------------------------------------------------- errors
def test_unfitted_model_raises_not_fitted(test_rows):
    with pytest.raises(NotFittedError, match="fit"):
        SLA2P(**SMALL).explain(test_rows)
    with pytest.raises(NotFittedError, match="fit"):
        SLA2P(**SMALL).explain_outlier(0, test_rows)


def test_wrong_width_raises(clf, test_rows):
    with pytest.raises(ValueError, match="5 features, but this SLA2P was fitted with 6"):
        clf.explain(test_rows[:, :5])
    with pytest.raises(ValueError, match="reshape"):
        clf.explain(test_rows[0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_raises(clf, test_rows, bad):
    rows = test_rows.copy()
    rows[2, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinite.*Impute"):
        clf.explain(rows)
    with pytest.raises(ValueError, match="NaN or infinite"):
        clf.explain(test_rows, baseline=rows[2])


def test_bad_method_and_baseline_raise(clf, test_rows):
    with pytest.raises(ValueError, match="method must be one of"):
        clf.explain(test_rows, method="shap")
    with pytest.raises(ValueError, match="baseline must be one row of 6"):
        clf.explain(test_rows, baseline=np.zeros(5))
    with pytest.raises(ValueError, match="baseline must be one row of 6"):
        clf.explain(test_rows, baseline=np.zeros((3, 6)))


def test_a_score_that_is_not_reproduced_is_refused(X, test_rows, monkeypatch):
    clf = SLA2P(random_state=0, device="cpu", **SMALL).fit(X)  # patched: not the shared fit
    real = clf.decision_function
    monkeypatch.setattr(clf, "decision_function", lambda rows: real(rows) + 0.5)
    with pytest.raises(RuntimeError, match="differs from decision_function"):
        clf.explain(test_rows)


# --------------------------------------------------------- explain_outlier
def test_explain_outlier_returns_the_numbers(clf, test_rows):
    result = clf.explain_outlier(3, test_rows, plot=False)
    assert isinstance(result, OutlierExplanation) and result.ax is None
    np.testing.assert_allclose(result.contributions, clf.explain(test_rows)[3],
                               rtol=1e-6, atol=1e-9)
    assert result.score == pytest.approx(clf.decision_function(test_rows[3:4])[0])
    assert result.label == clf.predict(test_rows[3:4])[0]
    assert result.cutoffs == (1 - clf.contamination, 0.99)
    expected = np.quantile(clf.explain(test_rows), result.cutoffs, axis=0)
    np.testing.assert_allclose(result.cutoff_bands, expected, rtol=1e-6, atol=1e-9)
    names = [name for name, _ in result.ranking()]
    assert names[0] == result.feature_names[int(np.argmax(result.contributions))]
    assert clf.explain_outlier(-1, test_rows, plot=False).index == len(test_rows) - 1


def test_explain_outlier_draws_bars_and_saves(clf, test_rows, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = clf.explain_outlier(0, test_rows, columns=[4, "x1"],
                                 feature_names=["big", "small"],
                                 file_name=str(tmp_path / "row0"))
    bars = result.ax.patches
    assert len(bars) == 2
    np.testing.assert_allclose([b.get_height() for b in bars],
                               result.contributions[[4, 1]], rtol=1e-6)
    assert [t.get_text() for t in result.ax.get_xticklabels()] == ["big", "small"]
    assert (tmp_path / "row0.png").stat().st_size > 0
    plt.close("all")


def test_explain_outlier_errors(clf, test_rows):
    with pytest.raises(ValueError, match="does not keep its training rows"):
        clf.explain_outlier(0)
    for ind in (len(test_rows), -len(test_rows) - 1):
        with pytest.raises(ValueError, match="out of range.*pass an index"):
            clf.explain_outlier(ind, test_rows, plot=False)
    with pytest.raises(IndexError):
        clf.explain_outlier(99, test_rows, plot=False)
    with pytest.raises(ValueError, match="integer row index"):
        clf.explain_outlier(1.5, test_rows, plot=False)
    with pytest.raises(ValueError, match="feature_names has 2 names"):
        clf.explain_outlier(0, test_rows, feature_names=["a", "b"], plot=False)
    with pytest.raises(ValueError, match="cutoffs"):
        clf.explain_outlier(0, test_rows, cutoffs=[1.5], plot=False)


def test_importing_the_package_imports_neither_matplotlib_nor_captum():
    code = ("import sys, pyod_sla2p; "
            "print(sorted(m for m in ('matplotlib', 'captum', 'shap') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------- devices
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="CUDA is not available"))]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", METHODS)
def test_the_same_model_explains_alike_on_each_device(test_rows, device, method):
    clf = _fitted(device=device)
    assert differentiable_score(clf).device.type == device
    out = clf.explain(test_rows, method=method)
    on_cpu = copy.deepcopy(clf).set_params(device="cpu")
    np.testing.assert_allclose(out, on_cpu.explain(test_rows, method=method),
                               rtol=1e-4, atol=1e-4)


# ------------------------------------------------ the benchmark's planting
def test_benchmark_plants_what_it_says():
    from benchmarks.explain import Context, gaussian_inliers, plant, precision_at_k, split

    rng = np.random.default_rng(0)
    train, pool = split(gaussian_inliers(6, rng, n=600), rng)
    context = Context(train)
    rows, mask = plant("extreme", 2, 20, pool, train, context, rng)
    assert mask.sum(axis=1).tolist() == [2] * 20
    assert np.all(np.abs(rows[mask]) >= 5) and np.all(np.abs(rows[mask]) <= 8)
    rows, mask = plant("contextual", 1, 20, pool, train, context, rng)
    low, high = np.quantile(train, [0.05, 0.95], axis=0)
    for x, m in zip(rows, mask):
        j = int(np.flatnonzero(m)[0])
        assert context.r2[j] >= 0.5 and low[j] <= x[j] <= high[j]
        assert abs(x[j] - context.predict(x, j)) >= 3 * context.residual_sd[j]
    # precision@k: the share of the planted features among the k largest values.
    planted = np.array([[True, False, True, False]])
    assert precision_at_k(np.array([[0.9, 0.1, 0.8, 0.2]]), planted)[0] == 1.0
    assert precision_at_k(np.array([[0.9, 0.8, 0.1, 0.2]]), planted)[0] == 0.5


def test_explain_outlier_refuses_an_unknown_option():
    X = np.random.default_rng(0).normal(size=(60, 4))
    clf = SLA2P(random_state=0, **SMALL).fit(X)
    with pytest.raises(TypeError, match=r"unexpected option\(s\) \['colums'\]"):
        clf.explain_outlier(0, X, colums=[1], plot=False)
