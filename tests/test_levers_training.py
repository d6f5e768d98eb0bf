"""Issue 15's training and width levers: Latent Outlier Exposure
(benchmarks/levers/training.py), ``projection_rule`` (benchmarks/variants.py)
and PCA whitening (benchmarks/levers/preprocessing.py), each on its own and
through SLA2PVariant."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA

from benchmarks.levers import training
from benchmarks.levers.preprocessing import WhiteningPreprocessor as RowPreprocessor
from benchmarks.levers.training import (
    LOETrainer,
    anomaly_loss,
    flag_suspected_outliers,
    loe_loss,
    n_suspected,
    row_losses,
)
from benchmarks.variants import (
    LEVER_CONSTRAINTS as PARAMETER_CONSTRAINTS,
    LEVERS,
    SLA2PVariant,
    VariantSettings,
    projection_dim_from_features,
)
from pyod_sla2p.network import build_classifier
from pyod_sla2p.projections import ProjectionBank

#: The variant's defaults: what a lever left at its constructor default means.
DEFAULTS = dict(SLA2PVariant()._resolve_settings(np.zeros((3, 2))))

NEW_LEVERS = ("loe", "loe_fraction", "projection_rule", "whiten")


def _config(**kw):
    # acc_threshold near 1: training runs its epochs, so LOE gets to act.
    settings = {"n_projections": 4, "projection_dim": 6, "hidden_dims": (12, 24),
                "epsilon": 0.0, "views": ("direction",), "score_function": "log_prob",
                "standardize": True, "calibrate": True,
                "acc_threshold": 0.999, "epoch_num": 3, "batch_size": 32, "lr": 1e-2,
                "adam_eps": 1e-7, "weight_decay": 0.0, "max_train_samples": None}
    return VariantSettings(**{**settings, **kw})


def train_classifier(network, x, bank, settings, seed):
    return LOETrainer(network, x, bank, settings, seed).run()


def _setup(n=60, d=5, m=4, r=6):
    x = F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(0)), dim=1)
    bank = ProjectionBank.draw(m, d, r, seed=1)
    return x, bank, build_classifier(r, m, (12, 24), seed=2)


# ------------------------------------------------------------------- LOE
def test_anomaly_loss_is_minus_log_one_minus_p_true():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0], [-3.0, 1.0, 4.0]])
    labels = torch.tensor([0, 2, 1])
    p_true = logits.double().softmax(dim=1)[torch.arange(3), labels]
    assert_allclose(anomaly_loss(logits, labels), -torch.log1p(-p_true), rtol=1e-5)
    # A pair recognised with certainty in float32 (p_true rounds to 1):
    # the naive form is infinite, this one finite and still has a gradient.
    sure = torch.tensor([[100.0, 0.0, 0.0]], requires_grad=True)
    naive = -torch.log(1 - sure.softmax(dim=1)[0, 0])
    assert torch.isinf(naive)
    loss = anomaly_loss(sure, torch.tensor([0]))
    assert torch.isfinite(loss) and abs(float(loss.detach()) - (100 - np.log(2))) < 1e-3
    loss.sum().backward()
    assert sure.grad[0, 0] > 0.99  # lowering the true logit lowers the loss


def test_loe_loss_flips_only_flagged_pairs():
    logits = torch.tensor([[3.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
    labels = torch.tensor([0, 0, 1, 2])
    flagged = torch.tensor([True, False, True, False])
    ce = F.cross_entropy(logits, labels, reduction="none")
    anomaly = anomaly_loss(logits, labels)
    hard = torch.where(flagged, anomaly, ce).mean()
    assert_allclose(loe_loss(logits, labels, flagged, "hard"), hard, rtol=1e-6)
    soft = torch.where(flagged, (ce + anomaly) / 2, ce).mean()
    assert_allclose(loe_loss(logits, labels, flagged, "soft"), soft, rtol=1e-6)
    # Rows 0 and 1 are the same well-classified pair: flagged, its loss is
    # large (it is recognised); unflagged, small.
    assert anomaly[0] > 2.0 and ce[1] < 0.2
    none_flagged = torch.zeros(4, dtype=torch.bool)
    assert_allclose(loe_loss(logits, labels, none_flagged, "hard"),
                    F.cross_entropy(logits, labels), rtol=1e-6)


@pytest.mark.parametrize("fraction, n, expected", [
    (0.1, 300, 30), (0.29, 100, 29), (0.1, 9, 0), (0.5, 7, 3), (0.05, 20, 1), (0.5, 2, 1)])
def test_number_of_suspected_rows_is_floor_of_the_share(fraction, n, expected):
    assert n_suspected(fraction, n) == expected


def test_flags_are_the_rows_with_the_largest_losses(monkeypatch):
    x, bank, net = _setup(n=57)
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    flagged = flag_suspected_outliers(net, x, bank, 0.2)
    assert int(flagged.sum()) == 11  # floor(0.2 * 57)
    losses = row_losses(net, x, bank)
    assert losses[flagged].min() >= losses[~flagged].max()
    # Eval mode, no learning: weights and BatchNorm statistics untouched.
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    # The row loss is the detector's clean score: the mean cross-entropy
    # over the projections, whatever the chunking.
    with torch.no_grad():
        z = bank.project_all(x).reshape(57 * 4, -1)
        expected = F.cross_entropy(net(z), torch.arange(4).repeat(57),
                                   reduction="none").view(57, 4).mean(dim=1)
    assert_allclose(losses, expected, rtol=1e-5, atol=1e-6)
    monkeypatch.setattr(training, "_LOE_PAIRS_PER_CHUNK", 12)  # 3 rows a chunk
    assert_allclose(row_losses(net, x, bank), losses, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["hard", "soft"])
def test_loe_is_a_second_phase_as_long_as_the_usual_training(mode):
    x, bank, net = _setup()
    log = train_classifier(net, x, bank, _config(loe=mode, loe_fraction=0.25), seed=0)
    assert log.n_epochs == 3 and log.stop_reason == "epoch_cap"
    assert log.n_flagged == 15  # floor(0.25 * 60)
    assert len(log.loe_loss) == log.n_batches == 24  # 3 epochs of 8 batches (240 pairs)
    assert all(np.isfinite(log.loe_loss)) and not net.training


def test_loe_acts_after_an_early_accuracy_stop():
    # The default stop fires within the first epoch: LOE must still act.
    x, bank, net = _setup()
    log = train_classifier(net, x, bank, _config(acc_threshold=0.01, loe="hard"), seed=0)
    assert log.stop_reason == "threshold" and log.n_batches == 1
    assert log.n_flagged == n_suspected(0.1, 60) == 6 and len(log.loe_loss) == 1


def test_loe_leaves_the_usual_training_alone():
    # The usual phase of loe="hard" is the whole training of loe="none":
    # same batches, same losses; LOE only adds its phase after it.
    x, bank, plain = _setup()
    plain_log = train_classifier(plain, x, bank, _config(), seed=0)
    _, _, hard = _setup()
    hard_log = train_classifier(hard, x, bank, _config(loe="hard"), seed=0)
    assert hard_log.loss == plain_log.loss and plain_log.loe_loss == []
    assert plain_log.n_flagged == 0


def test_loe_phase_flags_the_rows_the_trained_network_scores_highest(monkeypatch):
    x, bank, net = _setup()
    seen = {}
    original = training.flag_suspected_outliers

    def spy(network, x_, bank_, fraction):
        seen["losses"] = row_losses(network, x_, bank_)
        seen["flags"] = original(network, x_, bank_, fraction)
        return seen["flags"]

    monkeypatch.setattr(training, "flag_suspected_outliers", spy)
    train_classifier(net, x, bank, _config(loe="soft", loe_fraction=0.1), seed=0)
    flags, losses = seen["flags"], seen["losses"]
    assert int(flags.sum()) == 6
    assert losses[flags].min() >= losses[~flags].max()


def test_loe_changes_training():
    x, bank, plain = _setup()
    train_classifier(plain, x, bank, _config(), seed=0)
    _, _, hard = _setup()
    train_classifier(hard, x, bank, _config(loe="hard"), seed=0)
    assert not torch.equal(plain[0].weight, hard[0].weight)


def test_variant_with_loe_is_finite_and_reproducible(pyod_data, small_params):
    X_train, X_test = pyod_data[0][:120], pyod_data[1]
    kw = dict(small_params, acc_threshold=0.95, epoch_num=3, random_state=0)
    a = SLA2PVariant(loe="soft", **kw).fit(X_train)
    assert all(v.training_log.n_flagged == 12 for v in a.views_)  # floor(0.1 * 120)
    scores = a.decision_function(X_test)
    assert np.isfinite(scores).all() and np.isfinite(a.decision_scores_).all()
    b = SLA2PVariant(loe="soft", **kw).fit(X_train)
    assert_array_equal(b.decision_function(X_test), scores)
    plain = SLA2PVariant(**kw).fit(X_train)
    assert not np.array_equal(plain.decision_function(X_test), scores)


# -------------------------------------------------------- projection rule
@pytest.mark.parametrize("d, r", [(1, 64), (8, 64), (64, 64), (65, 128), (128, 128),
                                  (129, 256), (768, 256), (5000, 256)])
def test_features_rule_width(d, r):
    assert projection_dim_from_features(d) == r


def test_features_rule_in_resolution():
    def resolve(n_features=100, **params):
        variant = SLA2PVariant(projection_rule="features", **params)
        return variant._resolve_settings(np.zeros((500, n_features)))

    assert (resolve()["projection_dim"], resolve()["hidden_dims"]) == (128, (256, 512))
    assert resolve(projection_dim="auto", n_features=300)["projection_dim"] == 256
    # An explicit width wins; the rule wins over the preset's.
    assert resolve(projection_dim=16)["projection_dim"] == 16
    assert resolve(preset="paper", n_features=10)["projection_dim"] == 64
    fixed = SLA2PVariant(projection_rule="fixed")._resolve_settings(np.zeros((500, 1000)))
    assert fixed["projection_dim"] == DEFAULTS["projection_dim"]


def test_variant_with_features_rule():
    X = np.random.default_rng(0).normal(size=(40, 70))
    clf = SLA2PVariant(projection_rule="features", n_projections=4, acc_threshold=0.5,
                       views="direction", random_state=0).fit(X)
    assert clf.params_["projection_dim"] == 128
    assert clf.views_[0].projections.projection_dim == 128
    assert np.isfinite(clf.decision_function(X[:5])).all()


# --------------------------------------------------------------- whitening
def _normalised(rows):
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_whitening_transforms_new_rows_with_the_fitted_pca():
    rng = np.random.default_rng(0)
    mix = rng.normal(size=(6, 6)) * np.array([10.0, 5, 1, 1, 0.1, 0.1])
    X_train, X_test = rng.normal(size=(80, 6)) @ mix, rng.normal(size=(20, 6)) @ mix
    prep = RowPreprocessor(standardize=True, whiten=True).fit(X_train)
    standardised = (X_train - X_train.mean(axis=0)) / X_train.std(axis=0)
    pca = PCA(n_components=0.99, whiten=True, svd_solver="full").fit(standardised)
    assert prep.pca_.n_components_ == pca.n_components_ < 6
    # Unit variance per kept component on the training rows.
    assert_allclose(np.cov(prep._whitened(prep._standardized(X_train)), rowvar=False, ddof=1),
                    np.eye(pca.n_components_), atol=1e-8)
    test_std = (X_test - X_train.mean(axis=0)) / X_train.std(axis=0)
    expected = _normalised(pca.transform(test_std))
    assert_allclose(prep.transform(X_test), expected, rtol=1e-4, atol=1e-5)
    # Each row on its own: the same output, whoever it is transformed with.
    assert_array_equal(prep.transform(X_test[3:4]), prep.transform(X_test)[3:4])


def test_whitening_is_fitted_on_the_given_rows_and_standardisation_on_all():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 70)) @ rng.normal(size=(70, 70))
    rows = np.arange(0, 120, 3)
    prep = RowPreprocessor(standardize=True, whiten=True).fit(X, whiten_rows=rows)
    full = RowPreprocessor(standardize=True, whiten=True).fit(X)
    assert_array_equal(prep.mean_, full.mean_)  # the standardisation saw every row
    assert prep.pca_.n_samples_ == len(rows) and full.pca_.n_samples_ == len(X)
    pca = PCA(n_components=0.99, whiten=True, svd_solver="full").fit(
        full._standardized(X[rows]) / prep.pca_unit_)
    assert_allclose(np.abs(prep.pca_.components_), np.abs(pca.components_), atol=1e-8)


def test_wide_whitening_is_fitted_on_the_training_subsample(small_params):
    """Whitening is bounded by max_train_samples as training is; narrow rows
    are not whitened by "wide", and the default does not whiten."""
    X = np.random.default_rng(4).normal(size=(150, 70))
    kw = dict(random_state=0, whiten="wide", **small_params)
    capped = SLA2PVariant(max_train_samples=60, **kw).fit(X)
    assert [v.preprocessor.pca_.n_samples_ for v in capped.views_] == [60, 60]
    every = SLA2PVariant(max_train_samples=None, **kw).fit(X)
    assert [v.preprocessor.pca_.n_samples_ for v in every.views_] == [150, 150]
    narrow = SLA2PVariant(**kw).fit(X[:, :64])
    assert all(v.preprocessor.pca_ is None for v in narrow.views_)
    default = SLA2PVariant(random_state=0, **small_params).fit(X)
    assert default.params_["whiten"] is False
    assert all(v.preprocessor.pca_ is None for v in default.views_)


def test_whitening_of_rank_deficient_rows_keeps_the_rank():
    # Fewer rows than features, and duplicated columns: rank at most 9.
    base = np.random.default_rng(1).normal(size=(10, 15))
    X = np.hstack([base, base, 2 * base])
    prep = RowPreprocessor(standardize=True, whiten=True).fit(X)
    assert 1 <= prep.pca_.n_components_ <= 9
    out = prep.transform(X)
    assert out.shape == (10, prep.pca_.n_components_) and np.isfinite(out).all()
    assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_whitening_before_the_homogeneous_coordinate():
    X = np.random.default_rng(2).normal(size=(50, 8)) * 3 + 1
    prep = RowPreprocessor(standardize=False, homogeneous=True, whiten=True).fit(X)
    k = prep.pca_.n_components_
    out = prep.transform(X)
    whitened = prep._whitened(X)
    assert out.shape == (50, k + 1)
    # The constant sqrt(k) is appended to the whitened row, then normalised.
    norms = np.sqrt((whitened ** 2).sum(axis=1) + k)
    assert_allclose(out[:, -1], np.sqrt(k) / norms, rtol=1e-5)


@pytest.mark.parametrize("whiten, d, whitened", [
    ("wide", 64, False), ("wide", 65, True), (True, 3, True), (False, 100, False)])
def test_wide_rule_reads_the_width(whiten, d, whitened):
    X = np.random.default_rng(3).normal(size=(30, d))
    prep = RowPreprocessor(standardize=True, whiten=whiten).fit(X)
    assert (prep.pca_ is not None) == whitened


def test_whitening_without_variance_is_left_to_the_degenerate_check():
    prep = RowPreprocessor(standardize=True, whiten=True).fit(np.ones((5, 3)))
    assert prep.pca_ is None
    assert not np.any(prep.transform(np.ones((2, 3))))


def test_whitening_saturates_instead_of_overflowing():
    X = np.random.default_rng(4).normal(size=(40, 5))
    prep = RowPreprocessor(standardize=False, whiten=True).fit(X)
    far = np.array([[1e300, -1e300, 0.0, 1e299, 0.0]])
    with np.errstate(over="raise", invalid="raise"):
        out = prep.transform(far)
    assert np.isfinite(out).all() and abs(np.linalg.norm(out) - 1) < 1e-5


@pytest.mark.parametrize("views", ["direction", "homogeneous"])
def test_variant_with_whitening_scores_train_and_test_alike(views, small_params):
    X = np.random.default_rng(5).normal(size=(60, 12)) @ np.diag(np.linspace(0.1, 5, 12))
    clf = SLA2PVariant(whiten=True, views=views, random_state=0, **small_params).fit(X)
    assert clf.views_[0].preprocessor.pca_ is not None
    assert_allclose(clf.decision_function(X), clf.decision_scores_, rtol=1e-6)
    assert np.isfinite(clf.decision_function(X[:7] + 3)).all()


# -------------------------------------------------------------- validation
@pytest.mark.parametrize("name, value", [
    ("loe", "flip"), ("loe", None), ("loe_fraction", 0.0), ("loe_fraction", 0.6),
    ("loe_fraction", "0.1"), ("loe_fraction", float("nan")), ("projection_rule", "auto"),
    ("projection_rule", 128), ("whiten", "yes"), ("whiten", 1)])
def test_bad_values_are_rejected_with_the_table_message(pyod_data, small_params, name, value):
    allowed = " or ".join(map(str, PARAMETER_CONSTRAINTS[name]))
    message = f"The {name!r} parameter of SLA2PVariant must be {allowed}; got {value!r}."
    with pytest.raises(ValueError, match=re.escape(message)):
        SLA2PVariant(**{**small_params, name: value}).fit(pyod_data[0][:30])


def test_levers_are_declared_everywhere():
    variant = SLA2PVariant()
    for name in NEW_LEVERS:
        assert name in LEVERS and name in PARAMETER_CONSTRAINTS
        # The constructor's default is the package's fixed behaviour: the
        # value itself, or "auto" where the paper preset differs from it.
        assert getattr(variant, name) in (DEFAULTS[name], "auto")
        assert any(c.accepts(DEFAULTS[name]) for c in PARAMETER_CONSTRAINTS[name])
