"""``mathocr quantize-detector``: an exported float detector made int8, in the form served.

The copy and its card go into a folder of their own, where
``SymbolDetector(path)`` (and so the benchmarks and ``runs/`` scripts) can
read it beside the float model; see :mod:`mathocr.training.detector.int8`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from ..errors import MathOCRError
from .train import _SHARED


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "quantize-detector",
        help="Make an exported float detector int8, with a card that serves it (needs onnx)",
        description=(
            "Quantize a float detector.onnx (a file with its detector_card.json beside it, or "
            "the folder holding them, as train-detector's --out) to static int8, calibrated on "
            "prepared dev frames; choose its decoding threshold and calibration on dev; run "
            "float and int8 on dev and valid in one run; write the int8 detector.onnx, "
            "detector_card.json and DETECTOR_CARD.md into --out. Deterministic. Needs the "
            "onnx package (the [train] extra)."
        ),
    )
    parser.add_argument("model", type=Path, help="float detector.onnx, or a folder holding it")
    parser.add_argument("--out", type=Path, required=True, help="folder for the int8 model")
    parser.add_argument("--crohme", type=Path, default=_SHARED / "crohme")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("data-cache") / "detector",
        help="train-detector's shard cache: dev and valid drawn there are read, not redrawn",
    )
    parser.add_argument("--seed", type=int, default=0, help="the training's seed (its dev frames)")
    parser.set_defaults(func=run)


def command_line(args: argparse.Namespace) -> str:
    """The command as it would be typed, for the model card."""
    parts = ["mathocr", "quantize-detector", str(args.model), "--out", str(args.out)]
    parts += ["--crohme", str(args.crohme), "--seed", str(args.seed)]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    try:
        import onnx  # noqa: F401
    except ImportError as e:
        raise MathOCRError("quantizing needs the onnx package: pip install 'mathocr[train]'") from e
    from ..training.detector.int8 import float_model, write_int8
    from ..training.detector.quantize import dev_samples, valid_samples

    source = float_model(args.model)
    if args.out.resolve() == source.parent.resolve():
        raise MathOCRError(f"--out {args.out} holds the float model; give another folder")
    if not (args.crohme / "manifest.csv").is_file():
        raise MathOCRError(f"{args.crohme}: no manifest.csv (the shared CROHME folder?)")
    started = time.time()

    def log(text: str) -> None:
        print(f"[{time.time() - started:7.0f} s] {text}", file=sys.stderr, flush=True)

    dev = dev_samples(args.crohme, args.cache, seed=args.seed)
    valid = valid_samples(args.crohme, args.cache, seed=args.seed)
    log(f"{source}: {len(dev)} dev and {len(valid)} valid images; quantizing")
    path = write_int8(source, args.out, dev=dev, valid=valid, command=command_line(args))
    log(f"wrote {path} and its card")
    return 0
