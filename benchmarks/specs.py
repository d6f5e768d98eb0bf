"""Detector specifications: ``--detectors``, ``--set`` and ``--config`` to validated detectors.

Syntax (``--detectors``): a comma-separated list of
``[LABEL=]NAME[:KEY=VALUE[:KEY=VALUE...]]``::

    sla2p,lof:n_neighbors=10:metric=manhattan,iforest
    lof,lof5=lof:n_neighbors=5          # the same detector twice, labelled

Commas inside brackets or quotes do not split (``sla2p:hidden_dims=[64,32]``).
``--set NAME:KEY=VALUE[:KEY=VALUE...]`` adds overrides to a detector of the
list (``NAME`` is its label). Values are Python literals
(:func:`ast.literal_eval`: ``5``, ``0.1``, ``None``, ``[64, 32]``,
``'cpu'``), with ``true``/``false``/``none`` accepted as well; anything else
is taken as a string.

Everything is validated before a single cell runs: unknown names (with
close matches suggested) and unknown parameters (with the valid ones listed)
raise :class:`SpecError`. Parameter *values* are not checked here; a value
that makes ``fit`` fail becomes an error row of that cell.
"""

from __future__ import annotations

import ast
import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .registry import DEFAULT_DETECTORS, REGISTRY, DetectorEntry

__all__ = ["ResolvedDetector", "SpecError", "load_config", "parse_detector_list", "parse_set",
           "parse_value", "resolve_detectors", "split_top_level"]

#: (label, registry name, overrides)
Item = Tuple[str, str, Dict[str, Any]]


class SpecError(ValueError):
    """A detector specification that cannot be run (raised before any cell)."""


@dataclass(frozen=True)
class ResolvedDetector:
    """A validated detector of a run: what a cell needs to build it.

    Attributes
    ----------
    label : str
        Column name in results and tables (the registry name unless the
        specification gave ``LABEL=``).
    name : str
        Registry name.
    estimator : str
        ``"module:Class"``.
    kwargs : dict
        Constructor arguments (registry defaults updated by overrides),
        without the seed and feature-count arguments.
    overrides : dict
        The user's overrides only (recorded in the ``params`` column).
    seed_param, n_features_param, warm_up
        See :class:`benchmarks.registry.DetectorEntry`.
    """

    label: str
    name: str
    estimator: str
    kwargs: Dict[str, Any]
    overrides: Dict[str, Any]
    seed_param: Optional[str]
    n_features_param: Optional[str]
    warm_up: bool = False

    def params_json(self) -> str:
        """The overrides as canonical JSON (sorted keys)."""
        return json.dumps(self.overrides, sort_keys=True, default=repr)

    def as_dict(self) -> Dict[str, Any]:
        """A JSON-friendly description (for ``run_config.json``)."""
        jsonable = lambda obj: json.loads(json.dumps(obj, sort_keys=True, default=repr))  # noqa: E731
        return {"label": self.label, "name": self.name, "estimator": self.estimator,
                "kwargs": jsonable(self.kwargs), "overrides": jsonable(self.overrides),
                "seed_param": self.seed_param, "n_features_param": self.n_features_param,
                "warm_up": self.warm_up}


# ------------------------------------------------------------------ the syntax

def split_top_level(text: str, sep: str) -> List[str]:
    """Split ``text`` at ``sep`` outside brackets, braces, parentheses and quotes.

    Examples
    --------
    >>> split_top_level("a,b:h=[1,2],c", ",")
    ['a', 'b:h=[1,2]', 'c']
    """
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


_WORDS = {"true": True, "false": False, "none": None, "null": None}


def parse_value(text: str) -> Any:
    """A command-line value: a Python literal if it parses, else the string.

    Examples
    --------
    >>> parse_value("5"), parse_value("0.5"), parse_value("[64, 32]"), parse_value("cpu")
    (5, 0.5, [64, 32], 'cpu')
    >>> parse_value("true"), parse_value("None")
    (True, None)
    """
    text = text.strip()
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _parse_pairs(parts: Sequence[str], where: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for part in parts:
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise SpecError(f"bad override {part!r} in {where!r}: expected KEY=VALUE")
        if key in out:
            raise SpecError(f"parameter {key!r} given twice in {where!r}")
        out[key] = parse_value(value)
    return out


def _split_label(head: str) -> Tuple[str, str]:
    """``"LABEL=NAME"`` or ``"NAME"`` -> ``(label, name)``."""
    label, eq, name = head.partition("=")
    return (label.strip(), name.strip()) if eq else (head.strip(), head.strip())


def _parse_one(spec: str) -> Item:
    parts = split_top_level(spec.strip(), ":")
    label, name = _split_label(parts[0])
    if not name or not label:
        raise SpecError(f"bad detector specification {spec!r}: expected [LABEL=]NAME[:KEY=VALUE...]")
    return label, name, _parse_pairs(parts[1:], spec.strip())


def parse_detector_list(text: str) -> List[Item]:
    """Parse ``--detectors``: a list of ``(label, name, overrides)``.

    Examples
    --------
    >>> parse_detector_list("sla2p,lof5=lof:n_neighbors=5")
    [('sla2p', 'sla2p', {}), ('lof5', 'lof', {'n_neighbors': 5})]
    """
    items = split_top_level(text, ",")
    if not text.strip() or any(not s.strip() for s in items):
        raise SpecError(f"bad --detectors value {text!r}: expected a comma-separated list of names")
    return [_parse_one(s) for s in items]


def parse_set(text: str) -> Tuple[str, Dict[str, Any]]:
    """Parse one ``--set LABEL:KEY=VALUE[:KEY=VALUE...]`` into ``(label, overrides)``."""
    parts = split_top_level(text.strip(), ":")
    if len(parts) < 2 or not parts[0].strip():
        raise SpecError(f"bad --set value {text!r}: expected NAME:KEY=VALUE[:KEY=VALUE...]")
    return parts[0].strip(), _parse_pairs(parts[1:], text)


def _parse_toml(raw: bytes) -> Any:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise SpecError("TOML config files need Python >= 3.11 or `pip install tomli`; "
                            "use JSON instead") from None
    return tomllib.loads(raw.decode("utf-8"))


def load_config(path: str) -> Dict[str, Dict[str, Any]]:
    """Read a ``--config`` file: detector names mapped to keyword arguments.

    JSON (``{"sla2p": {"epsilon": 0}, "lof": {}}``) or, on Python >= 3.11
    or with ``tomli`` installed, TOML (``[sla2p]`` tables). The keys may be
    ``LABEL=NAME`` to run a registry detector under another label.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = _parse_toml(raw) if p.suffix.lower() == ".toml" else json.loads(raw.decode("utf-8"))
    except SpecError:
        raise
    except Exception as exc:  # malformed file
        raise SpecError(f"cannot parse config file {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SpecError(f"config file {path} must map detector names to tables of keyword "
                        f"arguments, e.g. {{\"lof\": {{\"n_neighbors\": 10}}}}")
    return {str(k): dict(v) for k, v in data.items()}


# ------------------------------------------------------------------ resolving

def _selected(detectors: Optional[str], config: Mapping[str, Tuple[str, Dict[str, Any]]]
              ) -> List[Item]:
    """The listed detectors: ``--detectors``, else the config's, else the default set."""
    if detectors is not None:
        return parse_detector_list(detectors)
    if config:
        return [(label, name, {}) for label, (name, _) in config.items()]
    return [(name, name, {}) for name in DEFAULT_DETECTORS]


def _merge(items: Sequence[Item], sets: Sequence[str],
           config: Mapping[str, Tuple[str, Dict[str, Any]]]) -> List[Item]:
    """Overrides by label: the config's, updated inline, then by ``--set``."""
    merged: Dict[str, Item] = {}
    for label, name, overrides in items:
        if label in merged:
            raise SpecError(f"detector {label!r} is listed twice; give one a label, "
                            f"e.g. {label}2={name}:...")
        merged[label] = (label, name, {**config.get(label, ("", {}))[1], **overrides})
    for text in sets:
        label, overrides = parse_set(text)
        if label not in merged:
            raise SpecError(f"--set {text!r}: detector {label!r} is not in the detector list "
                            f"({', '.join(merged)})")
        merged[label][2].update(overrides)
    return list(merged.values())


def _check_params(label: str, entry: DetectorEntry, overrides: Mapping[str, Any]) -> None:
    valid = entry.param_names()
    filled = entry.runner_filled()
    for key in overrides:
        if key in filled:
            raise SpecError(f"parameter {key!r} of detector {label!r} cannot be set: {filled[key]}")
        if key not in valid:
            allowed = [p for p in valid if p not in filled]
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecError(f"unknown parameter {key!r} for detector {label!r} "
                            f"({entry.estimator.split(':')[-1]}).{hint} "
                            f"Valid: {', '.join(allowed)}.")


def _resolve_one(label: str, name: str, overrides: Dict[str, Any]) -> ResolvedDetector:
    if name not in REGISTRY:
        close = difflib.get_close_matches(name, list(REGISTRY), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise SpecError(f"unknown detector {name!r}.{hint} Known: {', '.join(REGISTRY)}.")
    entry = REGISTRY[name]
    try:
        _check_params(label, entry, overrides)
        seed_param = entry.resolved_seed_param()
    except (ImportError, AttributeError) as exc:
        raise SpecError(f"detector {label!r} ({entry.estimator}) cannot be imported: "
                        f"{exc}") from None
    return ResolvedDetector(label=label, name=name, estimator=entry.estimator,
                            kwargs={**entry.defaults, **overrides}, overrides=dict(overrides),
                            seed_param=seed_param, n_features_param=entry.n_features_param,
                            warm_up=entry.warm_up)


def resolve_detectors(detectors: Optional[str] = None, sets: Sequence[str] = (),
                      config: Optional[Mapping[str, Mapping[str, Any]]] = None
                      ) -> List[ResolvedDetector]:
    """Turn the command-line pieces into validated :class:`ResolvedDetector` s.

    Parameters
    ----------
    detectors : str, optional
        The ``--detectors`` list. Default: the config file's detectors if
        one is given, else :data:`benchmarks.registry.DEFAULT_DETECTORS`.
    sets : sequence of str
        ``--set`` values, applied after the list's inline overrides.
    config : mapping, optional
        From :func:`load_config`. Its keyword arguments are the base that
        inline overrides and ``--set`` update; entries for detectors that are
        not selected are ignored.

    Returns
    -------
    list of ResolvedDetector

    Raises
    ------
    SpecError
        Unknown detector or parameter, a label used twice, a ``--set`` for a
        detector that is not in the list.
    """
    by_label = {}
    for key, kwargs in (config or {}).items():
        label, name = _split_label(key)
        by_label[label] = (name, dict(kwargs))
    items = _merge(_selected(detectors, by_label), sets, by_label)
    return [_resolve_one(*item) for item in items]
