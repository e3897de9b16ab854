"""The training loop: deterministic, CPU-only, with a progress bar.

Everything random (initial weights, dropout, batch order) derives from the
seed, and torch runs in deterministic mode, so one command gives one model.
The epoch with the best accuracy on the *valid* writers is kept (model
selection on writers never seen in training).
"""

from __future__ import annotations

import copy
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..geometry import MISSING, missing_geometry
from .dataset import SymbolDataset
from .model import ModelConfig, SymbolNet

__all__ = ["TrainConfig", "TrainResult", "train", "predict_torch"]


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 12
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.05
    seed: int = 0
    threads: int = 2
    samples_per_epoch: int | None = None
    """Draw this many samples per epoch (without replacement); all by default."""
    class_power: float = 0.0
    """Draw each sample with weight (size of its class) ** -class_power: 0 draws
    uniformly, 0.5 evens out the classes partly (a 9-times rarer class is drawn
    a third as often instead of a ninth)."""
    geometry_noise: float = 0.1
    """Std of the noise added to the log-size features: the recognizer measures them
    on detected symbols' ink, less exactly than on labelled strokes."""
    geometry_drop: float = 0.15
    """Share of training samples shown with their geometry marked unknown, so the
    model also reads a symbol without context."""
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be ≥ 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {self.batch_size}")
        if not 0 <= self.class_power <= 1:
            raise ValueError(f"class_power must be within 0..1, got {self.class_power}")


@dataclass
class TrainResult:
    net: SymbolNet
    history: list[dict[str, float]]
    best_epoch: int
    seconds: float
    config: TrainConfig

    def record(self) -> dict:
        """What the model card keeps about this run."""
        return {
            "config": asdict(self.config),
            "history": self.history,
            "best_epoch": self.best_epoch,
            "seconds": round(self.seconds, 1),
            "parameters": int(sum(p.numel() for p in self.net.parameters())),
        }


def _tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images.astype(np.float32)).unsqueeze(1)


@torch.no_grad()
def predict_torch(
    net: nn.Module, images: np.ndarray, geometry: np.ndarray | None = None, *, batch: int = 1024
) -> np.ndarray:
    """(N, box, box) 0/1 and (N, 3) geometry → (N, C) probabilities, in eval mode."""
    net.eval()
    if geometry is None:
        geometry = missing_geometry(len(images))
    geo = torch.from_numpy(np.asarray(geometry, np.float32))
    out = [
        torch.softmax(net(_tensor(images[i : i + batch]), geo[i : i + batch]), dim=1).numpy()
        for i in range(0, len(images), batch)
    ]
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def _jitter_geometry(
    geo: torch.Tensor, config: TrainConfig, generator: torch.Generator
) -> torch.Tensor:
    """Noisy sizes, and some rows marked unknown (see :class:`TrainConfig`)."""
    geo = geo.clone()
    known = geo[:, 2] < 0.5
    noise = torch.randn(geo.shape[0], 2, generator=generator) * config.geometry_noise
    geo[:, :2] += noise * known[:, None]
    drop = torch.rand(geo.shape[0], generator=generator) < config.geometry_drop
    geo[drop] = torch.from_numpy(MISSING)
    return geo


def _epoch_order(
    labels: np.ndarray, count: int, class_power: float, rng: np.random.Generator
) -> np.ndarray:
    """*count* distinct sample indices for one epoch, in random order."""
    if class_power == 0:
        return rng.permutation(len(labels))[:count]
    sizes = np.bincount(labels)
    weights = sizes[labels].astype(np.float64) ** -class_power
    return rng.choice(len(labels), size=count, replace=False, p=weights / weights.sum())


def train(
    train_set: SymbolDataset,
    valid_set: SymbolDataset | None,
    config: TrainConfig = TrainConfig(),
    *,
    progress: bool = True,
) -> TrainResult:
    """Train a :class:`SymbolNet` on *train_set*; keep the best epoch on *valid_set*."""
    if len(train_set) == 0:
        raise ValueError("the training set is empty")
    if valid_set is not None and valid_set.classes != train_set.classes:
        raise ValueError("train and valid sets have different class lists")
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(config.seed)
    net = SymbolNet(len(train_set.classes), config.model)
    per_epoch = min(config.samples_per_epoch or len(train_set), len(train_set))
    steps = -(-per_epoch // config.batch_size)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.epochs * steps, pct_start=0.15
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    x_all = torch.from_numpy(train_set.images).unsqueeze(1)  # uint8: 4x less memory
    y_all = torch.from_numpy(train_set.labels)
    g_all = torch.from_numpy(train_set.geo)
    generator = torch.Generator().manual_seed(config.seed)
    history: list[dict[str, float]] = []
    best = (-1.0, 0, copy.deepcopy(net.state_dict()))
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        net.train()
        order = torch.from_numpy(_epoch_order(train_set.labels, per_epoch, config.class_power, rng))
        total_loss, correct, seen = 0.0, 0, 0
        bar = tqdm(
            range(steps),
            desc=f"epoch {epoch}/{config.epochs}",
            unit="batch",
            file=sys.stderr,
            disable=not progress,
            leave=False,
        )
        for step in bar:
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            x, y = x_all[idx].float(), y_all[idx]
            geo = _jitter_geometry(g_all[idx], config, generator)
            optimizer.zero_grad(set_to_none=True)
            logits = net(x, geo)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += float(loss.detach()) * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}")
        row = {"epoch": epoch, "loss": total_loss / seen, "train_accuracy": correct / seen}
        if valid_set is not None and len(valid_set):
            pred = predict_torch(net, valid_set.images, valid_set.geo).argmax(1)
            row["valid_accuracy"] = float((pred == valid_set.labels).mean())
        history.append(row)
        if progress:
            shown = "  ".join(f"{k}={v:.4f}" for k, v in row.items() if k != "epoch")
            print(f"epoch {epoch}/{config.epochs}  {shown}", file=sys.stderr)
        metric = row.get("valid_accuracy", -row["loss"])
        if metric >= best[0]:
            best = (metric, epoch, copy.deepcopy(net.state_dict()))
    net.load_state_dict(best[2])
    net.eval()
    return TrainResult(net, history, best[1], time.perf_counter() - start, config)
