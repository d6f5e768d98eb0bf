"""The bank of Gaussian random projections (method page, step 3).

Each row ``x`` becomes ``M`` transformed rows ``x @ W_m``; the index ``m`` is
the pseudo-label of the self-supervised task. The bank is drawn once in
``fit`` and kept, so new data is transformed by exactly the same matrices.
Nothing here materialises all ``n * M * r`` transformed values: callers ask for
one batch of rows (all projections) or one batch of (row, projection) pairs.
"""

import torch


class ProjectionBank:
    """``M`` Gaussian matrices of shape ``(d, r)`` with N(0, 1) entries.

    Parameters
    ----------
    weights : torch.Tensor of shape (n_features, n_projections, projection_dim)
        The matrices, stored feature-major (``weights[:, m, :]`` is ``W_m``) so
        that applying all of them is a single ``(d, M * r)`` matmul without a
        copy. Use :meth:`draw` to make a seeded bank.
    """

    def __init__(self, weights):
        self.weights = weights.contiguous()

    @classmethod
    def draw(cls, n_projections, n_features, projection_dim, seed,
             dtype=torch.float32):
        """Draw a bank from its own generator (the global RNG is not touched).

        Parameters
        ----------
        n_projections, n_features, projection_dim : int
            ``M``, ``d`` and ``r``.
        seed : int
            Seed of the CPU generator; the same seed gives the same bank.
        dtype : torch.dtype, default=torch.float32

        Returns
        -------
        ProjectionBank
        """
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        weights = torch.randn((n_projections, n_features, projection_dim),
                              generator=generator, dtype=dtype)
        return cls(weights.permute(1, 0, 2))

    @property
    def n_projections(self):
        return self.weights.shape[1]

    @property
    def projection_dim(self):
        return self.weights.shape[2]

    def to(self, device):
        """Return a bank whose matrices live on ``device``."""
        return ProjectionBank(self.weights.to(device))

    def project_all(self, x):
        """Apply every projection to a batch of rows.

        Parameters
        ----------
        x : torch.Tensor of shape (b, d)

        Returns
        -------
        torch.Tensor of shape (b, M, r)
            One matmul: ``x @ W`` with the bank viewed as ``(d, M * r)``.
        """
        d, m, r = self.weights.shape
        return (x @ self.weights.view(d, m * r)).view(x.shape[0], m, r)

    def project_pairs(self, x, projection_index):
        """Apply projection ``projection_index[i]`` to row ``x[i]``.

        Parameters
        ----------
        x : torch.Tensor of shape (b, d)
        projection_index : torch.LongTensor of shape (b,)

        Returns
        -------
        torch.Tensor of shape (b, r)
        """
        return torch.einsum("bd,dbr->br", x, self.weights[:, projection_index, :])
