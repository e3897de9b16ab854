"""``mathocr train``: Train the symbol classifier and export it to ONNX (needs the [train] extra)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train",
        help="Train the symbol classifier and export it to ONNX (needs the [train] extra)",
        description="Train the symbol classifier and export it to ONNX (needs the [train] extra).",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("mathocr train: not implemented yet", file=sys.stderr)
    return 2
