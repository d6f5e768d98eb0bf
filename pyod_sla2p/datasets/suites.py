"""Name resolution: one dataset (:func:`load_dataset`) or a suite of them.

Suites: ``builtin`` (no files needed); ``odds``, the 17 ODDS sets
``<data_dir>/odds/<name>.mat``; ``embeddings``, every ``.npz`` in
``<data_dir>/embeddings`` (sorted); ``adbench`` and its family suites, the
ADBench files present (:mod:`~pyod_sla2p.datasets.adbench`); any directory,
every ``.mat``/``.npz``/``.csv`` file directly in it (sorted).  A suite name
wins over a directory of that name (``./odds`` means the directory).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

from ._base import (Dataset, DatasetFormatError, DatasetNotFoundError, PathLike,
                    UnknownDatasetError, did_you_mean)
from .adbench import ADBENCH_FILES, adbench_members, adbench_path, download_command, find_adbench
from .builtin import BUILTIN_DATASETS, load_builtin
from .datadir import (ADBENCH_SUITES, DATA_ENV_VAR, EMBEDDINGS_SUBDIR, ODDS_DATASETS, ODDS_SUBDIR,
                      describe_data_dir)
from .download import odds_pin
from .integrity import Pin, verify_file
from .loaders import SUPPORTED_SUFFIXES, load_file

__all__ = ["SUITES", "load_dataset", "load_suite", "suite_members"]

#: Named suites (any directory of dataset files is a suite as well).
SUITES = ("odds", "embeddings", "builtin", *ADBENCH_SUITES)

_GET_IT = ("Get the ODDS files with `python -m pyod_sla2p.datasets download` (optionally "
           "`--data-dir DIR`), or point to an existing copy with data_dir=... / `--data-dir DIR` "
           f"/ the {DATA_ENV_VAR} environment variable")


def _where(root: Path, how: str) -> str:
    return f"data directory {root} ({how})"


def _tests_suite(root: Path) -> str:
    return download_command("", root, suite="tests")


def _looks_like_path(name_or_path: PathLike) -> bool:
    """True for a path-like object, or a string with a ``/`` or a supported suffix."""
    if isinstance(name_or_path, os.PathLike):
        return True
    text = str(name_or_path)
    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return any(s in text for s in seps) or Path(text).suffix.lower() in SUPPORTED_SUFFIXES


def _embedding_names(data_dir: Path) -> List[str]:
    return sorted(p.stem for p in (data_dir / EMBEDDINGS_SUBDIR).glob("*.npz") if p.is_file())


def _load_present(path: Path, name: str, pin: Optional[Pin], verify: bool,
                  refetch: str) -> Optional[Dataset]:
    """The dataset at ``path`` (checked against ``pin`` if ``verify``), or None;
    raise if something else is in its place (it would read as a missing file)."""
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise DatasetFormatError(f"dataset {name!r}: {path} is {kind}, not a dataset file. "
                                 f"Move it away, then fetch the file with `{refetch}`.")
    if not path.exists():
        return None
    if verify and pin is not None:
        verify_file(path, pin, name, refetch)
    return load_file(path, name=name)


def load_dataset(name_or_path: PathLike, data_dir: Optional[PathLike] = None,
                 verify: bool = False) -> Dataset:
    """Load one labelled dataset.

    An error message says what was looked for and where, and gives the
    command that fetches a (verified) copy, or close names.

    Parameters
    ----------
    name_or_path : str or path-like
        Tried in this order: a ``.mat``/``.npz``/``.csv`` path (a path-like
        object, or a string with a ``/`` or one of those suffixes); a
        builtin name (``"wine"``, ``"builtin:wine"``); an ODDS name
        (``<data_dir>/odds/<name>.mat``); an embedding name
        (``<data_dir>/embeddings/<name>.npz``); an ADBench name
        (``"6_cardio"``, ``"CV_by_ViT:MVTec-AD_bottle"``).
    data_dir : str or path-like, optional
        Data directory; see :func:`resolve_data_dir` for the default.
    verify : bool, default False
        Check a pinned file (ODDS, ADBench) against its checksum first.

    Returns
    -------
    Dataset

    Raises
    ------
    UnknownDatasetError
        If the name matches nothing, or is an ambiguous ADBench stem.
    DatasetNotFoundError
        For a known ODDS or ADBench set (or a path) whose file is missing.
    ChecksumMismatchError
        With ``verify=True``, for a file that does not match its pin.
    DatasetFormatError
        For a corrupt or invalid file, or a directory where it should be.
    """
    if _looks_like_path(name_or_path):
        return load_file(name_or_path)

    name = str(name_or_path)
    if name.startswith("builtin:") or name in BUILTIN_DATASETS:
        return load_builtin(name)

    root, how = describe_data_dir(data_dir)
    odds_file = root / ODDS_SUBDIR / f"{name}.mat"
    emb_file = root / EMBEDDINGS_SUBDIR / f"{name}.npz"
    refetch = download_command(name, root, force=True, suite=None)
    if (dataset := _load_present(odds_file, name, odds_pin(name), verify, refetch)
            or _load_present(emb_file, name, None, verify, _tests_suite(root))) is not None:
        return dataset
    if (adbench := find_adbench(name)) is not None:
        path = adbench_path(adbench, root)
        refetch = download_command(adbench.name, root, force=True)
        if (dataset := _load_present(path, adbench.name, adbench.pin, verify, refetch)) is not None:
            return dataset
        raise DatasetNotFoundError(
            f"ADBench dataset {adbench.name!r} not found: looked for {path} in the "
            f"{_where(root, how)}. Download it with `{download_command(adbench.name, root)}`, "
            f"or point data_dir= / --data-dir / the {DATA_ENV_VAR} environment variable to a "
            f"copy of ADBench's files.")
    if name in ODDS_DATASETS:
        raise DatasetNotFoundError(f"ODDS dataset {name!r} not found: looked for {odds_file} in "
                                   f"the {_where(root, how)}. {_GET_IT}.")

    known = [*BUILTIN_DATASETS, *ODDS_DATASETS, *_embedding_names(root), *ADBENCH_FILES]
    raise UnknownDatasetError(
        f"unknown dataset {name!r}.{did_you_mean(name, known)} Looked for a builtin dataset "
        f"({', '.join(BUILTIN_DATASETS)}), for {odds_file}, for {emb_file} and for an "
        f"ADBench name (6_cardio, CV_by_ViT:MVTec-AD_bottle) in the {_where(root, how)}. "
        f"Pass a path to a .mat/.npz/.csv file to load your own data.")


def suite_members(name_or_dir: PathLike, data_dir: Optional[PathLike] = None) -> List[str]:
    """List a suite's datasets without loading them.

    Parameters
    ----------
    name_or_dir : str or path-like
        A name of :data:`SUITES`, or a directory.
    data_dir : str or path-like, optional
        Data directory for the suites that read files.

    Returns
    -------
    list of str
        Names (named suites) or absolute paths (a directory), in a stable
        order, each accepted by ``load_dataset(member, data_dir=data_dir)``.

    Raises
    ------
    DatasetNotFoundError
        If ``odds`` files are missing (all are listed), or an embeddings
        folder, ADBench suite or directory has no files: better at once
        than in a worker halfway through a benchmark.
    UnknownDatasetError
        If ``name_or_dir`` is neither a suite nor a directory.
    """
    key = str(name_or_dir) if not isinstance(name_or_dir, os.PathLike) else None
    if key == "builtin":
        return list(BUILTIN_DATASETS)
    if key in ADBENCH_SUITES:
        return adbench_members(key, data_dir)
    root, how = describe_data_dir(data_dir)
    if key == "odds":
        missing = [n for n in ODDS_DATASETS if not (root / ODDS_SUBDIR / f"{n}.mat").is_file()]
        if missing:
            shown = ", ".join(missing) if len(missing) < len(ODDS_DATASETS) else "all 17"
            raise DatasetNotFoundError(
                f"ODDS suite incomplete: {len(missing)} file(s) missing ({shown}) from "
                f"{root / ODDS_SUBDIR} in the {_where(root, how)}. {_GET_IT}.")
        return list(ODDS_DATASETS)
    if key == "embeddings":
        names = _embedding_names(root)
        if not names:
            raise DatasetNotFoundError(
                f"no embedding files (*.npz) in {root / EMBEDDINGS_SUBDIR} in the "
                f"{_where(root, how)}. Get those the tests use with `{_tests_suite(root)}`, copy "
                f"ADBench's .npz embedding files there, or point data_dir / --data-dir / "
                f"{DATA_ENV_VAR} to a directory that has them.")
        return names
    folder = Path(name_or_dir).expanduser()
    if folder.is_dir():
        files = sorted(p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        if not files:
            raise DatasetNotFoundError(f"directory {folder} holds no dataset files "
                                       f"({', '.join('*' + s for s in SUPPORTED_SUFFIXES)})")
        # Absolute paths: workers may run with another working directory.
        return [str(p.resolve()) for p in files]
    hint = did_you_mean(str(name_or_dir), SUITES, n=2, cutoff=0.5)
    raise UnknownDatasetError(
        f"unknown suite {str(name_or_dir)!r}.{hint} Use one of {', '.join(SUITES)}, "
        f"or an existing directory of .mat/.npz/.csv files ({folder.resolve()} is not one).")


def load_suite(name_or_dir: PathLike, data_dir: Optional[PathLike] = None,
               verify: bool = False) -> Iterator[Dataset]:
    """Yield the datasets of a suite, one at a time.

    Parameters
    ----------
    name_or_dir, data_dir
        As in :func:`suite_members`.
    verify : bool, default False
        As in :func:`load_dataset`.

    Returns
    -------
    iterator of Dataset
        Lazily loaded in :func:`suite_members` order; a missing suite raises
        at the call.
    """
    members: Sequence[str] = suite_members(name_or_dir, data_dir=data_dir)
    return (load_dataset(m, data_dir=data_dir, verify=verify) for m in members)
