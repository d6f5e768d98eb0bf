"""Download the ODDS ``.mat`` files into a data directory, verified.

ODDS (Outlier Detection DataSets, Shebuti Rayana, 2016) lives at
http://odds.cs.stonybrook.edu, whose pages link each ``.mat`` file as a
Dropbox share; those links follow no pattern, so :data:`ODDS_URLS` records
them (``?dl=1`` makes Dropbox serve the file, not a preview page).  Every
file is checked against :data:`ODDS_SHA256` (the copies PyOD's benchmark
uses) and capped at its size in :data:`ODDS_BYTES` while streaming;
``http.mat`` and ``smtp.mat`` (MATLAB v7.3) are saved unverified, with a warning.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional

from ._base import DownloadError, UnknownDatasetError, did_you_mean
from .datadir import ODDS_DATASETS, ODDS_SUBDIR, resolve_data_dir
from .fetch import DownloadOptions, FileJob, download_files
from .integrity import Pin

__all__ = ["ODDS_BYTES", "ODDS_SHA256", "ODDS_URLS", "UNVERIFIED_ODDS", "download_odds", "odds_pin"]

# The ODDS files: name, the key of its Dropbox link on odds.cs.stonybrook.edu,
# size in bytes and SHA-256 (``stat -c '%n %s'`` and ``sha256sum`` of
# ``../shared/datasets/odds/*.mat``, the copies PyOD's benchmark uses); the
# 17 of the ``odds`` suite, then two we cannot verify (MATLAB v7.3).
_ODDS_TABLE = """
arrhythmia lmlwuspn1sey48r 105540 e4d47e499591ae31e5d7f0cd983367092353eac240f48e14c9b36457edb3460d
cardio     galg3ihvxklf0qi  68318 5e568b6a73711012c481fa6cc984ab9c68e9a4fa44d6aeb3b43efa381c3f695b
glass      iq3hjxw77gpbl7u   4967 2c506e6e1e2ca1e82a905d10a90773151ff812c4bd969c71a12db5b2bb6e7921
ionosphere lpn4z73fico4uup  58517 8ac5dfa6f47db4acdfe10615489b7f7dd015d79d5b381ce641e72baca3cfefb0
letter     rt9i95h9jywrtiy  23146 f4a229b0e2a6b0c9157ce27fa760bcbac0f948cd690b2f5d51c120e5450f2195
lympho     ag469ssk0lmctco   1269 031b907ecb50347720b08b38f8139d05635adeca9335a064d89d5569c27a5834
mnist      n3wurjt8v9qi6nc 541898 9479e221f236684c09f3e11c7ad124725d34ecd301b9450425e8b113368413a6
musk       we6aqhb0m38i60t 736083 50bbf414caceb66cfe6f6b1eb7c1ff7c6eb1e6d87173f7bb597ba55cd3dc5493
optdigits  w52ndgz5k75s514 197453 30c664cd6f3740a173277a27cd1028d471b06f0835a9902c9712749cec58c1c4
pendigits  1x8rzb4a0lia6t1 658866 7bc32ac83b3d583443acea8b1342a54aaa59eaedb9996af405322f473f3c22bc
pima       mvlwu7p0nyk2a2r  11320 b6a5be8d548b9293d6958beceb1c77055591714d25d40d957eba87808456468f
satellite  dpzxp8jyr9h93k5 144833 6feac3112b9c14e1c3e60afc437f2f3d29dc1000119c9f950c628078778d6aa0
satimage-2 hckgvu9m6fs441p 181220 95c37a07cea2cb201f6900d14f521510e10b6b2f0074c06ac46d3157440ec67b
shuttle    mk8ozgisimfn3dw 345184 b6e396c92354d5dcf5036901e36dc58e2913f2d1a5e138c35a2bedf9c69db899
vertebral  5kuqb387sgvwmrb   4891 84b50b055f118f54b5c976650ccd284ab7c1adee822f8b3eb517c7e2c890d15e
vowels     pa26odoq6atq9vx 134107 51d5397bad1ceeda22b7cd44fd58125c5d603c9c2edb53aa59933330e259ac7b
wbc        ebz9v9kdnvykzcb  78408 afe6b26953cc196b9a480318c903e0edef22529c2f61bd02082438c6e70630a7
http       iy9ucsifal754tp      - -
smtp       dbv2u4830xri7og      - -
"""
_ODDS = [line.split() for line in _ODDS_TABLE.strip().splitlines()]

#: SHA-256 of the 17 ODDS files of the ``odds`` suite.
ODDS_SHA256: Dict[str, str] = {name: sha for name, _, _, sha in _ODDS if sha != "-"}

#: Sizes in bytes of the 17 ODDS files, the download size cap of each.
ODDS_BYTES: Dict[str, int] = {name: int(size) for name, _, size, _ in _ODDS if size != "-"}

#: ODDS files we know how to fetch but cannot verify (MATLAB v7.3).
UNVERIFIED_ODDS = tuple(name for name, _, _, sha in _ODDS if sha == "-")

#: Download links of the ODDS files, as linked from odds.cs.stonybrook.edu.
ODDS_URLS: Dict[str, str] = {name: f"https://www.dropbox.com/s/{key}/{name}.mat?dl=1"
                             for name, key, _, _ in _ODDS}


def odds_pin(name: str) -> Optional[Pin]:
    """The pinned SHA-256 and size of an ODDS file, or None if it has none."""
    return Pin(sha256=ODDS_SHA256[name], size=ODDS_BYTES[name]) if name in ODDS_SHA256 else None


def _url_for(name: str, base_url: Optional[str]) -> str:
    if base_url:
        return f"{base_url.rstrip('/')}/{name}.mat"
    if name not in ODDS_URLS:
        raise DownloadError(f"no known download link for {name!r}; pass base_url= (or "
                            f"--base-url) pointing to a mirror that serves {name}.mat")
    return ODDS_URLS[name]


def _check_matlab_head(head: bytes) -> Optional[str]:
    # No hash to lean on: at least refuse an HTML error page.  Both MATLAB
    # v5 and v7.3 files open with a "MATLAB" text header.
    if head[:6] == b"MATLAB":
        return None
    return (f"is not a MATLAB file (starts with {head[:6]!r}); the server probably sent an "
            f"error page")


def odds_job(name: str, root: Path, base_url: Optional[str] = None,
             sha256: Optional[str] = None) -> FileJob:
    """The download of ODDS file ``name`` into ``<root>/odds``; ``sha256``
    overrides its pin (a file of unknown size)."""
    pin = Pin(sha256=sha256) if sha256 else odds_pin(name)
    return FileJob(name, _url_for(name, base_url), root / ODDS_SUBDIR / f"{name}.mat", pin,
                   check_head=_check_matlab_head)


def download_odds(names: Optional[Iterable[str]] = None, *,
                  sha256: Optional[Mapping[str, str]] = None,
                  options: Optional[DownloadOptions] = None, **settings) -> List[Path]:
    """Download ODDS ``.mat`` files into ``<data_dir>/odds``, verified.

    Parameters
    ----------
    names : iterable of str, optional
        Datasets (``"cardio"``, ...); default: the 17 of the ``odds`` suite.
        ``"http"`` and ``"smtp"`` are known as well.
    sha256 : mapping of str to str, optional
        SHA-256 digests by name, over :data:`ODDS_SHA256`; a name here needs
        not be an ODDS set (for a ``base_url`` mirror).
    options : DownloadOptions, optional
        Where to and how; its ``base_url`` is a mirror serving
        ``<base_url>/<name>.mat`` (default: the ODDS links, :data:`ODDS_URLS`).
    **settings
        Fields of :class:`DownloadOptions`, replacing those of ``options``.

    Returns
    -------
    list of pathlib.Path
        The files, downloaded or already present.

    Raises
    ------
    UnknownDatasetError
        If a name is not an ODDS set (and has no ``sha256`` entry).
    DownloadError
        On an HTTP or network error, a transfer over the size cap, or a
        directory where a file should go.  Every file is attempted; several
        failures are listed together.  Nothing is left of a failed file, and
        an older copy stays.
    ChecksumMismatchError
        If a file does not match its SHA-256; it is discarded.

    Warns
    -----
    UserWarning
        For a file without a recorded hash (``http``, ``smtp``).
    """
    options = replace(options or DownloadOptions(), **settings)
    extra = {k: v.lower() for k, v in (sha256 or {}).items()}
    known = list(dict.fromkeys([*ODDS_SHA256, *UNVERIFIED_ODDS, *extra]))
    if isinstance(names, str):  # a lone name, not an iterable of letters
        names = [names]
    wanted = list(ODDS_DATASETS) if names is None else list(dict.fromkeys(names))
    for name in wanted:
        if name not in known:
            raise UnknownDatasetError(f"{name!r} is not an ODDS dataset this package can "
                                      f"download.{did_you_mean(name, known)} Known: "
                                      f"{', '.join(known)}")
    root = resolve_data_dir(options.data_dir)
    return download_files([odds_job(name, root, options.base_url, extra.get(name))
                           for name in wanted], options)
