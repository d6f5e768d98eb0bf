"""Tests of pyod_sla2p.datasets: loaders, suites, builtins and bad input.

The ``data_dir`` fixture (tests/conftest.py) points at the shared benchmark
data and fails, rather than skips, when it is missing.
"""

import dataclasses
import shutil
import urllib.request
from pathlib import Path

import h5py
import numpy as np
import pytest
import requests
import scipy.io

from pyod_sla2p.datasets import (
    BUILTIN_DATASETS,
    ODDS_DATASETS,
    ODDS_SHA256,
    ChecksumMismatchError,
    Dataset,
    DatasetError,
    DatasetFormatError,
    DatasetNotFoundError,
    UnknownDatasetError,
    load_builtin,
    load_dataset,
    load_suite,
    resolve_data_dir,
    suite_members,
)
from pyod_sla2p.datasets.__main__ import main as cli_main

# The table of ../shared/datasets/README.md (from the repository root): file -> (rows, features, outliers).
ODDS_TABLE = {
    "arrhythmia": (452, 274, 66),
    "cardio": (1831, 21, 176),
    "glass": (214, 9, 9),
    "ionosphere": (351, 33, 126),
    "letter": (1600, 32, 100),
    "lympho": (148, 18, 6),
    "mnist": (7603, 100, 700),
    "musk": (3062, 166, 97),
    "optdigits": (5216, 64, 150),
    "pendigits": (6870, 16, 156),
    "pima": (768, 8, 268),
    "satellite": (6435, 36, 2036),
    "satimage-2": (5803, 36, 71),
    "shuttle": (49097, 9, 3511),
    "vertebral": (240, 6, 30),
    "vowels": (1456, 12, 50),
    "wbc": (378, 30, 21),
}
EMBEDDINGS_TABLE = {
    "bert_20news_3": (615, 768, 30),
    "resnet18_MVTec-AD_bottle": (292, 512, 63),
    "resnet18_MVTec-AD_cable": (374, 512, 92),
    "resnet18_MVTec-AD_capsule": (351, 512, 109),
    "resnet18_MVTec-AD_carpet": (397, 512, 89),
    "resnet18_MVTec-AD_grid": (342, 512, 57),
}
BUILTIN_TABLE = {
    "synthetic_local": (1000, 30, 50),
    "synthetic_global": (1000, 30, 50),
    "synthetic_dependency": (1000, 30, 50),
    "synthetic_clustered": (1000, 30, 50),
    "wine": (129, 13, 10),
    "breast_cancer": (378, 30, 21),
    "digits": (1669, 64, 50),
}


def _check_shape(ds, rows, features, outliers):
    assert isinstance(ds, Dataset)
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.int64
    assert ds.X.shape == (rows, features) and ds.y.shape == (rows,)
    assert (ds.n_samples, ds.n_features, ds.n_outliers) == (rows, features, outliers)
    assert ds.outlier_fraction == pytest.approx(outliers / rows)
    assert set(np.unique(ds.y)) <= {0, 1}
    assert np.isfinite(ds.X).all()


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No data directory anywhere: env var unset, HOME and XDG cache in tmp."""
    monkeypatch.delenv("PYOD_SLA2P_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


def _write_v73(path, X, y, userblock=True, keys=("X", "y")):
    """Write a MATLAB-v7.3-like file: HDF5, arrays stored transposed.

    With ``userblock`` the file gets MATLAB's 512-byte header (text, then
    version 0x0200 and the 'IM' endian mark), as MATLAB itself writes.
    """
    X = np.asarray(X)
    y = np.asarray(y).reshape(-1, 1)
    with h5py.File(path, "w", userblock_size=512 if userblock else 0) as f:
        if "X" in keys:
            f["X"] = X.T  # (features, rows), as h5py sees a MATLAB matrix
        if "y" in keys:
            f["y"] = y.T  # (1, rows)
    if userblock:
        text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 ."
        header = text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
        with open(path, "r+b") as f:
            f.write(header)


# --------------------------------------------------------------------------
# The shared benchmark data
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ODDS_TABLE))
def test_odds_files_match_readme(data_dir, name):
    ds = load_dataset(name, data_dir=data_dir)
    _check_shape(ds, *ODDS_TABLE[name])
    assert ds.name == name
    assert Path(ds.source) == data_dir / "odds" / f"{name}.mat"


@pytest.mark.parametrize("name", sorted(EMBEDDINGS_TABLE))
def test_embedding_files_match_readme(data_dir, name):
    ds = load_dataset(name, data_dir=data_dir)
    _check_shape(ds, *EMBEDDINGS_TABLE[name])
    assert Path(ds.source) == data_dir / "embeddings" / f"{name}.npz"


def test_named_suite_members(data_dir):
    assert suite_members("odds", data_dir=data_dir) == list(ODDS_DATASETS)
    assert list(ODDS_DATASETS) == sorted(ODDS_TABLE)
    assert suite_members("embeddings", data_dir=data_dir) == sorted(EMBEDDINGS_TABLE)
    assert suite_members("builtin") == list(BUILTIN_DATASETS)


def test_embeddings_suite_loads(data_dir):
    names = [ds.name for ds in load_suite("embeddings", data_dir=data_dir)]
    assert names == sorted(EMBEDDINGS_TABLE)


def test_env_var_selects_data_dir(data_dir, monkeypatch):
    monkeypatch.setenv("PYOD_SLA2P_DATA", str(data_dir))
    ds = load_dataset("glass")
    assert (ds.n_samples, ds.n_features) == (214, 9)


def test_path_loading_and_directory_suite(data_dir, tmp_path):
    ds = load_dataset(data_dir / "odds" / "lympho.mat")
    assert ds.name == "lympho"
    ds2 = load_dataset(str(data_dir / "embeddings" / "resnet18_MVTec-AD_grid.npz"))
    assert ds2.n_features == 512
    # A directory of files is a suite; members are absolute paths, sorted.
    for f in ("vertebral.mat", "glass.mat"):
        shutil.copy(data_dir / "odds" / f, tmp_path / f)
    np.savez(tmp_path / "b.npz", X=np.eye(3), y=np.array([0, 1, 0]))
    (tmp_path / "notes.txt").write_text("not data")
    members = suite_members(tmp_path)
    assert members == [str(tmp_path / n) for n in ("b.npz", "glass.mat", "vertebral.mat")]
    assert members == suite_members(str(tmp_path))
    loaded = list(load_suite(tmp_path))
    assert [d.name for d in loaded] == ["b", "glass", "vertebral"]
    # Members of a directory suite are accepted by load_dataset, from any cwd.
    assert load_dataset(members[1]).n_samples == 214


# --------------------------------------------------------------------------
# Data directory resolution
# --------------------------------------------------------------------------


def test_resolve_data_dir_order(no_env, monkeypatch):
    tmp = no_env
    assert resolve_data_dir() == tmp / "xdg" / "pyod_sla2p"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert resolve_data_dir() == tmp / "home" / ".cache" / "pyod_sla2p"
    monkeypatch.setenv("PYOD_SLA2P_DATA", str(tmp / "env"))
    assert resolve_data_dir() == tmp / "env"
    assert resolve_data_dir(tmp / "arg") == tmp / "arg"
    assert resolve_data_dir(str(tmp / "arg")) == tmp / "arg"
    assert not (tmp / "env").exists()  # resolving never creates anything


# --------------------------------------------------------------------------
# Builtin suite
# --------------------------------------------------------------------------


def test_builtin_suite_needs_no_data_and_no_network(no_env, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("builtin datasets must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(requests.Session, "send", no_network)  # what pooch downloads with
    first = list(load_suite("builtin"))
    second = list(load_suite("builtin"))
    assert [d.name for d in first] == list(BUILTIN_DATASETS) == list(BUILTIN_TABLE)
    for a, b in zip(first, second):
        _check_shape(a, *BUILTIN_TABLE[a.name])
        np.testing.assert_array_equal(a.X, b.X)  # deterministic
        np.testing.assert_array_equal(a.y, b.y)
        assert a.source == f"builtin:{a.name}"
        assert a.n_samples <= 3000 and a.n_features <= 64
        assert 0 < a.n_outliers < a.n_samples / 2
        assert a.description  # every recipe documents itself
        assert (a.y[: a.n_samples // 2].sum() > 0) and (a.y[a.n_samples // 2:].sum() > 0), (
            "rows are shuffled, outliers are not all in one block"
        )
    # Nothing was written where a data directory would be.
    assert not (no_env / "home").exists() and not (no_env / "xdg").exists()


def test_builtin_names_and_seeds():
    wine = load_dataset("wine")
    assert load_dataset("builtin:wine").X.tolist() == wine.X.tolist()
    other = load_builtin("wine", seed=7)
    assert other.X.shape == wine.X.shape and other.n_outliers == 10
    assert not np.array_equal(other.X, wine.X)
    np.testing.assert_array_equal(load_builtin("wine", seed=7).X, other.X)
    with pytest.raises(UnknownDatasetError, match="synthetic_local"):
        load_builtin("synthetic_locl")


def test_builtin_wine_follows_odds_recipe():
    from sklearn.datasets import load_wine

    raw = load_wine()
    ds = load_dataset("wine")
    # Every inlier is a cultivar-2/3 wine, every outlier a cultivar-1 wine.
    cls = {tuple(row): t for row, t in zip(raw.data, raw.target)}
    classes = np.array([cls[tuple(row)] for row in ds.X])
    assert set(classes[ds.y == 0]) == {1, 2} and (classes[ds.y == 0] != 0).sum() == 119
    assert set(classes[ds.y == 1]) == {0}


# --------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4))
    y = np.zeros(20, dtype=np.int64)
    y[[3, 11]] = 1
    return X, y


@pytest.mark.parametrize("userblock", [True, False])
def test_mat_v73_round_trip(tmp_path, toy, userblock):
    X, y = toy
    path = tmp_path / "v73.mat"
    _write_v73(path, X, y.astype(np.float64), userblock=userblock)
    if userblock:  # a real v7.3 header, which scipy refuses to read
        with pytest.raises(NotImplementedError):
            scipy.io.loadmat(str(path))
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)
    assert ds.name == "v73" and ds.source == str(path)


def test_mat_v73_detected_through_scipy_fallback(tmp_path, toy, monkeypatch):
    # Without the HDF5 signature check the loader must still get there via
    # scipy's NotImplementedError.
    X, y = toy
    path = tmp_path / "v73.mat"
    _write_v73(path, X, y)
    monkeypatch.setattr(h5py, "is_hdf5", lambda _: False)
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.X, X)


def test_mat_v5_round_trip(tmp_path, toy):
    X, y = toy
    scipy.io.savemat(tmp_path / "v5.mat", {"X": X.astype(np.int16), "y": y.reshape(-1, 1).astype(np.uint8)})
    ds = load_dataset(tmp_path / "v5.mat")
    np.testing.assert_array_equal(ds.X, X.astype(np.int16))
    np.testing.assert_array_equal(ds.y, y)
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.int64


def test_npz_round_trip(tmp_path, toy):
    X, y = toy
    np.savez(tmp_path / "t.npz", X=X.astype(np.float32), y=y.reshape(-1, 1))
    ds = load_dataset(tmp_path / "t.npz")
    np.testing.assert_allclose(ds.X, X.astype(np.float32))
    np.testing.assert_array_equal(ds.y, y)
    assert ds.X.dtype == np.float64 and ds.y.shape == (20,)


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_with_and_without_header(tmp_path, toy, header, sep):
    X, y = toy
    lines = [sep.join(f"f{j}" for j in range(4)) + f"{sep}label"] if header else []
    lines += [sep.join(repr(float(v)) for v in row) + f"{sep}{lab}" for row, lab in zip(X, y)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)


def test_dataset_object():
    ds = Dataset(X=[[1, 2], [3, 4], [5, 6]], y=[[0], [1], [0]], name="tiny", source="here")
    assert ds.metadata == {
        "name": "tiny",
        "rows": 3,
        "features": 2,
        "outliers": 1,
        "outlier_fraction": pytest.approx(1 / 3),
        "source": "here",
    }
    assert "tiny" in repr(ds) and "rows=3" in repr(ds)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"


# --------------------------------------------------------------------------
# Bad input: each a clear exception
# --------------------------------------------------------------------------


def test_unknown_name_suggests_and_says_where(tmp_path):
    with pytest.raises(UnknownDatasetError) as err:
        load_dataset("cardoi", data_dir=tmp_path)
    msg = str(err.value)
    assert "'cardio'" in msg and "Did you mean" in msg
    assert str(tmp_path / "odds" / "cardoi.mat") in msg
    assert "from the data_dir argument" in msg
    assert isinstance(err.value, ValueError) and isinstance(err.value, DatasetError)


def test_unknown_suite_suggests(tmp_path):
    with pytest.raises(UnknownDatasetError, match="'odds'"):
        suite_members("oddz", data_dir=tmp_path)


def test_missing_odds_file_says_where_and_how(no_env, monkeypatch):
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset("cardio")
    msg = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert str(no_env / "xdg" / "pyod_sla2p" / "odds" / "cardio.mat") in msg
    assert "default user cache directory" in msg
    assert "python -m pyod_sla2p.datasets download" in msg and "PYOD_SLA2P_DATA" in msg
    monkeypatch.setenv("PYOD_SLA2P_DATA", str(no_env / "data"))
    with pytest.raises(DatasetNotFoundError, match=r"\$PYOD_SLA2P_DATA"):
        load_dataset("cardio")


def test_verify_on_load_rejects_a_tampered_odds_file(data_dir, tmp_path):
    (tmp_path / "odds").mkdir()
    wbc = tmp_path / "odds" / "wbc.mat"
    good = load_dataset("wbc", data_dir=data_dir, verify=True)
    y = good.y.copy()
    y[:5] = 1 - y[:5]
    scipy.io.savemat(wbc, {"X": good.X, "y": y[:, None]})  # valid, but not ODDS's file
    assert load_dataset("wbc", data_dir=tmp_path).n_samples == 378  # verify is opt-in
    with pytest.raises(ChecksumMismatchError) as err:
        load_dataset("wbc", data_dir=tmp_path, verify=True)
    msg = str(err.value)
    assert "'wbc'" in msg and str(wbc) in msg and "does not match" in msg
    assert f"python -m pyod_sla2p.datasets download --force wbc --data-dir {tmp_path}" in msg
    assert "verify=False" in msg
    # Same size, other bytes: the SHA-256 tells them apart.
    glass = tmp_path / "odds" / "glass.mat"
    data = bytearray((data_dir / "odds" / "glass.mat").read_bytes())
    data[-10:] = b"0123456789"
    glass.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match=f"SHA-256 is .*expected {ODDS_SHA256['glass']}"):
        load_dataset("glass", data_dir=tmp_path, verify=True)
    # Every pinned shared file passes.
    for name in ODDS_DATASETS:
        assert load_dataset(name, data_dir=data_dir, verify=True).name == name


def test_missing_suite_files(tmp_path, data_dir):
    with pytest.raises(DatasetNotFoundError, match="all 17"):
        suite_members("odds", data_dir=tmp_path)
    (tmp_path / "odds").mkdir()
    shutil.copy(data_dir / "odds" / "glass.mat", tmp_path / "odds" / "glass.mat")
    with pytest.raises(DatasetNotFoundError, match="16 file.*arrhythmia, cardio, ionosphere"):
        load_suite("odds", data_dir=tmp_path)  # raises at the call, not lazily
    with pytest.raises(DatasetNotFoundError, match="embeddings"):
        suite_members("embeddings", data_dir=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match="holds no dataset files"):
        suite_members(tmp_path / "empty")


def test_missing_or_unsupported_path(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_dataset(tmp_path / "nope.mat")
    with pytest.raises(DatasetFormatError, match="is a directory.*load_suite"):
        load_dataset(tmp_path)
    (tmp_path / "x.txt").write_text("1,0\n")
    with pytest.raises(DatasetFormatError, match="unsupported file type '.txt'"):
        load_dataset(tmp_path / "x.txt")


@pytest.mark.parametrize("relpath, name, fix", [
    ("odds/pima.mat", "pima", "download --force pima --data-dir"),
    ("adbench/Classical/14_glass.npz", "14_glass", "download --suite adbench --force 14_glass"),
    ("embeddings/bert_20news_3.npz", "bert_20news_3", "download --suite tests --data-dir"),
])
def test_directory_in_place_of_a_named_file(tmp_path, relpath, name, fix):
    # Issue 26, item 7: it used to say "not found" and to download it.
    (tmp_path / relpath).mkdir(parents=True)
    with pytest.raises(DatasetFormatError) as err:
        load_dataset(name, data_dir=tmp_path)
    msg = str(err.value)
    assert f"{tmp_path / relpath} is a directory" in msg and "Move it away" in msg and fix in msg
    assert "not found" not in msg


def test_csv_without_label_column_names_the_last_column(tmp_path):
    # Issue 26, item 8: "labels must be binary" did not say where labels come from.
    (tmp_path / "t.csv").write_text("clump,size\n5,2\n3,4\n6,2\n")
    with pytest.raises(DatasetFormatError) as err:
        load_dataset(tmp_path / "t.csv")
    msg = str(err.value)
    assert str(tmp_path / "t.csv") in msg and "the last column ('size') is read as the outlier labels" in msg
    assert "{2, 4}" in msg and "add one as the last column" in msg and "recode them to 0/1" in msg
    (tmp_path / "u.csv").write_text("5,2\n3,4\n")  # no header: no column name to give
    with pytest.raises(DatasetFormatError, match=r"the last column is read as the outlier labels"):
        load_dataset(tmp_path / "u.csv")


@pytest.mark.parametrize("suffix", [".mat", ".npz", ".csv"])
def test_garbage_file(tmp_path, suffix):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DatasetFormatError) as err:
        load_dataset(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "relpath", ["odds/cardio.mat", "odds/letter.mat", "embeddings/resnet18_MVTec-AD_grid.npz"]
)
def test_truncated_real_file(data_dir, tmp_path, relpath):
    data = (data_dir / relpath).read_bytes()
    path = tmp_path / Path(relpath).name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetFormatError, match="corrupt or truncated"):
        load_dataset(path)


def test_truncated_v73_file(tmp_path, toy):
    X, y = toy
    full = tmp_path / "full.mat"
    _write_v73(full, np.tile(X, (50, 1)), np.tile(y, 50))
    data = full.read_bytes()
    cut = tmp_path / "cut.mat"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetFormatError, match="corrupt or truncated"):
        load_dataset(cut)


def test_labels_not_binary(tmp_path, toy):
    X, y = toy
    y = y.copy()
    y[0] = 2
    np.savez(tmp_path / "t.npz", X=X, y=y)
    with pytest.raises(DatasetFormatError, match=r"binary.*\{0, 1, 2\}"):
        load_dataset(tmp_path / "t.npz")


def test_labels_with_nan(tmp_path, toy):
    X, y = toy
    y = y.astype(float)
    y[[1, 2]] = np.nan
    scipy.io.savemat(tmp_path / "t.mat", {"X": X, "y": y.reshape(-1, 1)})
    with pytest.raises(DatasetFormatError, match="2 NaN label"):
        load_dataset(tmp_path / "t.mat")


def test_x_with_nan_names_dataset_and_count(tmp_path, toy):
    X, y = toy
    X = X.copy()
    X[0, 0] = X[5, 2] = X[7, 3] = np.nan
    np.savez(tmp_path / "holes.npz", X=X, y=y)
    with pytest.raises(DatasetFormatError) as err:
        load_dataset(tmp_path / "holes.npz")
    msg = str(err.value)
    assert "'holes'" in msg and "3 NaN" in msg and str(tmp_path / "holes.npz") in msg


def test_csv_empty_cell_is_nan_not_imputed(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,label\n1,2,0\n3,,1\n5,6,0\n")
    with pytest.raises(DatasetFormatError, match="1 NaN"):
        load_dataset(tmp_path / "t.csv")


def test_csv_bad_cells_and_ragged_rows(tmp_path):
    (tmp_path / "a.csv").write_text("a,b,label\n1,2,0\n3,oops,1\n")
    with pytest.raises(DatasetFormatError, match=r"line 3, column 2: 'oops'"):
        load_dataset(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("1,2,0\n3,1\n")
    with pytest.raises(DatasetFormatError, match="line 2: 2 fields, expected 3"):
        load_dataset(tmp_path / "b.csv")
    (tmp_path / "c.csv").write_text("")
    with pytest.raises(DatasetFormatError, match="empty"):
        load_dataset(tmp_path / "c.csv")


def test_x_with_inf(tmp_path, toy):
    X, y = toy
    X = X.copy()
    X[2, 1] = np.inf
    np.savez(tmp_path / "t.npz", X=X, y=y)
    with pytest.raises(DatasetFormatError, match="1 infinite"):
        load_dataset(tmp_path / "t.npz")


@pytest.mark.parametrize("fmt", ["npz", "mat", "v73", "csv"])
def test_length_mismatch(tmp_path, toy, fmt):
    X, y = toy
    path = tmp_path / f"t.{'mat' if fmt == 'v73' else fmt}"
    if fmt == "npz":
        np.savez(path, X=X, y=y[:-1])
    elif fmt == "mat":
        scipy.io.savemat(path, {"X": X, "y": y[:-1].reshape(-1, 1)})
    elif fmt == "v73":
        _write_v73(path, X, y[:-1])
    else:  # a CSV cannot disagree on lengths; a ragged row is the analogue
        path.write_text("1,2,0\n3,4,1\n5,0\n")
    with pytest.raises(DatasetFormatError, match="20 rows but y has 19|fields, expected"):
        load_dataset(path)


@pytest.mark.parametrize("fmt", ["npz", "mat", "v73"])
@pytest.mark.parametrize("missing", ["X", "y"])
def test_missing_keys(tmp_path, toy, fmt, missing):
    X, y = toy
    arrays = {"X": X, "y": y.reshape(-1, 1)}
    del arrays[missing]
    arrays["labels"] = y
    path = tmp_path / f"t.{'mat' if fmt == 'v73' else fmt}"
    if fmt == "npz":
        np.savez(path, **arrays)
    elif fmt == "mat":
        scipy.io.savemat(path, arrays)
    else:
        _write_v73(path, X, y, keys=tuple(k for k in "Xy" if k != missing))
    with pytest.raises(DatasetFormatError, match=f"no variable\\(s\\) '{missing}'"):
        load_dataset(path)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    X = np.empty(3, dtype=object)
    X[:] = [[1.0], [2.0], [3.0]]
    np.savez(tmp_path / "p.npz", X=X, y=np.array([0, 1, 0]))
    with pytest.raises(DatasetFormatError, match="allow_pickle=False"):
        load_dataset(tmp_path / "p.npz")


def test_bad_shapes_in_dataset():
    with pytest.raises(DatasetFormatError, match="2-D"):
        Dataset(X=np.arange(3.0), y=[0, 1, 0], name="v", source="s")
    with pytest.raises(DatasetFormatError, match="vector"):
        Dataset(X=np.ones((2, 2)), y=np.zeros((2, 2)), name="m", source="s")
    with pytest.raises(DatasetFormatError, match="dtype"):
        Dataset(X=[["a", "b"]], y=[0], name="s", source="s")


# --------------------------------------------------------------------------
# Command line (list / info; download is in test_datasets_download.py)
# --------------------------------------------------------------------------


def test_cli_list_and_info(capsys, tmp_path):
    assert cli_main(["list", "builtin"]) == 0
    assert capsys.readouterr().out.split() == list(BUILTIN_DATASETS)
    assert cli_main(["info", "wine"]) == 0
    out = capsys.readouterr().out
    assert "wine" in out and "129" in out and "7.75" in out
    assert cli_main(["info", "nosuchthing", "--data-dir", str(tmp_path)]) == 1
    assert "unknown dataset 'nosuchthing'" in capsys.readouterr().err
