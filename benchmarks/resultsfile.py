"""``results.csv``: one row per finished cell, appended as cells finish.

The header is written once, when the file is created; each row is written
with a single ``write`` and flushed, so an interrupted run loses only the
cells that were running. :func:`read_rows` tolerates a truncated last line.

Columns (:data:`COLUMNS`): the key ``dataset, detector, protocol, seed``;
the metrics ``roc_auc, average_precision, precision_at_n``; the costs
``fit_seconds, score_seconds, peak_memory_mb``; ``error`` (empty when the
cell succeeded); then ``status`` (``ok``/``error``/``timeout``),
``n_train, n_test, n_features, n_outliers_test``, ``params`` (the user's
overrides as JSON), ``wall_seconds`` (the whole cell, process start
included), ``host`` and ``finished_at`` (UTC, ISO 8601).
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

__all__ = ["COLUMNS", "KEY", "ResultsFileError", "ResultsWriter", "read_frame", "read_rows",
           "row_key", "write_rows"]

COLUMNS = [
    "dataset", "detector", "protocol", "seed",
    "roc_auc", "average_precision", "precision_at_n",
    "fit_seconds", "score_seconds", "peak_memory_mb", "error",
    "status", "n_train", "n_test", "n_features", "n_outliers_test",
    "params", "wall_seconds", "host", "finished_at",
]

KEY = ("dataset", "detector", "protocol", "seed")


class ResultsFileError(ValueError):
    """An existing results file that this run cannot use."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _line(row: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_cell(row.get(c)) for c in COLUMNS])
    return buf.getvalue()


def row_key(row: Mapping[str, Any]) -> Tuple[str, str, str, int]:
    """``(dataset, detector, protocol, seed)`` of a row (seed as int)."""
    return (str(row["dataset"]), str(row["detector"]), str(row["protocol"]), int(row["seed"]))


def read_rows(path: Path) -> List[Dict[str, str]]:
    """Read an existing results file as dicts of strings.

    Rows with the wrong number of fields (a line cut by a crash) are skipped.

    Raises
    ------
    ResultsFileError
        If the header differs from :data:`COLUMNS` (a file from another
        version of the runner, or not a results file at all).
    """
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != COLUMNS:
            raise ResultsFileError(
                f"{path} has columns {header} but this runner writes {COLUMNS}; "
                "use a new --out directory (or --overwrite to replace the file)")
        rows = []
        for fields in reader:
            if len(fields) != len(COLUMNS):
                continue
            rows.append(dict(zip(COLUMNS, fields)))
    return rows


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """Atomically (re)write ``path`` with the header and ``rows``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        fh.write(_line(dict(zip(COLUMNS, COLUMNS))))
        for row in rows:
            fh.write(_line(row))
    os.replace(tmp, path)


class ResultsWriter:
    """Append rows to a results file, one flushed line per cell.

    Parameters
    ----------
    path : path-like
        Created with a header if missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._fh = open(self.path, "a", newline="", encoding="utf-8")
        if new:
            self._fh.write(_line(dict(zip(COLUMNS, COLUMNS))))
            self._fh.flush()

    def write(self, row: Mapping[str, Any]) -> None:
        """Append one row and flush it to the operating system."""
        self._fh.write(_line(row))
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "ResultsWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_frame(path: Path, protocol: Optional[str] = None):
    """Load a results file as a pandas DataFrame, one row per cell.

    When a cell appears more than once, the last row wins. Numeric columns
    are converted; ``error`` is an empty string for successful cells.
    """
    import pandas as pd

    rows = read_rows(Path(path))
    df = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("roc_auc", "average_precision", "precision_at_n", "fit_seconds",
                "score_seconds", "peak_memory_mb", "n_train", "n_test", "n_features",
                "n_outliers_test", "wall_seconds"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    df["seed"] = pd.to_numeric(df["seed"], errors="coerce").astype("Int64")
    df = df.drop_duplicates(subset=list(KEY), keep="last").reset_index(drop=True)
    if protocol is not None:
        df = df[df["protocol"] == protocol].reset_index(drop=True)
    return df
