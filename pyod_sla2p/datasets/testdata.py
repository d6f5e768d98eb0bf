"""The ``tests`` download suite: the data directory the test suite reads.

``python -m pyod_sla2p.datasets download --suite tests --data-dir DIR``
gives ``DIR`` the layout of the shared copies (``../shared/datasets``):
``odds/`` (:data:`TEST_ODDS`), ``adbench/<family>/`` (:data:`TEST_ADBENCH`),
``embeddings/`` (:data:`TEST_EMBEDDINGS`: byte-identical copies of ADBench
files, so downloaded from ADBench and checked against its pins), and the
text files the tests read, written from the pins once every download
succeeded: ``SHA256SUMS``, ``adbench/SHA256SUMS``, ``adbench/MANIFEST.tsv``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional

from ._adbench_pins import PINS
from .adbench import ADBENCH_FILES, adbench_base_url, adbench_job, adbench_path
from .datadir import (ADBENCH_SUBDIR, EMBEDDINGS_SUBDIR, ODDS_DATASETS, ODDS_SUBDIR,
                      resolve_data_dir, write_text_atomic)
from .download import ODDS_SHA256, odds_job
from .fetch import DownloadOptions, download_files

__all__ = ["TESTS_SUITE", "TEST_ODDS", "TEST_ADBENCH", "TEST_EMBEDDINGS", "download_test_data",
           "text_files"]

#: The suite's name on the command line (``download --suite tests``).
TESTS_SUITE = "tests"

#: The ODDS files: those of the ``odds`` suite.
TEST_ODDS = ODDS_DATASETS

_MVTEC = ("bottle", "cable", "capsule", "carpet", "grid", "leather", "metal_nut", "pill",
          "toothbrush", "transistor", "wood")

#: The ADBench files, by canonical name: those of the shared copies (and of
#: the ``dev`` benchmark suite, ``benchmarks/devsuite.py``).
TEST_ADBENCH = (
    "1_ALOI", "5_campaign", "6_cardio", "8_celeba", "10_cover", "11_donors", "14_glass",
    "16_http", "17_InternetAds", "18_Ionosphere", "19_landsat", "20_letter", "21_Lymphography",
    "22_magic.gamma", "23_mammography", "24_mnist", "25_musk", "26_optdigits", "28_pendigits",
    "29_Pima", "30_satellite", "31_satimage-2", "32_shuttle", "33_skin", "34_smtp",
    "39_vertebral", "40_vowels",
    *(f"{family}:MVTec-AD_{c}" for family in ("CV_by_ResNet18", "CV_by_ViT") for c in _MVTEC),
    "NLP_by_BERT:20news_3",
)

#: ``embeddings/<name>.npz`` -> the ADBench file it is a copy of.
TEST_EMBEDDINGS = {"bert_20news_3": "NLP_by_BERT:20news_3",
                   **{f"resnet18_MVTec-AD_{c}": f"CV_by_ResNet18:MVTec-AD_{c}" for c in _MVTEC[:5]}}


def text_files() -> Dict[str, str]:
    """The suite's text files by path in the data directory, as the shared copies have them."""
    # Imported here: `python -m pyod_sla2p.datasets.adbench_manifest` warns if it is imported.
    from .adbench_manifest import render_manifest

    top = [(ODDS_SHA256[n], f"{ODDS_SUBDIR}/{n}.mat") for n in TEST_ODDS]
    top += [(ADBENCH_FILES[a].pin.sha256, f"{EMBEDDINGS_SUBDIR}/{n}.npz")
            for n, a in sorted(TEST_EMBEDDINGS.items())]
    adbench = sorted((f"./{ADBENCH_FILES[n].relpath}", ADBENCH_FILES[n].pin.sha256)
                     for n in TEST_ADBENCH)
    return {
        "SHA256SUMS": "".join(f"{sha}  {path}\n" for sha, path in top),  # sha256sum's format
        f"{ADBENCH_SUBDIR}/SHA256SUMS": "".join(f"{sha}  {path}\n" for path, sha in adbench),
        f"{ADBENCH_SUBDIR}/MANIFEST.tsv": render_manifest(PINS),
    }


def download_test_data(*, options: Optional[DownloadOptions] = None, **settings) -> List[Path]:
    """Download what the test suite reads into a data directory, verified.

    Parameters
    ----------
    options, **settings
        As in :func:`~pyod_sla2p.datasets.download_odds`, which also says
        what is raised (the text files are then not written).  ``base_url``
        is a mirror of a data directory, serving ``odds/<name>.mat`` and
        ``adbench/<family>/<stem>.npz`` (``python -m http.server`` in a copy
        of one); default: ODDS's links, and ADBench's (:func:`download_adbench`).

    Returns
    -------
    list of pathlib.Path
        The data files, then the three text files.
    """
    options = replace(options or DownloadOptions(), **settings)
    root = resolve_data_dir(options.data_dir)
    mirror = options.base_url.rstrip("/") if options.base_url else None
    adbench_base = f"{mirror}/{ADBENCH_SUBDIR}" if mirror else adbench_base_url()
    jobs = [odds_job(n, root, mirror and f"{mirror}/{ODDS_SUBDIR}") for n in TEST_ODDS]
    jobs += [adbench_job(ADBENCH_FILES[n], adbench_base, adbench_path(ADBENCH_FILES[n], root))
             for n in TEST_ADBENCH]
    for name, source in TEST_EMBEDDINGS.items():
        job = adbench_job(ADBENCH_FILES[source], adbench_base,
                          root / EMBEDDINGS_SUBDIR / f"{name}.npz")
        jobs.append(job._replace(label=f"{EMBEDDINGS_SUBDIR}/{name}.npz (= {job.label})"))
    paths = download_files(jobs, options)
    for relpath, text in text_files().items():
        write_text_atomic(root / relpath, text)
        paths.append(root / relpath)
    return paths
