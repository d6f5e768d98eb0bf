"""Name resolution: one dataset (:func:`load_dataset`) or a suite of them.

Suites
------
``builtin``
    The datasets of :mod:`pyod_sla2p.datasets.builtin`; no files needed.
``odds``
    The 17 ODDS sets, ``<data_dir>/odds/<name>.mat``.
``embeddings``
    Every ``.npz`` in ``<data_dir>/embeddings`` (sorted by name).
``adbench``, ``adbench-tabular``, ``adbench-cv-resnet18``, ``adbench-cv-vit``, ``adbench-nlp-bert``, ``adbench-nlp-roberta``
    The ADBench files present in ``<data_dir>/adbench/<family>/``, all
    families or one (see :mod:`pyod_sla2p.datasets.adbench`).
any directory
    Every ``.mat``/``.npz``/``.csv`` file directly in it (sorted by name).

A suite name wins over a directory of the same name in the current
working directory; pass ``./odds`` to mean the directory.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Union

from ._base import Dataset, DatasetNotFoundError, UnknownDatasetError
from .adbench import ADBENCH_FILES, adbench_members, adbench_path, download_command, find_adbench
from .adbench_source import ADBENCH_SUITES
from .builtin import BUILTIN_DATASETS, load_builtin
from .datadir import (
    DATA_ENV_VAR,
    EMBEDDINGS_SUBDIR,
    ODDS_DATASETS,
    ODDS_SUBDIR,
    describe_data_dir,
)
from .download import odds_pin
from .integrity import Pin, verify_file
from .loaders import SUPPORTED_SUFFIXES, load_file

__all__ = ["SUITES", "load_dataset", "load_suite", "suite_members"]

PathLike = Union[str, "os.PathLike[str]"]

#: Named suites (any directory of dataset files is a suite as well).
SUITES = ("odds", "embeddings", "builtin", *ADBENCH_SUITES)

_GET_IT = (
    "Get the ODDS files with `python -m pyod_sla2p.datasets download` "
    "(optionally `--data-dir DIR`), or point to an existing copy with "
    f"data_dir=... / `--data-dir DIR` / the {DATA_ENV_VAR} environment variable"
)


def _looks_like_path(name_or_path: PathLike) -> bool:
    """True if the argument names a file rather than a dataset.

    A path-like object, anything with a directory separator, or a string
    ending in a supported suffix counts as a path; bare words are names.
    """
    if isinstance(name_or_path, os.PathLike):
        return True
    text = str(name_or_path)
    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return any(s in text for s in seps) or Path(text).suffix.lower() in SUPPORTED_SUFFIXES


def _where(data_dir: Path, how: str) -> str:
    return f"data directory {data_dir} ({how})"


def _embedding_names(data_dir: Path) -> List[str]:
    folder = data_dir / EMBEDDINGS_SUBDIR
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.npz") if p.is_file())


def _load_pinned(path: Path, name: str, pin: Optional[Pin], verify: bool, refetch: str) -> Dataset:
    if verify and pin is not None:
        verify_file(path, pin, name, refetch)
    return load_file(path, name=name)


def load_dataset(
    name_or_path: PathLike, data_dir: Optional[PathLike] = None, verify: bool = False
) -> Dataset:
    """Load one labelled dataset.

    Parameters
    ----------
    name_or_path : str or path-like
        Tried in this order:

        1. a path to a ``.mat``, ``.npz`` or ``.csv`` file (a path-like
           object, a string containing ``/``, or a string ending in one of
           those suffixes);
        2. ``"builtin:<recipe>"`` or a builtin name such as ``"wine"`` or
           ``"synthetic_local"`` (see :data:`BUILTIN_DATASETS`);
        3. an ODDS name (``"cardio"``) -> ``<data_dir>/odds/cardio.mat``;
        4. an embedding name (``"resnet18_MVTec-AD_bottle"``) ->
           ``<data_dir>/embeddings/<name>.npz``;
        5. an ADBench name (``"6_cardio"``, ``"CV_by_ViT:MVTec-AD_bottle"``)
           -> ``<data_dir>/adbench/<family>/<stem>.npz`` (see
           :mod:`pyod_sla2p.datasets.adbench`).
    data_dir : str or path-like, optional
        Data directory; see :func:`resolve_data_dir` for the default.
    verify : bool, default False
        Check the file against its pinned checksum before loading it: the
        17 ODDS files (SHA-256) and every ADBench file (SHA-256, else git
        blob id).  Files without a pin (paths, embeddings, ``http``/``smtp``)
        load as they are.

    Returns
    -------
    Dataset

    Raises
    ------
    UnknownDatasetError
        If the name matches nothing (the message suggests close names and
        says where it looked), or is an ambiguous ADBench stem.
    DatasetNotFoundError
        If the name is a known ODDS or ADBench set (or an explicit path)
        whose file is missing; the message says where it looked and gives
        the command that downloads it.
    ChecksumMismatchError
        With ``verify=True``, if the file does not match its pin; the
        message gives the command that fetches a verified copy.
    DatasetFormatError
        If the file is corrupt or its contents are invalid.
    """
    if _looks_like_path(name_or_path):
        return load_file(name_or_path)

    name = str(name_or_path)
    if name.startswith("builtin:"):
        return load_builtin(name)
    if name in BUILTIN_DATASETS:
        return load_builtin(name)

    root, how = describe_data_dir(data_dir)
    odds_file = root / ODDS_SUBDIR / f"{name}.mat"
    emb_file = root / EMBEDDINGS_SUBDIR / f"{name}.npz"
    if odds_file.is_file():
        refetch = f"python -m pyod_sla2p.datasets download --force {name} --data-dir {root}"
        return _load_pinned(odds_file, name, odds_pin(name), verify, refetch)
    if emb_file.is_file():
        return load_file(emb_file)
    adbench = find_adbench(name)
    if adbench is not None:
        path = adbench_path(adbench, root)
        if path.is_file():
            refetch = download_command(adbench.name, root, force=True)
            return _load_pinned(path, adbench.name, adbench.pin, verify, refetch)
        raise DatasetNotFoundError(
            f"ADBench dataset {adbench.name!r} not found: looked for {path} in the "
            f"{_where(root, how)}. Download it with `{download_command(adbench.name, root)}`, "
            f"or point data_dir= / --data-dir / the {DATA_ENV_VAR} environment variable to a "
            f"copy of ADBench's files."
        )

    if name in ODDS_DATASETS:
        raise DatasetNotFoundError(
            f"ODDS dataset {name!r} not found: looked for {odds_file} in the "
            f"{_where(root, how)}. {_GET_IT}."
        )

    known = list(BUILTIN_DATASETS) + list(ODDS_DATASETS) + _embedding_names(root) + list(ADBENCH_FILES)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownDatasetError(
        f"unknown dataset {name!r}.{hint} Looked for a builtin dataset "
        f"({', '.join(BUILTIN_DATASETS)}), for {odds_file}, for {emb_file} and for an "
        f"ADBench name (6_cardio, CV_by_ViT:MVTec-AD_bottle) "
        f"in the {_where(root, how)}. Pass a path to a .mat/.npz/.csv file to "
        f"load your own data."
    )


def suite_members(name_or_dir: PathLike, data_dir: Optional[PathLike] = None) -> List[str]:
    """List a suite's datasets without loading them.

    Parameters
    ----------
    name_or_dir : str or path-like
        A name of :data:`SUITES` (``"odds"``, ``"embeddings"``,
        ``"builtin"``, ``"adbench"``, ``"adbench-cv-vit"``, ...), or a
        directory.
    data_dir : str or path-like, optional
        Data directory for the suites that read files.

    Returns
    -------
    list of str
        Dataset names (named suites) or absolute file paths (a directory),
        in a stable order.  Each element is accepted by
        ``load_dataset(member, data_dir=data_dir)``, which lets a benchmark
        build its grid cheaply and load each dataset inside a worker.

    Raises
    ------
    DatasetNotFoundError
        If ``odds`` files are missing (all missing ones are listed), the
        embeddings folder is missing or empty, an ADBench suite has no file
        present (ADBench suites list the files present), or a directory
        holds no dataset files.  Failing here, before any work starts, beats failing
        in a worker halfway through a benchmark.
    UnknownDatasetError
        If ``name_or_dir`` is neither a suite nor a directory.
    """
    key = str(name_or_dir) if not isinstance(name_or_dir, os.PathLike) else None

    if key == "builtin":
        return list(BUILTIN_DATASETS)
    if key in ADBENCH_SUITES:
        return adbench_members(key, data_dir)

    if key in ("odds", "embeddings"):
        root, how = describe_data_dir(data_dir)
        if key == "odds":
            missing = [n for n in ODDS_DATASETS if not (root / ODDS_SUBDIR / f"{n}.mat").is_file()]
            if missing:
                shown = ", ".join(missing) if len(missing) < len(ODDS_DATASETS) else "all 17"
                raise DatasetNotFoundError(
                    f"ODDS suite incomplete: {len(missing)} file(s) missing ({shown}) from "
                    f"{root / ODDS_SUBDIR} in the {_where(root, how)}. {_GET_IT}."
                )
            return list(ODDS_DATASETS)
        names = _embedding_names(root)
        if not names:
            raise DatasetNotFoundError(
                f"no embedding files (*.npz) in {root / EMBEDDINGS_SUBDIR} in the "
                f"{_where(root, how)}. Copy ADBench's .npz embedding files there, or "
                f"point data_dir / --data-dir / {DATA_ENV_VAR} to a directory that has them."
            )
        return names

    folder = Path(name_or_dir).expanduser()
    if folder.is_dir():
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        )
        if not files:
            raise DatasetNotFoundError(
                f"directory {folder} holds no dataset files "
                f"({', '.join('*' + s for s in SUPPORTED_SUFFIXES)})"
            )
        # Absolute paths: workers may run with another working directory.
        return [str(p.resolve()) for p in files]

    close = difflib.get_close_matches(str(name_or_dir), SUITES, n=2, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownDatasetError(
        f"unknown suite {str(name_or_dir)!r}.{hint} Use one of {', '.join(SUITES)}, "
        f"or an existing directory of .mat/.npz/.csv files ({folder.resolve()} is not one)."
    )


def load_suite(
    name_or_dir: PathLike, data_dir: Optional[PathLike] = None, verify: bool = False
) -> Iterator[Dataset]:
    """Yield the datasets of a suite, one at a time.

    Parameters
    ----------
    name_or_dir : str or path-like
        A name of :data:`SUITES`, or a directory of ``.mat``/``.npz``/``.csv``
        files.
    data_dir : str or path-like, optional
        Data directory for the suites that read files.
    verify : bool, default False
        Check each pinned file's checksum before loading it (see
        :func:`load_dataset`).

    Returns
    -------
    iterator of Dataset
        Lazily loaded in :func:`suite_members` order.  The member list is
        computed right away, so a missing suite raises at the call, not at
        the first ``next()``.
    """
    members: Sequence[str] = suite_members(name_or_dir, data_dir=data_dir)
    return (load_dataset(m, data_dir=data_dir, verify=verify) for m in members)
