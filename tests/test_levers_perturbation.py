"""The scoring levers' perturbation forms, iterated steps, temperature and score change."""

import numpy as np
import torch
from numpy.testing import assert_allclose

from benchmarks.levers.scoring import LeverPairScorer, perturb
from pyod_sla2p.projections import ProjectionBank
from pyod_sla2p.scoring import pair_scores, score_rows
from test_scoring import _hand_gradient, _linear_net, _softmax, scoring_view


def test_sign_and_relative_steps_match_hand_computation():
    rng = np.random.default_rng(3)
    A, c = rng.normal(size=(4, 3)), rng.normal(size=3)
    z = rng.normal(size=(6, 4))
    net = _linear_net(A, c)
    zt = torch.tensor(z, dtype=torch.float32)
    g = _hand_gradient(z, A, c)
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    relative = z + 0.2 * norm * g / np.linalg.norm(g, axis=1, keepdims=True)
    sign = z + 0.2 * norm / 2.0 * np.sign(g)  # sqrt(r) = 2
    assert_allclose(perturb(net, zt, 0.2, "relative").numpy(), relative, rtol=1e-4, atol=1e-5)
    assert_allclose(perturb(net, zt, 0.2, "sign").numpy(), sign, rtol=1e-4, atol=1e-5)
    # The sign step has the same length as the relative one.
    step = perturb(net, zt, 0.2, "sign").numpy() - z
    assert_allclose(np.linalg.norm(step, axis=1), 0.2 * norm.ravel(), rtol=1e-4)


def test_iterated_steps_recompute_the_gradient():
    rng = np.random.default_rng(4)
    A, c = rng.normal(size=(3, 4)), rng.normal(size=4)
    z = rng.normal(size=(5, 3))
    net = _linear_net(A, c)
    expected = z.copy()
    for _ in range(3):
        expected = expected + (0.9 / 3) * _hand_gradient(expected, A, c)
    got = perturb(net, torch.tensor(z, dtype=torch.float32), 0.9, "gradient", n_steps=3)
    assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-5)
    one = perturb(net, torch.tensor(z, dtype=torch.float32), 0.9, "gradient")
    assert not np.allclose(got.numpy(), one.numpy())


def test_temperature_and_change_scores():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.0, 1.0]])
    labels = torch.tensor([0, 2])
    p = _softmax(logits.numpy() / 2.0)
    assert_allclose(pair_scores(logits / 2.0, labels, "log_prob").numpy(),
                    -np.log(p[[0, 1], [0, 2]]), rtol=1e-6)
    scorer = LeverPairScorer(0.0, "log_prob", temperature=2.0)
    net_identity = torch.nn.Identity()
    assert_allclose(scorer(net_identity, logits, labels).numpy(),
                    -np.log(p[[0, 1], [0, 2]]), rtol=1e-6)

    rng = np.random.default_rng(5)
    A, c = rng.normal(size=(2, 2)), rng.normal(size=2)
    W = rng.normal(size=(2, 2, 2))
    x = rng.normal(size=(4, 2)).astype(np.float32)
    net = _linear_net(A, c)
    bank = ProjectionBank(torch.tensor(W, dtype=torch.float32).permute(1, 0, 2))
    kw = dict(score_function="log_prob", perturbation="relative")

    def rows(**scorer):
        return score_rows(scoring_view(net, bank, LeverPairScorer(**{**kw, **scorer})), x,
                          batch_rows=3)

    clean = rows(epsilon=0.0)
    pushed = rows(epsilon=0.3)
    change = rows(epsilon=0.3, score_mode="change")
    assert_allclose(change, pushed - clean, rtol=1e-5, atol=1e-6)
    assert not np.allclose(change, 0.0)
