"""The ``adbench`` suites: ADBench's dataset files by name, and their download.

Each file ``<family>/<stem>.npz`` of ADBench's repository is a dataset
(:data:`ADBENCH_FILES` lists all 195), read from
``<data_dir>/adbench/<family>/<stem>.npz`` (ADBench's layout: a copy of its
``datasets`` folder works as it is).  ``<family>:<stem>`` always names it
(``CV_by_ViT:MVTec-AD_bottle``); the bare stem does too when no other family
has it, as for every ``Classical`` set (``6_cardio``), and is then the
canonical name, used in listings and results.  A bare CV or NLP stem
(``MVTec-AD_bottle``, under ResNet-18 and ViT) is an error listing the
qualified names.  A ``:`` separates the family, not a ``/``:
``load_dataset`` reads a name with ``/`` as a path, and the benchmark runner
shortens paths to their stem, which would merge two encoders' files.

Suites: ``adbench``, every ADBench file present; one per family
(:data:`ADBENCH_FAMILIES`).  :func:`download_adbench` fetches files from
ADBench's repository at a fixed commit, each checked against its pin.
"""

from __future__ import annotations

import os
import urllib.parse
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional

from ._adbench_pins import PINS
from ._base import DatasetNotFoundError, PathLike, UnknownDatasetError, did_you_mean
from .datadir import (ADBENCH_BASE_URL, ADBENCH_FAMILIES, ADBENCH_SUBDIR, ADBENCH_SUITE,
                      ADBENCH_URL_ENV_VAR, DATA_ENV_VAR, describe_data_dir, resolve_data_dir)
from .fetch import DownloadOptions, FileJob, download_files
from .integrity import Pin

__all__ = ["ADBENCH_FILES", "AdbenchFile", "adbench_base_url", "adbench_job", "adbench_members",
           "adbench_path", "download_adbench", "download_command", "find_adbench"]


class AdbenchFile(NamedTuple):
    """One ADBench dataset file: its canonical ``name``, ADBench's folder
    (``family``), its file name without ``.npz`` (``stem``) and its ``pin``."""

    name: str
    family: str
    stem: str
    pin: Pin

    @property
    def relpath(self) -> str:
        """``<family>/<stem>.npz``, the same under ADBench's folder and ours."""
        return f"{self.family}/{self.stem}.npz"


def _catalogue() -> Dict[str, AdbenchFile]:
    parts = [(path[: -len(".npz")].split("/", 1), size, sha, blob)
             for path, size, sha, blob in PINS]
    stem_count = Counter(stem for (_, stem), *_ in parts)
    files = {}
    for (family, stem), size, sha, blob in parts:
        name = stem if stem_count[stem] == 1 else f"{family}:{stem}"
        files[name] = AdbenchFile(name, family, stem, Pin(sha256=sha, git_blob=blob, size=size))
    return files


#: Every ADBench dataset file by canonical name, in ADBench's order.
ADBENCH_FILES: Dict[str, AdbenchFile] = _catalogue()


def find_adbench(name: str) -> Optional[AdbenchFile]:
    """Look up a canonical name, ``<family>:<stem>`` or a bare stem; None if unknown.

    Raises
    ------
    UnknownDatasetError
        If a bare stem exists in several families, listing the qualified names.
    """
    if name in ADBENCH_FILES:
        return ADBENCH_FILES[name]
    family, sep, stem = name.rpartition(":")
    matches = [f for f in ADBENCH_FILES.values()
               if f.stem == stem and (not sep or f.family == family)]
    if len(matches) > 1:
        raise UnknownDatasetError(
            f"{name!r} is ambiguous: ADBench has it in {len(matches)} families. Name one of "
            f"{', '.join(repr(f.name) for f in matches)}.")
    return matches[0] if matches else None


def adbench_path(entry: AdbenchFile, root: Path) -> Path:
    """Where ``entry`` lives in the data directory ``root``."""
    return root / ADBENCH_SUBDIR / entry.family / f"{entry.stem}.npz"


def download_command(selection: str, root: Path, force: bool = False,
                     suite: Optional[str] = ADBENCH_SUITE) -> str:
    """The shell command that downloads ``selection`` (names or ``--family F``)
    of ``suite`` (None: ODDS) into ``root``."""
    words = ["python -m pyod_sla2p.datasets download"] + (["--suite", suite] if suite else [])
    words += (["--force"] if force else []) + ([selection] if selection else [])
    return " ".join(words + ["--data-dir", str(root)])


def adbench_members(suite: str, data_dir: Optional[PathLike] = None) -> List[str]:
    """The canonical names of the files of ``suite`` (``"adbench"`` or a family
    suite) present in the data directory, in ADBench's order; if there is
    none, a :class:`DatasetNotFoundError` gives the command that downloads them."""
    families = [f for f, s in ADBENCH_FAMILIES.items() if suite in (s, ADBENCH_SUITE)]
    root, how = describe_data_dir(data_dir)
    names = [f.name for f in ADBENCH_FILES.values()
             if f.family in families and adbench_path(f, root).is_file()]
    if not names:
        selection = f"--family {families[0]}" if len(families) == 1 else ""
        folders = ", ".join(str(root / ADBENCH_SUBDIR / family) for family in families)
        raise DatasetNotFoundError(
            f"suite {suite!r} has no files in the data directory {root} ({how}): looked for "
            f"ADBench's .npz files in {folders}. Download them with "
            f"`{download_command(selection, root)}`, or point data_dir= / "
            f"--data-dir / ${DATA_ENV_VAR} to a directory that has adbench/<family>/*.npz.")
    return names


def _select(names: Optional[Iterable[str]], families: Optional[Iterable[str]]) -> List[AdbenchFile]:
    names = [names] if isinstance(names, str) else names  # a lone name, not its letters
    families = [families] if isinstance(families, str) else families
    if names is None and families is None:
        return list(ADBENCH_FILES.values())
    chosen = set()
    for family in families or ():
        if family not in ADBENCH_FAMILIES:
            raise UnknownDatasetError(
                f"{family!r} is not an ADBench family."
                f"{did_you_mean(family, ADBENCH_FAMILIES, cutoff=0.5)} "
                f"Families: {', '.join(ADBENCH_FAMILIES)}")
        chosen.update(f.name for f in ADBENCH_FILES.values() if f.family == family)
    for name in names or ():
        entry = find_adbench(name)
        if entry is None:
            raise UnknownDatasetError(
                f"{name!r} is not an ADBench dataset.{did_you_mean(name, ADBENCH_FILES)} "
                f"Names are ADBench's file stems (6_cardio) or <family>:<stem> "
                f"(CV_by_ViT:MVTec-AD_bottle).")
        chosen.add(entry.name)
    # ADBench's order, whatever the order of the request.
    return [f for f in ADBENCH_FILES.values() if f.name in chosen]


def adbench_base_url(base_url: Optional[str] = None) -> str:
    """``base_url``, else ``$PYOD_SLA2P_ADBENCH_URL``, else ADBench's repository."""
    base = base_url or os.environ.get(ADBENCH_URL_ENV_VAR, "").strip() or ADBENCH_BASE_URL
    return base.rstrip("/")


def adbench_job(entry: AdbenchFile, base: str, target: Path) -> FileJob:
    """The download of ``<base>/<family>/<stem>.npz`` to ``target``, checked by its pin."""
    return FileJob(entry.relpath, f"{base}/{urllib.parse.quote(entry.relpath)}", target, entry.pin)


def download_adbench(names: Optional[Iterable[str]] = None,
                     families: Optional[Iterable[str]] = None, *,
                     options: Optional[DownloadOptions] = None, **settings) -> List[Path]:
    """Download ADBench files into ``<data_dir>/adbench/<family>/``, verified.

    Parameters
    ----------
    names : iterable of str, optional
        ADBench names (see the module docstring).
    families : iterable of str, optional
        ADBench families (``"Classical"``, ``"CV_by_ViT"``, ...): all their
        files.  With ``names``, the union.  With neither, all 195 files.
    options, **settings
        As in :func:`~pyod_sla2p.datasets.download_odds`; ``base_url``
        serves ``<base_url>/<family>/<stem>.npz`` (default:
        ``$PYOD_SLA2P_ADBENCH_URL``, else ADBench's repository at a fixed
        commit, :data:`ADBENCH_BASE_URL`).

    Returns
    -------
    list of pathlib.Path
        The files, downloaded or already present, in ADBench's order.

    Raises
    ------
    UnknownDatasetError
        For an unknown or ambiguous name or an unknown family, before any
        download; else as :func:`~pyod_sla2p.datasets.download_odds`.
    """
    options = replace(options or DownloadOptions(), **settings)
    selected = _select(names, families)
    base, root = adbench_base_url(options.base_url), resolve_data_dir(options.data_dir)
    return download_files([adbench_job(entry, base, adbench_path(entry, root))
                           for entry in selected], options)
