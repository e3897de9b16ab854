"""``mathocr train-neighbours``: train the model that rereads each symbol beside its neighbours."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from ..errors import MathOCRError
from .train import _SHARED, require_torch


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train-neighbours",
        help="Train the neighbour model over the symbol model's readings (needs [train])",
        description=(
            "Draw every training expression several times, read each symbol with the "
            "symbol model, and train a small bidirectional GRU that rereads each symbol "
            "with its neighbours in view. Exports ONNX with its card. Needs the [train] "
            "extra (PyTorch)."
        ),
    )
    parser.add_argument("--inkml", type=Path, default=_SHARED / "crohme" / "train")
    parser.add_argument("--valid", type=Path, default=_SHARED / "crohme" / "valid")
    parser.add_argument(
        "--model", type=Path, help="the symbol model (.onnx with its card; default: shipped)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("artifacts") / "neighbours",
        help="output directory (default artifacts/neighbours)",
    )
    parser.add_argument(
        "--renderings",
        type=int,
        default=6,
        help="drawings of each training expression; all but the first distorted (default 6)",
    )
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="processes for drawing (default 2)")
    parser.add_argument(
        "--limit", type=int, metavar="N", help="first N training lines (smoke runs)"
    )
    parser.set_defaults(func=run)


def _command(args: argparse.Namespace) -> str:
    parts = ["mathocr", "train-neighbours", "--inkml", str(args.inkml), "--valid", str(args.valid)]
    if args.model is not None:
        parts += ["--model", str(args.model)]
    parts += ["--out", str(args.out), "--renderings", str(args.renderings)]
    parts += ["--epochs", str(args.epochs), "--hidden", str(args.hidden), "--seed", str(args.seed)]
    if args.limit is not None:
        parts += ["--limit", str(args.limit)]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    require_torch()
    from ..classifier import SymbolClassifier
    from ..training.augment import Distortion
    from ..training.neighbour_model import (
        NeighbourConfig,
        as_examples,
        evaluate,
        export_neighbours,
        line_latency,
        neighbour_card,
        neighbour_markdown,
        train_neighbours,
    )
    from ..training.sequences import expression_sequences

    for path in (args.inkml, args.valid):
        if not path.exists():
            raise MathOCRError(f"{path} does not exist")
    if args.renderings < 1 or args.epochs < 1:
        raise MathOCRError("--renderings and --epochs must be at least 1")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def skipped(message: str) -> None:
        log(f"skipped: {message}")

    symbols = SymbolClassifier(args.model, threads=2)
    start = time.perf_counter()
    train = list(
        expression_sequences(
            args.inkml,
            symbols,
            seed=args.seed + 1,
            renderings=args.renderings,
            distortion=Distortion(),
            jobs=args.jobs,
            on_error=skipped,
        )
    )
    if args.limit is not None:
        train = train[: args.limit]
    valid = list(expression_sequences(args.valid, symbols, seed=0, jobs=args.jobs))
    log(
        f"{len(train)} training lines, {len(valid)} valid lines ({time.perf_counter() - start:.0f} s)"
    )
    config = NeighbourConfig(hidden=args.hidden, epochs=args.epochs, seed=args.seed)
    net, training = train_neighbours(train, valid, config, log=log)
    training["command"] = _command(args)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "neighbours.onnx"
    valid_ex = as_examples(valid)
    export_neighbours(net, path, valid_ex[:50])
    metrics = evaluate(net, valid_ex)
    speed = line_latency(path, valid_ex)
    card = neighbour_card(
        path,
        symbol_model=symbols.version,
        training=training,
        metrics=metrics,
        data={
            "train": f"{args.inkml} ({len(train)} lines: {args.renderings} drawings of each)",
            "valid": f"{args.valid} ({len(valid)} lines, the drawings evaluate-symbols makes)",
        },
        speed=speed,
    )
    card_path = path.with_name(path.stem + ".card.json")
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "NEIGHBOURS_CARD.md").write_text(neighbour_markdown(card), encoding="utf-8")
    alone, ctx = metrics["alone"], metrics["with_neighbours"]
    print(f"wrote {path} and {card_path}")
    print(
        f"valid: alone {100 * alone['accuracy']:.2f}% (merged {100 * alone['accuracy_merged']:.2f}%), "
        f"with neighbours {100 * ctx['accuracy']:.2f}% (merged {100 * ctx['accuracy_merged']:.2f}%)"
    )
    return 0
