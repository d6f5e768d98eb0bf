"""End-to-end tests of download_odds against a local HTTP server.

The server (http.server on 127.0.0.1, port 0, in a thread) serves a tmp
directory; nothing here reaches the internet.
"""

import functools
import hashlib
import os
import shutil
import socket
import threading
import urllib.error
import urllib.request
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

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
from pyod_sla2p.datasets.__main__ import main as cli_main


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Handler(SimpleHTTPRequestHandler):
    """Static files, plus ``/truncated/...``: promises 100 kB, sends 106 bytes."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        self.server.hits.append(self.path)
        if self.path.startswith("/truncated/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"MATLAB" + b"x" * 100)
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local HTTP server over ``tmp_path/served``; shut down in teardown."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "served"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    httpd.daemon_threads = True
    httpd.hits = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(
            url=f"http://127.0.0.1:{httpd.server_address[1]}", root=root, hits=httpd.hits
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def target(tmp_path):
    """A fresh data directory and its (future) odds/ folder."""
    data = tmp_path / "data"
    return SimpleNamespace(data=data, odds=data / "odds")


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


def test_default_links_are_the_odds_dropbox_files(monkeypatch, target):
    assert set(ODDS_URLS) == set(ODDS_DATASETS) | {"http", "smtp"}
    for name, url in ODDS_URLS.items():
        assert url.startswith("https://www.dropbox.com/s/") and url.endswith(f"/{name}.mat?dl=1")
    seen = []

    def offline(request, timeout):
        seen.append(request.full_url)
        raise urllib.error.URLError("offline in tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DownloadError, match="offline in tests"):
        download_odds(["cardio"], data_dir=target.data)
    assert seen == [ODDS_URLS["cardio"]]
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
