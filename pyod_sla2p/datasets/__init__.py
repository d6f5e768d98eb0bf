"""Labelled anomaly-detection datasets for benchmarks, notebooks and users.

One entry point per need:

* :func:`load_dataset` -- one dataset, from a ``.mat``/``.npz``/``.csv``
  path, a builtin name (``"wine"``, ``"synthetic_local"``, ...) or an
  ODDS/embedding name looked up in the data directory (``"cardio"``).
* :func:`load_suite` / :func:`suite_members` -- the suites ``odds``,
  ``embeddings``, ``builtin``, ``adbench`` and its per-family suites
  (``adbench-tabular``, ``adbench-cv-resnet18``, ``adbench-cv-vit``,
  ``adbench-nlp-bert``, ``adbench-nlp-roberta``), or any directory of
  dataset files.
* :func:`resolve_data_dir` -- where the data lives: the ``data_dir``
  argument, else ``$PYOD_SLA2P_DATA``, else ``~/.cache/pyod_sla2p``.
* :func:`download_odds` / :func:`download_adbench` -- fetch the ODDS or
  ADBench files, verified against pinned checksums, capped in size, written
  atomically; also ``python -m pyod_sla2p.datasets download [--suite
  adbench] [--family F] [--data-dir D] [names...]``.
* ``load_dataset(name, verify=True)`` -- check a pinned file's checksum
  before loading it.

Every loader returns a :class:`Dataset` with float64 ``X`` (rows x
features) and int64 ``y`` in {0, 1} (1 = outlier), validated on creation.

Examples
--------
>>> from pyod_sla2p.datasets import load_dataset, load_suite
>>> ds = load_dataset("wine")
>>> ds.n_samples, ds.n_features, ds.n_outliers
(129, 13, 10)
>>> [d.name for d in load_suite("builtin")][:2]
['synthetic_local', 'synthetic_global']
"""

from ._base import (
    ChecksumMismatchError,
    Dataset,
    DatasetError,
    DatasetFormatError,
    DatasetNotFoundError,
    DownloadError,
    UnknownDatasetError,
    validate_xy,
)
from .adbench import ADBENCH_FILES, AdbenchFile, download_adbench, find_adbench
from .adbench_source import (
    ADBENCH_BASE_URL,
    ADBENCH_FAMILIES,
    ADBENCH_SUITES,
    ADBENCH_URL_ENV_VAR,
)
from .builtin import BUILTIN_DATASETS, load_builtin
from .datadir import DATA_ENV_VAR, ODDS_DATASETS, resolve_data_dir
from .download import ODDS_BYTES, ODDS_SHA256, ODDS_URLS, download_odds
from .integrity import Pin
from .loaders import SUPPORTED_SUFFIXES, load_file, read_csv, read_mat, read_npz
from .suites import SUITES, load_dataset, load_suite, suite_members

__all__ = [
    "ADBENCH_BASE_URL",
    "ADBENCH_FAMILIES",
    "ADBENCH_FILES",
    "ADBENCH_SUITES",
    "ADBENCH_URL_ENV_VAR",
    "AdbenchFile",
    "BUILTIN_DATASETS",
    "ChecksumMismatchError",
    "DATA_ENV_VAR",
    "Dataset",
    "DatasetError",
    "DatasetFormatError",
    "DatasetNotFoundError",
    "DownloadError",
    "ODDS_BYTES",
    "ODDS_DATASETS",
    "ODDS_SHA256",
    "ODDS_URLS",
    "Pin",
    "SUITES",
    "SUPPORTED_SUFFIXES",
    "UnknownDatasetError",
    "download_adbench",
    "download_odds",
    "find_adbench",
    "load_builtin",
    "load_dataset",
    "load_file",
    "load_suite",
    "read_csv",
    "read_mat",
    "read_npz",
    "resolve_data_dir",
    "suite_members",
    "validate_xy",
]
