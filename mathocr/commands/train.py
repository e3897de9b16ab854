"""``mathocr train``: Train the symbol classifier and export it to ONNX (needs the [train] extra)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from ..errors import MathOCRError

_SHARED = Path("..") / "shared" / "data"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train",
        help="Train the symbol classifier and export it to ONNX (needs the [train] extra)",
        description=(
            "Train the symbol CNN on CROHME symbols, keep the best epoch on the valid writers, "
            "export ONNX and write its model card (metrics, baselines, confusion matrix). "
            "Needs the [train] extra (PyTorch)."
        ),
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=_SHARED / "crohme" / "train",
        help=".npz from 'mathocr dataset build', or an InkML directory (default ../shared/data/crohme/train)",
    )
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        metavar="NPZ",
        help="another symbol dataset (.npz) to train on as well; may be repeated",
    )
    parser.add_argument(
        "--valid",
        type=Path,
        default=_SHARED / "crohme" / "valid",
        help="selection set: .npz or InkML directory (default ../shared/data/crohme/valid)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("artifacts") / "model",
        help="output directory (default artifacts/model)",
    )
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument(
        "--jobs", type=int, default=1, help="processes for building datasets from InkML"
    )
    parser.add_argument(
        "--mnist", type=Path, metavar="NPZ", help="add MNIST training digits from this mnist.npz"
    )
    parser.add_argument("--mnist-per-digit", type=int, default=1000)
    parser.add_argument(
        "--samples-per-epoch",
        type=int,
        metavar="N",
        help="draw N training samples per epoch (default: all)",
    )
    parser.add_argument(
        "--class-power",
        type=float,
        default=0.0,
        metavar="P",
        help="draw samples with weight (class size)^-P: 0 uniform (default), 0.5 evens classes partly",
    )
    parser.add_argument(
        "--limit", type=int, metavar="N", help="train on a random N samples (smoke runs)"
    )
    parser.add_argument(
        "--no-baselines", action="store_true", help="skip the pixel-MLP and HOG baselines"
    )
    parser.add_argument(
        "--widths",
        default="32,64,128",
        help="channels of the three conv blocks (default 32,64,128)",
    )
    parser.add_argument(
        "--convs", type=int, default=1, help="3x3 convolutions per block (default 1)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def _command(args: argparse.Namespace) -> str:
    parts = ["mathocr", "train", "--data", str(args.data)]
    for extra in args.extra:
        parts += ["--extra", str(extra)]
    parts += ["--valid", str(args.valid)]
    parts += ["--out", str(args.out), "--epochs", str(args.epochs), "--seed", str(args.seed)]
    parts += ["--batch-size", str(args.batch_size), "--lr", str(args.lr)]
    parts += ["--widths", str(args.widths), "--convs", str(args.convs)]
    if args.mnist is not None:
        parts += ["--mnist", str(args.mnist), "--mnist-per-digit", str(args.mnist_per_digit)]
    if args.samples_per_epoch is not None:
        parts += ["--samples-per-epoch", str(args.samples_per_epoch)]
    if args.class_power:
        parts += ["--class-power", str(args.class_power)]
    if args.limit is not None:
        parts += ["--limit", str(args.limit)]
    if args.no_baselines:
        parts.append("--no-baselines")
    return shlex.join(parts)


def require_torch() -> None:
    """Fail with the install hint when PyTorch (the [train] extra) is missing."""
    try:
        import torch  # noqa: F401
    except ImportError as e:
        raise MathOCRError(
            "training needs PyTorch, which the serving install leaves out: "
            "pip install 'mathocr[train]'"
        ) from e


def run(args: argparse.Namespace) -> int:
    require_torch()
    import numpy as np

    from ..training.dataset import SymbolDataset
    from ..training.model import ModelConfig
    from ..training.run import load_dataset, train_and_ship, with_mnist
    from ..training.trainer import TrainConfig

    progress = not args.quiet
    try:
        widths = tuple(int(w) for w in str(args.widths).split(","))
        if len(widths) != 3 or min(widths) < 1:
            raise ValueError(f"--widths needs three positive numbers, got {args.widths!r}")
        config = TrainConfig(
            model=ModelConfig(widths=widths, convs=args.convs),
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            threads=args.threads,
            samples_per_epoch=args.samples_per_epoch,
            class_power=args.class_power,
        )
        train_set = load_dataset(
            args.data, augmented=True, seed=args.seed, jobs=args.jobs, progress=progress
        )
        valid_set = load_dataset(
            args.valid, augmented=False, seed=0, jobs=args.jobs, progress=progress
        )
        extra_info = {}
        if args.extra:
            parts = [load_dataset(p, augmented=True, progress=progress) for p in args.extra]
            train_set = SymbolDataset.concat([train_set, *parts])
            extra_info = {
                "extra_sources": [
                    f"{p} ({len(d)} samples; {d.info.get('command') or d.info.get('from', '')})"
                    for p, d in zip(args.extra, parts, strict=True)
                ]
            }
        if args.mnist is not None:
            train_set = with_mnist(
                train_set, args.mnist, per_digit=args.mnist_per_digit, seed=args.seed
            )
        if args.limit is not None and args.limit < len(train_set):
            rng = np.random.default_rng(args.seed)
            train_set = train_set.subset(
                np.sort(rng.choice(len(train_set), args.limit, replace=False))
            )
        card = train_and_ship(
            train_set,
            valid_set,
            args.out,
            config=config,
            baselines=not args.no_baselines,
            command=_command(args),
            data_info={
                "train_source": str(args.data),
                **extra_info,
                "valid_source": str(args.valid),
            },
            progress=progress,
        )
    except (FileNotFoundError, ValueError) as e:
        raise MathOCRError(str(e)) from e
    metrics = card["metrics"]["valid"]
    print(
        f"{args.out / card['file']}: version {card['version']}, valid accuracy "
        f"{metrics['accuracy']:.4f} (x/\\times merged {metrics['accuracy_merged']:.4f}) "
        f"on {metrics['n']} symbols"
    )
    return 0
