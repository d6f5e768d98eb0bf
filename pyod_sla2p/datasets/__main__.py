"""Command line: ``python -m pyod_sla2p.datasets {download,list,info}``.

Examples: the 17 ODDS files, into the default data directory and two into
another; ADBench's tabular sets; one ADBench embedding set; all the test
suite reads (then ``export PYOD_SLA2P_DATA=DIR``); the builtin suite's sizes::

    python -m pyod_sla2p.datasets download
    python -m pyod_sla2p.datasets download --data-dir ~/data cardio wbc
    python -m pyod_sla2p.datasets download --suite adbench --family Classical
    python -m pyod_sla2p.datasets download --suite adbench CV_by_ViT:MVTec-AD_bottle
    python -m pyod_sla2p.datasets download --suite tests --data-dir DIR
    python -m pyod_sla2p.datasets info builtin
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from ._base import DatasetError
from .adbench import ADBENCH_FILES, download_adbench
from .datadir import (ADBENCH_FAMILIES, ADBENCH_SUBDIR, ADBENCH_SUITE, ADBENCH_URL_ENV_VAR,
                      DATA_ENV_VAR, ODDS_DATASETS, ODDS_SUBDIR, describe_data_dir)
from .download import download_odds
from .fetch import DEFAULT_RETRIES, DownloadOptions
from .suites import SUITES, load_dataset, suite_members
from .testdata import TESTS_SUITE, download_test_data


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pyod_sla2p.datasets", description="Get and "
                                "inspect the anomaly-detection datasets of pyod_sla2p.")
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help=f"data directory (default: ${DATA_ENV_VAR}, else the "
                        "user cache folder, ~/.cache/pyod_sla2p on Linux); ODDS files go to "
                        "DATA_DIR/odds, ADBench files to DATA_DIR/adbench/<family>")
    d = sub.add_parser("download", parents=[common], help="download ODDS .mat or ADBench .npz "
                       "files, verified against pinned checksums")
    d.add_argument("names", nargs="*", help=f"datasets (default: with --suite odds the 17 of "
                   f"the odds suite: {' '.join(ODDS_DATASETS)}; with --suite adbench all 195 "
                   f"ADBench files, or those of --family; ADBench names are ADBench's stems, "
                   f"6_cardio, or <family>:<stem>, CV_by_ViT:MVTec-AD_bottle)")
    d.add_argument("--suite", choices=("odds", ADBENCH_SUITE, TESTS_SUITE),
                   help="which collection to download from (default: odds, or adbench "
                   "with --family); tests: everything the test suite reads (no names)")
    d.add_argument("--family", action="append", choices=list(ADBENCH_FAMILIES),
                   help="every file of this ADBench family (repeatable; implies --suite adbench)")
    d.add_argument("--base-url", help="mirror serving BASE_URL/<name>.mat (odds; default: the ODDS "
                   "links), BASE_URL/<family>/<name>.npz (adbench; default: "
                   f"${ADBENCH_URL_ENV_VAR}, else ADBench's GitHub repository), or a data "
                   "directory's odds/ and adbench/ (tests)")
    d.add_argument("--force", action="store_true", help="download even if a verified copy exists")
    d.add_argument("--retries", type=int, choices=range(10), metavar="N", help=f"extra tries "
                   f"of a transfer that fails on the way, 0 to 9 (default: {DEFAULT_RETRIES})")
    d.add_argument("--quiet", action="store_true", help="print nothing but errors (and no "
                   "progress bar, which shows on a terminal only)")

    ls = sub.add_parser("list", parents=[common], help="list a suite's members without "
                        "loading them")
    ls.add_argument("suite", help=f"{', '.join(SUITES)} or a directory")
    info = sub.add_parser("info", parents=[common], help="load datasets (or whole suites) and "
                          "print their sizes")
    info.add_argument("targets", nargs="+",
                      help="dataset names, file paths, suite names or directories")
    info.add_argument("--verify", action="store_true",
                      help="check each ODDS/ADBench file against its pinned checksum first")
    return p


#: Width of the name column: the longest ADBench name fits.
_NAME_WIDTH = max(28, *(len(name) for name in ADBENCH_FILES))


def _info_rows(targets: List[str], data_dir: Optional[str], verify: bool = False) -> None:
    header = (f"{'name':<{_NAME_WIDTH}} {'rows':>7} {'features':>8} {'outliers':>8} "
              f"{'outlier %':>9}  source")
    print(f"{header}\n{'-' * len(header)}")
    for target in targets:
        is_suite = target in SUITES or Path(target).expanduser().is_dir()
        members = suite_members(target, data_dir) if is_suite else [target]
        for member in members:
            ds = load_dataset(member, data_dir=data_dir, verify=verify)
            print(f"{ds.name:<{_NAME_WIDTH}} {ds.n_samples:>7} {ds.n_features:>8} "
                  f"{ds.n_outliers:>8} {100 * ds.outlier_fraction:>9.2f}  {ds.source}")


def _download(args: argparse.Namespace) -> None:
    root, how = describe_data_dir(args.data_dir)
    if not args.quiet:
        print(f"data directory: {root} ({how})")
    # A progress bar is for a person watching: not in logs or captured output.
    options = DownloadOptions(data_dir=args.data_dir, base_url=args.base_url, force=args.force,
                              verbose=not args.quiet, retries=args.retries,
                              progressbar=not args.quiet and sys.stderr.isatty())
    if args.suite == TESTS_SUITE:
        if args.names or args.family:
            raise DatasetError("--suite tests downloads a fixed set of files; it takes no "
                               "names and no --family")
        paths, folder = download_test_data(options=options), root
    elif args.suite == ADBENCH_SUITE or (args.suite is None and args.family):
        paths = download_adbench(args.names or None, args.family, options=options)
        folder = root / ADBENCH_SUBDIR
    elif args.family:
        raise DatasetError("--family selects ADBench families; it cannot be used with "
                           "--suite odds")
    else:
        paths, folder = download_odds(args.names or None, options=options), root / ODDS_SUBDIR
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
