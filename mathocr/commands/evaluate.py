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
            "model, reread each expression's symbols with the neighbour model (blended with "
            "the first reading, as the recognizer does), and print "
            "accuracy, per-class accuracy and the most frequent confusions. The symbol "
            "model's own figures (each symbol alone) are printed beside them."
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
        "--neighbours",
        type=Path,
        help="a neighbour model .onnx with its card (default: shipped, if made for --model)",
    )
    parser.add_argument(
        "--alone", action="store_true", help="score the symbol model alone (no second reading)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the random size and pen (default 0)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="processes for drawing symbols")
    parser.set_defaults(func=run)


def evaluate(
    inkml: Path,
    *,
    model: Path | None = None,
    neighbours: Path | None = None,
    alone: bool = False,
    seed: int = 0,
    jobs: int = 1,
) -> tuple[dict, float]:
    """``{"n", "accuracy", "per_class", "confusions", ...}`` for the symbols under *inkml*,
    and the accuracy with x and \\times merged.

    The figures are those of the final reading: the neighbour model's, when
    one is used, blended with the first as the recognizer blends them
    (:class:`~mathocr.neighbours.AsRecognizer`); ``"alone"`` holds the symbol
    model's own accuracy on the same drawings, and ``"neighbours"`` names the
    neighbour model or is null.
    """
    from ..classifier import SymbolClassifier
    from ..neighbours import AsRecognizer, NeighbourModel, shipped_neighbours
    from ..symbols import CLASSES
    from ..training.metrics import merged_accuracy, score
    from ..training.sequences import expression_sequences, readings

    if not inkml.exists():
        raise MathOCRError(f"--inkml: {inkml} does not exist")
    classifier = SymbolClassifier(model)
    second: NeighbourModel | None = None
    if neighbours is not None and not alone:
        second = NeighbourModel(neighbours)
    elif not alone:
        second = shipped_neighbours(classifier.version)

    def report(message: str) -> None:
        print(f"skipped: {message}", file=sys.stderr)

    lines = expression_sequences(inkml, classifier, seed=seed, jobs=jobs, on_error=report)
    read = readings(lines, AsRecognizer(second) if second is not None else None)
    if len(read.truth) == 0:
        raise MathOCRError(f"no symbols of our classes under {inkml}")
    result = score(read.truth, read.final, CLASSES)
    merged = merged_accuracy(read.truth, read.final, CLASSES)
    result["accuracy_merged"] = merged
    result["alone"] = {
        "accuracy": float((read.first == read.truth).mean()),
        "accuracy_merged": merged_accuracy(read.truth, read.first, CLASSES),
    }
    result["neighbours"] = second.version if second is not None else None
    return result, merged


def run(args: argparse.Namespace) -> int:
    result, merged = evaluate(
        args.inkml,
        model=args.model,
        neighbours=args.neighbours,
        alone=args.alone,
        seed=args.seed,
        jobs=args.jobs,
    )
    if args.json:
        print(json.dumps(result))
        return 0
    alone = result["alone"]
    print(f"symbols scored: {result['n']}")
    if result["neighbours"] is not None:
        print(f"reread beside their neighbours by {result['neighbours']}")
    else:
        print("each symbol read alone (no neighbour model)")
    print(f"accuracy: {100 * result['accuracy']:.2f}%")
    print(f"accuracy with x and \\times merged: {100 * merged:.2f}%")
    if result["neighbours"] is not None:
        print(
            f"symbol model alone: {100 * alone['accuracy']:.2f}% "
            f"(merged {100 * alone['accuracy_merged']:.2f}%)"
        )
    print("per class:")
    for label, row in result["per_class"].items():
        print(f"  {label:>7}  n={row['n']:<5d} {100 * row['accuracy']:6.2f}%")
    if result["confusions"]:
        print("most frequent confusions (true -> predicted: count):")
        for true, pred, count in result["confusions"][:10]:
            print(f"  {true} -> {pred}: {count}")
    return 0
