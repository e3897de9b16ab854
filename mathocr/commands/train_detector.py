"""``mathocr train-detector``: from CROHME InkML to the shipped symbol detector."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from ..errors import MathOCRError
from ..training.detector.targets import CROP
from .train import _SHARED, require_torch


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train-detector",
        help="Train the symbol detector and export it with its card (needs [train])",
        description=(
            "Split CROHME train/ by writer into train and dev, draw every train expression "
            "as canvases and photos (--variants times), compose --synthetic expressions from "
            "the train writers' symbols, train the detector (checkpoints every epoch under "
            "--run, --resume goes on from the last), and export the best epoch by dev F1 "
            "as ONNX with its card into --out. Deterministic for a seed."
        ),
    )
    parser.add_argument("--crohme", type=Path, default=_SHARED / "crohme")
    parser.add_argument("--cache", type=Path, default=Path("data-cache") / "detector")
    parser.add_argument("--run", type=Path, default=Path("runs") / "detector")
    parser.add_argument("--out", type=Path, default=Path("artifacts") / "detector")
    parser.add_argument("--variants", type=int, default=2, help="drawings per expression and kind")
    parser.add_argument("--synthetic", type=int, default=12000, help="composed expressions")
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        help="a folder of detector shards (mathocr dataset export-corrections writes one)",
    )
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument(
        "--crop",
        type=_crop,
        default=CROP,
        metavar="HxW",
        help="training crop in the prepared frame (multiples of 32; default %(default)s)",
    )
    parser.add_argument(
        "--width", type=int, default=32, help="channels of the first stage (default %(default)s)"
    )
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="train in bfloat16 mixed precision (about 1.9x faster on CPUs with AVX-512 BF16)",
    )
    parser.add_argument(
        "--init",
        type=Path,
        help=(
            "start from this detector (a model folder such as mathocr/models, or its .onnx) "
            "instead of random weights, with its batch norms frozen: fine-tuning the shipped "
            "model needs no checkpoint from the run that made it"
        ),
    )
    parser.add_argument(
        "--lr", type=float, default=2e-3, help="peak learning rate (default %(default)s)"
    )
    parser.add_argument("--samples-per-epoch", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="processes for drawing (default 2)")
    parser.add_argument("--resume", action="store_true", help="go on from --run's last.pt")
    parser.set_defaults(func=run)


def _crop(text: str) -> tuple[int, int]:
    """``"160x384"`` → ``(160, 384)``; both sides multiples of 32."""
    h, sep, w = text.lower().partition("x")
    try:
        size = (int(h), int(w))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < 32 or size[0] % 32 or size[1] % 32:
        raise argparse.ArgumentTypeError(f"expected HxW in multiples of 32, got {text!r}")
    return size


def _init_model(path: Path | None) -> Path | None:
    """The ONNX file ``--init`` names (a model folder means its ``detector.onnx``)."""
    if path is None:
        return None
    onnx_path = path / "detector.onnx" if path.is_dir() else path
    if not onnx_path.is_file():
        raise MathOCRError(f"--init {path}: no detector.onnx there")
    return onnx_path


def command_line(args: argparse.Namespace) -> str:
    """The command as it would be typed, for the model card."""
    parts = ["mathocr", "train-detector", "--crohme", str(args.crohme)]
    parts += ["--variants", str(args.variants), "--synthetic", str(args.synthetic)]
    for extra in args.extra:
        parts += ["--extra", str(extra)]
    parts += ["--epochs", str(args.epochs), "--samples-per-epoch", str(args.samples_per_epoch)]
    if args.width != 32:
        parts += ["--width", str(args.width)]
    if args.bf16:
        parts.append("--bf16")
    if args.init is not None:
        parts += ["--init", str(args.init)]
    if args.lr != 2e-3:
        parts += ["--lr", str(args.lr)]
    if tuple(args.crop) != CROP:
        parts += ["--crop", f"{args.crop[0]}x{args.crop[1]}"]
    parts += ["--seed", str(args.seed), "--run", str(args.run), "--out", str(args.out)]
    if args.resume:
        parts.append("--resume")
    return shlex.join(parts)


def command_history(args: argparse.Namespace) -> list[str]:
    """Every command that trained the weights in ``--run``, this one last.

    A resumed run's weights depend on the commands before it (each stretches
    the cosine schedule over its own ``--epochs``), so the card must list them
    all for the model to be rebuilt; ``command.json`` keeps them.
    """
    earlier: list[str] = []
    saved = args.run / "command.json"
    if args.resume and saved.is_file():
        try:
            previous = json.loads(saved.read_text())
            earlier = list(previous.get("commands") or [previous["command"]])
        except (ValueError, KeyError, TypeError):
            earlier = []
    return [*earlier, command_line(args)]


def run(args: argparse.Namespace) -> int:
    require_torch()
    from ..data.splits import split_files
    from ..training.detector.data import (
        build_real_shards,
        build_synthetic_shards,
        drawn_split,
        load_shards,
    )
    from ..training.detector.train import TrainConfig, train_detector

    if not (args.crohme / "manifest.csv").is_file():
        raise MathOCRError(f"{args.crohme}: no manifest.csv (the shared CROHME folder?)")
    started = time.time()

    def log(text: str) -> None:
        print(f"[{time.time() - started:7.0f} s] {text}", file=sys.stderr, flush=True)

    init = _init_model(args.init)
    train_files, dev_files = split_files(args.crohme)
    log(f"{len(train_files)} train and {len(dev_files)} dev expressions (split by writer)")
    dev = drawn_split(dev_files, "dev", args.cache, seed=args.seed, jobs=args.jobs)
    # Exactly the shards this command builds (not whatever else the cache holds), so
    # the card's command rebuilds the same training set on a fresh machine.
    train_paths: list[Path] = []
    for v in range(args.variants):
        train_paths += build_real_shards(
            train_files, args.cache / "train", seed=args.seed * 100 + v, jobs=args.jobs
        )
        log(f"real drawings, variant {v + 1}/{args.variants}: done")
    if args.synthetic > 0:
        train_paths += build_synthetic_shards(
            train_files, args.cache / "train", count=args.synthetic, seed=args.seed, jobs=args.jobs
        )
        log(f"{args.synthetic} composed expressions: done")

    cache: dict[tuple, list] = {}

    def load_train():
        # Read again only when the shards changed (a correction shard added while a run goes on).
        extra = [p for d in args.extra for p in sorted(Path(d).glob("*.npz"))]
        paths = [*train_paths, *extra]
        key = tuple((str(p), p.stat().st_mtime) for p in paths)
        if key not in cache:
            cache.clear()
            cache[key] = load_shards(paths)
        return cache[key]

    cfg = TrainConfig(
        epochs=args.epochs,
        samples_per_epoch=args.samples_per_epoch,
        seed=args.seed,
        crop=args.crop,
        width=args.width,
        bf16=args.bf16,
        init=None if init is None else str(init),
        lr=args.lr,
    )
    (args.run).mkdir(parents=True, exist_ok=True)
    commands = command_history(args)
    (args.run / "command.json").write_text(
        json.dumps(
            {"command": commands[-1], "commands": commands, "config": cfg.__dict__}, indent=2
        )
    )
    best = train_detector(load_train, dev[::2], args.run, cfg, resume=args.resume, log=log)
    log(f"best checkpoint: {best}")
    from ..training.detector.export import export_detector

    # Valid is drawn the same way and only reported: no choice above looked at it.
    valid_files = sorted((args.crohme / "valid").rglob("*.inkml"))
    valid = drawn_split(valid_files, "valid", args.cache, seed=args.seed, jobs=args.jobs)
    train_samples = load_train()
    data = {
        "train_expressions": len(train_files),
        "dev_expressions": len(dev_files),
        "train_images": len(train_samples),
        "train_symbols": int(sum(len(s.labels) for s in train_samples)),
        "real_variants": args.variants,
        "composed_expressions": args.synthetic,
        "extra": [str(e) for e in args.extra],
    }
    path = export_detector(
        best,
        args.out,
        command="\n".join(commands),
        dev=dev,
        valid=valid,
        seconds=time.time() - started,
        data=data,
    )
    log(f"exported {path} and its card")
    return 0
