"""Command line: ``python -m pyod_sla2p.datasets {download,list,info}``.

Examples
--------
Fetch the 17 ODDS files into the default data directory::

    python -m pyod_sla2p.datasets download

Fetch two of them into a chosen directory::

    python -m pyod_sla2p.datasets download --data-dir ~/data cardio wbc

Show the builtin suite with sizes::

    python -m pyod_sla2p.datasets info builtin
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from ._base import DatasetError
from .datadir import DATA_ENV_VAR, ODDS_DATASETS, describe_data_dir
from .download import download_odds
from .suites import SUITES, load_dataset, suite_members


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pyod_sla2p.datasets",
        description="Get and inspect the anomaly-detection datasets of pyod_sla2p.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    data_dir_help = (
        f"data directory (default: ${DATA_ENV_VAR}, else ~/.cache/pyod_sla2p); "
        "ODDS files go to DATA_DIR/odds"
    )
    d = sub.add_parser("download", help="download ODDS .mat files, verified by SHA-256")
    d.add_argument(
        "names",
        nargs="*",
        help=f"datasets (default: the 17 of the odds suite: {' '.join(ODDS_DATASETS)})",
    )
    d.add_argument("--data-dir", help=data_dir_help)
    d.add_argument("--base-url", help="mirror serving BASE_URL/<name>.mat (default: the ODDS links)")
    d.add_argument("--force", action="store_true", help="download even if a verified copy exists")
    d.add_argument("--quiet", action="store_true", help="print nothing but errors")

    ls = sub.add_parser("list", help="list a suite's members without loading them")
    ls.add_argument("suite", help=f"{', '.join(SUITES)} or a directory")
    ls.add_argument("--data-dir", help=data_dir_help)

    info = sub.add_parser("info", help="load datasets (or whole suites) and print their sizes")
    info.add_argument("targets", nargs="+", help="dataset names, file paths, suite names or directories")
    info.add_argument("--data-dir", help=data_dir_help)
    return p


def _info_rows(targets: List[str], data_dir: Optional[str]) -> None:
    header = f"{'name':<28} {'rows':>7} {'features':>8} {'outliers':>8} {'outlier %':>9}  source"
    print(header)
    print("-" * len(header))
    for target in targets:
        is_suite = target in SUITES or Path(target).expanduser().is_dir()
        members = suite_members(target, data_dir) if is_suite else [target]
        for member in members:
            ds = load_dataset(member, data_dir=data_dir)
            print(
                f"{ds.name:<28} {ds.n_samples:>7} {ds.n_features:>8} {ds.n_outliers:>8} "
                f"{100 * ds.outlier_fraction:>9.2f}  {ds.source}"
            )


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "download":
            root, how = describe_data_dir(args.data_dir)
            if not args.quiet:
                print(f"data directory: {root} ({how})")
            paths = download_odds(
                args.names or None,
                data_dir=args.data_dir,
                base_url=args.base_url,
                force=args.force,
                verbose=not args.quiet,
            )
            if not args.quiet:
                print(f"{len(paths)} file(s) ready in {root / 'odds'}")
        elif args.command == "list":
            for member in suite_members(args.suite, data_dir=args.data_dir):
                print(member)
        else:
            _info_rows(args.targets, args.data_dir)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
