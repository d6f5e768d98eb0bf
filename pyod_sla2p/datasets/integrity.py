"""What a dataset file should be (:class:`Pin`) and whether it is.

A pin records a published file's size, SHA-256 and/or git blob id (what
``git hash-object FILE`` prints; every file of ADBench's repository has
one).  pooch checks a SHA-256 (:attr:`Pin.known_hash`), :meth:`Pin.problem`
either, for downloads and ``load_dataset(..., verify=True)``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Optional

import pooch

from ._base import ChecksumMismatchError, PathLike

__all__ = ["Pin", "sha256_file", "git_blob_id", "verify_file"]


def sha256_file(path: PathLike) -> str:
    """SHA-256 of a file, as 64 hex digits."""
    return pooch.file_hash(str(path), alg="sha256")


def git_blob_id(path: PathLike) -> str:
    """The git blob id of a file (40 hex digits), as ``git hash-object`` computes it."""
    h = hashlib.sha1(b"blob %d\0" % os.path.getsize(path))
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Pin:
    """The published size and checksums of one file.

    Parameters
    ----------
    sha256, git_blob : str, optional
        SHA-256 and git blob id (hex digests); the blob id is used only
        without a SHA-256.
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
            if getattr(self, field) is not None:
                object.__setattr__(self, field, getattr(self, field).lower())

    @property
    def known_hash(self) -> Optional[str]:
        """pooch's ``known_hash``: ``"sha256:<hex>"``, or None for a blob-only pin."""
        return None if self.sha256 is None else f"sha256:{self.sha256}"

    def problem(self, path: PathLike) -> Optional[str]:
        """Say how the file differs from the pin (size first: no need to read
        a wrong file, usually), or return None if it matches."""
        if self.size is not None and os.path.getsize(path) != self.size:
            return f"size is {os.path.getsize(path)} bytes, expected {self.size}"
        if self.sha256 is not None:
            algorithm, expected, got = "SHA-256", self.sha256, sha256_file(path)
        else:
            algorithm, expected, got = "git blob id", self.git_blob, git_blob_id(path)
        return None if got == expected else f"{algorithm} is {got}, expected {expected}"


def verify_file(path: PathLike, pin: Pin, name: str, refetch: str) -> None:
    """Raise :class:`ChecksumMismatchError` if ``path`` does not match ``pin``, naming
    dataset ``name`` and ``refetch``, the command that fetches a good copy."""
    if (problem := pin.problem(path)) is not None:
        raise ChecksumMismatchError(
            f"dataset {name!r}: {path} does not match its pinned checksum ({problem}); "
            f"the file is corrupt, truncated or was modified. Fetch a verified copy with "
            f"`{refetch}`, or load it with verify=False to use it as it is.")
