"""``mathocr evaluate-symbols``: Score the shipped model on the symbols of InkML files."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evaluate-symbols",
        help="Score the shipped model on the symbols of InkML files",
        description="Score the shipped model on the symbols of InkML files.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("mathocr evaluate-symbols: not implemented yet", file=sys.stderr)
    return 2
