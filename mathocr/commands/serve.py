"""``mathocr serve``: Run the web service under gunicorn (migrates the database first)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="Run the web service under gunicorn (migrates the database first)",
        description="Run the web service under gunicorn (migrates the database first).",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("mathocr serve: not implemented yet", file=sys.stderr)
    return 2
