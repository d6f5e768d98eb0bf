"""Issue 15's scoring levers: per-projection calibration, the centre score
space (GOAD) and the view rule from the data, through SLA2PVariant."""

import copy
import pickle

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import kurtosis
from sklearn.base import clone

from benchmarks.variants import LEVERS, SLA2PVariant
from benchmarks.levers.scoring import LeverPairScorer, projection_centres, split_head
from pyod_sla2p.defaults import VIEWS
from pyod_sla2p.network import build_classifier, fold_batchnorm
from pyod_sla2p.projections import ProjectionBank
from pyod_sla2p.scoring import (
    PairScorer,
    mean_over_projections,
    pair_score_matrix,
    pair_statistics,
    score_rows,
)
from test_scoring import scoring_view
from benchmarks.levers.viewrule import (
    HEAVY_TAIL_SHARE,
    LIGHT_TAIL_SHARE,
    MIN_TAIL_ROWS,
    choose_views,
    data_statistics,
    views_from_statistics,
)

LEVER_SETTINGS = {
    "calibrate": {"calibrate": True},
    # The package's scores before issue 15 made calibration the default.
    "uncalibrated": {"calibrate": False},
    "centre": {"score_space": "centre", "calibrate": False},
    "centre_perturbed_calibrated": {"score_space": "centre", "calibrate": True, "epsilon": 5.0},
    "view_rule": {"view_rule": "data"},
}


def _gaussian(n=1000, d=8, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def _planted_extremes(n=1000, d=8, seed=0):
    # 3 % of the rows carry values 12 standard deviations out in two features:
    # extreme values in a few features, the outliers the defaults miss.
    X = _gaussian(n, d, seed)
    rng = np.random.default_rng(seed + 1)
    X[:30, :2] += 12.0 * rng.choice([-1.0, 1.0], size=(30, 2))
    return X


@pytest.fixture(scope="module")
def fitted_levers(pyod_data, small_params):
    """One SLA2PVariant per lever setting, fitted on pyod_data's training rows."""
    return {name: SLA2PVariant(random_state=0, **small_params, **lever).fit(pyod_data[0])
            for name, lever in LEVER_SETTINGS.items()}


def test_levers_are_variant_parameters_with_the_default_behaviour():
    assert {"calibrate", "score_space", "view_rule"} <= set(LEVERS)
    twin = clone(SLA2PVariant(calibrate=True, score_space="centre", view_rule="data"))
    assert (twin.calibrate, twin.score_space, twin.view_rule) == (True, "centre", "data")
    defaults = SLA2PVariant()
    assert (defaults.calibrate, defaults.score_space, defaults.view_rule) == \
        ("auto", "softmax", "none")
    # "auto" resolves to the package's defaults, and off under the paper preset.
    X = _gaussian(100, 8)
    resolved = defaults._resolve_settings(X)
    assert (resolved["calibrate"], resolved["whiten"]) == (True, False)
    paper = SLA2PVariant(preset="paper")._resolve_settings(X)
    assert (paper["calibrate"], paper["whiten"]) == (False, False)


def test_calibration_is_the_default_and_not_the_paper_presets(fitted_levers, fitted,
                                                              pyod_data, small_params):
    X_train, X_test = pyod_data[0], pyod_data[1]
    assert_array_equal(fitted.decision_function(X_test),
                       fitted_levers["calibrate"].decision_function(X_test))
    assert all(v.pair_calibration is not None for v in fitted.views_)
    paper = SLA2PVariant(preset="paper", random_state=0, **small_params).fit(X_train)
    assert all(v.pair_calibration is None for v in paper.views_)


# ------------------------------------------------------------- calibrate
def test_calibrated_pairs_have_zero_mean_and_unit_std_per_projection(pyod_data, small_params,
                                                                     fitted_levers):
    X = pyod_data[0]
    clf = fitted_levers["calibrate"]
    for view in clf.views_:
        mean, std = view.pair_calibration
        assert mean.shape == std.shape == (small_params["n_projections"],)
        pairs = pair_score_matrix(view, view.preprocessor.transform(X),
                                  batch_rows=32).astype(np.float64)
        calibrated = (pairs - mean) / std
        assert_allclose(calibrated.mean(axis=0), 0.0, atol=1e-5)
        assert_allclose(calibrated.std(axis=0), 1.0, rtol=1e-5)
        # The projections differ before calibration, so it is not a no-op.
        assert np.ptp(pairs.mean(axis=0)) > 0.1 * pairs.std()
        # The view's score is the mean calibrated pair score; its own training
        # statistics are those of these calibrated scores.
        assert_allclose(view.score(X, 32, torch.device("cpu")),
                        calibrated.mean(axis=1), rtol=1e-5, atol=1e-6)
        assert view.score_mean == pytest.approx(0.0, abs=1e-6)
        assert view.score_std == pytest.approx(np.std(calibrated.mean(axis=1)), rel=1e-5)
    # decision_function uses the same statistics as fit.
    assert_allclose(clf.decision_function(X), clf.decision_scores_, rtol=1e-5, atol=1e-5)


def test_pair_statistics_guard_constant_projections():
    # Columns: a real spread, a constant, and a spread of one float32 step
    # (rounding noise) that must not be blown up to unit variance.
    step = np.spacing(np.float32(5.0))
    pairs = np.array([[1.0, 2.0, 5.0], [5.0, 2.0, 5.0 + step]], dtype=np.float32)
    mean, std = pair_statistics(pairs)
    assert_allclose(mean, [3.0, 2.0, 5.0 + step / 2])
    assert_array_equal(std, [2.0, 1.0, 1.0])
    rows = mean_over_projections(pairs, (mean, std))
    assert_allclose(rows, [-1.0 / 3, 1.0 / 3], atol=1e-6)
    assert np.isfinite(rows).all()


def test_calibration_is_the_standardised_mean_in_score_rows():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                              torch.nn.Linear(5, 4)).eval()
    bank = ProjectionBank.draw(4, 6, 3, seed=1)
    x = np.random.default_rng(2).normal(size=(9, 6)).astype(np.float32)
    view = scoring_view(net, bank, PairScorer(0.0, "log_prob"))
    pairs = pair_score_matrix(view, x, batch_rows=4).astype(np.float64)
    mean, std = np.array([0.1, -0.2, 0.3, 0.0]), np.array([2.0, 0.5, 1.0, 4.0])
    got = score_rows(scoring_view(net, bank, view.scorer, (mean, std)), x, batch_rows=4)
    assert_allclose(got, ((pairs - mean) / std).mean(axis=1), rtol=1e-6)
    # Without calibration: the plain mean, as before the lever existed.
    assert_allclose(score_rows(view, x, batch_rows=4), pairs.mean(axis=1),
                    rtol=1e-6)


# ---------------------------------------------------------------- centre
def _tiny_network():
    """Linear(2, 3) -> LeakyReLU(0.1) -> Linear(3, 2), with fixed weights."""
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.1),
                              torch.nn.Linear(3, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25]]))
        net[0].bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
        net[2].weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 1.0, 2.0]]))
        net[2].bias.copy_(torch.tensor([0.0, 0.1]))
    return net.eval()


def test_centre_score_matches_hand_computation():
    A = np.array([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25]])
    b = np.array([0.1, -0.2, 0.3])
    W = np.array([[[1.0, 0.0], [0.0, 2.0]],      # W_0: (d=2, r=2)
                  [[0.5, -1.0], [1.0, 1.0]]])    # W_1
    x_train = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, -1.0], [-0.6, 0.8]])
    x_test = np.array([[0.0, 1.0], [2.0, -1.0], [0.3, 0.3]])

    def hidden(x, m):
        pre = (x @ W[m]) @ A.T + b
        return np.where(pre > 0, pre, 0.1 * pre)

    centres = np.stack([hidden(x_train, m).mean(axis=0) for m in range(2)])
    expected = np.mean([((hidden(x_test, m) - centres[m]) ** 2).sum(axis=1)
                        for m in range(2)], axis=0)

    net = _tiny_network()
    bank = ProjectionBank(torch.tensor(W, dtype=torch.float32).permute(1, 0, 2))
    got_centres = projection_centres(net, x_train.astype(np.float32), bank, batch_rows=3)
    assert_allclose(got_centres.numpy(), centres, rtol=1e-6)
    centre = scoring_view(net, bank, LeverPairScorer(0.0, "log_prob", centres=got_centres))
    got = score_rows(centre, x_test.astype(np.float32), batch_rows=2)
    assert_allclose(got, expected, rtol=1e-5)
    # The centre score is not the softmax score.
    softmax = scoring_view(net, bank, PairScorer(0.0, "log_prob"))
    assert not np.allclose(got, score_rows(softmax, x_test.astype(np.float32), batch_rows=2))


def test_split_head_of_a_folded_classifier():
    net = fold_batchnorm(build_classifier(4, 3, (6, 5), seed=0).eval())
    body, head = split_head(net)
    assert isinstance(head, torch.nn.Linear) and head.in_features == 5
    z = torch.randn(7, 4)
    with torch.no_grad():
        assert body(z).shape == (7, 5)
        assert torch.equal(head(body(z)), net(z))
    assert not body.training
    with pytest.raises(ValueError, match="ending with an nn.Linear"):
        split_head(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()))


def test_centre_lever_stores_training_centres(pyod_data, small_params, fitted_levers):
    clf = fitted_levers["centre"]
    for view in clf.views_:
        x = view.preprocessor.transform(pyod_data[0])
        body, _ = split_head(view.network)
        with torch.no_grad():
            z = view.projections.project_all(torch.as_tensor(x, dtype=torch.float32))
            expected = body(z.reshape(-1, z.shape[-1])).view(len(x), z.shape[1], -1).mean(0)
        assert view.scorer.centres.shape == expected.shape
        assert torch.allclose(view.scorer.centres, expected, rtol=1e-5, atol=1e-6)
        assert view.pair_calibration is None
    assert fitted_levers["calibrate"].views_[0].scorer.centres is None


# ------------------------------------------------------------- view rule
def test_view_rule_picks_homogeneous_for_extreme_values_and_direction_for_gaussian():
    heavy = data_statistics(_planted_extremes())
    light = data_statistics(_gaussian())
    assert heavy["tail_share_quantile"] >= HEAVY_TAIL_SHARE
    assert light["tail_share_quantile"] <= LIGHT_TAIL_SHARE
    assert views_from_statistics(heavy) == ("homogeneous",)
    assert views_from_statistics(light) == ("direction",)
    assert choose_views(_planted_extremes()) == ("homogeneous",)
    assert choose_views(_gaussian()) == ("direction",)


def test_view_rule_keeps_both_views_when_undecided():
    between = (LIGHT_TAIL_SHARE + HEAVY_TAIL_SHARE) / 2
    assert views_from_statistics({"n_rows": 10000, "tail_share_quantile": between}) == VIEWS
    # A heavy share that rests on fewer than MIN_TAIL_ROWS rows does not decide.
    few = (MIN_TAIL_ROWS - 1) / 100
    assert few >= HEAVY_TAIL_SHARE
    assert views_from_statistics({"n_rows": 100, "tail_share_quantile": few}) == VIEWS
    constant = data_statistics(np.ones((20, 3)))
    assert constant["n_varying_features"] == 0 and views_from_statistics(constant) == VIEWS


def test_data_statistics_are_what_they_say():
    X = _planted_extremes(n=500, d=6)
    X = np.column_stack([X, np.full(len(X), 7.0)])      # a constant feature, left out
    stats = data_statistics(X)
    assert (stats["n_rows"], stats["n_features"], stats["n_varying_features"]) == (500, 7, 6)
    assert stats["rows_per_feature"] == pytest.approx(500 / 7)
    varying = X[:, :6]
    z = (varying - varying.mean(axis=0)) / varying.std(axis=0)
    share = (np.abs(z) > 3).mean(axis=0)
    assert stats["tail_share_median"] == pytest.approx(np.median(share))
    assert stats["tail_share_quantile"] == pytest.approx(np.quantile(share, 0.9))
    assert stats["kurtosis_median"] == pytest.approx(np.median(kurtosis(varying, axis=0)))
    eigenvalues = np.sort(np.linalg.eigvalsh(np.corrcoef(varying.T)))[::-1]
    assert stats["first_component_share"] == pytest.approx(eigenvalues[0] / 6)
    assert stats["leading_variance_share"] == pytest.approx(eigenvalues[0] / 6)
    # Neither the rows' order nor a feature's unit or offset changes them.
    perm = np.random.default_rng(0).permutation(len(X))
    rescaled = X[perm] * np.array([1e6, 1e-3, 3.0, 1.0, 1.0, 2.0, 1.0]) + 5.0
    other = data_statistics(rescaled)
    for key, value in stats.items():
        assert other[key] == pytest.approx(value, rel=1e-7, abs=1e-12), key


def test_view_rule_in_fit_records_the_chosen_views(small_params):
    # Short training on a subsample: Gaussian rows leave the classifier little
    # to learn, and only the choice of views (read from all rows) is under test.
    kw = dict(random_state=0, view_rule="data", epoch_num=2, max_train_samples=200,
              **small_params)
    heavy = SLA2PVariant(**kw).fit(_planted_extremes())
    assert heavy.params_["views"] == ("homogeneous",)
    assert [v.name for v in heavy.views_] == ["homogeneous"]
    light = SLA2PVariant(n_banks=2, **kw).fit(_gaussian())
    assert light.params_["views"] == ("direction",)
    assert [v.name for v in light.views_] == ["direction", "direction"]
    # Without the rule the views are as given (both by default).
    assert SLA2PVariant(**{**kw, "view_rule": "none"}).fit(
        _planted_extremes()).params_["views"] == VIEWS


# ------------------------------------------- invariance and persistence
@pytest.mark.parametrize("name", list(LEVER_SETTINGS))
def test_lever_scores_do_not_depend_on_batching_or_row_order(fitted_levers, pyod_data, name):
    clf = copy.deepcopy(fitted_levers[name])  # the fixture stays as it was
    X = pyod_data[1]
    clf.set_params(score_batch_size=1000)
    whole = clf.decision_function(X)
    for rows in (1, 7, 32):
        clf.set_params(score_batch_size=rows)
        assert_allclose(clf.decision_function(X), whole, rtol=1e-5, atol=2e-5)
    perm = np.random.default_rng(0).permutation(len(X))
    assert_allclose(clf.decision_function(X[perm]), whole[perm], rtol=1e-5, atol=2e-5)
    alone = np.array([clf.decision_function(X[i:i + 1])[0] for i in range(5)])
    assert_allclose(alone, whole[:5], rtol=1e-5, atol=2e-5)
    mixed = np.vstack([X[:3], 100 * np.ones((5, X.shape[1]))])
    assert_allclose(clf.decision_function(mixed)[:3], whole[:3], rtol=1e-5, atol=2e-5)


def test_view_rule_does_not_depend_on_the_training_row_order():
    for X in (_planted_extremes(), _gaussian()):
        perm = np.random.default_rng(1).permutation(len(X))
        assert choose_views(X[perm]) == choose_views(X)


@pytest.mark.parametrize("name", ["calibrate", "centre_perturbed_calibrated"])
def test_pickle_keeps_the_lever_statistics(fitted_levers, pyod_data, name):
    clf = fitted_levers[name]
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.decision_function(pyod_data[1]),
                       clf.decision_function(pyod_data[1]))
    for before, after in zip(clf.views_, restored.views_):
        for a, b in zip(before.pair_calibration, after.pair_calibration):
            assert_array_equal(a, b)
        if before.scorer.centres is not None:
            assert torch.equal(before.scorer.centres.cpu(), after.scorer.centres)
    on_cpu = clf.views_[0].to_cpu()
    assert on_cpu.pair_calibration is clf.views_[0].pair_calibration
    assert (on_cpu.scorer.centres is None) == (clf.views_[0].scorer.centres is None)


def test_levers_change_the_scores(fitted_levers, pyod_data):
    base = fitted_levers["uncalibrated"]  # same settings and seed, every lever off
    reference = base.decision_function(pyod_data[1])
    for name in ("calibrate", "centre"):
        # Same seeds, same training: only the scoring differs.
        assert [v.training_log.loss for v in fitted_levers[name].views_] == \
            [v.training_log.loss for v in base.views_]
        assert not np.allclose(fitted_levers[name].decision_function(pyod_data[1]),
                               reference), name


# ------------------------------------------------------------ validation
@pytest.mark.parametrize("params, message", [
    ({"calibrate": "yes"}, "'calibrate' parameter"),
    ({"calibrate": 1}, "'calibrate' parameter"),
    ({"score_space": "knn"}, "'score_space' parameter"),
    ({"score_space": None}, "'score_space' parameter"),
    ({"view_rule": "scores"}, "'view_rule' parameter"),
    ({"view_rule": True}, "'view_rule' parameter"),
    ({"view_rule": "data", "views": "both"}, "needs views='auto'"),
    ({"score_space": "centre", "temperature": 2.0}, "temperature"),
])
def test_bad_scoring_levers(pyod_data, params, message, small_params):
    with pytest.raises(ValueError, match=message):
        SLA2PVariant(**{**small_params, **params}).fit(pyod_data[0][:50])
