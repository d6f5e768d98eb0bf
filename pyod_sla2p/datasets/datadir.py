"""Where the benchmark data lives on disk, and where ADBench's comes from.

A data directory holds ``odds/<name>.mat`` (the ODDS tabular sets),
``embeddings/<name>.npz`` (ADBench image/text embeddings) and
``adbench/<family>/<name>.npz`` (ADBench's files, in its layout).  In
development and CI it is ``../shared/datasets`` from the repository root;
point ``PYOD_SLA2P_DATA`` (or ``data_dir=``) there, or fill one with
``python -m pyod_sla2p.datasets download --suite tests --data-dir DIR``.
ADBench (Han et al., NeurIPS 2022) keeps its files in
github.com/Minqi824/ADBench, read at a fixed commit, so the bytes cannot
change under the pinned checksums.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional, Tuple

import pooch

from ._base import PathLike

__all__ = ["ADBENCH_BASE_URL", "ADBENCH_COMMIT", "ADBENCH_FAMILIES", "ADBENCH_SUITE",
           "ADBENCH_SUITES", "ADBENCH_URL_ENV_VAR", "DATA_ENV_VAR", "ODDS_DATASETS",
           "describe_data_dir", "resolve_data_dir", "write_text_atomic"]

#: Environment variable naming the data directory.
DATA_ENV_VAR = "PYOD_SLA2P_DATA"

#: The 17 ODDS sets of PyOD's own benchmark, in the suite's (alphabetical) order.
ODDS_DATASETS = ("arrhythmia", "cardio", "glass", "ionosphere", "letter", "lympho", "mnist",
                 "musk", "optdigits", "pendigits", "pima", "satellite", "satimage-2", "shuttle",
                 "vertebral", "vowels", "wbc")

ODDS_SUBDIR, EMBEDDINGS_SUBDIR, ADBENCH_SUBDIR = "odds", "embeddings", "adbench"

#: The last commit of ADBench's repository that changed ``adbench/datasets``
#: (``git log -1 --format=%H -- adbench/datasets`` in a clone of it); its
#: files are the ones ``MANIFEST.tsv`` lists.
ADBENCH_COMMIT = "f7fed68dea6901fe9a81ed51b251b1d2456790cd"

#: Default download location: ``<base>/<family>/<name>.npz``.
ADBENCH_BASE_URL = (
    f"https://raw.githubusercontent.com/Minqi824/ADBench/{ADBENCH_COMMIT}/adbench/datasets")

#: Environment variable that replaces :data:`ADBENCH_BASE_URL` (a mirror).
ADBENCH_URL_ENV_VAR = "PYOD_SLA2P_ADBENCH_URL"

#: ADBench's families (its folder names) and the suite that holds each.
ADBENCH_FAMILIES = {"Classical": "adbench-tabular", "CV_by_ResNet18": "adbench-cv-resnet18",
                    "CV_by_ViT": "adbench-cv-vit", "NLP_by_BERT": "adbench-nlp-bert",
                    "NLP_by_RoBERTa": "adbench-nlp-roberta"}

#: The suite of every ADBench file, whatever its family, and all ADBench suites.
ADBENCH_SUITE = "adbench"
ADBENCH_SUITES = (ADBENCH_SUITE, *ADBENCH_FAMILIES.values())


def describe_data_dir(data_dir: Optional[PathLike] = None) -> Tuple[Path, str]:
    """The data directory (see :func:`resolve_data_dir`) and how it was chosen,
    in words for error messages."""
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser(), "from the data_dir argument"
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser(), f"from ${DATA_ENV_VAR}"
    # pooch's cache folder: $XDG_CACHE_HOME (when not empty) or ~/.cache on
    # Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows.
    return Path(pooch.os_cache("pyod_sla2p")), (
        f"the default user cache directory, since neither data_dir nor ${DATA_ENV_VAR} was given")


def resolve_data_dir(data_dir: Optional[PathLike] = None) -> Path:
    """Return the directory holding ``odds/``, ``embeddings/`` and ``adbench/``.

    The ``data_dir`` argument, else the environment variable
    ``PYOD_SLA2P_DATA``, else ``pooch.os_cache("pyod_sla2p")``, the user
    cache folder (on Linux ``$XDG_CACHE_HOME/pyod_sla2p``, or
    ``~/.cache/pyod_sla2p``).  It is not created and need not exist.
    """
    return describe_data_dir(data_dir)[0]


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, LF) to ``path`` through a temporary file, as the
    downloads do: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
