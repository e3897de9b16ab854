"""``mathocr recognize``: Recognize handwritten expressions in image files or folders."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "recognize",
        help="Recognize handwritten expressions in image files or folders",
        description="Recognize handwritten expressions in image files or folders.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("mathocr recognize: not implemented yet", file=sys.stderr)
    return 2
