"""The bank of Gaussian random projections (method page, step 3).

Each row ``x`` becomes ``M`` transformed rows ``x @ W_m``; the index ``m`` is
the pseudo-label of the self-supervised task. The bank is drawn once in
``fit`` and kept, so new data is transformed by exactly the same matrices.
Nothing here materialises all ``n * M * r`` transformed values: callers ask for
one batch of rows (all projections) or one batch of (row, projection) pairs.
"""

import torch

# Rows at least this wide are projected pair by pair in groups that share a
# projection (``ProjectionBank._project_grouped``); narrower rows gather the
# matrices, which is faster below about 100 features (measured on one core
# with 64 and 256 projections, r = 64, batches of 128 pairs).
_GROUPED_MIN_FEATURES = 128


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
        """Return a bank whose matrices live on ``device`` (this bank if they do)."""
        weights = self.weights.to(device)
        return self if weights is self.weights else ProjectionBank(weights)

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
        if x.shape[1] < _GROUPED_MIN_FEATURES:
            return torch.einsum("bd,dbr->br", x, self.weights[:, projection_index, :])
        return self._project_grouped(x, projection_index)

    def _project_grouped(self, x, projection_index):
        # On wide rows, gathering one (d, r) matrix per pair copies b * d * r
        # values per batch (51 MB for d = 1555): a 128-pair batch took 95 ms.
        # One matmul per distinct projection reads each matrix once: 11 ms.
        out = x.new_empty((x.shape[0], self.projection_dim))
        order = torch.argsort(projection_index, stable=True)
        members, counts = torch.unique_consecutive(projection_index[order],
                                                   return_counts=True)
        for rows, m in zip(torch.split(order, counts.tolist()), members.tolist()):
            out[rows] = x[rows] @ self.weights[:, m, :]
        return out
