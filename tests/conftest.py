"""Shared fixtures: where the benchmark data lives in development and CI,
the small data SLA2P's tests fit on, and a local HTTP server for the
download tests."""

import functools
import os
import threading
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


#: Set (to 1) by .ci/run: the published data must be there, and its tests must run.
REQUIRE_DATA_ENV = "PYOD_SLA2P_REQUIRE_DATA"
#: The one command that provides what the data tests read.
DATA_COMMAND = ("python -m pyod_sla2p.datasets download --suite tests --data-dir DIR "
                "&& export PYOD_SLA2P_DATA=DIR")


def _data_required():
    return os.environ.get(REQUIRE_DATA_ENV, "").strip() not in ("", "0")


def _data_path():
    return Path(os.environ.get("PYOD_SLA2P_DATA") or REPO_ROOT.parent / "shared" / "datasets")


@pytest.fixture(scope="session")
def data_dir():
    """The data directory: ``$PYOD_SLA2P_DATA`` or ``<repo>/../shared/datasets``.

    Without it the tests that read the published files are skipped, with the
    command that provides them; where ``$PYOD_SLA2P_REQUIRE_DATA`` is set (CI)
    a missing directory is a failure.
    """
    path = _data_path()
    if not (path / "odds").is_dir():
        message = (f"Benchmark data not found at {path} (expected an 'odds' folder). "
                   f"Provide it with: {DATA_COMMAND}")
        if _data_required():
            pytest.fail(f"{message} ({REQUIRE_DATA_ENV} is set, so the data tests must run.)")
        pytest.skip(message)
    return path


def pytest_collection_modifyitems(config, items):
    # Which tests read the published data: those that ask for data_dir,
    # directly or through another fixture.
    for item in items:
        if "data_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.needs_data)


_DATA_OUTCOMES = {"passed": 0, "not passed": 0}


def pytest_runtest_logreport(report):
    if "needs_data" not in report.keywords:
        return
    if report.when == "call" and report.passed:
        _DATA_OUTCOMES["passed"] += 1
    elif report.skipped or report.failed:
        _DATA_OUTCOMES["not passed"] += 1


def pytest_sessionfinish(session, exitstatus):
    """Where the data is required (CI), fail a session in which no data test ran."""
    if not _data_required() or session.config.option.collectonly:
        return
    if _DATA_OUTCOMES["passed"] == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"{REQUIRE_DATA_ENV} is set but no test that reads the published data "
                f"passed: the data tests did not run.", red=True)


def pytest_terminal_summary(terminalreporter):
    counts = _DATA_OUTCOMES
    if counts["passed"] or counts["not passed"]:
        terminalreporter.write_line(
            f"data tests: {counts['passed']} passed, {counts['not passed']} skipped or failed "
            f"(data folder: {_data_path()})")


# ------------------------------------------------------------ SLA2P data
@pytest.fixture(scope="session")
def small_params():
    """SLA2P settings small enough for fast tests (8 projections of width 8)."""
    return dict(n_projections=8, projection_dim=8, acc_threshold=0.5)


@pytest.fixture(scope="session")
def pyod_data():
    """PyOD's generate_data: 200 training and 100 test rows, 5 features, 10 % outliers.

    Returns ``X_train, X_test, y_train, y_test``.
    """
    from pyod.utils.data import generate_data

    return generate_data(n_train=200, n_test=100, n_features=5, contamination=0.1,
                         random_state=42)


@pytest.fixture(scope="session")
def fitted(pyod_data, small_params):
    """SLA2P (small settings, random_state=0) fitted on ``pyod_data``'s training rows.

    Shared by the tests: clone it before changing or refitting it.
    """
    from pyod_sla2p import SLA2P

    return SLA2P(random_state=0, **small_params).fit(pyod_data[0])


# --------------------------------------------------- downloads over HTTP
#: What the misbehaving /endless/ and /announce/ paths send: 30 MiB.
STREAM_BYTES = 30 * 1024 * 1024


class _Handler(SimpleHTTPRequestHandler):
    """Static files, plus misbehaving servers under path prefixes.

    ``/truncated/...`` promises 100 kB and sends 106 bytes; ``/endless/...``
    streams 30 MiB without a Content-Length, ``/announce/...`` with one,
    recording in ``server.streamed`` how much went out before the client
    hung up; ``/stall/<file>`` announces the file, sends its first 10 bytes,
    then waits for ``server.release``.
    """

    def log_message(self, *args):  # keep pytest output clean
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that stopped reading at its size cap: expected here

    def do_GET(self):
        self.server.hits.append(self.path)
        if self.path.startswith("/truncated/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"MATLAB" + b"x" * 100)
            self.close_connection = True
            return
        if self.path.startswith(("/endless/", "/announce/")):
            self.send_response(200)
            if self.path.startswith("/announce/"):
                self.send_header("Content-Length", str(STREAM_BYTES))
            self.end_headers()
            self._stream()
            return
        if self.path.startswith("/stall/"):
            body = (Path(self.directory) / self.path[len("/stall/"):]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:10])
            self.server.release.wait(30)
            self.close_connection = True
            return
        super().do_GET()

    def _stream(self):
        block = b"MATLAB" + bytes(65530)
        sent = 0
        try:
            while sent < STREAM_BYTES:
                self.wfile.write(block)
                sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.server.streamed.append(sent)
            self.close_connection = True


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
    httpd.streamed = []
    httpd.release = threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(
            url=f"http://127.0.0.1:{httpd.server_address[1]}", root=root, hits=httpd.hits,
            streamed=httpd.streamed, release=httpd.release, stream_bytes=STREAM_BYTES,
        )
    finally:
        httpd.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def target(tmp_path):
    """A fresh data directory and its (future) odds/ folder."""
    data = tmp_path / "data"
    return SimpleNamespace(data=data, odds=data / "odds")


@pytest.fixture
def offline_urls(monkeypatch):
    """No network: every HTTP request fails; the list of URLs asked for is returned.

    Downloads go through pooch, which uses ``requests``; urllib is cut off too.
    """
    import requests

    seen = []

    def offline_urllib(request, timeout):
        seen.append(request.full_url)
        raise urllib.error.URLError("offline in tests")

    def offline(session, request, **kwargs):
        seen.append(request.url)
        raise requests.ConnectionError("offline in tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline_urllib)
    monkeypatch.setattr(requests.Session, "send", offline)
    return seen
