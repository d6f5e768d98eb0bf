"""Labelled anomaly-detection datasets for benchmarks, notebooks and users.

:func:`load_dataset` loads one dataset: a ``.mat``/``.npz``/``.csv`` path, a
builtin name (``"wine"``), or an ODDS, embedding or ADBench name looked up
in the data directory (:func:`resolve_data_dir`).  :func:`load_suite` /
:func:`suite_members` give the suites (:data:`SUITES`) or any directory of
dataset files.  :func:`download_odds`, :func:`download_adbench`,
:func:`download_test_data` (settings: :class:`DownloadOptions`) and
``python -m pyod_sla2p.datasets download`` download with pooch, verified
against pinned checksums and capped in size.  Every loader returns a
validated :class:`Dataset`: float64 ``X`` (rows x features), int64 ``y``
in {0, 1} (1 = outlier).

Examples
--------
>>> from pyod_sla2p.datasets import load_dataset, load_suite
>>> ds = load_dataset("wine")
>>> ds.n_samples, ds.n_features, ds.n_outliers
(129, 13, 10)
>>> [d.name for d in load_suite("builtin")][:2]
['synthetic_local', 'synthetic_global']
"""

from ._base import (ChecksumMismatchError, Dataset, DatasetError, DatasetFormatError,
                    DatasetNotFoundError, DownloadError, UnknownDatasetError, validate_xy)
from .adbench import ADBENCH_FILES, AdbenchFile, download_adbench, find_adbench
from .builtin import BUILTIN_DATASETS, load_builtin
from .datadir import (ADBENCH_BASE_URL, ADBENCH_FAMILIES, ADBENCH_SUITES, ADBENCH_URL_ENV_VAR,
                      DATA_ENV_VAR, ODDS_DATASETS, resolve_data_dir)
from .download import ODDS_BYTES, ODDS_SHA256, ODDS_URLS, download_odds
from .fetch import DownloadOptions
from .integrity import Pin
from .loaders import SUPPORTED_SUFFIXES, load_file, read_csv, read_mat, read_npz
from .suites import SUITES, load_dataset, load_suite, suite_members
from .testdata import download_test_data

__all__ = ["ADBENCH_BASE_URL", "ADBENCH_FAMILIES", "ADBENCH_FILES", "ADBENCH_SUITES",
           "ADBENCH_URL_ENV_VAR", "AdbenchFile", "BUILTIN_DATASETS", "ChecksumMismatchError",
           "DATA_ENV_VAR", "Dataset", "DatasetError", "DatasetFormatError",
           "DatasetNotFoundError", "DownloadError", "DownloadOptions", "ODDS_BYTES",
           "ODDS_DATASETS", "ODDS_SHA256", "ODDS_URLS", "Pin", "SUITES", "SUPPORTED_SUFFIXES",
           "UnknownDatasetError", "download_adbench", "download_odds", "download_test_data",
           "find_adbench", "load_builtin", "load_dataset", "load_file", "load_suite",
           "read_csv", "read_mat", "read_npz", "resolve_data_dir", "suite_members",
           "validate_xy"]
