"""``mathocr evaluate``: Read drawn CROHME expressions whole and score the readings.

The drawing is the benchmark's (:mod:`mathocr.data.scenes`) and the scoring is
:mod:`mathocr.data.evaluation`, so a figure printed here is one the benchmark
would give for the same expressions; this module only picks the files, builds
the recognizer and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MathOCRError, ModelError

if TYPE_CHECKING:
    from ..data.inkml import InkExpression
    from ..data.scenes import EvalImage

__all__ = ["register", "run", "select_expressions", "make_recognizer"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evaluate",
        help="Read drawn InkML expressions whole and score the readings",
        description=(
            "Draw every InkML expression under DIR made only of the detector's symbols "
            "(our 21 classes and < > \\le \\ge \\ne) as a canvas image and/or a phone "
            "photo (seeded by file name: the benchmark's images), recognize each, and "
            "report the expression rate per kind (plain, x, structure, comparison, "
            "subscript), the symbols found (precision, recall, F1 at IoU 0.5), how often "
            "the symbol count is right, and the median time of a reading."
        ),
    )
    parser.add_argument(
        "--inkml", required=True, type=Path, metavar="DIR", help="InkML file or directory"
    )
    parser.add_argument(
        "--as",
        dest="kind",
        choices=("canvas", "photo", "both"),
        default="canvas",
        help="draw each expression as a canvas image, a photo, or both (default canvas)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--dev",
        action="store_true",
        help="only the dev split's writers (DIR is CROHME's folder with manifest.csv, or train/)",
    )
    parser.add_argument(
        "--detector",
        type=Path,
        metavar="ONNX",
        help="this detector model (its card beside it) instead of the shipped one",
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        metavar="N",
        help="score N expressions spread evenly over the selection (default all)",
    )
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def select_expressions(
    inkml: Path, limit: int | None = None, *, dev: bool = False
) -> list[InkExpression]:
    """The expressions under *inkml* made only of detector classes, in file order.

    With *limit*, every k-th of them as the benchmark picks them
    (``bench/images.py``), so that a small run still samples every collection
    and writer instead of the first folder. Malformed files are skipped with
    a note on stderr: one bad file should not cost the whole evaluation.
    With *dev*, only the files of the dev split's writers (:mod:`mathocr.data.splits`).
    """
    from ..data.evaluation import detector_scope
    from ..data.inkml import iter_inkml, read_inkml

    if not inkml.exists():
        raise MathOCRError(f"--inkml: {inkml} does not exist")
    paths = list(iter_inkml(inkml))
    if dev:
        from ..data.splits import split_files

        root = inkml if (inkml / "manifest.csv").is_file() else inkml.parent
        if not (root / "manifest.csv").is_file():
            raise MathOCRError(f"--dev: no manifest.csv in {inkml} or its parent")
        held = {p.resolve() for p in split_files(root)[1]}
        paths = [p for p in paths if p.resolve() in held]
    if not paths:
        raise MathOCRError(f"--inkml: no .inkml files under {inkml}")
    chosen = []
    for path in paths:
        try:
            ink = read_inkml(path)
        except MathOCRError as e:
            print(f"skipped {path}: {e}", file=sys.stderr)
            continue
        if detector_scope(ink):
            chosen.append(ink)
    if limit is not None:
        step = max(1, len(chosen) // limit)
        chosen = chosen[::step][:limit]
    return chosen


def make_recognizer(*, detector: Path | None = None) -> Any:
    """The recognizer on one thread (with *detector* instead of the shipped model if given).

    One thread, so that the median time is that of one web worker on one
    core, and so that the figures do not depend on what else the machine runs.
    Raises :class:`ModelError` when a model cannot load.
    """
    import cv2

    cv2.setNumThreads(1)
    from ..detect.model import SymbolDetector
    from ..detect.recognizer import DetectorRecognizer

    try:
        return DetectorRecognizer(SymbolDetector(detector, threads=1))
    except ModelError as e:
        raise ModelError(f"the recognizer cannot load its model: {e}") from e


def _images(expressions: list[InkExpression], kind: str) -> Iterator[EvalImage]:
    from ..data.scenes import canvas_image, photo_image

    for i, ink in enumerate(expressions):
        yield canvas_image(ink, i) if kind == "canvas" else photo_image(ink)


def _cell(value: float | None, unit: str = "%") -> str:
    return "-" if value is None else f"{value:.2f}{unit}" if unit == "%" else f"{value}{unit}"


def _table(results: dict[str, dict[str, Any]]) -> str:
    from ..data.evaluation import KINDS

    rows: list[tuple[str, list[str]]] = [
        ("expressions", [str(r["n"]) for r in results.values()]),
        ("read right, all", [_cell(r["exprate"]["all"]) for r in results.values()]),
    ]
    rows += [(f"  {kind}", [_cell(r["exprate"][kind]) for r in results.values()]) for kind in KINDS]
    rows += [
        (f"symbols {key}", [_cell(r["symbols"][key]) for r in results.values()])
        for key in ("precision", "recall", "f1")
    ]
    rows.append(("symbol count right", [_cell(r["count_right"]) for r in results.values()]))
    rows.append(("median time", [_cell(r["median_ms"], " ms") for r in results.values()]))
    width = max(len(label) for label, _ in rows)
    lines = [" " * width + "".join(f"{name:>12}" for name in results)]
    lines += [label.ljust(width) + "".join(f"{c:>12}" for c in cells) for label, cells in rows]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..data.evaluation import evaluate_images

    expressions = select_expressions(args.inkml, args.limit, dev=args.dev)
    recognizer = make_recognizer(detector=args.detector)
    kinds = ("canvas", "photo") if args.kind == "both" else (args.kind,)
    results = {kind: evaluate_images(_images(expressions, kind), recognizer) for kind in kinds}
    if args.json:
        print(json.dumps(results if args.kind == "both" else results[args.kind]))
        return 0
    print(f"models: {recognizer.model_version}")
    print(_table(results))
    return 0
