"""The training loop and its accuracy-threshold stop."""

import torch

import pytest

from pyod_sla2p.settings import Settings
from pyod_sla2p.network import build_classifier
from pyod_sla2p.projections import ProjectionBank
from pyod_sla2p.training import train_classifier


def config(acc_threshold, epoch_num, **kw):
    settings = dict(n_projections=4, projection_dim=6, hidden_dims=(12, 24), epsilon=0.0,
                    views=("direction",), score_function="log_prob", standardize=True,
                    calibrate=True, batch_size=32, lr=1e-2, adam_eps=1e-7,
                    weight_decay=0.0, max_train_samples=None)
    return Settings(acc_threshold=acc_threshold, epoch_num=epoch_num, **{**settings, **kw})


def _setup(n=120, d=6, m=4, r=6):
    x = torch.nn.functional.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(0)), dim=1)
    bank = ProjectionBank.draw(m, d, r, seed=1)
    return x, bank, build_classifier(r, m, (12, 24), seed=2)


def test_stops_at_first_batch_past_threshold():
    x, bank, net = _setup()
    log = train_classifier(net, x, bank, config(0.6, 50), seed=0)
    assert log.stopped_by_threshold and log.stop_reason == "threshold"
    acc = log.running_accuracy
    assert acc[-1] > 0.6 and all(a <= 0.6 for a in acc[:-1])
    assert len(acc) == len(log.loss) == len(log.batch_accuracy) == log.n_batches
    assert not net.training  # left in eval mode for scoring


def test_epoch_cap_bounds_training():
    x, bank, net = _setup()
    log = train_classifier(net, x, bank, config(0.999, 2), seed=0)
    assert not log.stopped_by_threshold and log.stop_reason == "epoch_cap"
    assert log.n_epochs == 2
    assert log.n_batches == 2 * -(-(120 * 4) // 32)


def test_plateau_stops_training_that_cannot_learn():
    # Zero rows project to zero under every projection: no classifier can
    # tell the projections apart, so the accuracy stop can never fire.
    _, bank, net = _setup()
    log = train_classifier(net, torch.zeros(40, 6), bank,
                           config(0.9, 1000, patience=3), seed=0)
    assert log.stop_reason == "plateau"
    assert 4 <= log.n_epochs < 1000


def test_non_finite_loss_is_a_clear_error():
    x, bank, net = _setup()
    with pytest.raises(ValueError, match="loss became .*optimizer_params\\['lr'\\]"):
        train_classifier(net, x * float("inf"), bank, config(0.9, 5), seed=0)


def test_network_is_seeded():
    a = build_classifier(4, 3, (8,), seed=5)
    b = build_classifier(4, 3, (8,), seed=5)
    state = torch.get_rng_state()
    c = build_classifier(4, 3, (8,), seed=6)
    assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(a[0].weight, b[0].weight) and not torch.equal(a[0].weight, c[0].weight)


def test_fold_batchnorm_keeps_the_function():
    from pyod_sla2p.network import fold_batchnorm
    net = build_classifier(5, 3, (7, 9), seed=0)
    net.train()
    with torch.no_grad():
        for _ in range(3):  # give BatchNorm non-trivial running statistics
            net(torch.randn(32, 5, generator=torch.Generator().manual_seed(_)) * 3 + 1)
    net.eval()
    state = torch.get_rng_state()
    folded = fold_batchnorm(net)
    assert torch.equal(state, torch.get_rng_state())
    assert not any(isinstance(layer, torch.nn.BatchNorm1d) for layer in folded)
    z = torch.randn(20, 5, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        assert torch.allclose(folded(z), net(z), atol=1e-5)


def test_adam_is_multi_tensor_on_the_cpu_and_updates_as_the_loop_does():
    # Issue 25: the multi-tensor Adam update gives the loop's numbers exactly.
    from pyod_sla2p.training import Trainer

    x, bank, net = _setup()
    settings = config(0.999, 1, weight_decay=5e-4)
    multi = Trainer(net, x, bank, settings, seed=0).optimizer
    assert multi.defaults["foreach"] is True
    params = [p for group in multi.param_groups for p in group["params"]]
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    loop = torch.optim.Adam(copies, lr=settings.lr, eps=settings.adam_eps,
                            weight_decay=settings.weight_decay, foreach=False)
    g = torch.Generator().manual_seed(3)
    for _ in range(5):
        for p, c in zip(params, copies):
            p.grad = torch.randn(p.shape, generator=g)
            c.grad = p.grad.clone()
        multi.step()
        loop.step()
    for p, c in zip(params, copies):
        assert torch.equal(p, c)
