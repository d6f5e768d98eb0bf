"""Verified, size-capped, atomic downloads: the machinery under every ``download_*``.

One file (:func:`fetch_file`): the bytes stream into a temporary file in
the target folder (see :mod:`~pyod_sla2p.datasets.partials`); the stream is
cut off as soon as it passes the size cap; the complete file is checked
against its :class:`~pyod_sla2p.datasets.integrity.Pin` and only then moved
into place with :func:`os.replace`.  Any failure removes the temporary file
and leaves the target as it was.

Many files (:func:`download_files`): stale temporary files of killed
downloads are removed first, files already present and verified are kept,
every file is attempted, and the failures are reported together.
"""

from __future__ import annotations

import http.client
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Callable, Iterable, List, NamedTuple, Optional

from ._base import ChecksumMismatchError, DownloadError
from .integrity import Pin, sha256_file
from .partials import clean_stale_partials, partial_suffix

__all__ = ["DEFAULT_MAX_BYTES", "FileJob", "fetch_file", "download_files"]

#: Size cap of a download whose size is not pinned: 100 MiB.  GitHub refuses
#: files larger than that, so no ADBench file can be; every ODDS file is far
#: smaller.  A pinned size is a tighter cap.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

_CHUNK = 1 << 16
_USER_AGENT = "pyod-sla2p-datasets (python urllib)"

#: Checks the first bytes of an unpinned file; returns a problem or None.
HeadCheck = Callable[[bytes], Optional[str]]


class FileJob(NamedTuple):
    """One file to download.

    Attributes
    ----------
    label : str
        Name in messages (``"cardio"``, ``"Classical/6_cardio.npz"``).
    url : str
    target : pathlib.Path
    pin : Pin or None
        None: saved unverified, with a warning (after ``check_head``).
    max_bytes : int
        Size cap; the pin's size, when known, caps it further.
    check_head : callable, optional
        For unpinned files: rejects an obviously wrong file (an HTML page).
    """

    label: str
    url: str
    target: Path
    pin: Optional[Pin]
    max_bytes: int = DEFAULT_MAX_BYTES
    check_head: Optional[HeadCheck] = None


def _not_a_file(target: Path) -> Optional[DownloadError]:
    if (target.exists() or target.is_symlink()) and not target.is_file():
        kind = "a directory" if target.is_dir() else "not a regular file"
        return DownloadError(
            f"{target} is {kind}, where the downloaded file should go; move it away "
            f"(or choose another data directory) and retry"
        )
    return None


def _stream(url: str, out, label: str, cap: int, timeout: float) -> None:
    """Copy the response body of ``url`` to ``out``, stopping past ``cap`` bytes."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        if length is not None and length > cap:
            raise DownloadError(
                f"{label} from {url} announces {length} bytes, over the size cap of {cap} "
                f"bytes; not downloaded. The server sent something else than the dataset "
                f"file (or pass a larger max_bytes if you trust it)."
            )
        received = 0
        for block in iter(lambda: response.read(_CHUNK), b""):
            received += len(block)
            if received > cap:
                raise DownloadError(
                    f"{label} from {url} passed the size cap of {cap} bytes; download "
                    f"stopped after {received} bytes and discarded. The server sent something "
                    f"else than the dataset file (or pass a larger max_bytes if you trust it)."
                )
            out.write(block)
    if length is not None and length != received:
        raise DownloadError(
            f"downloading {label} from {url} was cut short: got {received} of {length} bytes"
        )


def fetch_file(job: FileJob, timeout: float = 60.0) -> None:
    """Download one file atomically, capped in size and verified.

    Raises
    ------
    DownloadError
        On an HTTP or network error, a transfer past the size cap or cut
        short, a target path that is a directory, or an unwritable folder.
    ChecksumMismatchError
        If the complete file does not match its pin.

    Notes
    -----
    On any failure the temporary file is removed and ``job.target`` is left
    as it was (absent, or the previous complete file).
    """
    label, url, target, pin = job.label, job.url, job.target, job.pin
    blocked = _not_a_file(target)
    if blocked is not None:
        raise blocked
    cap = job.max_bytes if pin is None or pin.size is None else min(job.max_bytes, pin.size)
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=partial_suffix()
        )
    except OSError as exc:
        raise DownloadError(
            f"cannot write to {target.parent} ({exc}); choose a writable data directory "
            f"with --data-dir or data_dir="
        ) from exc
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                fd = -1  # now owned (and closed) by `out`
                _stream(url, out, label, cap, timeout)
                out.flush()
                os.fsync(out.fileno())
        except DownloadError:
            raise
        except urllib.error.HTTPError as exc:
            raise DownloadError(
                f"downloading {label} from {url} failed: HTTP {exc.code} {exc.reason}"
            ) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # HTTPException covers a connection dropped mid-body (IncompleteRead).
            reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
            raise DownloadError(f"downloading {label} from {url} failed: {reason}") from exc

        if pin is not None:
            problem = pin.problem(tmp)
            if problem is not None:
                raise ChecksumMismatchError(
                    f"{label} from {url} failed verification: {problem}. The file was "
                    f"discarded; the server may have sent an error page or a different "
                    f"version. Retry, or use another --base-url mirror."
                )
        elif job.check_head is not None:
            with open(tmp, "rb") as f:
                problem = job.check_head(f.read(512))
            if problem is not None:
                raise DownloadError(f"{label} from {url} {problem}. The file was discarded.")
        # mkstemp creates 0600; make the data readable like any other file.
        os.chmod(tmp, 0o644)
        try:
            os.replace(tmp, target)
        except OSError as exc:  # e.g. a directory appeared at target meanwhile
            raise DownloadError(f"cannot move {label} into place at {target}: {exc}") from exc
    finally:
        if fd != -1:
            os.close(fd)
        tmp.unlink(missing_ok=True)


def _prepare(folder: Path, where: str, verbose: bool) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"cannot create {folder} ({where}): {exc}. "
            f"Choose a writable place with --data-dir or data_dir=."
        ) from exc
    for stale in clean_stale_partials(folder):
        if verbose:
            print(f"removed {stale.name}, left behind by an interrupted download")


def download_files(
    jobs: Iterable[FileJob], where: str, *, force: bool, timeout: float, verbose: bool
) -> List[Path]:
    """Download several files; keep those already present and verified.

    Parameters
    ----------
    jobs : iterable of FileJob
    where : str
        How the data directory was chosen, for error messages.
    force, timeout, verbose
        As in :func:`~pyod_sla2p.datasets.download_odds`, which passes them on.

    Returns
    -------
    list of pathlib.Path
        The target files, in ``jobs`` order.

    Raises
    ------
    DownloadError
        If a target folder cannot be created (before any download), or if
        downloads failed: one failure is re-raised as it is, several are
        listed together.  The files that succeeded stay.

    Warns
    -----
    UserWarning
        For each file saved without a pin.
    """
    jobs = list(jobs)
    for folder in dict.fromkeys(job.target.parent for job in jobs):
        _prepare(folder, where, verbose)

    done: List[Path] = []
    failures: List[DownloadError] = []
    for job in jobs:
        target = job.target
        if target.is_file() and not force:
            if job.pin is None or job.pin.problem(target) is None:
                if verbose:
                    print(f"{job.label}: already present at {target}")
                done.append(target)
                continue
            if verbose:
                print(f"{job.label}: {target} fails verification, downloading it again")
        try:
            if verbose:
                print(f"{job.label}: downloading {job.url}")
            fetch_file(job, timeout)
        except DownloadError as exc:
            if verbose:
                print(f"{job.label}: FAILED: {exc}")
            failures.append(exc)
            continue
        if job.pin is None:
            warnings.warn(
                f"{target.name} has no recorded checksum in pyod_sla2p; saved to {target} "
                f"WITHOUT verification (SHA-256 {sha256_file(target)})",
                UserWarning,
                stacklevel=3,
            )
        if verbose:
            print(f"{job.label}: saved {target}")
        done.append(target)

    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise DownloadError(
            f"{len(failures)} of {len(jobs)} downloads failed:\n"
            + "\n".join(f"  - {exc}" for exc in failures)
        )
    return done
