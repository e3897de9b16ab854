"""Training the detector: focal loss on the centres, L1 on sizes and offsets.

Deterministic for a seed (the crops of every epoch come from generators
seeded by seed, epoch and sample), checkpointed after every epoch under the
run folder (``last.pt``, and ``best.pt`` by dev F1), and resumable: a run
started again with ``resume=True`` goes on from ``last.pt`` with the
optimizer, schedule and epoch it had.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

from ...detect.classes import DETECTOR_CLASSES
from ...detect.decode import decode
from ...errors import MathOCRError
from .evaluate import match_counts
from .init import detector_from_onnx, freeze_batch_norms
from .net import Detector
from .scenes import Sample
from .targets import CROP, centre_targets, crop_sample

__all__ = ["TrainConfig", "train_detector"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trained weights (written into every checkpoint)."""

    epochs: int = 24
    samples_per_epoch: int = 4000
    batch: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 300
    width: int = 32
    seed: int = 0
    size_weight: float = 1.0
    offset_weight: float = 1.0
    dev_images: int = 150
    threads: int = 2
    crop: tuple[int, int] = CROP
    """Height and width of the training crops; a resumed run may change it (the net is convolutional)."""
    init: str | None = None
    """A shipped ``detector.onnx`` to start from instead of random weights; its batch norms
    carry the export's fused biases and stay frozen (:mod:`.init`)."""
    bf16: bool = False
    """Mixed precision: convolutions in bfloat16; weights, the heads' outputs and the losses in float32.
    About 1.9x faster per step on a CPU with AVX-512 BF16 (measured on this project's machine)."""


class _Crops(Dataset):
    def __init__(
        self,
        samples: Sequence[Sample],
        picks: np.ndarray,
        seed: int,
        epoch: int,
        crop: tuple[int, int] = CROP,
    ) -> None:
        self.samples, self.picks, self.seed, self.epoch = samples, picks, seed, epoch
        self.crop = crop

    def __len__(self) -> int:
        return len(self.picks)

    def __getitem__(self, i: int):  # noqa: ANN204 - a tuple of tensors for the collate
        rng = np.random.default_rng((self.seed, self.epoch, i))
        image, boxes, labels = crop_sample(self.samples[int(self.picks[i])], rng, self.crop)
        heat, size, offset, mask = centre_targets(boxes, labels, len(DETECTOR_CLASSES), self.crop)
        return (
            torch.from_numpy(image[None]),
            torch.from_numpy(heat),
            torch.from_numpy(size),
            torch.from_numpy(offset),
            torch.from_numpy(mask),
        )


def focal_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, averaged over the true centres."""
    pred = pred.clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1 - pos
    pos_loss = torch.log(pred) * (1 - pred) ** 2 * pos
    neg_loss = torch.log(1 - pred) * pred**2 * (1 - target) ** 4 * neg
    n = pos.sum().clamp(min=1)
    return -(pos_loss.sum() + neg_loss.sum()) / n


def _loss(model: Detector, batch, cfg: TrainConfig) -> tuple[torch.Tensor, dict[str, float]]:
    image, heat_t, size_t, offset_t, mask = batch
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
        heat, size, offset = model(image)
    lh = focal_loss(heat, heat_t)
    m = mask.repeat_interleave(2, dim=1)  # (N, C, h, w) → the size and offset channels
    n = mask.sum().clamp(min=1)
    ls = (F.l1_loss(size, size_t, reduction="none") * m).sum() / (2 * n)
    lo = (F.l1_loss(offset, offset_t, reduction="none") * m).sum() / (2 * n)
    total = lh + cfg.size_weight * ls + cfg.offset_weight * lo
    return total, {"heat": lh.item(), "size": ls.item(), "offset": lo.item()}


def predict(model: Detector, image: np.ndarray, threshold: float = 0.3):
    """Detections of one prepared (H, W) float image with the torch model."""
    model.eval()
    with torch.no_grad():
        heat, size, offset = model(torch.from_numpy(image[None, None]))
    return decode(heat[0].numpy(), size[0].numpy(), offset[0].numpy(), threshold=threshold)


def evaluate_dev(model: Detector, samples: Sequence[Sample], threshold: float = 0.3) -> dict:
    """Symbol precision, recall, F1 (label and IoU ≥ 0.5) and the share of images read whole."""
    tp = fp = fn = whole = 0
    for s in samples:
        dets = predict(model, s.image.astype(np.float32) / 255.0, threshold)
        boxes = np.array([d.box for d in dets]).reshape(-1, 4)
        labels = np.array([d.label for d in dets], np.int64)
        a, b, c = match_counts(boxes, labels, s.boxes, s.labels.astype(np.int64))
        tp, fp, fn = tp + a, fp + b, fn + c
        whole += int(b == 0 and c == 0)
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / max(1e-9, p + r),
        "whole": whole / max(1, len(samples)),
        "n": len(samples),
    }


def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether the CPU computes bfloat16 itself; elsewhere autocast emulates it, slowly.

    Unknown (no ``/proc/cpuinfo``, not Linux) counts as native: then nothing is said.
    """
    try:
        flags = Path(cpuinfo).read_text()
    except OSError:
        return True
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _schedule(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


def train_detector(
    load_train: Callable[[], Sequence[Sample]],
    dev: Sequence[Sample],
    run_dir: str | Path,
    cfg: TrainConfig,
    *,
    resume: bool = False,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
) -> Path:
    """Train, checkpointing every epoch; returns the path of the best checkpoint.

    *load_train* is called at the start of every epoch, so shards added while
    a run goes on join it at the next epoch.
    """
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    if cfg.bf16 and not native_bf16():
        log(
            "warning: this CPU has no bfloat16 instructions (avx512_bf16 or amx_bf16): "
            "--bf16 is emulated here, about 15x slower than float32 (seen on an AVX2 EPYC)"
        )
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    model = (
        detector_from_onnx(cfg.init, len(DETECTOR_CLASSES), cfg.width)
        if cfg.init
        else Detector(len(DETECTOR_CLASSES), cfg.width)
    )
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = cfg.samples_per_epoch // cfg.batch
    total_steps = cfg.epochs * steps_per_epoch
    start_epoch, best_f1, history = 0, -1.0, []
    last = run_dir / "last.pt"
    if resume and last.exists():
        state = torch.load(last, weights_only=False)
        width = state.get("config", {}).get("width", cfg.width)
        if width != cfg.width:
            raise MathOCRError(
                f"{last} holds a width-{width} network; resume it with --width {width}"
            )
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start_epoch, best_f1, history = state["epoch"] + 1, state["best_f1"], state["history"]
        log(f"resumed from {last} after epoch {state['epoch'] + 1}")
    dev_pick = list(dev)[: cfg.dev_images]
    for epoch in range(start_epoch, cfg.epochs):
        samples = load_train()
        picks = np.random.default_rng((cfg.seed, epoch)).integers(
            0, len(samples), cfg.samples_per_epoch
        )
        loader = DataLoader(
            _Crops(samples, picks, cfg.seed, epoch, cfg.crop),
            batch_size=cfg.batch,
            shuffle=False,
            num_workers=1,
            drop_last=True,
        )
        model.train()
        if cfg.init:
            freeze_batch_norms(model)
        started = time.time()
        sums: dict[str, float] = {}
        for i, batch in enumerate(loader):
            step = epoch * steps_per_epoch + i
            for group in opt.param_groups:
                group["lr"] = cfg.lr * _schedule(step, total_steps, cfg.warmup_steps)
            loss, parts = _loss(model, batch, cfg)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + v
            if i % 50 == 0:
                log(
                    f"epoch {epoch + 1}/{cfg.epochs} step {i}/{steps_per_epoch} "
                    + " ".join(f"{k} {v:.3f}" for k, v in parts.items())
                    + f" ({time.time() - started:.0f} s)"
                )
        figures = evaluate_dev(model, dev_pick)
        entry = {
            "epoch": epoch + 1,
            "seconds": round(time.time() - started, 1),
            "train_samples": len(samples),
            **{k: round(v / max(1, steps_per_epoch), 4) for k, v in sums.items()},
            **{f"dev_{k}": round(v, 4) for k, v in figures.items()},
        }
        history.append(entry)
        log(json.dumps(entry))
        state = {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "epoch": epoch,
            "best_f1": max(best_f1, figures["f1"]),
            "history": history,
            "config": asdict(cfg),
        }
        torch.save(state, run_dir / "last.tmp")
        (run_dir / "last.tmp").replace(last)
        if figures["f1"] > best_f1:
            best_f1 = figures["f1"]
            torch.save(state, run_dir / "best.tmp")
            (run_dir / "best.tmp").replace(run_dir / "best.pt")
    return run_dir / "best.pt"
