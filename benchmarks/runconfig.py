"""``run_config.json``: how a run was made, and its command as anyone can rerun it.

The runner writes it (:func:`write_run_config`) before the first cell; the
report and the ablation table read it (:func:`read_run_config`).
:func:`portable_command` rewrites a recorded command so that it runs from the
current directory (the repository root) on another machine: ``--out`` names
the folder the results are in now, and no path is absolute.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence

__all__ = ["CONFIG_NAME", "command_line", "machine", "merge_resumed", "portable_command",
           "read_run_config", "write_run_config"]

CONFIG_NAME = "run_config.json"
_PATH_OPTIONS = ("--out", "--data-dir", "--config")


def command_line(argv: Sequence[str], program: str = "benchmarks") -> str:
    """``python -m PROGRAM ARGV...``, quoted for a POSIX shell."""
    return shlex.join(["python", "-m", program, *argv])


def _relative(path: str) -> str:
    return os.path.relpath(path) if os.path.isabs(path) else path


def portable_command(command: str, out_dir: Path) -> str:
    """``command`` with ``--out OUT_DIR`` and every path relative to the current directory.

    Examples
    --------
    >>> portable_command("python -m benchmarks --out /elsewhere/run1", Path("results/run1"))
    'python -m benchmarks --out results/run1'
    """
    words = shlex.split(command)
    out: List[str] = []
    i = 0
    while i < len(words):
        option, eq, value = words[i].partition("=")
        if option in _PATH_OPTIONS and (eq or i + 1 < len(words)):
            value = value if eq else words[i + 1]
            value = str(out_dir) if option == "--out" else value
            out += [option, _relative(value)]
            i += 1 if eq else 2
            continue
        out.append(words[i])
        i += 1
    if "--out" not in out:
        out += ["--out", _relative(str(out_dir))]
    return shlex.join(out)


def machine() -> Dict[str, Any]:
    """This machine: host, CPU model, core count, platform, Python."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"host": platform.node(), "cpu": cpu or platform.machine(),
            "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}


def read_run_config(out_dir: Path) -> Dict[str, Any]:
    """The run's ``run_config.json`` as a dict; empty if it is missing or unreadable."""
    try:
        return json.loads((Path(out_dir) / CONFIG_NAME).read_text())
    except (OSError, ValueError):
        return {}


def write_run_config(out_dir: Path, config: Mapping[str, Any], invocation: Mapping[str, Any],
                     resume: bool) -> None:
    """Write ``run_config.json``: ``config``, its command, and the list of invocations.

    With ``resume``, the invocations recorded by earlier runs in ``out_dir``
    are kept and this one is added, and the run's ``datasets``,
    ``detectors`` and ``seeds`` become the union of the earlier ones and this
    call's (:func:`merge_resumed`): a resumed call limited to some datasets
    or detectors adds cells to the same folder, so the folder holds them all.
    """
    earlier = read_run_config(out_dir) if resume else {}
    config = merge_resumed(earlier, config) if earlier else dict(config)
    data = {**config, "command": invocation["command"],
            "invocations": earlier.get("invocations", []) + [invocation]}
    path = Path(out_dir) / CONFIG_NAME
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=repr) + "\n")
    os.replace(tmp, path)


def _union(earlier: Any, current: Sequence[Any], key: str) -> List[Any]:
    """Earlier entries in their order, each replaced by this call's entry of the
    same ``key`` where there is one, then this call's new entries."""
    if not isinstance(earlier, list):
        return list(current)
    now = {entry[key]: entry for entry in current}
    merged = [now.pop(entry[key], entry) for entry in earlier
              if isinstance(entry, dict) and key in entry]
    return merged + [entry for entry in current if entry[key] in now]


def merge_resumed(earlier: Mapping[str, Any], config: Mapping[str, Any]) -> Dict[str, Any]:
    """``config`` with ``datasets``, ``detectors`` and ``seeds`` united with ``earlier``'s.

    Datasets are matched by ``name`` and detectors by ``label``; where both
    calls name one, this call's description wins (``--resume`` has already
    refused a label whose parameters changed). Seeds are sorted.

    Examples
    --------
    >>> merge_resumed({"datasets": [{"name": "a"}], "seeds": [0]},
    ...               {"datasets": [{"name": "b"}], "seeds": [1], "detectors": []})
    {'datasets': [{'name': 'a'}, {'name': 'b'}], 'seeds': [0, 1], 'detectors': []}
    """
    merged = dict(config)
    for field, key in (("datasets", "name"), ("detectors", "label")):
        if field in config:
            merged[field] = _union(earlier.get(field), config[field], key)
    if "seeds" in config and isinstance(earlier.get("seeds"), list):
        merged["seeds"] = sorted(set(earlier["seeds"]) | set(config["seeds"]))
    return merged
