"""Issue 25: the fused forward (pyod_sla2p/fused.py) computes the network's function."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from pyod_sla2p import SLA2P
from pyod_sla2p.fused import FusedForward
from pyod_sla2p.scoring import PairScorer, pair_scores, score_rows


def _unfused(view, x):
    """Logits the plain way: project, then the folded network."""
    z = view.projections.project_all(x).reshape(x.shape[0] * view.projections.n_projections, -1)
    return view.network(z)


@pytest.fixture(scope="module")
def fitted(pyod_data):
    return SLA2P(random_state=0, n_projections=8, projection_dim=16,
                 hidden_dims=(24, 40, 12)).fit(pyod_data[0])


def test_fused_logits_equal_the_network_up_to_rounding(fitted, pyod_data):
    for view in fitted.views_:
        x = torch.as_tensor(view.preprocessor.transform(pyod_data[1]), dtype=torch.float32)
        fused = FusedForward.of(view.projections, view.network)
        assert fused is not None
        with torch.inference_mode():
            expected = _unfused(view, x)
            got = fused.logits(x)
        assert got.shape == expected.shape
        assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


def test_wide_inputs_are_projected_first_and_equal_the_network():
    # 60 features against r = 16, h1 = 24: folding would cost 61 * 25 per pair,
    # projecting first 61 * 17 + 17 * 25, so the projection stays its own product.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 60))
    clf = SLA2P(random_state=0, n_projections=8, projection_dim=16,
                hidden_dims=(24, 40, 12)).fit(X)
    for view in clf.views_:
        fused = FusedForward.of(view.projections, view.network)
        assert not fused.folded
        assert fused.first.shape == (view.projections.weights.shape[0] + 1, 8 * 17)
        x = torch.as_tensor(view.preprocessor.transform(X[:30]), dtype=torch.float32)
        with torch.inference_mode():
            assert_allclose(fused.logits(x).numpy(), _unfused(view, x).numpy(),
                            rtol=1e-4, atol=1e-4)


def test_narrow_inputs_are_folded(fitted):
    view = fitted.views_[0]
    assert FusedForward.of(view.projections, view.network).folded


def test_fused_buffers_are_reused_and_cut_to_each_chunk(fitted, pyod_data):
    view = fitted.views_[0]
    fused = FusedForward.of(view.projections, view.network)
    x = torch.as_tensor(view.preprocessor.transform(pyod_data[1]), dtype=torch.float32)
    with torch.inference_mode():
        whole = fused.logits(x[:10]).clone()
        short = fused.logits(x[:3]).clone()  # a short last chunk reuses the buffers
        again = fused.logits(x[:10])
    assert short.shape[0] == 3 * view.projections.n_projections
    assert torch.equal(whole, again)
    assert torch.equal(whole[:short.shape[0]], short)


def test_scores_do_not_depend_on_the_chunk_size(fitted, pyod_data):
    view = fitted.views_[1]
    x = view.preprocessor.transform(pyod_data[1])
    a = score_rows(view, x, batch_rows=7)
    b = score_rows(view, x, batch_rows=64)
    assert_allclose(a, b, rtol=0, atol=1e-6)


def test_perturbation_and_other_scorers_keep_the_general_path(fitted):
    view = fitted.views_[0]
    assert PairScorer(0.0, "log_prob").fused(view.projections, view.network) is not None
    assert PairScorer(1.0, "log_prob").fused(view.projections, view.network) is None

    class Other(PairScorer):
        pass

    assert Other(0.0, "log_prob").fused(view.projections, view.network) is None


def test_activations_that_do_not_keep_one_are_not_fused(fitted):
    view = fitted.views_[0]
    layers = list(view.network)
    layers[1] = torch.nn.Tanh()  # tanh(1) != 1: the ones column would not survive
    assert FusedForward.of(view.projections, torch.nn.Sequential(*layers)) is None


def test_a_network_that_is_not_a_sequential_is_not_fused(fitted):
    view = fitted.views_[0]
    assert FusedForward.of(view.projections, list(view.network)[0]) is None


def test_brier_scores_through_the_fused_path(pyod_data):
    clf = SLA2P(random_state=0, score_function="brier", n_projections=8,
                projection_dim=16).fit(pyod_data[0])
    view = clf.views_[0]
    x = torch.as_tensor(view.preprocessor.transform(pyod_data[1]), dtype=torch.float32)
    labels = torch.arange(8).repeat(x.shape[0])
    fused = FusedForward.of(view.projections, view.network)
    with torch.inference_mode():
        expected = pair_scores(_unfused(view, x), labels, "brier")
        got = pair_scores(fused.logits(x), labels, "brier")
    assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)
    assert np.isfinite(clf.decision_function(pyod_data[1])).all()


def test_fit_scores_the_subsampled_training_rows_once(pyod_data, monkeypatch):
    """With max_train_samples below n, the training rows' pair scores give
    their row scores; only the other rows are scored again, to the same values."""
    import pyod_sla2p.detector as detector

    scored = []

    def counting(view, x, batch_rows, verbose=False):
        scored.append(x.shape[0])
        return score_rows(view, x, batch_rows, verbose)

    monkeypatch.setattr(detector, "score_rows", counting)
    X = pyod_data[0]
    clf = SLA2P(random_state=0, max_train_samples=80, n_projections=8,
                projection_dim=16).fit(X)
    assert scored == [X.shape[0] - 80] * 2  # one call per view, the 120 other rows
    # Every row scored afresh gives what fit recorded.
    assert_allclose(clf.decision_scores_, clf.decision_function(X), rtol=0, atol=1e-6)


# ------------------------------------------------------------ bfloat16
def test_bfloat16_fused_forward_stays_close_to_float32(pyod_data):
    """The measured (and rejected) bfloat16 scoring of benchmarks/precision.py."""
    from scipy.stats import spearmanr

    from benchmarks.precision import bfloat16_scores

    clf = SLA2P(random_state=0).fit(pyod_data[0])
    full = clf.decision_function(pyod_data[1])
    half = bfloat16_scores(clf, pyod_data[1])
    assert not np.array_equal(full, half)  # it did compute in bfloat16
    assert spearmanr(full, half)[0] > 0.99
    assert_allclose(half, full, atol=0.1 * np.std(full))
    assert np.array_equal(clf.decision_function(pyod_data[1]), full)  # model untouched


def test_bfloat16_logits_are_in_bfloat16(fitted, pyod_data):
    view = fitted.views_[0]
    fused = FusedForward.of(view.projections, view.network, torch.bfloat16)
    x = torch.as_tensor(view.preprocessor.transform(pyod_data[1]), dtype=torch.float32)
    with torch.inference_mode():
        assert fused.logits(x).dtype == torch.bfloat16
        assert fused.first.dtype == torch.bfloat16


def test_a_fitted_view_builds_its_fused_forward_once(pyod_data, monkeypatch):
    import pickle

    clf = SLA2P(random_state=0, n_projections=8, projection_dim=16).fit(pyod_data[0])
    built = []
    original = FusedForward.of.__func__
    monkeypatch.setattr(FusedForward, "of",
                        classmethod(lambda cls, *a, **k: built.append(1) or original(cls, *a, **k)))
    first = clf.decision_function(pyod_data[1])
    second = clf.decision_function(pyod_data[1][:5])
    assert len(built) == len(clf.views_)  # once per view, not once per call
    assert np.array_equal(first[:5], second)
    # The cache is not pickled: a loaded model builds its own and scores the same.
    loaded = pickle.loads(pickle.dumps(clf))
    assert all(not v._fused for v in loaded.views_)
    assert np.array_equal(loaded.decision_function(pyod_data[1]), first)


def test_concurrent_scoring_of_one_model_does_not_share_buffers(pyod_data):
    from concurrent.futures import ThreadPoolExecutor

    clf = SLA2P(random_state=0, n_projections=8, projection_dim=16,
                score_batch_size=3).fit(pyod_data[0])
    expected = clf.decision_function(pyod_data[1])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: clf.decision_function(pyod_data[1]), range(8)))
    for got in results:
        assert np.array_equal(got, expected)
