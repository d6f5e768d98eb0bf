"""Readers for the three on-disk formats: MATLAB ``.mat``, NumPy ``.npz``, CSV.

Each ``read_*`` function returns the raw ``(X, y)`` pair; :func:`load_file`
dispatches on the suffix and wraps it in a validated :class:`Dataset`.  A
file that cannot be parsed raises :class:`DatasetFormatError` naming it, not
an obscure zlib or HDF5 traceback.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from ._base import Dataset, DatasetFormatError, DatasetNotFoundError, PathLike

__all__ = ["SUPPORTED_SUFFIXES", "read_mat", "read_npz", "read_csv", "load_file"]

#: File types that :func:`load_file` (and directory suites) understand.
SUPPORTED_SUFFIXES = (".mat", ".npz", ".csv")
XY = Tuple[np.ndarray, np.ndarray]

_REFETCH_HINT = ("The file looks corrupt or truncated: delete it and fetch it again "
                 "(for ODDS files: python -m pyod_sla2p.datasets download --force NAME).")


def _corrupt(path: Path, kind: str, exc: BaseException) -> DatasetFormatError:
    return DatasetFormatError(
        f"cannot read {path} as {kind} ({type(exc).__name__}: {exc}). {_REFETCH_HINT}")


def _require_xy(path: Path, present: List[str]) -> None:
    missing = [k for k in ("X", "y") if k not in present]
    if missing:
        raise DatasetFormatError(
            f"{path} has no variable(s) {', '.join(repr(k) for k in missing)}; "
            f"found {sorted(present) or 'none'}. A dataset file must hold the "
            f"features as 'X' (rows x features) and the labels as 'y' (1 = outlier)")


def _read_mat_v73(path: Path) -> XY:
    """Read a MATLAB v7.3 (HDF5) file with h5py; HDF5 readers see MATLAB's
    column-major arrays with the axes reversed, so each is transposed back."""
    import h5py  # only v7.3 files need it

    try:
        with h5py.File(path, "r") as f:
            _require_xy(path, [k for k in f.keys() if not k.startswith("#")])
            if not all(isinstance(f[k], h5py.Dataset) for k in ("X", "y")):
                raise DatasetFormatError(
                    f"{path}: variable 'X' or 'y' is a MATLAB struct/cell, not a numeric array")
            return np.asarray(f["X"][()]).T, np.asarray(f["y"][()]).T
    except DatasetFormatError:
        raise
    except Exception as exc:  # h5py raises OSError/KeyError/... for damaged files
        raise _corrupt(path, "a MATLAB v7.3 (HDF5) file", exc) from exc


def read_mat(path: PathLike) -> XY:
    """Read ``X`` and ``y`` (as stored, not yet validated) from a MATLAB file:
    v4-v7.2 with :func:`scipy.io.loadmat`, v7.3 (HDF5) with h5py, transposed
    back to rows x features; a sparse ``X`` is made dense.

    Raises
    ------
    DatasetFormatError
        If the file is corrupt or lacks ``X`` or ``y``.
    """
    import h5py
    import scipy.io
    import scipy.sparse

    path = Path(path)
    # v7.3 by its HDF5 signature (at offset 0 or after MATLAB's 512-byte
    # user block); scipy's NotImplementedError catches anything that slips by.
    try:
        is_hdf5 = h5py.is_hdf5(str(path))
    except Exception:  # unreadable: scipy says why below
        is_hdf5 = False
    if is_hdf5:
        return _read_mat_v73(path)
    try:
        contents = scipy.io.loadmat(str(path))
    except NotImplementedError:
        return _read_mat_v73(path)
    except Exception as exc:  # scipy raises ValueError/TypeError/zlib.error/...
        raise _corrupt(path, "a MATLAB file", exc) from exc
    _require_xy(path, [k for k in contents if not k.startswith("__")])
    X, y = (a.toarray() if scipy.sparse.issparse(a) else a for a in (contents["X"], contents["y"]))
    return X, y


def read_npz(path: PathLike) -> XY:
    """Read ``X`` and ``y`` from an ADBench-style ``.npz`` archive, with
    ``allow_pickle=False``: unpickling a downloaded file would run any code.

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
    if not isinstance(archive, np.lib.npyio.NpzFile):  # np.load reads .npy content too
        raise DatasetFormatError(
            f"{path} is a single .npy array, not an .npz archive with 'X' and 'y'")
    with archive:
        _require_xy(path, list(archive.files))
        try:
            return archive["X"], archive["y"]
        except ValueError as exc:  # object arrays need pickle: refused
            raise DatasetFormatError(
                f"{path}: 'X'/'y' are stored as pickled object arrays, which are not "
                f"loaded for safety (allow_pickle=False); save them as numeric arrays") from exc
        except Exception as exc:  # truncated member, CRC error, ...
            raise _corrupt(path, "a NumPy .npz archive", exc) from exc


def _parse_float(text: str) -> Optional[float]:
    # An empty cell is a missing value: NaN, which validation reports with a
    # count, rather than a guess.
    try:
        return float(text) if text.strip() else float("nan")
    except ValueError:
        return None


def read_csv(path: PathLike, delimiter: Optional[str] = None) -> XY:
    """Read ``X`` and ``y`` from a CSV file whose last column is the 0/1 outlier label.

    The ``delimiter`` is sniffed among ``,``, ``;`` and tab unless given.
    The first row is a header when any of its cells is non-empty and not a
    number; any later non-numeric cell is an error (with its line number);
    empty cells become NaN, which validation rejects.

    Raises
    ------
    DatasetFormatError
        If the file is not text, is empty, has ragged rows, fewer than two
        columns, non-numeric cells after the header, or labels not 0/1.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (UnicodeDecodeError, OSError) as exc:
        raise _corrupt(path, "a UTF-8 CSV file", exc) from exc
    if "\x00" in text:
        raise DatasetFormatError(
            f"{path} contains NUL bytes: it is binary, not CSV. {_REFETCH_HINT}")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    try:
        rows = [(lineno, row) for lineno, row
                in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)
                if any(cell.strip() for cell in row)]  # blank lines carry nothing
    except csv.Error as exc:
        raise _corrupt(path, "a CSV file", exc) from exc
    if not rows:
        raise DatasetFormatError(f"{path} is empty")
    header = None
    if any(cell.strip() and _parse_float(cell) is None for cell in rows[0][1]):
        header, rows = rows[0][1], rows[1:]
        if not rows:
            raise DatasetFormatError(f"{path} has a header row but no data")
    width = len(rows[0][1])
    if width < 2:
        raise DatasetFormatError(
            f"{path} has a single column; expected features followed by a label column")
    values = np.empty((len(rows), width), dtype=np.float64)
    for i, (lineno, row) in enumerate(rows):
        if len(row) != width:
            raise DatasetFormatError(
                f"{path}, line {lineno}: {len(row)} fields, expected {width} like the first "
                f"data row")
        for j, cell in enumerate(row):
            if (v := _parse_float(cell)) is None:
                raise DatasetFormatError(
                    f"{path}, line {lineno}, column {j + 1}: {cell.strip()!r} is not a number "
                    f"(only the first row may be a header)")
            values[i, j] = v
    _check_label_column(path, values[:, -1], header)
    return values[:, :-1], values[:, -1]


def _check_label_column(path: Path, labels: np.ndarray, header: Optional[List[str]]) -> None:
    # Validation would only say "labels must be binary"; in a CSV the usual
    # cause is a file without a label column, or labels coded otherwise (2/4).
    found = np.unique(labels[~np.isnan(labels)])  # NaN: validation counts those
    if np.isin(found, (0, 1)).all():
        return
    shown = ", ".join(f"{v:g}" for v in found[:10]) + (", ..." if found.size > 10 else "")
    name = f" ({header[-1].strip()!r})" if header and header[-1].strip() else ""
    raise DatasetFormatError(
        f"{path}: the last column{name} is read as the outlier labels, which must be 0 "
        f"(inlier) or 1 (outlier), but it holds {{{shown}}}. If the file has no label "
        f"column, add one as the last column; if the labels are coded otherwise, recode "
        f"them to 0/1; if they are in another column, move it to the end.")


_READERS = {".mat": read_mat, ".npz": read_npz, ".csv": read_csv}


def load_file(path: PathLike, name: Optional[str] = None) -> Dataset:
    """Load a dataset file (``.mat``, ``.npz`` or ``.csv``, by its suffix).

    Parameters
    ----------
    path : str or path-like
    name : str, optional
        Dataset name; default: the file name without suffix.

    Returns
    -------
    Dataset
        Its ``source`` is the path.

    Raises
    ------
    DatasetNotFoundError
        If the file does not exist.
    DatasetFormatError
        If it is a directory, of an unsupported type, or invalid.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise DatasetFormatError(
            f"{path} is a directory; load_dataset takes one file -- use "
            f"load_suite({str(path)!r}) to load every dataset file in it")
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise DatasetFormatError(f"{path}: unsupported file type {suffix or '(no suffix)'!r}; "
                                 f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if not path.is_file():
        raise DatasetNotFoundError(f"dataset file {path} does not exist")
    X, y = _READERS[suffix](path)
    return Dataset(X=X, y=y, name=name or path.stem, source=str(path))
