"""The adbench suites: names, loading, the pinned table, and download over loopback.

Real files come from the shared copies (``data_dir`` fixture,
``<data_dir>/adbench/<family>/``); only small ones are read, the 200k-600k
row sets never.  Downloads go to a ThreadingHTTPServer on 127.0.0.1 that
serves copies of them; nothing here reaches the internet.
"""

import os
import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pyod_sla2p.datasets import (
    ADBENCH_FAMILIES,
    ADBENCH_FILES,
    ADBENCH_SUITES,
    ADBENCH_URL_ENV_VAR,
    SUITES,
    ChecksumMismatchError,
    DatasetNotFoundError,
    DownloadError,
    Pin,
    UnknownDatasetError,
    download_adbench,
    find_adbench,
    load_dataset,
    load_suite,
    suite_members,
)
from pyod_sla2p.datasets import _adbench_pins, fetch
from pyod_sla2p.datasets.__main__ import main as cli_main
from pyod_sla2p.datasets.adbench_manifest import parse_manifest, render_pins
from pyod_sla2p.datasets.datadir import ADBENCH_BASE_URL, ADBENCH_COMMIT
from pyod_sla2p.datasets.integrity import git_blob_id

# A loopback HTTP server over tmp_path/served, and a fresh data directory.


@pytest.fixture(autouse=True)
def no_retries(monkeypatch):
    """No retries: the failures served here are deterministic, and pooch
    waits 1 s, 2 s, ... before each retry."""
    monkeypatch.setattr(fetch, "DEFAULT_RETRIES", 0)


#: Small shared files of each family and their (rows, features), as in the
#: table of ../shared/datasets/README.md.
SMALL = {
    "14_glass": (214, 7),
    "21_Lymphography": (148, 18),
    "6_cardio": (1831, 21),
    "CV_by_ResNet18:MVTec-AD_toothbrush": (102, 512),
    "CV_by_ViT:MVTec-AD_toothbrush": (102, 1000),
    "NLP_by_BERT:20news_3": (615, 768),
}


def _shared(data_dir, name):
    return data_dir / "adbench" / ADBENCH_FILES[name].relpath


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _serve(server, data_dir, names):
    for name in names:
        dest = server.root / ADBENCH_FILES[name].relpath
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_shared(data_dir, name), dest)


def _tamper_same_size(path):
    data = bytearray(path.read_bytes())
    data[-10:] = b"0123456789"
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------
# The pinned table
# --------------------------------------------------------------------------


def test_pinned_table_is_the_manifest(data_dir):
    manifest = data_dir / "adbench" / "MANIFEST.tsv"
    rows = parse_manifest(manifest)
    assert render_pins(rows) == Path(_adbench_pins.__file__).read_text(encoding="utf-8")
    assert len(ADBENCH_FILES) == len(rows) == len(manifest.read_text().splitlines()) - 1
    assert Counter(f.family for f in ADBENCH_FILES.values()) == Counter(
        r.path.split("/")[0] for r in rows
    )
    by_path = {f.relpath: f.pin for f in ADBENCH_FILES.values()}
    for row in rows:
        pin = by_path[row.path]
        assert (pin.size, pin.sha256, pin.git_blob) == (row.size, row.sha256, row.git_blob)


def test_shared_copies_match_their_pins(data_dir):
    copies = sorted((data_dir / "adbench").glob("*/*.npz"))
    assert copies
    for path in copies:
        entry = find_adbench(f"{path.parent.name}:{path.stem}")
        assert entry is not None, path
        assert entry.pin.problem(path) is None
        # The git blob id alone (all that is pinned for 114 of the 195 files) agrees too.
        assert git_blob_id(path) == entry.pin.git_blob


def test_git_blob_id_is_what_git_hash_object_prints(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "hello").write_bytes(b"hello\n")
    assert git_blob_id(tmp_path / "empty") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert git_blob_id(tmp_path / "hello") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_manifest_errors_name_the_line(tmp_path):
    bad = tmp_path / "MANIFEST.tsv"
    bad.write_text("path\tbytes\tsha256\tgit_blob_sha1\nNoSuchFamily/x.npz\t\t\t" + "0" * 40 + "\n")
    with pytest.raises(ValueError, match="line 2"):
        parse_manifest(bad)


# --------------------------------------------------------------------------
# Names and suites
# --------------------------------------------------------------------------


def test_names_are_unique_and_unambiguous():
    assert set(ADBENCH_SUITES) <= set(SUITES)
    for name, entry in ADBENCH_FILES.items():
        assert "/" not in name
        # Classical stems are unique across families; CV and NLP stems recur.
        assert name == (entry.stem if entry.family == "Classical" else f"{entry.family}:{entry.stem}")
        assert find_adbench(f"{entry.family}:{entry.stem}") is entry
    assert find_adbench("Classical:6_cardio") is ADBENCH_FILES["6_cardio"]
    assert find_adbench("cardio") is None
    for stem, families in [("MVTec-AD_bottle", "CV_by_ResNet18 CV_by_ViT"),
                           ("20news_3", "NLP_by_BERT NLP_by_RoBERTa")]:
        with pytest.raises(UnknownDatasetError, match="ambiguous") as err:
            load_dataset(stem)
        for family in families.split():
            assert f"'{family}:{stem}'" in str(err.value)


@pytest.mark.parametrize("name", list(SMALL))
def test_loaders_read_shared_files_of_each_family(data_dir, name):
    ds = load_dataset(name, data_dir=data_dir, verify=True)
    assert (ds.n_samples, ds.n_features) == SMALL[name]
    assert ds.name == name
    assert ds.source == str(_shared(data_dir, name))
    assert ds.X.dtype == np.float64 and set(np.unique(ds.y)) == {0, 1}
    entry = ADBENCH_FILES[name]
    assert load_dataset(f"{entry.family}:{entry.stem}", data_dir=data_dir).name == name


def test_suites_list_the_files_present(data_dir, tmp_path):
    on_disk = {
        find_adbench(f"{p.parent.name}:{p.stem}").name
        for p in (data_dir / "adbench").glob("*/*.npz")
    }
    members = suite_members("adbench", data_dir=data_dir)
    assert set(members) == on_disk and len(members) == len(on_disk)
    assert members == [n for n in ADBENCH_FILES if n in on_disk]  # ADBench's order
    per_family = []
    for family, suite in ADBENCH_FAMILIES.items():
        if (data_dir / "adbench" / family).is_dir():
            listed = suite_members(suite, data_dir=data_dir)
            assert all(ADBENCH_FILES[n].family == family for n in listed)
            per_family += listed
    assert per_family == members

    for name in ("14_glass", "CV_by_ViT:MVTec-AD_toothbrush"):
        dest = tmp_path / "adbench" / ADBENCH_FILES[name].relpath
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_shared(data_dir, name), dest)
    assert suite_members("adbench", data_dir=tmp_path) == ["14_glass", "CV_by_ViT:MVTec-AD_toothbrush"]
    assert suite_members("adbench-cv-vit", data_dir=tmp_path) == ["CV_by_ViT:MVTec-AD_toothbrush"]
    assert [d.n_features for d in load_suite("adbench", data_dir=tmp_path, verify=True)] == [7, 1000]
    with pytest.raises(DatasetNotFoundError) as err:
        suite_members("adbench-nlp-roberta", data_dir=tmp_path)
    assert (f"`python -m pyod_sla2p.datasets download --suite adbench --family NLP_by_RoBERTa "
            f"--data-dir {tmp_path}`") in str(err.value)


def test_empty_data_dir_says_how_to_download(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        suite_members("adbench", data_dir=tmp_path)
    assert f"`python -m pyod_sla2p.datasets download --suite adbench --data-dir {tmp_path}`" in str(err.value)


def test_missing_file_gives_the_download_command(tmp_path):
    for name in ("12_fault", "CV_by_ViT:MVTec-AD_bottle", "Classical:12_fault"):
        with pytest.raises(DatasetNotFoundError) as err:
            load_dataset(name, data_dir=tmp_path)
        canonical = find_adbench(name).name
        assert str(tmp_path / "adbench" / ADBENCH_FILES[canonical].relpath) in str(err.value)
        assert (f"`python -m pyod_sla2p.datasets download --suite adbench {canonical} "
                f"--data-dir {tmp_path}`") in str(err.value)


def test_unknown_names_suggest_close_ones(tmp_path):
    for typo, meant in [("6_cardoi", "6_cardio"), ("CV_by_VIT:MVTec-AD_bottle", "CV_by_ViT:MVTec-AD_bottle")]:
        with pytest.raises(UnknownDatasetError, match=f"Did you mean '{meant}'"):
            load_dataset(typo, data_dir=tmp_path)


def test_verify_on_load_rejects_a_modified_file(data_dir, tmp_path):
    path = tmp_path / "adbench" / "Classical" / "14_glass.npz"
    path.parent.mkdir(parents=True)
    good = load_dataset("14_glass", data_dir=data_dir)
    y = good.y.copy()
    y[0] = 1 - y[0]
    np.savez(path, X=good.X, y=y)  # a valid file, but not ADBench's
    assert load_dataset("14_glass", data_dir=tmp_path).n_outliers == good.n_outliers + (1 - 2 * good.y[0])
    with pytest.raises(ChecksumMismatchError) as err:
        load_dataset("14_glass", data_dir=tmp_path, verify=True)
    msg = str(err.value)
    assert str(path) in msg and "verify=False" in msg
    assert f"python -m pyod_sla2p.datasets download --suite adbench --force 14_glass --data-dir {tmp_path}" in msg
    assert path.is_file()  # left for the user to inspect


# --------------------------------------------------------------------------
# Download over loopback
# --------------------------------------------------------------------------


def test_download_verified_files(server, target, data_dir):
    _serve(server, data_dir, SMALL)
    paths = download_adbench(list(SMALL)[::-1], data_dir=target.data, base_url=server.url + "/")
    assert paths == [target.data / "adbench" / ADBENCH_FILES[n].relpath for n in ADBENCH_FILES if n in SMALL]
    assert _files(target.data) == sorted(f"adbench/{ADBENCH_FILES[n].relpath}" for n in SMALL)
    for name in SMALL:
        copy = target.data / "adbench" / ADBENCH_FILES[name].relpath
        assert copy.read_bytes() == _shared(data_dir, name).read_bytes()
        assert load_dataset(name, data_dir=target.data, verify=True).n_samples == SMALL[name][0]
    assert len(server.hits) == len(SMALL)
    download_adbench(list(SMALL), data_dir=target.data, base_url=server.url)  # present: no fetch
    assert len(server.hits) == len(SMALL)


def test_tampered_file_is_rejected_and_nothing_left(server, target, data_dir):
    _serve(server, data_dir, ["14_glass"])
    _tamper_same_size(server.root / "Classical" / "14_glass.npz")
    with pytest.raises(ChecksumMismatchError) as err:
        download_adbench("14_glass", data_dir=target.data, base_url=server.url)
    assert ADBENCH_FILES["14_glass"].pin.sha256 in str(err.value) and "discarded" in str(err.value)
    assert _files(target.data) == []


def test_blob_id_verifies_files_without_sha256(server, target, data_dir, monkeypatch):
    entry = ADBENCH_FILES["14_glass"]
    # As for the 114 files whose SHA-256 and size ADBench's manifest lacks.
    monkeypatch.setitem(ADBENCH_FILES, "14_glass", entry._replace(pin=Pin(git_blob=entry.pin.git_blob)))
    _serve(server, data_dir, ["14_glass"])
    download_adbench(["14_glass"], data_dir=target.data, base_url=server.url)
    assert _files(target.data) == ["adbench/Classical/14_glass.npz"]
    _tamper_same_size(server.root / "Classical" / "14_glass.npz")
    with pytest.raises(ChecksumMismatchError, match=f"git blob id is .*expected {entry.pin.git_blob}"):
        download_adbench(["14_glass"], data_dir=target.data, base_url=server.url, force=True)
    assert _files(target.data) == ["adbench/Classical/14_glass.npz"]  # the good copy stays


def test_oversized_file_is_cut_off_at_its_pinned_size(server, target, data_dir):
    _serve(server, data_dir, ["14_glass"])
    served = server.root / "Classical" / "14_glass.npz"
    served.write_bytes(served.read_bytes() + bytes(1 << 20))
    size = ADBENCH_FILES["14_glass"].pin.size
    with pytest.raises(DownloadError, match=f"size cap of {size} bytes") as err:
        download_adbench(["14_glass"], data_dir=target.data, base_url=server.url)
    assert not isinstance(err.value, ChecksumMismatchError)
    assert _files(target.data) == []


def test_stale_partial_in_a_family_folder_is_removed(server, target, data_dir):
    folder = target.data / "adbench" / "Classical"
    folder.mkdir(parents=True)
    stale = folder / ".14_glass.npz.abcd0001.part"  # untagged: the age rule applies
    stale.write_bytes(b"x")
    old = time.time() - 2 * 24 * 3600
    os.utime(stale, (old, old))
    _serve(server, data_dir, ["14_glass"])
    download_adbench(["14_glass"], data_dir=target.data, base_url=server.url)
    assert _files(target.data) == ["adbench/Classical/14_glass.npz"]


def test_default_source_is_adbench_at_a_fixed_commit(monkeypatch, offline_urls, target):
    monkeypatch.delenv(ADBENCH_URL_ENV_VAR, raising=False)
    with pytest.raises(DownloadError, match="offline in tests"):
        download_adbench(["6_cardio", "CV_by_ViT:MVTec-AD_bottle"], data_dir=target.data)
    base = f"https://raw.githubusercontent.com/Minqi824/ADBench/{ADBENCH_COMMIT}/adbench/datasets"
    assert ADBENCH_BASE_URL == base
    assert offline_urls == [f"{base}/Classical/6_cardio.npz", f"{base}/CV_by_ViT/MVTec-AD_bottle.npz"]


def test_unknown_family_or_name_fails_before_any_io(target):
    with pytest.raises(UnknownDatasetError, match="'CV_by_ViT'"):
        download_adbench(families=["CV_by_VIT"], data_dir=target.data)
    with pytest.raises(UnknownDatasetError, match="'6_cardio'"):
        download_adbench(["6_cardoi"], data_dir=target.data)
    assert not target.data.exists()


def test_cli_download_list_and_info(server, target, data_dir, monkeypatch, capsys):
    _serve(server, data_dir, ["14_glass", "NLP_by_BERT:20news_3"])
    monkeypatch.setenv(ADBENCH_URL_ENV_VAR, server.url)  # the base URL from the environment
    assert cli_main(["download", "--suite", "adbench", "--data-dir", str(target.data), "14_glass"]) == 0
    assert "1 file(s) ready" in capsys.readouterr().out
    # A whole family: 13 files, of which the server has one.
    assert cli_main(["download", "--family", "NLP_by_BERT", "--data-dir", str(target.data)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 12 of 13 downloads failed") and "HTTP 404" in err
    assert _files(target.data) == ["adbench/Classical/14_glass.npz", "adbench/NLP_by_BERT/20news_3.npz"]

    assert cli_main(["list", "adbench", "--data-dir", str(target.data)]) == 0
    assert capsys.readouterr().out.split() == ["14_glass", "NLP_by_BERT:20news_3"]
    assert cli_main(["info", "adbench-nlp-bert", "--data-dir", str(target.data), "--verify"]) == 0
    row = capsys.readouterr().out.splitlines()[2].split()
    assert row[:5] == ["NLP_by_BERT:20news_3", "615", "768", "30", "4.88"]
    _tamper_same_size(target.data / "adbench" / "Classical" / "14_glass.npz")
    assert cli_main(["info", "14_glass", "--data-dir", str(target.data), "--verify"]) == 1
    assert "does not match its pinned checksum" in capsys.readouterr().err
