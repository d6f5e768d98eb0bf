"""Misbehaving detectors for testing the runner's failure handling.

They live in the package (not in the tests) so that worker processes, Dask
workers included, can import them by ``"benchmarks.testing:Name"``.
Register one for a test with::

    from benchmarks.registry import register_detector
    register_detector("test-sleep", "benchmarks.testing:SleepDetector")
"""

import os
import signal
import time

import numpy as np
from pyod.models.base import BaseDetector


class _Simple(BaseDetector):
    """Distance to the training mean; subclasses break it on purpose."""

    def __init__(self, contamination=0.1, random_state=None):
        super().__init__(contamination=contamination)
        self.random_state = random_state

    def _scores(self, X):
        return np.linalg.norm(np.asarray(X) - self.mean_, axis=1)

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self._set_n_classes(y)
        self.mean_ = X.mean(axis=0)
        self.decision_scores_ = self._scores(X)
        self._process_decision_scores()
        return self

    def decision_function(self, X):
        return self._scores(X)


class MeanDistance(_Simple):
    """Works: distance to the training mean."""


class SleepDetector(_Simple):
    """Sleeps ``seconds`` in ``fit`` (for timeout tests); first writes its pid to ``pid_file``."""

    def __init__(self, seconds=60.0, pid_file=None, contamination=0.1, random_state=None):
        super().__init__(contamination=contamination, random_state=random_state)
        self.seconds = seconds
        self.pid_file = pid_file

    def fit(self, X, y=None):
        if self.pid_file:
            with open(self.pid_file, "w") as fh:
                fh.write(str(os.getpid()))
        time.sleep(self.seconds)
        return super().fit(X, y)


class NaNDetector(_Simple):
    """Returns NaN for every other row and +inf for one (non-finite scores)."""

    def _scores(self, X):
        s = super()._scores(X)
        s[::2] = np.nan
        s[1] = np.inf
        return s


class CrashDetector(_Simple):
    """Kills its own process in ``fit`` (a segfault or an out-of-memory kill)."""

    def fit(self, X, y=None):
        os.kill(os.getpid(), signal.SIGKILL)
        return self  # pragma: no cover


class MemoryHog(_Simple):
    """Allocates ``mb`` megabytes in ``fit``, 64 MB at a time, and holds them ``hold`` seconds."""

    def __init__(self, mb=2048, hold=30.0, contamination=0.1, random_state=None):
        super().__init__(contamination=contamination, random_state=random_state)
        self.mb = mb
        self.hold = hold

    def fit(self, X, y=None):
        blocks = []
        for _ in range(self.mb // 64):
            blocks.append(np.ones(64 * 2**20 // 8))  # written, so resident
            time.sleep(0.01)  # as a real computation grows: the supervisor sees it on the way
        time.sleep(self.hold)
        return super().fit(X, y)
