"""Compile PyOD's numba kernels once, in the cell forkserver.

This module is imported for its side effect, only by the ``forkserver``
that forks the cell processes (see :mod:`benchmarks.cell`), and only when
a run includes a detector flagged ``warm_up`` in the registry. HBOS and
CBLOF otherwise spend seconds compiling in every cell; forked children
inherit the compiled code. BLAS/OpenMP are held to one thread meanwhile so
that the forkserver starts no thread pool a forked child could inherit.
The cell still runs its own untimed warm-up fit (see
:func:`benchmarks.cell.execute_cell`), so the timings are right either way.
"""

import numpy as np


def _warm() -> None:
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            X = np.random.default_rng(0).normal(size=(256, 4))
            from pyod.models.hbos import HBOS
            HBOS().fit(X).decision_function(X)
            from pyod.utils.stat_models import pairwise_distances_no_broadcast
            pairwise_distances_no_broadcast(X, X + 1.0)
    except Exception:  # noqa: BLE001 -- a speed-up only
        pass


_warm()
