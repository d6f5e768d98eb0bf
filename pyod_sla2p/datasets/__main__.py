"""Command line: ``python -m pyod_sla2p.datasets {download,list,info}``.

Examples
--------
Fetch the 17 ODDS files into the default data directory::

    python -m pyod_sla2p.datasets download

Fetch two of them into a chosen directory::

    python -m pyod_sla2p.datasets download --data-dir ~/data cardio wbc

Fetch ADBench's tabular sets, then one embedding set by name::

    python -m pyod_sla2p.datasets download --suite adbench --family Classical
    python -m pyod_sla2p.datasets download --suite adbench CV_by_ViT:MVTec-AD_bottle

Show the builtin suite with sizes::

    python -m pyod_sla2p.datasets info builtin
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from ._base import DatasetError
from .adbench import ADBENCH_FILES, download_adbench
from .adbench_source import ADBENCH_FAMILIES, ADBENCH_SUITE, ADBENCH_URL_ENV_VAR
from .datadir import ADBENCH_SUBDIR, DATA_ENV_VAR, ODDS_DATASETS, ODDS_SUBDIR, describe_data_dir
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
        "ODDS files go to DATA_DIR/odds, ADBench files to DATA_DIR/adbench/<family>"
    )
    d = sub.add_parser(
        "download", help="download ODDS .mat or ADBench .npz files, verified against pinned checksums"
    )
    d.add_argument(
        "names",
        nargs="*",
        help=f"datasets (default: with --suite odds the 17 of the odds suite: "
        f"{' '.join(ODDS_DATASETS)}; with --suite adbench all 195 ADBench files, or those "
        f"of --family; ADBench names are ADBench's stems, 6_cardio, or <family>:<stem>, "
        f"CV_by_ViT:MVTec-AD_bottle)",
    )
    d.add_argument("--data-dir", help=data_dir_help)
    d.add_argument("--suite", choices=("odds", ADBENCH_SUITE),
                   help="which collection to download from (default: odds, or adbench "
                   "with --family)")
    d.add_argument("--family", action="append", choices=list(ADBENCH_FAMILIES),
                   help="every file of this ADBench family (repeatable; implies --suite adbench)")
    d.add_argument("--base-url", help="mirror serving BASE_URL/<name>.mat (odds; default: the ODDS "
                   "links) or BASE_URL/<family>/<name>.npz (adbench; default: "
                   f"${ADBENCH_URL_ENV_VAR}, else ADBench's GitHub repository)")
    d.add_argument("--force", action="store_true", help="download even if a verified copy exists")
    d.add_argument("--quiet", action="store_true", help="print nothing but errors")

    ls = sub.add_parser("list", help="list a suite's members without loading them")
    ls.add_argument("suite", help=f"{', '.join(SUITES)} or a directory")
    ls.add_argument("--data-dir", help=data_dir_help)

    info = sub.add_parser("info", help="load datasets (or whole suites) and print their sizes")
    info.add_argument("targets", nargs="+", help="dataset names, file paths, suite names or directories")
    info.add_argument("--data-dir", help=data_dir_help)
    info.add_argument("--verify", action="store_true",
                      help="check each ODDS/ADBench file against its pinned checksum first")
    return p


#: Width of the name column: the longest ADBench name fits.
_NAME_WIDTH = max(28, *(len(name) for name in ADBENCH_FILES))


def _info_rows(targets: List[str], data_dir: Optional[str], verify: bool = False) -> None:
    header = (f"{'name':<{_NAME_WIDTH}} {'rows':>7} {'features':>8} {'outliers':>8} "
              f"{'outlier %':>9}  source")
    print(header)
    print("-" * len(header))
    for target in targets:
        is_suite = target in SUITES or Path(target).expanduser().is_dir()
        members = suite_members(target, data_dir) if is_suite else [target]
        for member in members:
            ds = load_dataset(member, data_dir=data_dir, verify=verify)
            print(
                f"{ds.name:<{_NAME_WIDTH}} {ds.n_samples:>7} {ds.n_features:>8} {ds.n_outliers:>8} "
                f"{100 * ds.outlier_fraction:>9.2f}  {ds.source}"
            )


def _download(args: argparse.Namespace) -> None:
    root, how = describe_data_dir(args.data_dir)
    if not args.quiet:
        print(f"data directory: {root} ({how})")
    common = dict(data_dir=args.data_dir, base_url=args.base_url, force=args.force,
                  verbose=not args.quiet)
    if args.suite == ADBENCH_SUITE or (args.suite is None and args.family):
        paths = download_adbench(args.names or None, args.family, **common)
        folder = root / ADBENCH_SUBDIR
    else:
        if args.family:
            raise DatasetError("--family selects ADBench families; it cannot be used with "
                               "--suite odds")
        paths = download_odds(args.names or None, **common)
        folder = root / ODDS_SUBDIR
    if not args.quiet:
        print(f"{len(paths)} file(s) ready in {folder}")


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "download":
            _download(args)
        elif args.command == "list":
            for member in suite_members(args.suite, data_dir=args.data_dir):
                print(member)
        else:
            _info_rows(args.targets, args.data_dir, args.verify)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
