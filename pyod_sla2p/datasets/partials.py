"""Staging folders of downloads, and the removal of those killed downloads left.

pooch renames its temporary file once complete and verified, so a killed
download leaves no partial file under a dataset's name, but it leaves the
temporary file.  So each download runs pooch in a staging folder of its own
beside the target, ``.<file>.<random>.pid<PID>@<host>.part``, and the next
download into that folder removes the stale ones: only entries named so and
owned by this user; one tagged with this host once its process no longer
runs (never while it runs); any other (from another host, or an untagged
temporary file of older versions) once nothing in it was written for
:data:`STALE_AFTER_SECONDS` (a live download writes at least once per
socket timeout, or fails).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from pathlib import Path
from typing import List, Optional

__all__ = ["STALE_AFTER_SECONDS", "partial_suffix", "clean_stale_partials"]

#: Seconds without a write after which an entry not traceable here is stale: a day.
STALE_AFTER_SECONDS = 24 * 3600

# tempfile puts 8 characters of [a-z0-9_] between prefix and suffix.
_PARTIAL = re.compile(r"^\..+\.[a-z0-9_]{8}(?:\.pid(?P<pid>\d+)@(?P<host>[A-Za-z0-9.-]+))?\.part$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "unknown"


def partial_suffix() -> str:
    """The suffix that tags a staging folder with this process and host."""
    return f".pid{os.getpid()}@{_host()}.part"


def _process_gone(pid: int) -> bool:
    """True only if process ``pid`` surely no longer runs on this host."""
    if os.name != "posix":
        return False  # no cheap, safe check: the age rule applies
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's live process
        return False
    try:  # a killed process not yet reaped (a zombie) still answers kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[:1] == ["Z"]
    except OSError:
        return False


def _last_write(entry: os.DirEntry) -> float:
    # A folder's own mtime does not change while a file in it grows.
    inside = os.scandir(entry.path) if entry.is_dir(follow_symlinks=False) else []
    return max([entry.stat(follow_symlinks=False).st_mtime, *(e.stat().st_mtime for e in inside)])


def clean_stale_partials(folder: Path, now: Optional[float] = None) -> List[Path]:
    """Remove the stale staging folders (and old temporary files) in ``folder``
    as of ``now`` (default: the time); return them.  Those that cannot be
    removed are left: clean-up never makes a download fail."""
    now = time.time() if now is None else now
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed: List[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        try:
            if match is None or entry.is_symlink() or (
                    uid is not None and entry.stat(follow_symlinks=False).st_uid != uid):
                continue
            if match.group("pid") is not None and match.group("host") == _host():
                stale = _process_gone(int(match.group("pid")))
            else:
                stale = now - _last_write(entry) > STALE_AFTER_SECONDS
            if stale and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            elif stale:
                os.unlink(entry.path)
        except OSError:
            continue
        if stale:
            removed.append(Path(entry.path))
    return removed
