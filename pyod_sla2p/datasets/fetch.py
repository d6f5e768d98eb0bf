"""Downloads on pooch, with the thin layers pooch lacks; under every ``download_*``.

pooch streams a file (with its progress bar where asked) into a temporary
file, checks its SHA-256, retries a failed transfer and renames the file
only once complete and verified.  Added here: a size cap while streaming
(:class:`CappedDownloader`: pooch writes whatever a server sends, for as
long as it sends); the checks pooch cannot make (a git blob id; that an
unpinned file is no HTML page); ``force`` and the replacement of a copy
that fails its pin (pooch runs in a fresh staging folder,
:mod:`~pyod_sla2p.datasets.partials`; the old copy stays until a verified
one replaces it); errors that say what was wrong and what to do.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, List, NamedTuple, Optional

import pooch
import requests

from ._base import ChecksumMismatchError, DownloadError, PathLike
from .datadir import describe_data_dir
from .integrity import Pin, sha256_file
from .partials import clean_stale_partials, partial_suffix

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_RETRIES", "DownloadOptions", "FileJob",
           "CappedDownloader", "fetch_file", "download_files"]

#: Size cap of a download whose size is not pinned: 100 MiB.  GitHub refuses
#: larger files, so no ADBench file can be; every ODDS file is far smaller.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

#: Extra tries of a transfer that failed on the way (network error, HTTP 5xx,
#: cut short, SHA-256 mismatch); pooch waits 1 s, 2 s, ... before each.  An
#: HTTP 4xx, a blob id mismatch or a passed size cap is final at once.
DEFAULT_RETRIES = 2

_RETRY_HINT = ("The server may have sent an error page or another version of the file; try "
               "again later or use another --base-url mirror.")


@dataclass(frozen=True)
class DownloadOptions:
    """The settings every ``download_*`` function shares: pass one as
    ``options=``, or its fields as keyword arguments, which replace those of
    ``options`` (``download_odds(data_dir="~/data", force=True)``).

    Parameters
    ----------
    data_dir : str or path-like, optional
        Data directory (see :func:`resolve_data_dir`); created if needed.
    base_url : str, optional
        A mirror to download from; each function says what it must serve.
    force : bool, default False
        Download even if a copy that passes verification is present.
    max_bytes : int, default 100 MiB
        Size cap of each transfer, lowered by the file's pinned size.
    timeout : float, default 60
        Socket timeout in seconds.
    verbose : bool, default False
        Print one line per file.
    retries : int, optional
        Extra tries of a failed transfer; default :data:`DEFAULT_RETRIES`.
    progressbar : bool, default False
        Show pooch's progress bar of each transfer on stderr.
    """

    data_dir: Optional[PathLike] = None
    base_url: Optional[str] = None
    force: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = 60.0
    verbose: bool = False
    retries: Optional[int] = None
    progressbar: bool = False


class FileJob(NamedTuple):
    """One file to download: ``label`` names it in messages; without a ``pin``
    it is saved unverified, with a warning, once ``check_head`` (first 512
    bytes -> a problem or None) passes; the pin's size lowers ``max_bytes``."""

    label: str
    url: str
    target: Path
    pin: Optional[Pin]
    max_bytes: int = DEFAULT_MAX_BYTES
    check_head: Optional[Callable[[bytes], Optional[str]]] = None

    @property
    def cap(self) -> int:
        """The size cap, in bytes."""
        size = None if self.pin is None else self.pin.size
        return self.max_bytes if size is None else min(self.max_bytes, size)

    def over_cap(self, what: str) -> DownloadError:
        """The error of a response that passes the cap."""
        return DownloadError(
            f"{self.label} from {self.url} {what} the size cap of {self.cap} bytes; not saved. "
            f"The server sent something else than the dataset file (or pass a larger "
            f"max_bytes if you trust it).")


class _CappedFile:
    """What pooch writes into: the file, refusing to grow past the cap."""

    def __init__(self, out, job: FileJob) -> None:
        self.out, self.job, self.received = out, job, 0

    def write(self, block: bytes) -> None:
        self.received += len(block)
        if self.received > self.job.cap:
            raise self.job.over_cap(f"was stopped after {self.received} bytes, past")
        self.out.write(block)

    def flush(self) -> None:
        self.out.flush()


class CappedDownloader:
    """A pooch downloader: :class:`pooch.HTTPDownloader`, cut off past ``job.cap``.

    A response that announces more is refused before its body is read, one
    that sends more is cut off; either way the connection is closed.  Then a
    blob-only pin or the head check is applied (pooch checks a SHA-256).
    pooch deletes its temporary file on whatever is raised here, and retries
    only ``requests`` errors, so an HTTP 4xx becomes a final error here.
    """

    def __init__(self, job: FileJob, timeout: float, progressbar: bool = False) -> None:
        self.job, self.timeout, self.progressbar = job, timeout, progressbar

    def __call__(self, url: str, output_file: str, pup: Optional[pooch.Pooch]) -> None:
        job, responses = self.job, []

        def refuse_oversized(response, *args, **kwargs):
            responses.append(response)
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > job.cap:
                raise job.over_cap(f"announces {length} bytes, over")

        http = pooch.HTTPDownloader(progressbar=self.progressbar, chunk_size=1 << 16,
                                    timeout=self.timeout, hooks={"response": refuse_oversized})
        try:
            with open(output_file, "wb") as out:
                capped = _CappedFile(out, job)
                http(url, capped, pup)
                os.fsync(out.fileno())  # on disk before pooch renames it
            # urllib3 2 raises on a body shorter than announced; urllib3 1 did not.
            length, coded = (responses[-1].headers.get(h, "") for h in ("Content-Length",
                                                                        "Content-Encoding"))
            if length.isdigit() and not coded and int(length) != capped.received:
                raise requests.ConnectionError(
                    f"cut short: got {capped.received} of {length} bytes")
        except requests.HTTPError as exc:
            if exc.response.status_code >= 500:
                raise  # perhaps passing: pooch retries it
            raise DownloadError(f"downloading {job.label} from {url} failed: HTTP "
                                f"{exc.response.status_code} {exc.response.reason}") from None
        finally:
            for response in responses:  # else an abandoned stream keeps its socket
                response.close()
        if job.pin is not None and job.pin.known_hash is None:
            if (problem := job.pin.problem(output_file)) is not None:
                raise ChecksumMismatchError(f"{job.label} from {url} failed verification: "
                                            f"{problem}. The file was discarded. {_RETRY_HINT}")
        elif job.pin is None and job.check_head is not None:
            with open(output_file, "rb") as f:
                if (problem := job.check_head(f.read(512))) is not None:
                    raise DownloadError(f"{job.label} from {url} {problem}. The file was "
                                        f"discarded.")


def fetch_file(job: FileJob, options: Optional[DownloadOptions] = None) -> None:
    """Download one file with pooch: capped in size, verified, moved into
    place (of ``options``, ``timeout``, ``retries`` and ``progressbar`` apply).

    Raises
    ------
    DownloadError
        On an HTTP or network error, a transfer past the size cap or cut
        short, a directory at the target path, or an unwritable folder;
        ``job.target`` is then as it was, and the staging folder removed.
    ChecksumMismatchError
        If the complete file does not match its pin (likewise).
    """
    target = job.target
    if (target.exists() or target.is_symlink()) and not target.is_file():
        kind = "a directory" if target.is_dir() else "not a regular file"
        raise DownloadError(f"{target} is {kind}, where the downloaded file should go; move it "
                            f"away (or choose another data directory) and retry")
    options = options or DownloadOptions()
    retries = DEFAULT_RETRIES if options.retries is None else options.retries
    try:
        staging = tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.",
                                   suffix=partial_suffix())
    except OSError as exc:
        raise DownloadError(f"cannot write to {target.parent} ({exc}); choose a writable "
                            f"data directory with --data-dir or data_dir=") from exc
    known_hash = None if job.pin is None else job.pin.known_hash
    logger, level = pooch.get_logger(), pooch.get_logger().level
    logger.setLevel(logging.WARNING)  # its INFO lines name the staging folder; ours suffice
    try:
        pup = pooch.create(path=staging, base_url="", registry={target.name: known_hash},
                           urls={target.name: job.url}, retry_if_failed=retries)
        staged = pup.fetch(target.name, downloader=CappedDownloader(
            job, options.timeout, options.progressbar))
        os.chmod(staged, 0o644)  # tempfile made it 0600; data is readable like any file
        os.replace(staged, target)
    except requests.RequestException as exc:  # before ValueError: MissingSchema is both
        tries = f" ({retries + 1} tries)" if retries else ""
        raise DownloadError(f"downloading {job.label} from {job.url} failed{tries}: "
                            f"{type(exc).__name__}: {exc}") from None
    except ValueError as exc:  # pooch's SHA-256 mismatch, after its retries
        raise ChecksumMismatchError(f"{job.label} from {job.url} failed verification, so it "
                                    f"was discarded: {exc} {_RETRY_HINT}") from None
    except OSError as exc:
        if isinstance(exc, DownloadError):
            raise
        raise DownloadError(f"cannot save {job.label} at {target}: {exc}") from exc
    finally:
        logger.setLevel(level)
        shutil.rmtree(staging, ignore_errors=True)


def download_files(jobs: Iterable[FileJob], options: DownloadOptions) -> List[Path]:
    """Download several files, keeping those already present and verified;
    return their paths, in ``jobs`` order.  Of ``options`` all but
    ``base_url`` apply (the jobs' URLs are made).

    Raises
    ------
    DownloadError
        If a folder cannot be created (before any download), or if
        downloads failed: one failure as it is, several listed together.
        Every file is attempted; those that succeeded stay.
    """
    jobs = [job._replace(max_bytes=options.max_bytes) for job in jobs]
    say = print if options.verbose else (lambda *_: None)
    for folder in dict.fromkeys(job.target.parent for job in jobs):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            how = describe_data_dir(options.data_dir)[1]
            raise DownloadError(f"cannot create {folder} (data directory {how}): {exc}. Choose "
                                f"a writable place with --data-dir or data_dir=.") from exc
        for stale in clean_stale_partials(folder):
            say(f"removed {stale.name}, left behind by an interrupted download")
    done, failures = [], []
    for job in jobs:
        if job.target.is_file() and not options.force:
            if job.pin is None or job.pin.problem(job.target) is None:
                say(f"{job.label}: already present at {job.target}")
                done.append(job.target)
                continue
            say(f"{job.label}: {job.target} fails verification, downloading it again")
        try:
            say(f"{job.label}: downloading {job.url}")
            fetch_file(job, options)
        except DownloadError as exc:
            say(f"{job.label}: FAILED: {exc}")
            failures.append(exc)
            continue
        if job.pin is None:
            warnings.warn(f"{job.target.name} has no recorded checksum in pyod_sla2p; saved to "
                          f"{job.target} WITHOUT verification (SHA-256 {sha256_file(job.target)})",
                          UserWarning, stacklevel=3)
        say(f"{job.label}: saved {job.target}")
        done.append(job.target)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise DownloadError(f"{len(failures)} of {len(jobs)} downloads failed:\n"
                            + "\n".join(f"  - {exc}" for exc in failures))
    return done
