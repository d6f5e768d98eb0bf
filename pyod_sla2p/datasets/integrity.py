"""What a dataset file should be (:class:`Pin`) and whether it is.

A pin records what is known about a published file: its size, its SHA-256
and/or its git blob id.  The git blob id is what ``git hash-object FILE``
prints, the SHA-1 of ``b"blob <size>\\0"`` followed by the content; every
file of a git repository has one, so a file of ADBench's repository can be
checked even where nobody published a SHA-256 for it.  SHA-256 is used
whenever it is known, the blob id only otherwise.

The same check serves downloads (:mod:`pyod_sla2p.datasets.fetch`) and
``load_dataset(..., verify=True)``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Optional, Union

from ._base import ChecksumMismatchError

__all__ = ["Pin", "sha256_file", "git_blob_id", "verify_file"]

PathLike = Union[str, "os.PathLike[str]"]

_CHUNK = 1 << 16


def _digest(path: PathLike, h: "hashlib._Hash") -> str:
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file(path: PathLike) -> str:
    """SHA-256 of a file, as 64 hex digits."""
    return _digest(path, hashlib.sha256())


def git_blob_id(path: PathLike) -> str:
    """The git blob id of a file, as ``git hash-object`` computes it.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str
        40 hex digits: SHA-1 of ``b"blob <size>\\0" + content``.
    """
    h = hashlib.sha1()
    h.update(b"blob %d\0" % os.path.getsize(path))
    return _digest(path, h)


@dataclass(frozen=True)
class Pin:
    """The published size and checksums of one file.

    Parameters
    ----------
    sha256 : str, optional
        SHA-256 hex digest.
    git_blob : str, optional
        Git blob id (SHA-1 hex digest of the blob), used when ``sha256`` is
        not known.
    size : int, optional
        Size in bytes.  A download is cut off as soon as it passes it.
    """

    sha256: Optional[str] = None
    git_blob: Optional[str] = None
    size: Optional[int] = None

    def __post_init__(self) -> None:
        if self.sha256 is None and self.git_blob is None:
            raise ValueError("a Pin needs a sha256 or a git_blob checksum")
        # Hex digests compare case-insensitively; store them lower-case.
        for field in ("sha256", "git_blob"):
            value = getattr(self, field)
            if value is not None:
                object.__setattr__(self, field, value.lower())

    @property
    def algorithm(self) -> str:
        """Name of the checksum that :meth:`problem` compares."""
        return "SHA-256" if self.sha256 is not None else "git blob id"

    @property
    def expected(self) -> str:
        """The checksum that :meth:`problem` compares against."""
        return self.sha256 if self.sha256 is not None else self.git_blob  # type: ignore[return-value]

    def problem(self, path: PathLike) -> Optional[str]:
        """Say how the file differs from the pin, or return None if it matches.

        The size is compared first, so a wrong file is usually told apart
        without reading it.
        """
        if self.size is not None:
            got_size = os.path.getsize(path)
            if got_size != self.size:
                return f"size is {got_size} bytes, expected {self.size}"
        got = sha256_file(path) if self.sha256 is not None else git_blob_id(path)
        if got != self.expected:
            return f"{self.algorithm} is {got}, expected {self.expected}"
        return None


def verify_file(path: PathLike, pin: Pin, name: str, refetch: str) -> None:
    """Raise if a file on disk does not match its pin.

    Parameters
    ----------
    path : str or path-like
        The file to check.
    pin : Pin
    name : str
        Dataset name for the message.
    refetch : str
        The command that fetches a good copy, quoted in the message.

    Raises
    ------
    ChecksumMismatchError
        If the size or checksum differs.  The file is left in place.
    """
    problem = pin.problem(path)
    if problem is not None:
        raise ChecksumMismatchError(
            f"dataset {name!r}: {path} does not match its pinned checksum ({problem}); "
            f"the file is corrupt, truncated or was modified. Fetch a verified copy with "
            f"`{refetch}`, or load it with verify=False to use it as it is."
        )
