"""End-to-end tests of download_odds against a local HTTP server.

The server (http.server on 127.0.0.1, port 0, in a thread, from
tests/conftest.py) serves a tmp directory; nothing here reaches the
internet.
"""

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from pyod_sla2p.datasets import (
    ODDS_DATASETS,
    ODDS_SHA256,
    ODDS_URLS,
    ChecksumMismatchError,
    DownloadError,
    UnknownDatasetError,
    download_odds,
    load_dataset,
)
import pyod_sla2p.datasets
from pyod_sla2p.datasets.download import ODDS_BYTES
from pyod_sla2p.datasets.__main__ import main as cli_main
from pyod_sla2p.datasets.partials import STALE_AFTER_SECONDS, clean_stale_partials, partial_suffix

def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder):
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_good_file_with_registered_hash(server, target):
    scipy.io.savemat(server.root / "toy.mat", {"X": np.eye(4), "y": np.array([[0], [0], [1], [0]])})
    expected = _sha(server.root / "toy.mat")
    paths = download_odds(["toy"], data_dir=target.data, base_url=server.url, sha256={"toy": expected})
    assert paths == [target.odds / "toy.mat"]
    assert _listing(target.odds) == ["toy.mat"]  # no temp file left over
    assert _sha(paths[0]) == expected
    assert (paths[0].stat().st_mode & 0o777) == 0o644
    ds = load_dataset("toy", data_dir=target.data)
    assert (ds.n_samples, ds.n_outliers) == (4, 1)


def test_real_odds_file_verified_by_recorded_table(server, target, data_dir):
    shutil.copy(data_dir / "odds" / "glass.mat", server.root / "glass.mat")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a verified download must not warn
        download_odds(["glass"], data_dir=target.data, base_url=server.url + "/")
    assert _listing(target.odds) == ["glass.mat"]
    assert load_dataset("glass", data_dir=target.data).n_samples == 214
    assert server.hits == ["/glass.mat"]
    # Present and verified: not fetched again, unless forced.
    download_odds(["glass"], data_dir=target.data, base_url=server.url)
    assert len(server.hits) == 1
    download_odds("glass", data_dir=target.data, base_url=server.url, force=True)  # a lone name
    assert len(server.hits) == 2


def test_recorded_hashes_match_shared_sums(data_dir):
    sums = {}
    for line in (data_dir / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split()
        if rel.startswith("odds/"):
            sums[rel[len("odds/"):-len(".mat")]] = digest
    assert ODDS_SHA256 == sums
    assert set(ODDS_SHA256) == set(ODDS_DATASETS)
    for name in ODDS_DATASETS:
        assert _sha(data_dir / "odds" / f"{name}.mat") == ODDS_SHA256[name]


def test_default_links_are_the_odds_dropbox_files(offline_urls, target):
    assert set(ODDS_URLS) == set(ODDS_DATASETS) | {"http", "smtp"}
    for name, url in ODDS_URLS.items():
        assert url.startswith("https://www.dropbox.com/s/") and url.endswith(f"/{name}.mat?dl=1")
    with pytest.raises(DownloadError, match="offline in tests"):
        download_odds(["cardio"], data_dir=target.data)
    assert offline_urls == [ODDS_URLS["cardio"]]
    assert _listing(target.odds) == []


def test_hash_mismatch_leaves_nothing(server, target, data_dir):
    data = bytearray((data_dir / "odds" / "glass.mat").read_bytes())
    data[-10:] = b"0123456789"  # same size, different bytes
    (server.root / "glass.mat").write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError) as err:
        download_odds(["glass"], data_dir=target.data, base_url=server.url)
    msg = str(err.value)
    assert "glass.mat" in msg and ODDS_SHA256["glass"] in msg and "discarded" in msg
    assert _listing(target.odds) == []


def test_http_404_leaves_nothing(server, target):
    with pytest.raises(DownloadError) as err:
        download_odds(["lympho"], data_dir=target.data, base_url=server.url)
    assert not isinstance(err.value, ChecksumMismatchError)
    assert "HTTP 404" in str(err.value) and f"{server.url}/lympho.mat" in str(err.value)
    assert _listing(target.odds) == []


def test_truncated_transfer_leaves_nothing(server, target):
    with pytest.raises(DownloadError, match="glass.mat"):
        download_odds(["glass"], data_dir=target.data, base_url=server.url + "/truncated")
    assert _listing(target.odds) == []


def test_connection_refused(target):
    with socket.socket() as s:  # a port with (almost certainly) nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="failed"):
        download_odds(["glass"], data_dir=target.data, base_url=f"http://127.0.0.1:{port}", timeout=5)
    assert _listing(target.odds) == []


def test_failed_forced_download_keeps_good_file(server, target, data_dir):
    target.odds.mkdir(parents=True)
    shutil.copy(data_dir / "odds" / "glass.mat", target.odds / "glass.mat")
    (server.root / "glass.mat").write_bytes(b"MATLAB but wrong")
    with pytest.raises(ChecksumMismatchError):
        download_odds(["glass"], data_dir=target.data, base_url=server.url, force=True)
    assert _listing(target.odds) == ["glass.mat"]
    assert _sha(target.odds / "glass.mat") == ODDS_SHA256["glass"]


def test_existing_bad_file_is_replaced(server, target, data_dir):
    target.odds.mkdir(parents=True)
    (target.odds / "glass.mat").write_bytes(b"half a file")
    shutil.copy(data_dir / "odds" / "glass.mat", server.root / "glass.mat")
    download_odds(["glass"], data_dir=target.data, base_url=server.url)
    assert _sha(target.odds / "glass.mat") == ODDS_SHA256["glass"]
    assert _listing(target.odds) == ["glass.mat"]


def test_unverified_file_warns(server, target):
    (server.root / "http.mat").write_bytes(b"MATLAB 7.3 MAT-file, stand-in body")
    with pytest.warns(UserWarning, match="WITHOUT verification"):
        paths = download_odds(["http"], data_dir=target.data, base_url=server.url)
    assert paths == [target.odds / "http.mat"]
    assert _listing(target.odds) == ["http.mat"]


def test_unverified_error_page_rejected(server, target):
    (server.root / "smtp.mat").write_bytes(b"<!DOCTYPE html><html>link expired</html>")
    with pytest.raises(DownloadError, match="not a MATLAB file"):
        download_odds(["smtp"], data_dir=target.data, base_url=server.url)
    assert _listing(target.odds) == []


def test_unknown_name_is_rejected_before_any_io(target):
    with pytest.raises(UnknownDatasetError, match="'cardio'"):
        download_odds(["cardoi"], data_dir=target.data)
    assert not target.data.exists()


def test_several_failures_are_reported_together(server, target, data_dir):
    shutil.copy(data_dir / "odds" / "wbc.mat", server.root / "wbc.mat")
    with pytest.raises(DownloadError, match=r"2 of 3 downloads failed") as err:
        download_odds(["glass", "wbc", "lympho"], data_dir=target.data, base_url=server.url)
    assert "glass.mat" in str(err.value) and "lympho.mat" in str(err.value)
    assert _listing(target.odds) == ["wbc.mat"]  # the good one is kept


def test_cli_download(server, target, data_dir, capsys):
    shutil.copy(data_dir / "odds" / "vertebral.mat", server.root / "vertebral.mat")
    argv = ["download", "--data-dir", str(target.data), "--base-url", server.url]
    assert cli_main(argv + ["vertebral"]) == 0
    assert "vertebral" in capsys.readouterr().out
    assert _listing(target.odds) == ["vertebral.mat"]
    assert cli_main(argv + ["pima"]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "HTTP 404" in err
    assert _listing(target.odds) == ["vertebral.mat"]


# --------------------------------------------------------------------------
# Hardening (issue 12, item 8): a directory in the way, size caps, partial
# files of killed downloads.
# --------------------------------------------------------------------------


def test_directory_where_the_file_goes(server, target, data_dir, capsys):
    shutil.copy(data_dir / "odds" / "glass.mat", server.root / "glass.mat")
    (target.odds / "glass.mat").mkdir(parents=True)
    with pytest.raises(DownloadError, match="is a directory") as err:
        download_odds(["glass"], data_dir=target.data, base_url=server.url)
    assert str(target.odds / "glass.mat") in str(err.value) and "move it away" in str(err.value)
    assert server.hits == []  # refused before any transfer
    assert _listing(target.odds) == ["glass.mat"] and (target.odds / "glass.mat").is_dir()
    argv = ["download", "--data-dir", str(target.data), "--base-url", server.url, "glass"]
    assert cli_main(argv) == 1
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and err_lines[0].startswith("error:") and "is a directory" in err_lines[0]


def test_data_dir_that_is_a_file(target):
    target.data.write_bytes(b"not a folder")
    with pytest.raises(DownloadError, match="cannot create"):
        download_odds(["glass"], data_dir=target.data, base_url="http://127.0.0.1:9")


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("prefix", ["endless", "announce"])
def test_stream_past_the_size_cap_is_cut_off(server, target, prefix):
    with pytest.raises(DownloadError, match="size cap of 4967 bytes") as err:
        download_odds(["glass"], data_dir=target.data, base_url=f"{server.url}/{prefix}")
    assert not isinstance(err.value, ChecksumMismatchError)
    _wait_for(lambda: server.streamed)
    # The client hung up long before the server had sent everything.
    assert server.streamed[0] < server.stream_bytes // 2
    assert _listing(target.odds) == []


def test_unpinned_file_is_capped_by_max_bytes(server, target):
    with pytest.raises(DownloadError, match="size cap of 100000 bytes"):
        download_odds(["http"], data_dir=target.data, base_url=f"{server.url}/endless",
                      max_bytes=100_000)
    assert _listing(target.odds) == []


def test_recorded_sizes_match_shared_files(data_dir):
    assert set(ODDS_BYTES) == set(ODDS_SHA256)
    for name, size in ODDS_BYTES.items():
        assert (data_dir / "odds" / f"{name}.mat").stat().st_size == size


# The child runs with a bare package object instead of pyod_sla2p/__init__.py,
# which imports torch (seconds); pyod_sla2p.datasets needs nothing from it.
_KILLED_DOWNLOAD = """
import sys, types
package = types.ModuleType("pyod_sla2p")
package.__path__ = [sys.argv[1]]
sys.modules["pyod_sla2p"] = package
from pyod_sla2p.datasets import download_odds
download_odds(["glass"], data_dir=sys.argv[2], base_url=sys.argv[3])
"""


def _partials(folder):
    return [n for n in _listing(folder) if n.endswith(".part")]


def test_partial_file_of_a_killed_download_is_removed_by_the_next(server, target, data_dir):
    shutil.copy(data_dir / "odds" / "glass.mat", server.root / "glass.mat")
    package_dir = Path(pyod_sla2p.datasets.__file__).resolve().parents[1]
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_DOWNLOAD, str(package_dir), str(target.data),
         f"{server.url}/stall"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: _partials(target.odds) or child.poll() is not None, seconds=60)
        assert child.poll() is None, child.stderr.read().decode()
    finally:
        child.kill()  # SIGKILL: the child cannot clean up
        child.communicate()
    assert len(_partials(target.odds)) == 1
    server.release.set()
    download_odds(["glass"], data_dir=target.data, base_url=server.url)
    assert _listing(target.odds) == ["glass.mat"]


def _dead_pid():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_stale_partial_rules(tmp_path, monkeypatch):
    host = partial_suffix().rsplit("@", 1)[1][: -len(".part")]
    dead = _dead_pid()
    files = {
        "live": f".glass.mat.abcd0001{partial_suffix()}",  # this process: never stale
        "dead": f".glass.mat.abcd0002.pid{dead}@{host}.part",  # its writer is gone
        "other_host": f".glass.mat.abcd0003.pid{dead}@elsewhere.part",  # only age tells
        "untagged": ".wbc.mat.abcd0004.part",  # older versions' name: only age tells
        "notes": "notes.part",  # not a download's temp file
        "hidden": ".notes.part",  # not a download's temp file either
    }
    for name in files.values():
        (tmp_path / name).write_bytes(b"x")
    old = time.time() - STALE_AFTER_SECONDS - 60
    for key in ("live", "notes", "hidden"):
        os.utime(tmp_path / files[key], (old, old))

    # Another user's files are never touched, whatever their state.
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)
    assert clean_stale_partials(tmp_path) == []
    monkeypatch.undo()

    removed = clean_stale_partials(tmp_path)
    assert [p.name for p in removed] == [files["dead"]]
    a_day_later = time.time() + STALE_AFTER_SECONDS + 60
    removed = clean_stale_partials(tmp_path, now=a_day_later)
    assert sorted(p.name for p in removed) == sorted([files["other_host"], files["untagged"]])
    assert sorted(_listing(tmp_path)) == sorted([files["live"], files["notes"], files["hidden"]])
