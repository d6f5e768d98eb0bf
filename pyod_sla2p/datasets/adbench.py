"""The ``adbench`` suites: ADBench's dataset files by name, and their download.

Names
-----
Each dataset file of ADBench's repository, ``<family>/<stem>.npz``, is a
dataset (:data:`ADBENCH_FILES` lists all 195):

* ``<family>:<stem>`` always names it: ``CV_by_ViT:MVTec-AD_bottle``,
  ``NLP_by_BERT:20news_3``, ``Classical:6_cardio``;
* the bare stem names it as well when no other family has that stem.  That
  is every ``Classical`` set (``6_cardio``, ADBench's own name for it); the
  CV and NLP stems recur across encoders (``MVTec-AD_bottle`` under
  ResNet-18 and ViT, ``20news_3`` under BERT and RoBERTa), so a bare one is
  an error that lists the qualified names.

A dataset's canonical name, used in suite listings and results, is its bare
stem when that is unique and the qualified name otherwise.  A ``:`` rather
than a ``/`` separates the family: ``load_dataset`` reads a name with a
``/`` as a file path, and the benchmark runner shortens paths to their
stem, which would merge ``CV_by_ResNet18/MVTec-AD_bottle`` and
``CV_by_ViT/MVTec-AD_bottle`` into one row.

Files are read from ``<data_dir>/adbench/<family>/<stem>.npz``, ADBench's
own layout, so a copy of its ``datasets`` folder works as it is.

Suites
------
``adbench`` lists every ADBench file present in the data directory;
``adbench-tabular`` (``Classical``), ``adbench-cv-resnet18``,
``adbench-cv-vit``, ``adbench-nlp-bert`` and ``adbench-nlp-roberta`` list
one family's (see :data:`ADBENCH_FAMILIES`).

Download
--------
:func:`download_adbench` (``python -m pyod_sla2p.datasets download --suite
adbench [--family F] [names...]``) fetches the files from ADBench's
repository at a fixed commit, each checked against its pin: SHA-256 where
known, else the git blob id (:mod:`~pyod_sla2p.datasets.integrity`).
"""

from __future__ import annotations

import difflib
import os
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional, Union

from ._adbench_pins import PINS
from ._base import DatasetNotFoundError, UnknownDatasetError
from .adbench_source import (
    ADBENCH_BASE_URL,
    ADBENCH_FAMILIES,
    ADBENCH_SUITE,
    ADBENCH_URL_ENV_VAR,
)
from .datadir import ADBENCH_SUBDIR, DATA_ENV_VAR, describe_data_dir
from .fetch import DEFAULT_MAX_BYTES, FileJob, download_files
from .integrity import Pin

__all__ = [
    "ADBENCH_FILES",
    "AdbenchFile",
    "adbench_members",
    "adbench_path",
    "download_adbench",
    "download_command",
    "find_adbench",
]

PathLike = Union[str, "os.PathLike[str]"]


class AdbenchFile(NamedTuple):
    """One ADBench dataset file.

    Attributes
    ----------
    name : str
        Canonical name (``"6_cardio"``, ``"CV_by_ViT:MVTec-AD_bottle"``).
    family : str
        ADBench's folder (``"Classical"``, ``"CV_by_ViT"``, ...).
    stem : str
        File name without ``.npz``.
    pin : Pin
        Size (where known), SHA-256 (where known) and git blob id.
    """

    name: str
    family: str
    stem: str
    pin: Pin

    @property
    def relpath(self) -> str:
        """``<family>/<stem>.npz``, the same under ADBench's folder and ours."""
        return f"{self.family}/{self.stem}.npz"


def _catalogue() -> Dict[str, AdbenchFile]:
    parts = [(path[: -len(".npz")].split("/", 1), size, sha, blob) for path, size, sha, blob in PINS]
    stem_count = Counter(stem for (_, stem), *_ in parts)
    files = {}
    for (family, stem), size, sha, blob in parts:
        name = stem if stem_count[stem] == 1 else f"{family}:{stem}"
        files[name] = AdbenchFile(name, family, stem, Pin(sha256=sha, git_blob=blob, size=size))
    return files


#: Every ADBench dataset file by canonical name, in ADBench's order.
ADBENCH_FILES: Dict[str, AdbenchFile] = _catalogue()


def find_adbench(name: str) -> Optional[AdbenchFile]:
    """Look a name up among ADBench's files.

    Parameters
    ----------
    name : str
        A canonical name, ``<family>:<stem>``, or a bare stem.

    Returns
    -------
    AdbenchFile or None
        None if no ADBench file has that name.

    Raises
    ------
    UnknownDatasetError
        If a bare stem exists in several families; the message lists the
        qualified names to choose from.
    """
    if name in ADBENCH_FILES:
        return ADBENCH_FILES[name]
    family, sep, stem = name.rpartition(":")
    matches = [
        f for f in ADBENCH_FILES.values()
        if f.stem == stem and (not sep or f.family == family)
    ]
    if len(matches) > 1:
        raise UnknownDatasetError(
            f"{name!r} is ambiguous: ADBench has it in {len(matches)} families. Name one of "
            f"{', '.join(repr(f.name) for f in matches)}."
        )
    return matches[0] if matches else None


def adbench_path(entry: AdbenchFile, root: Path) -> Path:
    """Where ``entry`` lives in the data directory ``root``."""
    return root / ADBENCH_SUBDIR / entry.family / f"{entry.stem}.npz"


def download_command(selection: str, root: Path, force: bool = False) -> str:
    """The shell command that downloads ``selection`` (names or ``--family F``) into ``root``."""
    words = ["python -m pyod_sla2p.datasets download --suite", ADBENCH_SUITE]
    words += ["--force"] if force else []
    words += [selection] if selection else []
    return " ".join(words + ["--data-dir", str(root)])


def _suite_families(suite: str) -> List[str]:
    if suite == ADBENCH_SUITE:
        return list(ADBENCH_FAMILIES)
    return [family for family, s in ADBENCH_FAMILIES.items() if s == suite]


def adbench_members(suite: str, data_dir: Optional[PathLike] = None) -> List[str]:
    """The canonical names of a suite's files present in the data directory.

    Parameters
    ----------
    suite : str
        ``"adbench"`` or a family suite (``"adbench-cv-vit"``, ...).
    data_dir : str or path-like, optional

    Returns
    -------
    list of str
        In ADBench's order; files that are missing are left out.

    Raises
    ------
    DatasetNotFoundError
        If none of the suite's files is present; the message gives the
        command that downloads them.
    """
    families = _suite_families(suite)
    if not families:
        raise UnknownDatasetError(f"{suite!r} is not an ADBench suite")
    root, how = describe_data_dir(data_dir)
    names = [
        f.name for f in ADBENCH_FILES.values()
        if f.family in families and adbench_path(f, root).is_file()
    ]
    if not names:
        selection = f"--family {families[0]}" if len(families) == 1 else ""
        folders = ", ".join(str(root / ADBENCH_SUBDIR / family) for family in families)
        raise DatasetNotFoundError(
            f"suite {suite!r} has no files in the data directory {root} ({how}): looked for "
            f"ADBench's .npz files in {folders}. Download them with "
            f"`{download_command(selection, root)}`, or point data_dir= / "
            f"--data-dir / ${DATA_ENV_VAR} to a directory that has adbench/<family>/*.npz."
        )
    return names


def _select(names: Optional[Iterable[str]], families: Optional[Iterable[str]]) -> List[AdbenchFile]:
    if isinstance(names, str):  # a lone name, not an iterable of letters
        names = [names]
    if isinstance(families, str):
        families = [families]
    chosen: Dict[str, AdbenchFile] = {}
    for family in families or ():
        if family not in ADBENCH_FAMILIES:
            close = difflib.get_close_matches(family, list(ADBENCH_FAMILIES), n=2, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownDatasetError(
                f"{family!r} is not an ADBench family.{hint} "
                f"Families: {', '.join(ADBENCH_FAMILIES)}"
            )
        chosen.update((f.name, f) for f in ADBENCH_FILES.values() if f.family == family)
    for name in names or ():
        entry = find_adbench(name)
        if entry is None:
            known = list(ADBENCH_FILES)
            close = difflib.get_close_matches(name, known, n=3)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownDatasetError(
                f"{name!r} is not an ADBench dataset.{hint} Names are ADBench's file stems "
                f"(6_cardio) or <family>:<stem> (CV_by_ViT:MVTec-AD_bottle)."
            )
        chosen[entry.name] = entry
    if names is None and families is None:
        return list(ADBENCH_FILES.values())
    # Keep ADBench's order whatever the order of the request.
    return [f for f in ADBENCH_FILES.values() if f.name in chosen]


def download_adbench(
    names: Optional[Iterable[str]] = None,
    families: Optional[Iterable[str]] = None,
    *,
    data_dir: Optional[PathLike] = None,
    base_url: Optional[str] = None,
    force: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 60.0,
    verbose: bool = False,
) -> List[Path]:
    """Download ADBench files into ``<data_dir>/adbench/<family>/``, verified.

    Parameters
    ----------
    names : iterable of str, optional
        ADBench names (see the module docstring).
    families : iterable of str, optional
        ADBench families (``"Classical"``, ``"CV_by_ViT"``, ...): all their
        files.  With ``names``, the union.  With neither, all 195 files.
    data_dir : str or path-like, optional
        Data directory (see :func:`resolve_data_dir`); created if needed.
    base_url : str, optional
        Serves ``<base_url>/<family>/<stem>.npz``.  Default: the
        ``PYOD_SLA2P_ADBENCH_URL`` environment variable, else ADBench's
        repository at a fixed commit (:data:`ADBENCH_BASE_URL`).
    force : bool, default False
        Download even if a file that passes verification is present.
    max_bytes : int, default 100 MiB
        Size cap of each download; a file's pinned size caps it further.
    timeout : float, default 60
        Socket timeout in seconds.
    verbose : bool, default False
        Print one line per file.

    Returns
    -------
    list of pathlib.Path
        The files, downloaded or already present, in ADBench's order.

    Raises
    ------
    UnknownDatasetError
        For an unknown or ambiguous name or an unknown family, before any
        download.
    DownloadError
        On an HTTP or network error or a transfer over the size cap; one
        failure is re-raised, several are listed together; files that
        succeeded stay, nothing is left of those that failed.
    ChecksumMismatchError
        If a file does not match its pin; the file is discarded.
    """
    selected = _select(names, families)
    base = (base_url or os.environ.get(ADBENCH_URL_ENV_VAR, "").strip() or ADBENCH_BASE_URL)
    base = base.rstrip("/")
    root, how = describe_data_dir(data_dir)
    jobs = [
        FileJob(
            entry.relpath,
            f"{base}/{urllib.parse.quote(entry.relpath)}",
            adbench_path(entry, root),
            entry.pin,
            max_bytes,
        )
        for entry in selected
    ]
    return download_files(jobs, f"data directory {how}", force=force, timeout=timeout,
                          verbose=verbose)
