"""``mathocr evaluate-symbols``: Score the shipped model on the symbols of InkML files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import MathOCRError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evaluate-symbols",
        help="Score the shipped model on the symbols of InkML files",
        description=(
            "Build the symbols of our classes from every InkML file under DIR with the "
            "dataset builder's code (one seeded rendering each), classify them with the "
            "model, and print accuracy, per-class accuracy and the most frequent confusions."
        ),
    )
    parser.add_argument(
        "--inkml", required=True, type=Path, metavar="DIR", help="InkML file or directory"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--model", type=Path, help="an .onnx with its model_card.json (default: shipped)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the random size and pen (default 0)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="processes for drawing symbols")
    parser.set_defaults(func=run)


def evaluate(
    inkml: Path, *, model: Path | None = None, seed: int = 0, jobs: int = 1
) -> tuple[dict, float]:
    """``{"n", "accuracy", "per_class", "confusions"}`` for the symbols under *inkml*,
    and the accuracy with x and \\times merged."""
    from ..classifier import SymbolClassifier
    from ..symbols import CLASSES
    from ..training.dataset import build_dataset
    from ..training.metrics import merged_accuracy, score

    if not inkml.exists():
        raise MathOCRError(f"--inkml: {inkml} does not exist")
    classifier = SymbolClassifier(model)

    def report(message: str) -> None:
        print(f"skipped: {message}", file=sys.stderr)

    ds = build_dataset(inkml, seed=seed, jobs=jobs, on_error=report)
    if len(ds) == 0:
        raise MathOCRError(f"no symbols of our classes under {inkml}")
    pred = classifier.probabilities(ds.images, ds.geometry).argmax(axis=1)
    return score(ds.labels, pred, CLASSES), merged_accuracy(ds.labels, pred, CLASSES)


def run(args: argparse.Namespace) -> int:
    result, merged = evaluate(args.inkml, model=args.model, seed=args.seed, jobs=args.jobs)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"symbols scored: {result['n']}")
    print(f"accuracy: {100 * result['accuracy']:.2f}%")
    print(f"accuracy with x and \\times merged: {100 * merged:.2f}%")
    print("per class:")
    for label, row in result["per_class"].items():
        print(f"  {label:>7}  n={row['n']:<5d} {100 * row['accuracy']:6.2f}%")
    if result["confusions"]:
        print("most frequent confusions (true -> predicted: count):")
        for true, pred, count in result["confusions"][:10]:
            print(f"  {true} -> {pred}: {count}")
    return 0
