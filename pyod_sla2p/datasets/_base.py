"""The :class:`Dataset` container, the package's exceptions and validation.

Every loader ends by building a :class:`Dataset`, which runs
:func:`validate_xy`: a dataset that exists passed the checks (float64 ``X``
of shape (rows, features) without NaN or infinity, int64 ``y`` in {0, 1}).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Tuple, Union

import numpy as np

__all__ = ["Dataset", "DatasetError", "UnknownDatasetError", "DatasetNotFoundError",
           "DatasetFormatError", "DownloadError", "ChecksumMismatchError", "validate_xy",
           "did_you_mean"]

PathLike = Union[str, "os.PathLike[str]"]


# Each exception also derives from the builtin one a caller would naturally
# catch (ValueError, FileNotFoundError, OSError), so code that knows nothing
# about this package still handles them sensibly.


class DatasetError(Exception):
    """Base class of every error raised by :mod:`pyod_sla2p.datasets`."""


class UnknownDatasetError(DatasetError, ValueError):
    """A dataset or suite name that is neither a file, a builtin nor known."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A known dataset (or an explicit path) whose file is not on disk."""


class DatasetFormatError(DatasetError, ValueError):
    """A file that cannot be read, or whose contents are not a valid dataset: corrupt
    or truncated, unsupported type, no ``X``/``y``, mismatched lengths, non-binary
    or NaN labels, NaN or infinite features."""


class DownloadError(DatasetError, OSError):
    """A download that failed; nothing was written to the data directory."""


class ChecksumMismatchError(DownloadError):
    """A file whose size or checksum differs from the pinned one: a download
    (discarded) or, with ``load_dataset(..., verify=True)``, a file on disk
    (left in place; the message gives the command that fetches a good copy)."""


def did_you_mean(name: str, known: Iterable[str], n: int = 3, cutoff: float = 0.6) -> str:
    """`` Did you mean 'a', 'b'?`` for the close matches of ``name`` in ``known``, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=n, cutoff=cutoff)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _fail(name: str, problem: str, hint: str = "") -> DatasetFormatError:
    return DatasetFormatError(f"dataset {name!r}: {problem}" + (f" ({hint})" if hint else ""))


def validate_xy(X: Any, y: Any, name: str = "<unnamed>") -> Tuple[np.ndarray, np.ndarray]:
    """Check and normalise a feature matrix and its outlier labels.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features.  Any real numeric dtype; converted to float64.
    y : array-like of shape (n_samples,) or (n_samples, 1) or (1, n_samples)
        Labels, 1 = outlier and 0 = inlier.  Converted to int64.
    name : str
        Dataset name, used only in error messages.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, n_features)
    y : ndarray of int64, shape (n_samples,)

    Raises
    ------
    DatasetFormatError
        If ``X`` is not a non-empty 2-D numeric matrix without NaN or
        infinity, ``y`` not a vector of 0/1 labels, or their lengths differ.
        Nothing is imputed or dropped: repaired data would not be comparable.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.dtype.kind not in "biuf":
        raise _fail(name, f"X has dtype {X.dtype}, expected a real numeric matrix")
    if X.ndim != 2:
        raise _fail(name, f"X must be 2-D (rows x features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise _fail(name, f"X is empty (shape {X.shape})")
    X = X.astype(np.float64, copy=True)
    if n_nan := int(np.isnan(X).sum()):
        raise _fail(name, f"X contains {n_nan} NaN value(s)",
                    "missing values are not imputed; clean the file or drop those rows")
    if n_inf := int(np.isinf(X).sum()):
        raise _fail(name, f"X contains {n_inf} infinite value(s)")
    # MATLAB gives (n, 1) and a transposed v7.3 file may give (1, n): both
    # are vectors, anything wider is not.
    if y.ndim == 2 and 1 in y.shape:
        y = y.ravel()
    if y.ndim != 1:
        raise _fail(name, f"y must be a vector of labels, got shape {y.shape}")
    if y.dtype.kind not in "biuf":
        raise _fail(name, f"y has dtype {y.dtype}, expected numeric 0/1 labels")
    if y.dtype.kind == "f" and (n_nan_y := int(np.isnan(y).sum())):
        raise _fail(name, f"y contains {n_nan_y} NaN label(s)", "labels must be 0 or 1")
    values = np.unique(y)
    if not np.isin(values, (0, 1)).all():
        shown = ", ".join(repr(v.item()) for v in values[:10])
        raise _fail(name, f"labels must be binary (0 = inlier, 1 = outlier), found values "
                          f"{{{shown}{', ...' if values.size > 10 else ''}}}")
    y = y.astype(np.int64)
    if X.shape[0] != y.shape[0]:
        raise _fail(name, f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    return X, y


# eq=False: the default __eq__ would compare ndarrays element-wise and fail
# with "truth value of an array is ambiguous"; identity equality is honest.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled anomaly-detection dataset.

    Parameters
    ----------
    X : ndarray of float64, shape (n_samples, n_features)
        Feature matrix.
    y : ndarray of int64, shape (n_samples,)
        Labels, 1 = outlier, 0 = inlier.
    name : str
        Short name, e.g. ``"cardio"`` or ``"synthetic_local"``.
    source : str
        Where it came from: a file path, or ``"builtin:<recipe>"``.
    description : str, optional
        Free text (builtin recipes say how they were made).

    Notes
    -----
    Frozen; the inputs are validated and converted by :func:`validate_xy`.
    The arrays stay writable, for code that scales data in place.
    """

    X: np.ndarray
    y: np.ndarray
    name: str
    source: str
    description: str = ""

    def __post_init__(self) -> None:
        try:
            X, y = validate_xy(self.X, self.y, self.name)
        except DatasetFormatError as exc:
            # Say where the bad data came from, not only its name.
            raise DatasetFormatError(f"{exc} [source: {self.source}]") from None
        # frozen dataclass: bypass the frozen __setattr__ once, here only.
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features (columns of ``X``)."""
        return int(self.X.shape[1])

    @property
    def n_outliers(self) -> int:
        """Number of rows labelled 1."""
        return int(self.y.sum())

    @property
    def outlier_fraction(self) -> float:
        """Share of rows labelled 1, in [0, 1]."""
        return self.n_outliers / self.n_samples

    @property
    def metadata(self) -> Dict[str, Any]:
        """Summary as a plain dict (handy for result tables and logs)."""
        return {"name": self.name, "rows": self.n_samples, "features": self.n_features,
                "outliers": self.n_outliers, "outlier_fraction": self.outlier_fraction,
                "source": self.source}

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, rows={self.n_samples}, features={self.n_features}, "
                f"outliers={self.n_outliers} ({100 * self.outlier_fraction:.2f}%), "
                f"source={self.source!r})")
