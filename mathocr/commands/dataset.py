"""``mathocr dataset``: Build, preview and export symbol datasets.

Each action is a sub-sub-command registered by one ``_add_<action>`` function
listed in :data:`ACTIONS`; adding an action is adding a function to the list.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import MathOCRError
from ..training.augment import Distortion


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dataset",
        help="Build, preview and export symbol datasets",
        description="Build, preview and export symbol datasets.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for add in ACTIONS:
        add(actions)


def _add_build(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "build",
        help="Render the symbols of InkML files into a normalized .npz dataset",
        description=(
            "Draw each labelled symbol of our classes at a random realistic size and pen, "
            "normalize it with the recognizer's own normalize_symbol, and save the images, "
            "labels and classes as .npz. Malformed InkML files are reported and skipped."
        ),
    )
    p.add_argument(
        "--inkml", required=True, type=Path, help="InkML file or directory (searched recursively)"
    )
    p.add_argument("--out", required=True, type=Path, help="output .npz file")
    p.add_argument("--box", type=int, default=32, help="side of the normalized square (default 32)")
    p.add_argument(
        "--classes", nargs="+", metavar="LABEL", help="keep only these classes (default: all)"
    )
    p.add_argument("--pen", default="2-9", help="pen width range in pixels (default 2-9)")
    p.add_argument(
        "--pen-share",
        metavar="LO-HI",
        help="keep the pen within this share of the symbol size (default 0-0.1667: "
        "no fatter than a sixth; e.g. 0.17-0.25 for a thick-pen set)",
    )
    p.add_argument(
        "--size", default="25-110", help="typical symbol size range in pixels (default 25-110)"
    )
    p.add_argument(
        "--variants",
        type=int,
        default=1,
        help="renderings per symbol; extra ones are distorted (default 1)",
    )
    p.add_argument(
        "--balance",
        type=int,
        default=0,
        metavar="N",
        help="oversample classes below N samples with distorted renderings (default off)",
    )
    p.add_argument(
        "--max-variants",
        type=int,
        default=16,
        help="upper bound on renderings per symbol when balancing",
    )
    p.add_argument(
        "--rotate",
        type=float,
        default=Distortion.rotate_deg,
        metavar="DEG",
        help=f"largest rotation of distorted renderings (default {Distortion.rotate_deg:g})",
    )
    p.add_argument(
        "--shear",
        type=float,
        default=Distortion.shear,
        help=f"largest shear of distorted renderings (default {Distortion.shear:g})",
    )
    p.add_argument(
        "--max-per-class", type=int, metavar="N", help="keep at most N samples per class"
    )
    p.add_argument(
        "--mnist", type=Path, metavar="NPZ", help="add MNIST training digits from this mnist.npz"
    )
    p.add_argument(
        "--mnist-per-digit", type=int, default=1000, help="MNIST samples per digit (default 1000)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.set_defaults(func=_build)


def _add_preview(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "preview",
        help="Write a PNG grid of random samples per class",
        description="Write a PNG grid with one row of random samples per class of a dataset.",
    )
    p.add_argument("--data", required=True, type=Path, help=".npz from 'mathocr dataset build'")
    p.add_argument("--out", required=True, type=Path, help="output .png")
    p.add_argument("--per-class", type=int, default=12, help="samples per row (default 12)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_preview)


def _add_cut(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "cut",
        help="Cut symbols out of whole rendered expressions where the detector finds them",
        description=(
            "Draw each InkML expression as a canvas drawing and as a phone photo, prepare "
            "it and run the recognizer's detector (boxes fitted to the ink), and keep each "
            "detected symbol whose box matches a true symbol of our classes (IoU >= 0.6), "
            "labelled with the truth: training symbols as the live recognizer sees them."
        ),
    )
    p.add_argument("--inkml", required=True, type=Path, help="InkML file or directory")
    p.add_argument("--out", required=True, type=Path, help="output .npz file")
    p.add_argument("--kinds", default="canvas,photo", help="canvas, photo or both (default)")
    p.add_argument("--every", type=int, default=1, help="use every N-th file (default 1)")
    p.add_argument("--offset", type=int, default=0, help="starting at this file (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.set_defaults(func=_cut)


def _cut(args: argparse.Namespace) -> int:
    from ..training.cut import cut_dataset

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    try:
        ds = cut_dataset(
            args.inkml,
            kinds=kinds,
            every=args.every,
            offset=args.offset,
            jobs=args.jobs,
            progress=sys.stderr.isatty(),
        )
    except ValueError as e:
        raise MathOCRError(str(e)) from e
    parts = ["mathocr", "dataset", "cut", "--inkml", str(args.inkml), "--out", str(args.out)]
    parts += ["--kinds", ",".join(kinds), "--every", str(args.every), "--offset", str(args.offset)]
    ds.info["command"] = shlex.join(parts)
    ds.save(args.out)
    counts = "  ".join(f"{c}:{n}" for c, n in ds.counts().items())
    print(f"{args.out}: {len(ds)} samples from {ds.info['files']} files")
    print(counts)
    return 0


def _add_export_corrections(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser(
        "export-corrections",
        help="Write the images users corrected on the web page as a dataset",
        description=(
            "Write every image whose reading a user corrected (web service database, "
            "settings from the environment as for 'mathocr serve') under DIR: "
            "images/, labels.csv (file, latex, predicted, ...), symbols.npz, a "
            "symbol dataset like 'mathocr dataset build' writes, for 'mathocr train', "
            "and detector/, a shard of the same images for 'mathocr train-detector --extra'."
        ),
    )
    p.add_argument("out", type=Path, metavar="DIR", help="output directory")
    p.set_defaults(func=_export_corrections)


#: The ``mathocr dataset`` actions, in help order.
ACTIONS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_build,
    _add_cut,
    _add_preview,
    _add_export_corrections,
]


def _build(args: argparse.Namespace) -> int:
    from ..symbols import CLASSES, MARGIN
    from ..training.build import RenderOptions, build_dataset, mnist_dataset, parse_range
    from ..training.dataset import SymbolDataset

    try:
        options = RenderOptions(
            box=args.box,
            margin=MARGIN,
            pen=parse_range(args.pen, int),
            target_px=parse_range(args.size, float),
            pen_share=(
                parse_range(args.pen_share, float) if args.pen_share else RenderOptions.pen_share
            ),
        )
    except ValueError as e:
        raise MathOCRError(str(e)) from e
    distortion = Distortion(rotate_deg=args.rotate, shear=args.shear)
    classes = tuple(args.classes) if args.classes else CLASSES
    if not args.inkml.exists():
        raise MathOCRError(f"--inkml: {args.inkml} does not exist")
    errors: list[str] = []

    def report(message: str) -> None:
        errors.append(message)
        print(f"skipped: {message}", file=sys.stderr)

    try:
        ds = build_dataset(
            args.inkml,
            classes=classes,
            options=options,
            variants=args.variants,
            balance=args.balance,
            max_variants=args.max_variants,
            max_per_class=args.max_per_class,
            distortion=distortion if args.variants > 1 or args.balance else None,
            seed=args.seed,
            jobs=args.jobs,
            progress=sys.stderr.isatty(),
            on_error=report,
        )
        if args.mnist is not None:
            extra = mnist_dataset(
                args.mnist,
                per_digit=args.mnist_per_digit,
                classes=classes,
                box=args.box,
                seed=args.seed,
            )
            if len(extra):
                ds = SymbolDataset.concat([ds, extra])
    except ValueError as e:
        raise MathOCRError(str(e)) from e
    if len(ds) == 0:
        raise MathOCRError(f"no symbols of the chosen classes under {args.inkml}")
    ds.info["command"] = _build_command(args)
    ds.save(args.out)
    counts = "  ".join(f"{c}:{n}" for c, n in ds.counts().items())
    print(f"{args.out}: {len(ds)} samples, {len(errors)} files skipped")
    print(counts)
    return 0


def _build_command(args: argparse.Namespace) -> str:
    """The canonical command line that rebuilds this dataset (kept in the .npz)."""
    parts = ["mathocr", "dataset", "build", "--inkml", str(args.inkml), "--out", str(args.out)]
    parts += ["--box", str(args.box), "--pen", args.pen, "--size", args.size]
    if args.pen_share:
        parts += ["--pen-share", args.pen_share]
    parts += ["--variants", str(args.variants), "--seed", str(args.seed)]
    if args.classes:
        parts += ["--classes", *args.classes]
    if args.balance:
        parts += ["--balance", str(args.balance), "--max-variants", str(args.max_variants)]
    if args.variants > 1 or args.balance:
        parts += ["--rotate", f"{args.rotate:g}", "--shear", f"{args.shear:g}"]
    if args.max_per_class is not None:
        parts += ["--max-per-class", str(args.max_per_class)]
    if args.mnist is not None:
        parts += ["--mnist", str(args.mnist), "--mnist-per-digit", str(args.mnist_per_digit)]
    return shlex.join(parts)


def _preview(args: argparse.Namespace) -> int:
    import cv2

    from ..training.dataset import SymbolDataset, preview_grid

    ds = SymbolDataset.load(args.data)
    grid = preview_grid(ds, per_class=args.per_class, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), grid):
        raise MathOCRError(f"cannot write {args.out}")
    print(f"{args.out}: {len(ds.classes)} classes × up to {args.per_class} samples")
    return 0


def _export_corrections(args: argparse.Namespace) -> int:
    # The web service's database: Django is set up here, never at import time.
    import os

    from .serve import require_web_extra

    require_web_extra("mathocr dataset export-corrections")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings.production")
    import django

    django.setup()
    from web.ocr.export import export_corrections

    summary = export_corrections(args.out)
    for line in summary.skipped:
        print(f"no symbols from {line}", file=sys.stderr)
    print(
        f"{args.out}: {summary.images} corrected images (labels.csv), "
        f"{summary.symbols} symbols from {summary.aligned} of them (symbols.npz, "
        f"and detector/ for train-detector --extra)"
    )
    return 0
