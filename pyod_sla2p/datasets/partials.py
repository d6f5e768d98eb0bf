"""Temporary ``.part`` files of downloads, and the clean-up of stale ones.

A download writes to ``.<file>.<random>.pid<PID>@<host>.part`` beside its
target and renames it into place when complete.  A download killed with
``SIGKILL`` (or a machine that lost power) cannot remove its file, so the
next download into the same folder does, by these rules:

* only files named like a download's temporary file and owned by the
  current user are considered, never other files;
* a file tagged with this host is stale when its process no longer runs
  (nobody will finish it), and never while it runs, however old the file;
* any other such file (tagged by another host sharing the folder, whose
  processes cannot be looked up here, or untagged, from versions of this
  package before the tag) is stale once it has not been written for
  :data:`STALE_AFTER_SECONDS` (a day).  A live download writes its file at
  least once per socket timeout (60 s by default) or fails, so it is never
  that old.
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path
from typing import List, Optional

__all__ = ["STALE_AFTER_SECONDS", "partial_suffix", "clean_stale_partials"]

#: Age (seconds since last write) after which any download temp file is stale.
STALE_AFTER_SECONDS = 24 * 3600

# tempfile.mkstemp puts 8 characters of [a-z0-9_] between prefix and suffix.
_PARTIAL = re.compile(r"^\..+\.[a-z0-9_]{8}(?:\.pid(?P<pid>\d+)@(?P<host>[A-Za-z0-9.-]+))?\.part$")


def _host() -> str:
    # Only characters the file-name pattern accepts.
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "unknown"


def partial_suffix() -> str:
    """The suffix that tags a temp file with this process and host."""
    return f".pid{os.getpid()}@{_host()}.part"


def _process_gone(pid: int) -> bool:
    """True only if process ``pid`` surely no longer runs on this host."""
    if os.name != "posix":
        return False  # no cheap, safe check: leave it to the age rule
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's live process
        return False
    # A killed process that its parent has not reaped yet (a zombie) still
    # answers kill(pid, 0); /proc tells it apart where it exists.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def clean_stale_partials(
    folder: Path, max_age: float = STALE_AFTER_SECONDS, now: Optional[float] = None
) -> List[Path]:
    """Remove the stale download temp files in ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        A download target folder; a missing folder has nothing to clean.
    max_age : float, default one day
        Seconds since the last write after which a temp file that is not
        tagged with this host is stale.
    now : float, optional
        Current time (``time.time()``); for tests.

    Returns
    -------
    list of pathlib.Path
        The files removed.  Files that cannot be removed are left alone:
        clean-up never makes a download fail.
    """
    now = time.time() if now is None else now
    uid = os.getuid() if hasattr(os, "getuid") else None
    host = _host()
    removed: List[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if uid is not None and st.st_uid != uid:
            continue
        pid, tag_host = match.group("pid"), match.group("host")
        if pid is not None and tag_host == host:
            stale = _process_gone(int(pid))
        else:
            stale = now - st.st_mtime > max_age
        if stale:
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed
