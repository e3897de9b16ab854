"""``mathocr dataset``: Build, preview and export symbol datasets."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dataset",
        help="Build, preview and export symbol datasets",
        description="Build, preview and export symbol datasets.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("mathocr dataset: not implemented yet", file=sys.stderr)
    return 2
