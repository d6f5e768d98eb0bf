"""Download the ODDS ``.mat`` files into a data directory, verified.

ODDS (Outlier Detection DataSets, Shebuti Rayana, 2016) lives at
http://odds.cs.stonybrook.edu; each dataset's page there links its
``.mat`` file, hosted as an individual Dropbox share.  Those links have no
common pattern, so the table :data:`ODDS_URLS` records them (with
``?dl=1``, which makes Dropbox serve the file rather than a preview page).
A mirror that serves ``<base_url>/<name>.mat`` can be used instead through
``base_url``.

Every file is checked against the SHA-256 in :data:`ODDS_SHA256` (the hashes
of the copies PyOD's benchmark uses).  ``http.mat`` and ``smtp.mat`` (MATLAB
v7.3) have no recorded hash: they are fetched unverified, with a warning.

Downloads go through :mod:`pyod_sla2p.datasets.fetch`: atomic (a temporary
file in the target directory, moved into place with :func:`os.replace` only
once complete and verified), capped in size while streaming (a pinned
file's size in :data:`ODDS_BYTES`, else 100 MiB), and temporary files left
by a killed download are cleaned up by the next one.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Union

from ._base import DownloadError, UnknownDatasetError
from .datadir import ODDS_DATASETS, ODDS_SUBDIR, describe_data_dir
from .fetch import DEFAULT_MAX_BYTES, FileJob, download_files
from .integrity import Pin

__all__ = ["ODDS_BYTES", "ODDS_SHA256", "ODDS_URLS", "UNVERIFIED_ODDS", "download_odds", "odds_pin"]

PathLike = Union[str, "os.PathLike[str]"]

#: SHA-256 of the 17 ODDS files of the ``odds`` suite.
ODDS_SHA256: Dict[str, str] = {
    "arrhythmia": "e4d47e499591ae31e5d7f0cd983367092353eac240f48e14c9b36457edb3460d",
    "cardio": "5e568b6a73711012c481fa6cc984ab9c68e9a4fa44d6aeb3b43efa381c3f695b",
    "glass": "2c506e6e1e2ca1e82a905d10a90773151ff812c4bd969c71a12db5b2bb6e7921",
    "ionosphere": "8ac5dfa6f47db4acdfe10615489b7f7dd015d79d5b381ce641e72baca3cfefb0",
    "letter": "f4a229b0e2a6b0c9157ce27fa760bcbac0f948cd690b2f5d51c120e5450f2195",
    "lympho": "031b907ecb50347720b08b38f8139d05635adeca9335a064d89d5569c27a5834",
    "mnist": "9479e221f236684c09f3e11c7ad124725d34ecd301b9450425e8b113368413a6",
    "musk": "50bbf414caceb66cfe6f6b1eb7c1ff7c6eb1e6d87173f7bb597ba55cd3dc5493",
    "optdigits": "30c664cd6f3740a173277a27cd1028d471b06f0835a9902c9712749cec58c1c4",
    "pendigits": "7bc32ac83b3d583443acea8b1342a54aaa59eaedb9996af405322f473f3c22bc",
    "pima": "b6a5be8d548b9293d6958beceb1c77055591714d25d40d957eba87808456468f",
    "satellite": "6feac3112b9c14e1c3e60afc437f2f3d29dc1000119c9f950c628078778d6aa0",
    "satimage-2": "95c37a07cea2cb201f6900d14f521510e10b6b2f0074c06ac46d3157440ec67b",
    "shuttle": "b6e396c92354d5dcf5036901e36dc58e2913f2d1a5e138c35a2bedf9c69db899",
    "vertebral": "84b50b055f118f54b5c976650ccd284ab7c1adee822f8b3eb517c7e2c890d15e",
    "vowels": "51d5397bad1ceeda22b7cd44fd58125c5d603c9c2edb53aa59933330e259ac7b",
    "wbc": "afe6b26953cc196b9a480318c903e0edef22529c2f61bd02082438c6e70630a7",
}

#: ODDS files we know how to fetch but cannot verify (MATLAB v7.3).
UNVERIFIED_ODDS = ("http", "smtp")

_DROPBOX = "https://www.dropbox.com/s/{key}/{name}.mat?dl=1"

#: Download links of the ODDS files, as linked from odds.cs.stonybrook.edu.
ODDS_URLS: Dict[str, str] = {
    name: _DROPBOX.format(key=key, name=name)
    for name, key in {
        "arrhythmia": "lmlwuspn1sey48r",
        "cardio": "galg3ihvxklf0qi",
        "glass": "iq3hjxw77gpbl7u",
        "ionosphere": "lpn4z73fico4uup",
        "letter": "rt9i95h9jywrtiy",
        "lympho": "ag469ssk0lmctco",
        "mnist": "n3wurjt8v9qi6nc",
        "musk": "we6aqhb0m38i60t",
        "optdigits": "w52ndgz5k75s514",
        "pendigits": "1x8rzb4a0lia6t1",
        "pima": "mvlwu7p0nyk2a2r",
        "satellite": "dpzxp8jyr9h93k5",
        "satimage-2": "hckgvu9m6fs441p",
        "shuttle": "mk8ozgisimfn3dw",
        "vertebral": "5kuqb387sgvwmrb",
        "vowels": "pa26odoq6atq9vx",
        "wbc": "ebz9v9kdnvykzcb",
        "http": "iy9ucsifal754tp",
        "smtp": "dbv2u4830xri7og",
    }.items()
}

#: Sizes in bytes of the 17 ODDS files, the download size cap of each.
#: From the repository root: ``stat -c '%n %s' ../shared/datasets/odds/*.mat``
#: (the copies whose SHA-256 is in :data:`ODDS_SHA256`).
ODDS_BYTES: Dict[str, int] = {
    "arrhythmia": 105540,
    "cardio": 68318,
    "glass": 4967,
    "ionosphere": 58517,
    "letter": 23146,
    "lympho": 1269,
    "mnist": 541898,
    "musk": 736083,
    "optdigits": 197453,
    "pendigits": 658866,
    "pima": 11320,
    "satellite": 144833,
    "satimage-2": 181220,
    "shuttle": 345184,
    "vertebral": 4891,
    "vowels": 134107,
    "wbc": 78408,
}


def odds_pin(name: str) -> Optional[Pin]:
    """The pinned SHA-256 and size of an ODDS file, or None if it has none."""
    if name not in ODDS_SHA256:
        return None
    return Pin(sha256=ODDS_SHA256[name], size=ODDS_BYTES.get(name))


def _url_for(name: str, base_url: Optional[str]) -> str:
    if base_url:
        return f"{base_url.rstrip('/')}/{name}.mat"
    try:
        return ODDS_URLS[name]
    except KeyError:
        raise DownloadError(
            f"no known download link for {name!r}; pass base_url= (or --base-url) "
            f"pointing to a mirror that serves {name}.mat"
        ) from None


def _check_matlab_head(head: bytes) -> Optional[str]:
    # No hash to lean on: at least refuse an HTML error page.  Both MATLAB
    # v5 and v7.3 files open with a "MATLAB" text header.
    if head[:6] != b"MATLAB":
        return (
            f"is not a MATLAB file (starts with {head[:6]!r}); the server probably sent an "
            f"error page"
        )
    return None


def download_odds(
    names: Optional[Iterable[str]] = None,
    data_dir: Optional[PathLike] = None,
    base_url: Optional[str] = None,
    force: bool = False,
    sha256: Optional[Mapping[str, str]] = None,
    timeout: float = 60.0,
    verbose: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> List[Path]:
    """Download ODDS ``.mat`` files into ``<data_dir>/odds``.

    Parameters
    ----------
    names : iterable of str, optional
        Datasets to fetch (``"cardio"``, ...).  Default: the 17 of the
        ``odds`` suite.  ``"http"`` and ``"smtp"`` are also known.
    data_dir : str or path-like, optional
        Data directory (see :func:`resolve_data_dir`); created if needed.
    base_url : str, optional
        Mirror serving ``<base_url>/<name>.mat``.  Default: the per-file
        links of the ODDS site (:data:`ODDS_URLS`).
    force : bool, default False
        Download even if a file that passes verification is present.
    sha256 : mapping of str to str, optional
        Extra or overriding expected SHA-256 hex digests by name, merged
        over :data:`ODDS_SHA256`; a name listed here is accepted even if it
        is not a known ODDS set (useful with a ``base_url`` mirror).
    timeout : float, default 60
        Socket timeout in seconds.
    verbose : bool, default False
        Print one line per file.
    max_bytes : int, default 100 MiB
        Size cap of each download; a file's size in :data:`ODDS_BYTES`
        caps it further.  A transfer is stopped as soon as it passes it.

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
        directory where a file should go; nothing is left behind for that
        file.
    ChecksumMismatchError
        If a file's SHA-256 is not the recorded one; the file is discarded.

    Notes
    -----
    Temporary files left by a killed download in ``<data_dir>/odds`` are
    removed first (see :mod:`~pyod_sla2p.datasets.partials`).  All
    requested files are attempted; files that succeeded stay.  If one file
    failed its error is re-raised; if several failed a
    :class:`DownloadError` lists them all.

    Warns
    -----
    UserWarning
        For files without a recorded hash (``http``, ``smtp``), which are
        saved unverified.
    """
    extra = {k: v.lower() for k, v in (sha256 or {}).items()}
    known = list(dict.fromkeys([*ODDS_SHA256, *UNVERIFIED_ODDS, *extra]))

    if isinstance(names, str):  # a lone name, not an iterable of letters
        names = [names]
    wanted = list(ODDS_DATASETS) if names is None else list(dict.fromkeys(names))
    for name in wanted:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownDatasetError(
                f"{name!r} is not an ODDS dataset this package can download.{hint} "
                f"Known: {', '.join(known)}"
            )

    root, how = describe_data_dir(data_dir)
    target_dir = root / ODDS_SUBDIR

    def pin(name: str) -> Optional[Pin]:
        if name in extra:  # an override's size is unknown: cap by max_bytes only
            return Pin(sha256=extra[name])
        return odds_pin(name)

    jobs = [
        FileJob(name, _url_for(name, base_url), target_dir / f"{name}.mat", pin(name),
                max_bytes, _check_matlab_head)
        for name in wanted
    ]
    return download_files(jobs, f"data directory {how}", force=force, timeout=timeout,
                          verbose=verbose)
