"""Where ADBench's dataset files come from, and how they are grouped.

ADBench (Han et al., "ADBench: Anomaly Detection Benchmark", NeurIPS 2022)
keeps its datasets in its GitHub repository, github.com/Minqi824/ADBench,
under ``adbench/datasets/<family>/<name>.npz``.  Downloads read them from a
fixed commit, so the bytes cannot change under the pinned checksums.
"""

from __future__ import annotations

__all__ = [
    "ADBENCH_COMMIT",
    "ADBENCH_BASE_URL",
    "ADBENCH_URL_ENV_VAR",
    "ADBENCH_FAMILIES",
    "ADBENCH_SUITE",
    "ADBENCH_SUITES",
]

#: The last commit of ADBench's repository that changed ``adbench/datasets``
#: (``git log -1 --format=%H -- adbench/datasets`` in a clone of it); its
#: files are the ones ``MANIFEST.tsv`` lists.
ADBENCH_COMMIT = "f7fed68dea6901fe9a81ed51b251b1d2456790cd"

#: Default download location: ``<base>/<family>/<name>.npz``.
ADBENCH_BASE_URL = (
    f"https://raw.githubusercontent.com/Minqi824/ADBench/{ADBENCH_COMMIT}/adbench/datasets"
)

#: Environment variable that replaces :data:`ADBENCH_BASE_URL` (a mirror).
ADBENCH_URL_ENV_VAR = "PYOD_SLA2P_ADBENCH_URL"

#: ADBench's families (its folder names) and the suite that holds each.
ADBENCH_FAMILIES = {
    "Classical": "adbench-tabular",
    "CV_by_ResNet18": "adbench-cv-resnet18",
    "CV_by_ViT": "adbench-cv-vit",
    "NLP_by_BERT": "adbench-nlp-bert",
    "NLP_by_RoBERTa": "adbench-nlp-roberta",
}

#: The suite of every ADBench file, whatever its family.
ADBENCH_SUITE = "adbench"

#: All ADBench suite names.
ADBENCH_SUITES = (ADBENCH_SUITE, *ADBENCH_FAMILIES.values())
