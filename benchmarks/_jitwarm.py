"""Compile PyOD's numba kernels (HBOS, CBLOF's distances) once per process.

Imported for its side effect, once, before the timed fit of a detector
flagged ``warm_up`` in the registry: by the cell server when a run includes
such a detector (:func:`benchmarks.runner.build_grid` preloads it, and the
children forked from the server inherit the compiled code), else by the cell
itself (:func:`benchmarks.cell.run_cell_in_process`; a no-op where it is
imported already). HBOS and CBLOF otherwise spend seconds compiling inside
their timed fit. BLAS/OpenMP are held to one thread meanwhile so that the
server starts no thread pool a forked child could inherit.
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
