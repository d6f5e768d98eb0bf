"""Let PyOD's own tools find SLA2P by name.

PyOD's ``ADEngine`` (``pyod.utils.ad_engine``, PyOD 3) plans and builds
detectors from a knowledge base: a folder of JSON files whose
``algorithms.json`` maps each detector's name to its metadata, among them
the ``class_path`` it is built from. PyOD's bundled folder does not list
SLA2P, so ``ADEngine().make_plan(["SLA2P"])`` fails with ``Unknown detector
name(s)``. This module gives an engine that knows SLA2P::

    from pyod_sla2p.pyod_tools import adengine
    engine = adengine()                      # an ADEngine that knows "SLA2P"
    plan = engine.make_plan(["SLA2P", "IForest"])
    result = engine.run_detection(X, plan)   # the primary detector, SLA2P

How the folder is made: the package ships only its own entries
(``pyod_sla2p/knowledge/algorithms.json`` and ``papers.json``, in PyOD's
format). :func:`knowledge_dir` copies every JSON file of the *installed*
PyOD's knowledge folder into a folder of this process and adds these
entries to the files of the same name. Building it at run time, rather
than shipping a copy of PyOD's knowledge base, keeps every other detector's
entry, the routing rules and the benchmarks exactly those of the PyOD the
user has, whatever its version. The folder is private to the process
(``tempfile.mkdtemp``: no other user can plant a ``class_path`` there, and
no stale cache survives a PyOD upgrade) and removed when Python exits;
:func:`adengine` also reads every file at once, so its engine keeps working
without the folder.

``EmbeddingOD(detector="SLA2P")`` cannot be made to work from here: PyOD
resolves detector strings from a private, fixed table. Pass an instance,
``EmbeddingOD(encoder=..., detector=SLA2P())``, which PyOD clones and fits on
the embeddings (see ``docs/user-guide/pyod-tools.md``).

Nothing here imports PyOD's engine until a function is called, so
``import pyod_sla2p`` stays as light as before.
"""

import atexit
import importlib
import json
import os
import shutil
import tempfile
import threading
from importlib import resources

__all__ = ["DETECTOR_NAME", "adengine", "knowledge_dir", "knowledge_entries"]

#: The name SLA2P has in the knowledge base, as ``make_plan`` expects it.
DETECTOR_NAME = "SLA2P"

#: The first PyOD with ``ADEngine`` and its ``knowledge_dir`` (3.0.0);
#: ``ADEngine.make_plan`` came in 3.5.4.
MIN_PYOD_VERSION = "3.0.0"

# This package's entries, one file per PyOD knowledge file they extend.
_OVERLAY_FOLDER = "knowledge"

_lock = threading.Lock()
_process_dir = None


def knowledge_entries():
    """This package's additions to PyOD's knowledge base.

    Returns
    -------
    dict
        ``{file name: {key: entry}}``, e.g. ``{"algorithms.json": {"SLA2P":
        {...}}, "papers.json": {"sla2p": {...}}}``, read from the package's
        ``knowledge`` folder (fresh dicts: changing them changes nothing).
    """
    folder = resources.files("pyod_sla2p").joinpath(_OVERLAY_FOLDER)
    entries = {}
    for item in folder.iterdir():
        if not item.name.endswith(".json"):
            continue
        data = json.loads(item.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"pyod_sla2p/{_OVERLAY_FOLDER}/{item.name} must hold a JSON object "
                             f"(name -> entry), got {type(data).__name__}; the package is damaged, "
                             "reinstall pyod-sla2p.")
        entries[item.name] = data
    if "algorithms.json" not in entries:
        raise FileNotFoundError(f"pyod_sla2p/{_OVERLAY_FOLDER}/algorithms.json is missing; the "
                                "package was installed without its data files, reinstall pyod-sla2p.")
    return entries


def _pyod_version():
    try:
        from importlib.metadata import version
        return version("pyod")
    except Exception:  # any failure only makes the error message vaguer
        return "unknown"


def _pyod_knowledge_folder():
    """The installed PyOD's bundled knowledge folder, or a clear ImportError."""
    try:
        knowledge = importlib.import_module("pyod.utils.knowledge")
    except ImportError as exc:
        raise ImportError(
            f"The installed PyOD ({_pyod_version()}) has no ADEngine knowledge base "
            f"(pyod.utils.knowledge, added in PyOD {MIN_PYOD_VERSION}). Upgrade it with "
            f"pip install -U 'pyod>={MIN_PYOD_VERSION}' (make_plan needs 3.5.4 or newer).") from exc
    return os.path.dirname(knowledge.__file__)


def _write_json(path, data):
    # Write beside the target and rename, so that a reader never sees half a
    # file. open() rather than mkstemp, so that the file gets the user's umask
    # (mkstemp's 0600 would hide a folder built for another tool).
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _build(target):
    """Write PyOD's knowledge files plus this package's entries into ``target``."""
    source = _pyod_knowledge_folder()
    overlay = knowledge_entries()
    names = sorted(n for n in os.listdir(source) if n.endswith(".json"))
    if "algorithms.json" not in names:
        raise ImportError(
            f"The installed PyOD ({_pyod_version()}) has no algorithms.json in {source}; its "
            "knowledge base is not in the format pyod_sla2p knows. Install a PyOD release "
            f">= {MIN_PYOD_VERSION} from PyPI.")
    os.makedirs(target, exist_ok=True)
    for name in sorted(set(names) | set(overlay)):
        data = {}
        if name in names:
            with open(os.path.join(source, name), encoding="utf-8") as fh:
                data = json.load(fh)
        if name in overlay:
            if not isinstance(data, dict):
                raise ValueError(
                    f"PyOD {_pyod_version()}'s {name} is a {type(data).__name__}, not a JSON "
                    "object (name -> entry), so pyod_sla2p cannot add its entries to it. "
                    "Report this at pyod-sla2p with your PyOD version.")
            # Ours win on a clash: whoever asks for this folder wants this package's SLA2P.
            data = {**data, **overlay[name]}
        _write_json(os.path.join(target, name), data)
    return target


def _remove_process_dir(path):
    shutil.rmtree(path, ignore_errors=True)


def knowledge_dir(path=None):
    """A PyOD knowledge folder that also lists SLA2P.

    Pass it to ``ADEngine(knowledge_dir=...)``; :func:`adengine` does this
    for you.

    Parameters
    ----------
    path : str, os.PathLike or None, default=None
        None: a folder private to this process, built on the first call,
        reused by later ones and deleted when Python exits. A path: build the
        folder there (creating it, and overwriting the knowledge files it may
        already hold), for a tool that must be given a lasting path; rebuild
        it after upgrading PyOD.

    Returns
    -------
    str
        The folder: every JSON file of the installed PyOD's
        ``pyod/utils/knowledge/``, with this package's entries added
        (``SLA2P`` in ``algorithms.json``, its paper in ``papers.json``).

    Raises
    ------
    ImportError
        If the installed PyOD has no ``ADEngine`` knowledge base (older than
        3.0.0).
    """
    global _process_dir
    if path is not None:
        return _build(os.fspath(path))
    with _lock:
        # Rebuilt if something (a /tmp cleaner) removed it since.
        if _process_dir is None or not os.path.isfile(os.path.join(_process_dir, "algorithms.json")):
            folder = tempfile.mkdtemp(prefix="pyod_sla2p_knowledge_")
            try:
                _build(folder)
            except BaseException:
                _remove_process_dir(folder)
                raise
            atexit.register(_remove_process_dir, folder)
            _process_dir = folder
        return _process_dir


def adengine(**kwargs):
    """PyOD's ``ADEngine`` with SLA2P in its knowledge base.

    ``engine.make_plan(["SLA2P", ...])``, ``build_detector``,
    ``run_detection``, ``list_detectors`` and ``explain_detector`` then know
    SLA2P by name; PyOD's rule-based ``plan_detection`` is unchanged (its
    routing rules do not name SLA2P, so it never picks it by itself).

    Parameters
    ----------
    **kwargs
        Passed to ``ADEngine``, e.g. ``random_state=0``; not
        ``knowledge_dir``, which this function sets.

    Returns
    -------
    pyod.utils.ad_engine.ADEngine
        With every knowledge file already read, so the engine does not depend
        on the folder afterwards (it may be pickled, or outlive it).

    Raises
    ------
    ImportError
        If the installed PyOD has no ``ADEngine`` (older than 3.0.0).
    TypeError
        If ``knowledge_dir`` is given.

    Examples
    --------
    >>> from pyod_sla2p.pyod_tools import adengine
    >>> engine = adengine(random_state=0)
    >>> plan = engine.make_plan(["SLA2P", "IForest"],
    ...                         params=[{"n_projections": 8}, {}])
    >>> plan["detector_name"], plan["alternatives"][0]["detector_name"]
    ('SLA2P', 'IForest')
    """
    if "knowledge_dir" in kwargs:
        raise TypeError("adengine() sets knowledge_dir itself. To use a folder of your own, build it "
                        "with knowledge_dir(path) and call ADEngine(knowledge_dir=path).")
    try:
        from pyod.utils.ad_engine import ADEngine
    except ImportError as exc:
        raise ImportError(
            f"The installed PyOD ({_pyod_version()}) has no ADEngine (pyod.utils.ad_engine, added "
            f"in PyOD {MIN_PYOD_VERSION}). Upgrade it with pip install -U 'pyod>={MIN_PYOD_VERSION}' "
            "(make_plan needs 3.5.4 or newer).") from exc
    engine = ADEngine(knowledge_dir=knowledge_dir(), **kwargs)
    # KnowledgeBase reads each file on first use; read them all now.
    for name in ("algorithms", "benchmarks", "routing_rules", "papers"):
        if hasattr(type(engine.kb), name):
            getattr(engine.kb, name)
    return engine
