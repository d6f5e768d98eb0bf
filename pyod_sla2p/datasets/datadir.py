"""Where the benchmark data lives on disk.

Layout of a data directory::

    <data_dir>/odds/<name>.mat                 the ODDS tabular sets
    <data_dir>/embeddings/<name>.npz           ADBench image/text embeddings
    <data_dir>/adbench/<family>/<name>.npz     ADBench's files, in its layout

In this repository's development checkout and in CI the data sits at
``../shared/datasets`` relative to the repository root; point
``PYOD_SLA2P_DATA`` (or ``data_dir=``) there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Tuple, Union

__all__ = [
    "DATA_ENV_VAR",
    "ODDS_DATASETS",
    "resolve_data_dir",
    "describe_data_dir",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Environment variable naming the data directory.
DATA_ENV_VAR = "PYOD_SLA2P_DATA"

#: The 17 ODDS sets of PyOD's own benchmark, in the suite's (alphabetical) order.
ODDS_DATASETS = (
    "arrhythmia",
    "cardio",
    "glass",
    "ionosphere",
    "letter",
    "lympho",
    "mnist",
    "musk",
    "optdigits",
    "pendigits",
    "pima",
    "satellite",
    "satimage-2",
    "shuttle",
    "vertebral",
    "vowels",
    "wbc",
)

ODDS_SUBDIR = "odds"
EMBEDDINGS_SUBDIR = "embeddings"
ADBENCH_SUBDIR = "adbench"


def _cache_dir() -> Path:
    # XDG_CACHE_HOME only counts when set to something non-empty, as the
    # XDG spec says; Path.home() honours $HOME, which tests rely on.
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "pyod_sla2p"


def describe_data_dir(data_dir: Optional[PathLike] = None) -> Tuple[Path, str]:
    """Resolve the data directory and say how it was chosen.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Explicit directory; wins over everything else.

    Returns
    -------
    path : pathlib.Path
        The directory (not required to exist).
    how : str
        Human-readable reason, used in error messages.
    """
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser(), "from the data_dir argument"
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser(), f"from ${DATA_ENV_VAR}"
    return _cache_dir(), (
        f"the default user cache directory, since neither data_dir nor "
        f"${DATA_ENV_VAR} was given"
    )


def resolve_data_dir(data_dir: Optional[PathLike] = None) -> Path:
    """Return the directory holding ``odds/``, ``embeddings/`` and ``adbench/``.

    Resolution order: the ``data_dir`` argument, then the environment
    variable ``PYOD_SLA2P_DATA``, then ``$XDG_CACHE_HOME/pyod_sla2p`` (or
    ``~/.cache/pyod_sla2p`` when ``XDG_CACHE_HOME`` is unset).  The
    directory is not created and need not exist.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Explicit directory.

    Returns
    -------
    pathlib.Path
    """
    return describe_data_dir(data_dir)[0]
