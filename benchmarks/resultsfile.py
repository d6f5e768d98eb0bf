"""``results.csv``: one row per finished cell, appended as cells finish.

The header is written once, when the file is created; each row is written
with a single ``write`` and flushed, so an interrupted run loses only the
cells that were running. Rows are only ever appended: a cell run again (by
``--resume``) gets a new row, and when reading, the latest valid row of a
cell wins. Every field of a row is checked when reading (:func:`row_problem`);
a row that fails (a line cut by a crash, a hand edit) is skipped with a
warning.

Columns (:data:`COLUMNS`): the key ``dataset, detector, protocol, seed``;
the metrics ``roc_auc, average_precision, precision_at_n``; the costs
``fit_seconds, score_seconds, peak_memory_mb``; ``error`` (empty when the
cell succeeded); then ``status`` (``ok``/``error``/``timeout``/``memory``),
``n_train, n_test, n_features, n_outliers_test``, ``params`` (the user's
overrides as JSON), ``wall_seconds`` (the whole cell, process start
included), ``host`` and ``finished_at`` (UTC, ISO 8601).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import warnings
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from .protocols import PROTOCOLS

__all__ = ["CELL_KEY", "COLUMNS", "ResultsFileError", "ResultsWriter", "cell_key",
           "fit_score_seconds", "latest_rows", "read_frame", "read_rows", "row_problem",
           "write_rows"]

COLUMNS = [
    "dataset", "detector", "protocol", "seed",
    "roc_auc", "average_precision", "precision_at_n",
    "fit_seconds", "score_seconds", "peak_memory_mb", "error",
    "status", "n_train", "n_test", "n_features", "n_outliers_test",
    "params", "wall_seconds", "host", "finished_at",
]

#: The columns that identify a cell.
CELL_KEY = ("dataset", "detector", "protocol", "seed")

METRIC_COLUMNS = ("roc_auc", "average_precision", "precision_at_n")
SECONDS_COLUMNS = ("fit_seconds", "score_seconds", "peak_memory_mb", "wall_seconds")
COUNT_COLUMNS = ("n_train", "n_test", "n_features", "n_outliers_test")
STATUSES = ("ok", "error", "timeout", "memory")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d:\d\d|Z)")


class ResultsFileError(ValueError):
    """An existing results file that this run cannot use."""


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _line(row: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_format(row.get(c)) for c in COLUMNS])
    return buf.getvalue()


_HEADER = _line(dict(zip(COLUMNS, COLUMNS)))


def cell_key(row: Mapping[str, Any]) -> Tuple[str, str, str, int]:
    """``(dataset, detector, protocol, seed)`` of a row (seed as int)."""
    return (str(row["dataset"]), str(row["detector"]), str(row["protocol"]), int(row["seed"]))


def _number(text: str, lo: float = 0.0, hi: float = math.inf) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and lo <= value <= hi


def _field_problems(row: Mapping[str, str]):
    """Yield a description of each field of ``row`` that a writer never writes."""
    if not row["dataset"] or not row["detector"]:
        yield "empty dataset or detector"
    if row["protocol"] not in PROTOCOLS:
        yield f"protocol {row['protocol']!r}"
    if not row["seed"].isdigit():
        yield f"seed {row['seed']!r}"
    if row["status"] not in STATUSES:
        yield f"status {row['status']!r}"
    for col in METRIC_COLUMNS:
        if row[col] and not _number(row[col], 0.0, 1.0):
            yield f"{col} {row[col]!r}"
    for col in SECONDS_COLUMNS:
        if row[col] and not _number(row[col]):
            yield f"{col} {row[col]!r}"
    for col in COUNT_COLUMNS:
        if row[col] and not row[col].isdigit():
            yield f"{col} {row[col]!r}"
    try:
        if not isinstance(json.loads(row["params"]), dict):
            yield "params is not a JSON object"
    except ValueError:
        yield f"params {row['params']!r}"
    if not _TIMESTAMP.fullmatch(row["finished_at"]):
        yield f"finished_at {row['finished_at']!r}"


def row_problem(fields: List[str]) -> Optional[str]:
    """Why ``fields`` (one parsed CSV line) is not a complete results row, or None."""
    if len(fields) != len(COLUMNS):
        return f"{len(fields)} fields instead of {len(COLUMNS)}"
    row = dict(zip(COLUMNS, fields))
    problems = list(_field_problems(row))
    if row["status"] == "ok" and (row["error"] or not all(row[c] for c in METRIC_COLUMNS)
                                  or not row["fit_seconds"]):
        problems.append("an ok row without its metrics and fit time, or with an error")
    if row["status"] != "ok" and not row["error"]:
        problems.append(f"a {row['status']} row without an error message")
    return "; ".join(problems) or None


def read_rows(path: Path) -> List[Dict[str, str]]:
    """Read a results file as dicts of strings, in file order, valid rows only.

    Lines that are not a complete row (:func:`row_problem`) are skipped with a
    warning that names them.

    Raises
    ------
    ResultsFileError
        If the header differs from :data:`COLUMNS` (a file from another
        version of the runner, or not a results file at all).
    """
    rows, skipped = [], []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != COLUMNS:
            raise ResultsFileError(
                f"{path} has columns {header} but this runner writes {COLUMNS}; "
                "use a new --out directory (or --overwrite to replace the file)")
        for fields in reader:
            problem = row_problem(fields)
            if problem:
                skipped.append(f"line {reader.line_num}: {problem}")
            else:
                rows.append(dict(zip(COLUMNS, fields)))
    if skipped:
        warnings.warn(f"{path}: skipped {len(skipped)} incomplete or malformed row(s), as "
                      f"left by an interrupted write ({'; '.join(skipped[:3])})", stacklevel=2)
    return rows


def latest_rows(rows: Iterable[Mapping[str, Any]]) -> Dict[Tuple, Mapping[str, Any]]:
    """The latest row of each cell, by :func:`cell_key`, in the order of those rows."""
    latest: Dict[Tuple, Mapping[str, Any]] = {}
    for row in rows:
        key = cell_key(row)
        latest.pop(key, None)
        latest[key] = row
    return latest


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """Write a new results file with the header and ``rows`` (atomically)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        fh.write(_HEADER)
        fh.writelines(_line(row) for row in rows)
    os.replace(tmp, path)


class ResultsWriter:
    """Append rows to a results file, one flushed line per cell.

    Parameters
    ----------
    path : path-like
        Created with a header if missing. If its last line was cut by a
        crash, the first new row starts on a line of its own.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        size = self.path.stat().st_size if self.path.exists() else 0
        self._fh = open(self.path, "a+b")
        if size == 0:
            self._fh.write(_HEADER.encode("utf-8"))
        else:
            self._fh.seek(size - 1)
            if self._fh.read(1) != b"\n":
                self._fh.write(b"\n")
        self._fh.flush()

    def write(self, row: Mapping[str, Any]) -> None:
        """Append one row and flush it to the operating system."""
        self._fh.write(_line(row).encode("utf-8"))
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "ResultsWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_frame(path: Path, protocol: Optional[str] = None):
    """Load a results file as a pandas DataFrame, one row per cell (its latest).

    Numeric columns are converted; ``error`` is an empty string for
    successful cells.
    """
    import pandas as pd

    df = pd.DataFrame(list(latest_rows(read_rows(Path(path))).values()), columns=COLUMNS)
    for col in (*METRIC_COLUMNS, *SECONDS_COLUMNS, *COUNT_COLUMNS):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    df["seed"] = pd.to_numeric(df["seed"]).astype("Int64")
    if protocol is not None:
        df = df[df["protocol"] == protocol].reset_index(drop=True)
    return df


def fit_score_seconds(df):
    """Fit plus score seconds of each row; NaN for a cell that did not succeed.

    A transductive cell has no ``score_seconds``: its scores are the
    ``decision_scores_`` computed in ``fit``, so its fit time is the whole cost.
    """
    total = df["fit_seconds"] + df["score_seconds"].fillna(0.0)
    return total.where(df["status"] == "ok")
