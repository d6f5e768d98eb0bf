"""The perturbation and the score, checked against a direct computation."""

from types import SimpleNamespace

import numpy as np
import torch
from numpy.testing import assert_allclose

from pyod_sla2p.projections import ProjectionBank
from pyod_sla2p.scoring import PairScorer, pair_scores, perturb, score_rows


def scoring_view(network, bank, scorer, calibration=None):
    """What the chunked scoring loops read from a fitted view."""
    return SimpleNamespace(network=network, projections=bank, scorer=scorer,
                           pair_calibration=calibration)


def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_score_matches_hand_computation():
    # A linear classifier f(z) = z A + c on two projections of width 2:
    # d CE(f(z), k) / dz = A (softmax(f(z)) - e_k), so the whole pipeline can
    # be written out in numpy.
    A = np.array([[1.0, -2.0], [0.5, 1.5]])
    c = np.array([0.1, -0.3])
    W = np.array([[[1.0, 0.0], [0.0, 2.0]],      # W_0: (d=2, r=2)
                  [[0.5, -1.0], [1.0, 1.0]]])    # W_1
    x = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, -1.0]])
    epsilon = 0.7

    expected = np.zeros(len(x))
    for m in range(2):
        z = x @ W[m]
        p = _softmax(z @ A + c)
        k = p.argmax(axis=1)
        grad = (p - np.eye(2)[k]) @ A.T
        p_adv = _softmax((z + epsilon * grad) @ A + c)
        expected += ((p_adv - np.eye(2)[m]) ** 2).sum(axis=1) / 2

    net = torch.nn.Linear(2, 2)
    with torch.no_grad():
        net.weight.copy_(torch.tensor(A.T))
        net.bias.copy_(torch.tensor(c))
    bank = ProjectionBank(torch.tensor(W, dtype=torch.float32).permute(1, 0, 2))
    got = score_rows(scoring_view(net.eval(), bank, PairScorer(epsilon, "brier")),
                     x.astype(np.float32), batch_rows=2)
    assert_allclose(got, expected, rtol=1e-5)


def test_gradient_is_per_row():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.BatchNorm1d(8),
                              torch.nn.LeakyReLU(), torch.nn.Linear(8, 4)).eval()
    z = torch.randn(10, 3)
    together = perturb(net, z, 2.0)
    alone = torch.cat([perturb(net, z[i:i + 1], 2.0) for i in range(10)])
    assert torch.allclose(together, alone, atol=1e-6)
    assert not torch.allclose(together, z)
    assert perturb(net, z, 0.0) is z


def test_perturbation_lowers_predicted_probability():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(),
                              torch.nn.Linear(16, 5)).eval()
    z = torch.randn(50, 4)
    with torch.no_grad():
        before = net(z).softmax(1)
        k = before.argmax(1)
        after = net(perturb(net, z, 0.05)).softmax(1)
    drop = before.gather(1, k[:, None]) - after.gather(1, k[:, None])
    assert (drop > 0).all()


def test_pair_scores():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    labels = torch.tensor([0, 2])
    p = _softmax(logits.numpy())
    onehot = np.eye(3)[labels.numpy()]
    assert_allclose(pair_scores(logits, labels, "brier").numpy(),
                    ((p - onehot) ** 2).sum(1), rtol=1e-6)
    assert_allclose(pair_scores(logits, labels, "log_prob").numpy(),
                    -np.log(p[[0, 1], [0, 2]]), rtol=1e-6)


def _linear_net(A, c):
    net = torch.nn.Linear(A.shape[0], A.shape[1])
    with torch.no_grad():
        net.weight.copy_(torch.tensor(A.T, dtype=torch.float32))
        net.bias.copy_(torch.tensor(c, dtype=torch.float32))
    return net.eval()


def _hand_gradient(z, A, c):
    p = _softmax(z @ A + c)
    return (p - np.eye(A.shape[1])[p.argmax(axis=1)]) @ A.T
