"""The ``mathocr`` command line: one sub-command per job.

Each sub-command lives in :mod:`mathocr.commands` and registers itself with
``register(subparsers)``; its heavy imports happen inside its ``run`` so that
``mathocr --help`` stays fast and the serving install never imports torch.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .commands import (
    dataset,
    evaluate,
    evaluate_images,
    quantize_detector,
    recognize,
    serve,
    train,
    train_detector,
    train_neighbours,
)
from .errors import MathOCRError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathocr",
        description="Read handwritten arithmetic from images, and what it equals.",
    )
    parser.add_argument("--version", action="version", version=f"mathocr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (
        recognize,
        serve,
        train,
        train_neighbours,
        train_detector,
        quantize_detector,
        evaluate_images,
        evaluate,
        dataset,
    ):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MathOCRError as e:
        print(f"mathocr {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
