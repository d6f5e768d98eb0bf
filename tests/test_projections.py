"""The seeded projection bank."""

import torch

from pyod_sla2p.projections import ProjectionBank


def test_draw_is_seeded_and_gaussian():
    a = ProjectionBank.draw(6, 5, 4, seed=11)
    b = ProjectionBank.draw(6, 5, 4, seed=11)
    c = ProjectionBank.draw(6, 5, 4, seed=12)
    assert torch.equal(a.weights, b.weights) and not torch.equal(a.weights, c.weights)
    assert (a.n_projections, a.projection_dim) == (6, 4)
    big = ProjectionBank.draw(64, 32, 32, seed=0).weights
    assert abs(float(big.mean())) < 0.02 and abs(float(big.std()) - 1) < 0.02


def test_project_all_and_pairs_agree_with_each_matrix():
    bank = ProjectionBank.draw(5, 4, 3, seed=0)
    x = torch.randn(7, 4)
    out = bank.project_all(x)
    assert out.shape == (7, 5, 3)
    for m in range(5):
        assert torch.allclose(out[:, m], x @ bank.weights[:, m, :], atol=1e-6)
    idx = torch.tensor([4, 0, 2, 2, 1, 3, 0])
    pairs = bank.project_pairs(x, idx)
    assert torch.allclose(pairs, out[torch.arange(7), idx], atol=1e-6)


def test_wide_rows_take_the_grouped_path_with_the_same_values_and_gradients():
    from pyod_sla2p import projections

    d = projections._GROUPED_MIN_FEATURES + 5
    bank = ProjectionBank.draw(6, d, 4, seed=1)
    x = torch.randn(9, d, generator=torch.Generator().manual_seed(2), requires_grad=True)
    idx = torch.tensor([5, 0, 5, 3, 3, 3, 1, 0, 2])
    grouped = bank.project_pairs(x, idx)
    gathered = torch.einsum("bd,dbr->br", x, bank.weights[:, idx, :])
    assert torch.allclose(grouped, gathered, atol=1e-4)
    for i, m in enumerate(idx.tolist()):
        assert torch.allclose(grouped[i], x[i] @ bank.weights[:, m, :], atol=1e-4)
    # Training backpropagates through the pairs: the gradient reaches every row.
    grouped.sum().backward()
    expected = bank.weights[:, idx, :].sum(dim=2).T
    assert torch.allclose(x.grad, expected, atol=1e-4)
