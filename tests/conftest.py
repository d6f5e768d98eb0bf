"""Shared fixtures: where the benchmark data lives in development and CI."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir():
    """The data directory: ``$PYOD_SLA2P_DATA`` or ``<repo>/../shared/datasets``.

    CI always provides it, so a missing directory is a failure, not a skip.
    """
    path = Path(os.environ.get("PYOD_SLA2P_DATA") or REPO_ROOT.parent / "shared" / "datasets")
    if not (path / "odds").is_dir():
        pytest.fail(f"Benchmark data not found at {path} (expected an 'odds' folder). "
                    "Set PYOD_SLA2P_DATA to the datasets directory.")
    return path
