"""Build the pinned ADBench table (``_adbench_pins.py``) from ``MANIFEST.tsv``.

``MANIFEST.tsv`` (shipped beside the shared ADBench copies, see the data
directory's README) lists every dataset file of ADBench's repository with
its size and SHA-256 where known and its git blob id.  This module turns it
into the Python table the package ships, sorted by family and then by
natural order of the names (``1_ALOI`` before ``10_cover``).  Regenerate
the table from the repository root with::

    python -m pyod_sla2p.datasets.adbench_manifest \\
        ../shared/datasets/adbench/MANIFEST.tsv pyod_sla2p/datasets/_adbench_pins.py

(the file is replaced atomically; with no second argument the table is
printed).  This module does not import the table it writes, so it works
even when that file is missing or broken.

The test suite checks that the committed table is exactly this output.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import List, NamedTuple, Optional, Sequence

from .adbench_source import ADBENCH_COMMIT, ADBENCH_FAMILIES

__all__ = ["ManifestRow", "parse_manifest", "render_pins"]

_HEADER = ["path", "bytes", "sha256", "git_blob_sha1"]
_PATH = re.compile(r"^(?P<family>[A-Za-z0-9_]+)/(?P<stem>[A-Za-z0-9_.-]+)\.npz$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


class ManifestRow(NamedTuple):
    """One ADBench file: ``path`` is ``<family>/<stem>.npz``."""

    path: str
    size: Optional[int]
    sha256: Optional[str]
    git_blob: str


def _natural_key(row: ManifestRow):
    family, stem = row.path.split("/", 1)
    parts = re.split(r"(\d+)", stem)
    return (list(ADBENCH_FAMILIES).index(family),
            [int(p) if p.isdigit() else p.lower() for p in parts])


def parse_manifest(path: Path) -> List[ManifestRow]:
    """Read and check ``MANIFEST.tsv``; return its rows in table order.

    Raises
    ------
    ValueError
        On a wrong header, an unknown family, a malformed field or a
        repeated path, naming the line.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != _HEADER:
        raise ValueError(f"{path}: expected the header {' '.join(_HEADER)!r} (tab-separated)")
    rows: List[ManifestRow] = []
    for lineno, line in enumerate(lines[1:], 2):
        fields = line.split("\t")
        match = _PATH.match(fields[0]) if len(fields) == 4 else None
        size, sha, blob = fields[1:] if len(fields) == 4 else ("", "", "")
        ok = (
            match is not None
            and match.group("family") in ADBENCH_FAMILIES
            and (size == "" or size.isdigit())
            and (sha == "" or _HEX64.match(sha) is not None)
            and _HEX40.match(blob) is not None
        )
        if not ok:
            raise ValueError(f"{path}, line {lineno}: not a valid manifest row: {line!r}")
        rows.append(ManifestRow(fields[0], int(size) if size else None, sha or None, blob))
    paths = [r.path for r in rows]
    if len(set(paths)) != len(paths):
        raise ValueError(f"{path}: a path is listed twice")
    return sorted(rows, key=_natural_key)


def render_pins(rows: Sequence[ManifestRow]) -> str:
    """The source text of ``_adbench_pins.py`` for these rows."""
    out = [
        f'"""ADBench\'s {len(rows)} dataset files, pinned. Generated: do not edit by hand.',
        "",
        "Each row: path under ADBench's ``adbench/datasets`` folder, size in bytes",
        "(or None), SHA-256 (or None), git blob id, as in ADBench's repository at",
        f"commit {ADBENCH_COMMIT}.",
        "Regenerate from the repository root with::",
        "",
        "    python -m pyod_sla2p.datasets.adbench_manifest \\\\",
        "        ../shared/datasets/adbench/MANIFEST.tsv pyod_sla2p/datasets/_adbench_pins.py",
        '"""',
        "",
        "PINS = (",
    ]
    out += [f"    {tuple(row)!r}," for row in rows]
    out += [")", ""]
    return "\n".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Build the pinned table from ``MANIFEST.tsv``; write it to OUT or print it."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (1, 2):
        print("usage: python -m pyod_sla2p.datasets.adbench_manifest MANIFEST.tsv [OUT.py]",
              file=sys.stderr)
        return 2
    try:
        text = render_pins(parse_manifest(Path(args[0])))
        if len(args) == 1:
            sys.stdout.write(text)
        else:
            out = Path(args[1])
            tmp = out.with_name(f".{out.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, out)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
