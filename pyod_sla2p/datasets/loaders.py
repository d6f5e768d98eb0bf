"""Readers for the three on-disk formats: MATLAB ``.mat``, NumPy ``.npz``, CSV.

Each ``read_*`` function returns the raw ``(X, y)`` pair; :func:`load_file`
dispatches on the suffix and wraps the pair in a validated
:class:`~pyod_sla2p.datasets.Dataset`.  Any failure to parse a file is
re-raised as :class:`~pyod_sla2p.datasets.DatasetFormatError` naming the
file, so a truncated download never surfaces as an obscure zlib or HDF5
traceback.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np

from ._base import Dataset, DatasetFormatError, DatasetNotFoundError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "read_mat",
    "read_npz",
    "read_csv",
    "load_file",
]

#: File types that :func:`load_file` (and directory suites) understand.
SUPPORTED_SUFFIXES = (".mat", ".npz", ".csv")

PathLike = Union[str, "os.PathLike[str]"]

_REFETCH_HINT = (
    "The file looks corrupt or truncated: delete it and fetch it again "
    "(for ODDS files: python -m pyod_sla2p.datasets download --force NAME)."
)


def _corrupt(path: Path, kind: str, exc: BaseException) -> DatasetFormatError:
    return DatasetFormatError(
        f"cannot read {path} as {kind} ({type(exc).__name__}: {exc}). {_REFETCH_HINT}"
    )


def _missing_keys(path: Path, missing: List[str], present: List[str]) -> DatasetFormatError:
    return DatasetFormatError(
        f"{path} has no variable(s) {', '.join(repr(k) for k in missing)}; "
        f"found {sorted(present) or 'none'}. A dataset file must hold the "
        f"features as 'X' (rows x features) and the labels as 'y' (1 = outlier)"
    )


# --------------------------------------------------------------------------
# MATLAB
# --------------------------------------------------------------------------


def _read_mat_v73(path: Path) -> Tuple[np.ndarray, np.ndarray]:
    """Read a MATLAB v7.3 (HDF5) file with h5py.

    MATLAB writes arrays column-major, and HDF5 readers see them with the
    axes reversed: a (rows x features) matrix arrives as (features x rows)
    and an (n x 1) label vector as (1 x n).  Transposing restores MATLAB's
    view.
    """
    import h5py  # imported lazily: only v7.3 files need it

    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in ("X", "y") if k not in f]
            if missing:
                raise _missing_keys(path, missing, [k for k in f.keys() if not k.startswith("#")])
            arrays = []
            for key in ("X", "y"):
                node = f[key]
                if not isinstance(node, h5py.Dataset):
                    raise DatasetFormatError(
                        f"{path}: variable {key!r} is a MATLAB struct/cell, not a numeric array"
                    )
                arrays.append(np.asarray(node[()]).T)
    except DatasetFormatError:
        raise
    except Exception as exc:  # h5py raises OSError/KeyError/... for damaged files
        raise _corrupt(path, "a MATLAB v7.3 (HDF5) file", exc) from exc
    return arrays[0], arrays[1]


def read_mat(path: PathLike) -> Tuple[np.ndarray, np.ndarray]:
    """Read ``X`` and ``y`` from a MATLAB file, v5 or v7.3.

    Parameters
    ----------
    path : str or path-like
        A ``.mat`` file.  MATLAB v4-v7.2 files are read with
        :func:`scipy.io.loadmat`; v7.3 files (HDF5 underneath, which scipy
        does not read) with h5py, transposed back to rows x features.

    Returns
    -------
    X, y : ndarray
        As stored (not yet validated or converted).

    Raises
    ------
    DatasetFormatError
        If the file is corrupt or lacks ``X`` or ``y``.
    """
    import h5py
    import scipy.io
    import scipy.sparse

    path = Path(path)
    # Detect v7.3 up front by its HDF5 signature (h5py looks at offset 0 and
    # at the 512-byte user block MATLAB puts in front).  scipy's
    # NotImplementedError below is the fallback for anything that slips by.
    try:
        is_hdf5 = h5py.is_hdf5(str(path))
    except Exception:  # unreadable file: let scipy produce the error below
        is_hdf5 = False
    if is_hdf5:
        return _read_mat_v73(path)

    try:
        contents = scipy.io.loadmat(str(path))
    except NotImplementedError:
        return _read_mat_v73(path)
    except Exception as exc:  # scipy raises ValueError/TypeError/zlib.error/...
        raise _corrupt(path, "a MATLAB file", exc) from exc
    present = [k for k in contents if not k.startswith("__")]
    missing = [k for k in ("X", "y") if k not in contents]
    if missing:
        raise _missing_keys(path, missing, present)
    X, y = contents["X"], contents["y"]
    # Some MATLAB files store X as a sparse matrix; densify it (ODDS sets
    # are small) so that validation sees an ordinary array.
    if scipy.sparse.issparse(X):
        X = X.toarray()
    if scipy.sparse.issparse(y):
        y = y.toarray()
    return X, y


# --------------------------------------------------------------------------
# NumPy
# --------------------------------------------------------------------------


def read_npz(path: PathLike) -> Tuple[np.ndarray, np.ndarray]:
    """Read ``X`` and ``y`` from an ADBench-style ``.npz`` archive.

    The archive is opened with ``allow_pickle=False``: an ``.npz`` can
    carry pickled objects, and unpickling a downloaded file would run
    arbitrary code.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    X, y : ndarray

    Raises
    ------
    DatasetFormatError
        If the file is not a readable ``.npz`` archive, holds object
        (pickled) arrays, or lacks ``X`` or ``y``.
    """
    path = Path(path)
    try:
        archive = np.load(str(path), allow_pickle=False)
    except Exception as exc:  # BadZipFile, ValueError ("pickled data"), OSError
        raise _corrupt(path, "a NumPy .npz archive", exc) from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        # np.load happily returns a bare ndarray for .npy content.
        raise DatasetFormatError(
            f"{path} is a single .npy array, not an .npz archive with 'X' and 'y'"
        )
    with archive:
        missing = [k for k in ("X", "y") if k not in archive.files]
        if missing:
            raise _missing_keys(path, missing, list(archive.files))
        try:
            X = archive["X"]
            y = archive["y"]
        except ValueError as exc:  # object arrays need pickle: refuse them
            raise DatasetFormatError(
                f"{path}: 'X'/'y' are stored as pickled object arrays, which are not "
                f"loaded for safety (allow_pickle=False); save them as numeric arrays"
            ) from exc
        except Exception as exc:  # truncated member, CRC error, ...
            raise _corrupt(path, "a NumPy .npz archive", exc) from exc
    return X, y


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def _parse_float(text: str) -> Optional[float]:
    text = text.strip()
    if text == "":
        # An empty cell is a missing value; it becomes NaN so that
        # validation reports it (with a count) instead of guessing a value.
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return None


def read_csv(path: PathLike, delimiter: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Read a CSV file whose last column is the 0/1 outlier label.

    Parameters
    ----------
    path : str or path-like
    delimiter : str, optional
        Field separator.  By default it is sniffed among ``,``, ``;`` and
        tab, falling back to ``,``.

    Returns
    -------
    X, y : ndarray

    Notes
    -----
    A header row is allowed and detected: the first row is taken as a
    header when any of its cells is non-empty and not a number.  Any later
    non-numeric cell is an error (reported with its line number); empty
    cells become NaN and are then rejected by validation.

    Raises
    ------
    DatasetFormatError
        If the file is not text, is empty, has ragged rows, fewer than two
        columns, or non-numeric cells after the header.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _corrupt(path, "a UTF-8 CSV file", exc) from exc
    except OSError as exc:
        raise _corrupt(path, "a CSV file", exc) from exc
    if "\x00" in text:
        raise DatasetFormatError(f"{path} contains NUL bytes: it is binary, not CSV. {_REFETCH_HINT}")

    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    try:
        rows = [
            (lineno, row)
            for lineno, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)
            if any(cell.strip() for cell in row)  # blank lines carry nothing
        ]
    except csv.Error as exc:
        raise _corrupt(path, "a CSV file", exc) from exc
    if not rows:
        raise DatasetFormatError(f"{path} is empty")

    first = rows[0][1]
    if any(cell.strip() and _parse_float(cell) is None for cell in first):
        rows = rows[1:]  # header
        if not rows:
            raise DatasetFormatError(f"{path} has a header row but no data")

    width = len(rows[0][1])
    if width < 2:
        raise DatasetFormatError(
            f"{path} has a single column; expected features followed by a label column"
        )
    values = np.empty((len(rows), width), dtype=np.float64)
    for i, (lineno, row) in enumerate(rows):
        if len(row) != width:
            raise DatasetFormatError(
                f"{path}, line {lineno}: {len(row)} fields, expected {width} like the first data row"
            )
        for j, cell in enumerate(row):
            v = _parse_float(cell)
            if v is None:
                raise DatasetFormatError(
                    f"{path}, line {lineno}, column {j + 1}: {cell.strip()!r} is not a number "
                    f"(only the first row may be a header)"
                )
            values[i, j] = v
    return values[:, :-1], values[:, -1]


# --------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------

_READERS = {".mat": read_mat, ".npz": read_npz, ".csv": read_csv}


def load_file(path: PathLike, name: Optional[str] = None) -> Dataset:
    """Load a dataset file (``.mat``, ``.npz`` or ``.csv``).

    Parameters
    ----------
    path : str or path-like
        The file.  Its suffix selects the reader.
    name : str, optional
        Dataset name; defaults to the file name without suffix.

    Returns
    -------
    Dataset
        With ``source`` set to the path.

    Raises
    ------
    DatasetNotFoundError
        If the file does not exist.
    DatasetFormatError
        If the suffix is not supported or the contents are invalid.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise DatasetFormatError(
            f"{path} is a directory; load_dataset takes one file -- use "
            f"load_suite({str(path)!r}) to load every dataset file in it"
        )
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise DatasetFormatError(
            f"{path}: unsupported file type {suffix or '(no suffix)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise DatasetNotFoundError(f"dataset file {path} does not exist")
    X, y = reader(path)
    return Dataset(X=X, y=y, name=name or path.stem, source=str(path))
