"""Training the neighbour model (:mod:`mathocr.neighbours`) and shipping it as ONNX.

The data are whole training expressions, each drawn several times (the first
as written, the others distorted), read by the shipped symbol model
(:mod:`mathocr.training.sequences`). The symbol model reads its own training
writers about as well as new ones (97.6% against 97.8%), so its outputs on
``train/`` look like what it says on a user's image, and the neighbour model
can be trained on them without learning to distrust an overconfident reader.

Lines of different lengths are packed (``pack_padded_sequence``), so padding
never reaches the backward direction; the exported graph reads one line.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..model_files import cpu_session
from ..neighbours import CARD_FORMAT, FEATURES, FEATURES_FUNCTION, sequence_features
from ..symbols import CLASSES
from .card import card_header
from .metrics import median_ms, merged_accuracy, score
from .sequences import ExpressionSequence

__all__ = [
    "NeighbourConfig",
    "NeighbourNet",
    "as_examples",
    "evaluate",
    "export_neighbours",
    "neighbour_card",
    "line_latency",
    "neighbour_markdown",
    "train_neighbours",
]

INPUT_NAME = "features"
OUTPUT_NAME = "probabilities"


@dataclass(frozen=True)
class NeighbourConfig:
    """The shipped model's settings are the defaults (``train-neighbours`` repeats
    ``hidden`` and ``epochs`` as its own defaults, to register without torch)."""

    hidden: int = 96
    dropout: float = 0.3
    epochs: int = 8
    batch_size: int = 64
    lr: float = 3e-3
    seed: int = 0
    threads: int = 2


class NeighbourNet(nn.Module):
    """Per step: embed → bidirectional GRU → head; logits added to the first reading's."""

    def __init__(self, config: NeighbourConfig = NeighbourConfig()) -> None:
        super().__init__()
        h = config.hidden
        self.embed = nn.Sequential(nn.Linear(FEATURES, h), nn.ReLU(), nn.Dropout(config.dropout))
        self.gru = nn.GRU(h, h, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Linear(3 * h, h), nn.ReLU(), nn.Dropout(config.dropout), nn.Linear(h, len(CLASSES))
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, L, FEATURES) → (B, L, classes) logits; *lengths* when lines are padded."""
        e = self.embed(x)
        if lengths is None:
            g, _ = self.gru(e)
        else:
            packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
            g, _ = self.gru(packed)
            g, _ = pad_packed_sequence(g, batch_first=True, total_length=x.shape[1])
        return x[..., : len(CLASSES)] + self.head(torch.cat([g, e], dim=-1))


class _WithSoftmax(nn.Module):
    def __init__(self, net: NeighbourNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=-1)


Example = tuple[np.ndarray, np.ndarray]


def as_examples(sequences: list[ExpressionSequence]) -> list[Example]:
    """(features, labels) per line, both in reading order."""
    out = []
    for s in sequences:
        feats, order = sequence_features(s.probs, s.boxes, s.geometry)
        out.append((feats, s.labels[order]))
    return out


def _batch(examples: list[Example]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    longest = max(len(x) for x, _ in examples)
    x = np.zeros((len(examples), longest, FEATURES), np.float32)
    y = np.full((len(examples), longest), -1, np.int64)
    for i, (f, labels) in enumerate(examples):
        x[i, : len(f)] = f
        y[i, : len(f)] = labels
    lengths = torch.tensor([len(f) for f, _ in examples])
    return torch.from_numpy(x), torch.from_numpy(y), lengths


def predict(net: NeighbourNet, examples: list[Example]) -> list[np.ndarray]:
    """Class indices per line, one line at a time as the exported graph runs."""
    net.eval()
    with torch.no_grad():
        return [net(torch.from_numpy(f[None]))[0].argmax(-1).numpy() for f, _ in examples]


def evaluate(net: NeighbourNet, examples: list[Example]) -> dict[str, Any]:
    """Scores of the first reading and of the neighbour model on *examples*' labelled symbols."""
    truth = np.concatenate([y for _, y in examples])
    first = np.concatenate([f[:, : len(CLASSES)].argmax(1) for f, _ in examples])
    second = np.concatenate(predict(net, examples))
    keep = truth >= 0
    out: dict[str, Any] = {}
    for name, pred in (("alone", first), ("with_neighbours", second)):
        result = score(truth[keep], pred[keep], CLASSES, top_confusions=12)
        result["accuracy_merged"] = merged_accuracy(truth[keep], pred[keep], CLASSES)
        out[name] = result
    return out


def train_neighbours(
    train: list[ExpressionSequence],
    valid: list[ExpressionSequence],
    config: NeighbourConfig = NeighbourConfig(),
    *,
    log: Callable[[str], None] = print,
) -> tuple[NeighbourNet, dict[str, Any]]:
    """Train for ``config.epochs`` (one-cycle schedule) and return the last epoch's model.

    The valid writers are only scored, never selected on: the number of
    epochs was fixed once, so the valid figure stays an honest estimate.
    """
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    train_ex, valid_ex = as_examples(train), as_examples(valid)
    net = NeighbourNet(config)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    steps = config.epochs * ((len(train_ex) + config.batch_size - 1) // config.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=steps)
    history = []
    start = time.perf_counter()
    for epoch in range(config.epochs):
        net.train()
        order = rng.permutation(len(train_ex))
        total = 0.0
        batches = 0
        for k in range(0, len(order), config.batch_size):
            x, y, lengths = _batch([train_ex[i] for i in order[k : k + config.batch_size]])
            logits = net(x, lengths)
            loss = nn.functional.cross_entropy(
                logits.reshape(-1, len(CLASSES)), y.reshape(-1), ignore_index=-1
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
            batches += 1
        scores = evaluate(net, valid_ex)
        row = {
            "epoch": epoch + 1,
            "loss": round(total / max(batches, 1), 4),
            "valid_accuracy": scores["with_neighbours"]["accuracy"],
            "valid_accuracy_merged": scores["with_neighbours"]["accuracy_merged"],
        }
        history.append(row)
        log(
            f"epoch {row['epoch']}/{config.epochs}  loss {row['loss']:.4f}  valid "
            f"{100 * row['valid_accuracy']:.2f}% (merged {100 * row['valid_accuracy_merged']:.2f}%)"
        )
    net.eval()
    return net, {
        "config": asdict(config),
        "history": history,
        "seconds": round(time.perf_counter() - start, 1),
        "parameters": sum(p.numel() for p in net.parameters()),
        "train_lines": len(train_ex),
        "train_symbols": int(sum(int((y >= 0).sum()) for _, y in train_ex)),
    }


def export_neighbours(net: NeighbourNet, path: str | Path, check: list[Example]) -> float:
    """Write *net* as ONNX (softmax appended) and return the largest |ORT − torch| on *check*."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapped = _WithSoftmax(net).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            (torch.zeros(1, 5, FEATURES),),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {1: "symbols"}, OUTPUT_NAME: {1: "symbols"}},
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    sess = cpu_session(path, 1)
    wrapped.eval()  # the exporter puts the modes back as it found them, recursively
    worst = 0.0
    with torch.no_grad():
        for f, _ in check:
            got = sess.run([OUTPUT_NAME], {INPUT_NAME: f[None]})[0]
            want = wrapped(torch.from_numpy(f[None])).numpy()
            worst = max(worst, float(np.abs(got - want).max()))
    if worst > 1e-4:
        raise RuntimeError(f"ONNX and torch disagree by {worst:.2e}")
    return worst


def line_latency(path: Path, examples: list[Example], *, repeats: int = 300) -> dict[str, Any]:
    """Median time to reread one line of the valid set's median length, on one thread."""
    sess = cpu_session(Path(path), 1)
    n = int(np.median([len(f) for f, _ in examples])) if examples else 10
    line = next((f for f, _ in examples if len(f) == n), np.zeros((n, FEATURES), np.float32))
    ms = median_ms(lambda: sess.run([OUTPUT_NAME], {INPUT_NAME: line[None]}), repeats=repeats)
    return {"line_symbols": n, "line_ms": ms, "repeats": repeats}


def neighbour_card(
    path: Path,
    *,
    symbol_model: str,
    training: dict[str, Any],
    metrics: dict[str, Any],
    data: dict[str, Any],
    speed: dict[str, Any] | None = None,
    date: dt.datetime | None = None,
) -> dict[str, Any]:
    """The card beside the neighbour model: what it reads, how it was made, how it scores."""
    return {
        **card_header(path, "mathocr-neighbours", CARD_FORMAT, date),
        "symbol_model": symbol_model,
        "input": {
            "name": INPUT_NAME,
            "shape": [1, "L", FEATURES],
            "features": FEATURES,
            "function": FEATURES_FUNCTION,
            "description": (
                "one line of L symbols in reading order: the symbol model's log-probabilities, "
                "its geometry input, and 10 layout numbers against the neighbours"
            ),
        },
        "output": {"name": OUTPUT_NAME, "shape": [1, "L", len(CLASSES)], "softmax": True},
        "training": training,
        "data": data,
        "metrics": metrics,
        "speed": speed or {},
    }


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}%"


def neighbour_markdown(card: dict[str, Any]) -> str:
    """The neighbour model's card for people, from its JSON."""
    tr, m = card["training"], card["metrics"]
    alone, ctx = m.get("alone", {}), m.get("with_neighbours", {})
    cfg = tr.get("config", {})
    lines = [
        f"# Model card: {card['name']} {card['version']}",
        "",
        f"The second reading of every symbol, beside its neighbours (`mathocr.neighbours`). "
        f"File `{card['file']}` ({card['size_bytes'] / 1e3:.0f} kB, sha256 "
        f"`{card['sha256'][:16]}…`), {tr.get('parameters', '?')} parameters; ONNX, served "
        "with ONNX Runtime. Trained on the readings of symbol model "
        f"`{card['symbol_model']}` (MODEL_CARD.md); the recognizer uses it only with that model.",
        "",
        "## What it reads and says",
        "",
        f"Input `{card['input']['name']}`: float32 `(1, L, {card['input']['features']})`, "
        f"from `{card['input']['function']}`: {card['input']['description']}. Boxes are "
        "pen-free, in units of the expression's typical symbol.",
        "",
        f"Output `{card['output']['name']}`: `(1, L, {len(card['classes'])})` softmax "
        "probabilities over the classes of the symbol model, in the same order.",
        "",
        f"A bidirectional GRU ({cfg.get('hidden')} units each way) reads the line both ways; "
        "its output is added to the symbol model's log-probabilities, so with nothing to say "
        "it repeats the first reading.",
        "",
        "## Data",
        "",
        *(f"- {k}: {v}" for k, v in card["data"].items()),
        "",
        "CROHME terms and citations as in MODEL_CARD.md.",
        "",
        "## Training",
        "",
        f"Command: `{tr.get('command', '?')}`",
        "",
        f"{cfg.get('epochs')} epochs, one-cycle learning rate up to {cfg.get('lr')}, dropout "
        f"{cfg.get('dropout')}, seed {cfg.get('seed')}; {tr.get('seconds')} s on "
        f"{cfg.get('threads')} CPU threads. The last epoch is shipped: nothing is selected on "
        "the valid writers.",
        "",
        "| epoch | loss | valid acc | merged |",
        "|---|---|---|---|",
        *(
            f"| {r['epoch']} | {r['loss']:.4f} | {_pct(r['valid_accuracy'])} | "
            f"{_pct(r['valid_accuracy_merged'])} |"
            for r in tr.get("history", [])
        ),
        "",
        "## Accuracy on the valid writers",
        "",
        f"The {ctx.get('n', '?')} symbols of our classes that `mathocr evaluate-symbols` draws "
        "from `crohme/valid/` (the same drawings), each expression read as a line. These are "
        "the model's own readings; the recognizer, `evaluate-symbols` and the benchmark blend "
        "them with the symbol model's (`mathocr.neighbours.CONTEXT_SHARE`), which scores a "
        "little lower here and better on images.",
        "",
        "| | accuracy | x and \\times merged |",
        "|---|---|---|",
        f"| symbol model alone | {_pct(alone.get('accuracy'))} | "
        f"{_pct(alone.get('accuracy_merged'))} |",
        f"| with neighbours | **{_pct(ctx.get('accuracy'))}** | "
        f"**{_pct(ctx.get('accuracy_merged'))}** |",
        "",
        "| class | n | alone | with neighbours |",
        "|---|---|---|---|",
    ]
    for label, row in ctx.get("per_class", {}).items():
        before = alone.get("per_class", {}).get(label, {}).get("accuracy")
        lines.append(f"| `{label}` | {row['n']} | {_pct(before)} | {_pct(row['accuracy'])} |")
    lines += ["", "Most frequent confusions with neighbours (true → predicted: count):", ""]
    lines += [f"- `{t}` → `{p}`: {c}" for t, p, c in ctx.get("confusions", [])[:12]]
    weak = [
        f"`{c}` {_pct(r['accuracy'])} (n={r['n']})"
        for c, r in ctx.get("per_class", {}).items()
        if r["n"] >= 20 and r["accuracy"] < 0.95
    ]
    lines += [
        "",
        "## Known limits",
        "",
        "- Classes with at least 20 valid samples below 95%: "
        + (", ".join(weak) if weak else "none")
        + ".",
        "- CROHME writers often copy the same formulas: 343 of the 757 valid expressions also "
        "appear in train/. The model may have learnt some of those lines; the bench reports "
        "its figure on the valid expressions that never appear in train/ beside the whole.",
        "- It reads one line from left to right. In a fraction the numerator and denominator "
        "interleave in that order; it was trained on such lines too, but has no 2-D view.",
    ]
    if card.get("speed"):
        s = card["speed"]
        lines += [
            "",
            "## Speed",
            "",
            f"ONNX Runtime, 1 thread, median: {s.get('line_ms', 0):.3f} ms for a line of "
            f"{s.get('line_symbols', '?')} symbols.",
        ]
    lines += [
        "",
        "## Rebuild",
        "",
        "```",
        "pip install -e '.[train]'",
        tr.get("command", "mathocr train-neighbours"),
        "mathocr evaluate-symbols --inkml ../shared/data/crohme/valid",
        "```",
        "",
        "The same seed and symbol model give the same model on the same library versions.",
        "",
    ]
    return "\n".join(lines)
