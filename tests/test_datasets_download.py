"""End-to-end tests of the downloads (pooch underneath) against a local HTTP server.

The server (http.server on 127.0.0.1, port 0, in a thread, from
tests/conftest.py) serves a tmp directory; nothing here reaches the
internet.  Also the ``tests`` download suite (``download --suite tests``).
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
    DownloadOptions,
    UnknownDatasetError,
    download_odds,
    load_dataset,
)
import pyod_sla2p.datasets
from pyod_sla2p.datasets.download import ODDS_BYTES
from pyod_sla2p.datasets.__main__ import main as cli_main
from pyod_sla2p.datasets import fetch, testdata
from pyod_sla2p.datasets.partials import STALE_AFTER_SECONDS, clean_stale_partials, partial_suffix


@pytest.fixture(autouse=True)
def no_retries(monkeypatch):
    """No retries unless a test asks: the failures served here are
    deterministic, and pooch waits 1 s, 2 s, ... before each retry."""
    monkeypatch.setattr(fetch, "DEFAULT_RETRIES", 0)


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


def test_options_and_settings(server, target, data_dir):
    # One DownloadOptions for several calls; a keyword setting replaces its field.
    shutil.copy(data_dir / "odds" / "glass.mat", server.root / "glass.mat")
    options = DownloadOptions(data_dir=target.data, base_url=server.url)
    assert download_odds(["glass"], options=options) == [target.odds / "glass.mat"]
    download_odds(["glass"], options=options)  # present: not fetched again
    download_odds(["glass"], options=options, force=True)
    assert len(server.hits) == 2
    with pytest.raises(TypeError, match="timeuot"):
        download_odds(["glass"], options=options, timeuot=5)
    with pytest.raises(TypeError):  # the data directory is a setting, not a positional argument
        download_odds(["glass"], target.data)


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
    # A hash of its own: no pinned size, so the 100 kB announced are under the cap.
    with pytest.raises(DownloadError, match="glass.mat") as err:
        download_odds(["glass"], data_dir=target.data, base_url=server.url + "/truncated",
                      sha256={"glass": ODDS_SHA256["glass"]})
    assert "size cap" not in str(err.value) and "IncompleteRead" in str(err.value)
    assert _listing(target.odds) == []


def test_truncated_transfer_is_caught_without_urllib3_s_check(server, target, monkeypatch):
    # urllib3 1 did not raise on a body shorter than its Content-Length; the
    # downloader compares the two itself (an unpinned file has no hash to fail).
    import urllib3.response

    init = urllib3.response.HTTPResponse.__init__
    monkeypatch.setattr(urllib3.response.HTTPResponse, "__init__", lambda self, *a, **k: init(
        self, *a, **{**k, "enforce_content_length": False}))
    with pytest.raises(DownloadError, match=r"cut short: got 106 of 100000 bytes"):
        download_odds(["http"], data_dir=target.data, base_url=server.url + "/truncated",
                      max_bytes=1 << 20)
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


# --------------------------------------------------------------------------
# What pooch does for us: retries, progress bar
# --------------------------------------------------------------------------


def test_a_transfer_cut_short_is_retried_by_pooch(server, target):
    with pytest.raises(DownloadError, match=r"glass.*failed \(2 tries\)"):
        download_odds(["glass"], data_dir=target.data, base_url=server.url + "/truncated",
                      sha256={"glass": ODDS_SHA256["glass"]}, retries=1)
    assert server.hits == ["/truncated/glass.mat"] * 2
    assert _listing(target.odds) == []


def test_an_http_404_is_final_at_once(server, target):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_odds(["glass"], data_dir=target.data, base_url=server.url, retries=3)
    assert server.hits == ["/glass.mat"]  # no retry of an answer that will not change


def test_progress_bar_comes_from_pooch(server, target, data_dir, capsys):
    shutil.copy(data_dir / "odds" / "glass.mat", server.root / "glass.mat")
    download_odds(["glass"], data_dir=target.data, base_url=server.url, progressbar=True)
    assert "100%" in capsys.readouterr().err
    download_odds(["glass"], data_dir=target.data, base_url=server.url, force=True)
    assert capsys.readouterr().err == ""  # off by default (and in the CLI unless on a terminal)


# --------------------------------------------------------------------------
# The tests suite: what the test suite reads from ../shared/datasets
# --------------------------------------------------------------------------

_SMALL_SUITE = ["odds/glass.mat", "odds/vertebral.mat", "adbench/Classical/14_glass.npz",
                "adbench/CV_by_ResNet18/MVTec-AD_grid.npz", "embeddings/resnet18_MVTec-AD_grid.npz"]
_TEXT_FILES = ["SHA256SUMS", "adbench/MANIFEST.tsv", "adbench/SHA256SUMS"]


def _tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def small_suite(monkeypatch, server, data_dir):
    """The tests suite cut down to five files, and a mirror of the data directory serving them."""
    monkeypatch.setattr(testdata, "TEST_ODDS", ("glass", "vertebral"))
    monkeypatch.setattr(testdata, "TEST_ADBENCH", ("14_glass", "CV_by_ResNet18:MVTec-AD_grid"))
    monkeypatch.setattr(testdata, "TEST_EMBEDDINGS",
                        {"resnet18_MVTec-AD_grid": "CV_by_ResNet18:MVTec-AD_grid"})
    for rel in _SMALL_SUITE[:4]:  # no embeddings/: they come from ADBench's files
        (server.root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / rel, server.root / rel)


def test_tests_suite_is_the_shared_layout(data_dir):
    # Every data file of the shared copies (all but their README), and the
    # three text files the suite writes are theirs to the byte.
    files = [f"odds/{n}.mat" for n in testdata.TEST_ODDS]
    files += [f"adbench/{pyod_sla2p.datasets.ADBENCH_FILES[n].relpath}" for n in testdata.TEST_ADBENCH]
    files += [f"embeddings/{n}.npz" for n in testdata.TEST_EMBEDDINGS]
    assert sorted(files + _TEXT_FILES) == [p for p in _tree(data_dir) if p != "README.md"]
    assert (len(testdata.TEST_ODDS), len(testdata.TEST_ADBENCH), len(testdata.TEST_EMBEDDINGS)) == (17, 50, 6)
    for rel, text in testdata.text_files().items():
        assert (data_dir / rel).read_text() == text, rel
    # Each embeddings file is its ADBench file, byte for byte.
    for name, source in testdata.TEST_EMBEDDINGS.items():
        entry = pyod_sla2p.datasets.ADBENCH_FILES[source]
        assert (data_dir / "embeddings" / f"{name}.npz").read_bytes() == \
            (data_dir / "adbench" / entry.relpath).read_bytes()


def test_tests_suite_download(server, target, data_dir, small_suite, capsys):
    argv = ["download", "--suite", "tests", "--data-dir", str(target.data), "--base-url", server.url]
    assert cli_main(argv) == 0
    assert f"8 file(s) ready in {target.data}" in capsys.readouterr().out
    assert _tree(target.data) == sorted(_SMALL_SUITE + _TEXT_FILES)
    for rel in _SMALL_SUITE:
        assert (target.data / rel).read_bytes() == (data_dir / rel).read_bytes(), rel
    # The embeddings file was fetched from ADBench's path, not from an embeddings/ one.
    assert server.hits.count("/adbench/CV_by_ResNet18/MVTec-AD_grid.npz") == 2
    assert not [hit for hit in server.hits if "embeddings" in hit]
    # The sums are those of the shared copies, for these files, and they hold.
    shared = dict(reversed(line.split()) for line in (data_dir / "SHA256SUMS").read_text().splitlines())
    for line in (target.data / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split()
        assert shared[rel] == digest == _sha(target.data / rel)
    assert (target.data / "adbench" / "MANIFEST.tsv").read_bytes() == \
        (data_dir / "adbench" / "MANIFEST.tsv").read_bytes()
    assert load_dataset("resnet18_MVTec-AD_grid", data_dir=target.data).n_samples == 342
    hits = len(server.hits)
    assert cli_main(argv) == 0  # all present and verified: nothing fetched
    assert len(server.hits) == hits
    assert cli_main(argv + ["glass"]) == 1
    assert "--suite tests downloads a fixed set of files" in capsys.readouterr().err


def test_tests_suite_refuses_a_tampered_embeddings_source(server, target, small_suite):
    data = bytearray((server.root / _SMALL_SUITE[3]).read_bytes())
    data[-10:] = b"0123456789"
    (server.root / _SMALL_SUITE[3]).write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="2 of 5 downloads failed") as err:
        testdata.download_test_data(data_dir=target.data, base_url=server.url)
    assert "embeddings/resnet18_MVTec-AD_grid.npz (= CV_by_ResNet18/MVTec-AD_grid.npz)" in str(err.value)
    # Neither copy was saved, and no sums were written for an incomplete directory.
    assert _tree(target.data) == sorted(_SMALL_SUITE[:3])


def test_tests_suite_default_sources(offline_urls, target, small_suite, monkeypatch):
    monkeypatch.delenv("PYOD_SLA2P_ADBENCH_URL", raising=False)
    with pytest.raises(DownloadError, match="5 of 5 downloads failed"):
        testdata.download_test_data(data_dir=target.data)
    adbench = pyod_sla2p.datasets.ADBENCH_BASE_URL
    assert offline_urls == [ODDS_URLS["glass"], ODDS_URLS["vertebral"],
                            f"{adbench}/Classical/14_glass.npz",
                            f"{adbench}/CV_by_ResNet18/MVTec-AD_grid.npz",
                            f"{adbench}/CV_by_ResNet18/MVTec-AD_grid.npz"]
