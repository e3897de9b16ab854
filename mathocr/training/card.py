"""The model card: what the shipped model is, how it was made, how well it does.

``model_card.json`` is read by :func:`mathocr.classifier.load_card` on every
load (format, classes, input, checksum); ``MODEL_CARD.md`` is the same
content for people, and ``confusion.png`` the valid confusion matrix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..classifier import CARD_FORMAT, CARD_NAME, GEOMETRY_FUNCTION, NORMALIZER
from ..geometry import GEOMETRY_FEATURES
from ..symbols import BOX, CLASSES, MARGIN
from .export import GEOMETRY_NAME, INPUT_NAME, OUTPUT_NAME
from .metrics import MERGED

__all__ = ["DATA_TERMS", "CITATIONS", "make_card", "write_card", "plot_confusion"]

DATA_TERMS = (
    "CROHME data is distributed for research and education; this model is trained "
    "on it and inherits those terms. MNIST digits (when used) come from the MNIST "
    "database (LeCun et al.)."
)
CITATIONS = [
    "H. Mouchère, C. Viard-Gaudin, U. Garain, D. H. Kim, J. H. Kim. CROHME: Competition on "
    "Recognition of Online Handwritten Mathematical Expressions, ICDAR 2011, ICFHR 2012, "
    "ICDAR 2013, ICFHR 2014; H. Mouchère, R. Zanibbi, U. Garain, C. Viard-Gaudin, ICDAR 2013; "
    "H. Mouchère, C. Viard-Gaudin, R. Zanibbi, U. Garain, ICFHR 2016 CROHME.",
    "Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document "
    "recognition. Proc. IEEE 86(11), 1998 (MNIST).",
]
CONFUSION_PNG = "confusion.png"
CARD_MD = "MODEL_CARD.md"


def card_header(
    model_path: Path, name: str, card_format: int, date: dt.datetime | None = None
) -> dict[str, Any]:
    """What every card starts with: the file it describes (checksum, size), a dated version
    made from the checksum, and the class list."""
    date = date or dt.datetime.now(dt.UTC)
    sha = hashlib.sha256(model_path.read_bytes()).hexdigest()
    return {
        "card_format": card_format,
        "name": name,
        "version": f"{date:%Y.%m.%d}-{sha[:8]}",
        "date": date.isoformat(timespec="seconds"),
        "file": model_path.name,
        "sha256": sha,
        "size_bytes": model_path.stat().st_size,
        "classes": list(CLASSES),
    }


def make_card(
    model_path: Path,
    *,
    training: dict[str, Any],
    data: dict[str, Any],
    metrics: dict[str, Any],
    baselines: dict[str, Any],
    speed: dict[str, Any] | None = None,
    date: dt.datetime | None = None,
) -> dict[str, Any]:
    """The card's JSON content for the model at *model_path*."""
    return {
        **card_header(model_path, "mathocr-symbols", CARD_FORMAT, date),
        "classes_note": (
            "21 outputs: the issue's 22 classes count CROHME's capital X, which is mapped "
            "to x (written alike). The fraction bar is '-' in the data."
        ),
        "input": {
            "name": INPUT_NAME,
            "shape": ["N", 1, BOX, BOX],
            "dtype": "float32",
            "values": "0/1",
            "box": BOX,
            "margin": MARGIN,
            "normalization": NORMALIZER,
            "description": (
                "ink mask → crop → scale (aspect kept) → threshold → thin to 1 px, skeleton's "
                f"longer side = {BOX - 2 * MARGIN} px, centred in a {BOX}x{BOX} box; "
                "1 on the skeleton, 0 elsewhere"
            ),
        },
        "geometry": {
            "name": GEOMETRY_NAME,
            "shape": ["N", GEOMETRY_FEATURES],
            "dtype": "float32",
            "function": GEOMETRY_FUNCTION,
            "description": (
                "log(height / typical), log(width / typical), unknown flag; sizes pen-free, "
                "typical = mathocr.geometry.typical_size of the expression's symbols; "
                "[0, 0, 1] when the context is unknown"
            ),
        },
        "output": {"name": OUTPUT_NAME, "shape": ["N", len(CLASSES)], "softmax": True},
        "training": training,
        "data": data,
        "metrics": metrics,
        "baselines": baselines,
        "speed": speed or {},
        "terms": DATA_TERMS,
        "citations": CITATIONS,
        "merged_note": (
            f"accuracy_merged counts {' and '.join(MERGED)} as one class: they are drawn "
            "alike and the pipeline's layout step decides between them from context."
        ),
    }


def _geometry_lines(card: dict[str, Any]) -> list[str]:
    geo = card.get("geometry")
    if not geo:
        return []
    return [
        f"`{geo['name']}`: float32 `(N, {geo['shape'][1]})` from `{geo['function']}`: "
        f"{geo['description']}. It gives back the proportions the box throws away: how tall "
        "and wide the symbol is against its expression's typical symbol.",
        "",
    ]


def plot_confusion(matrix: np.ndarray, classes: list[str], path: Path, *, title: str) -> Path:
    """Row-normalized confusion matrix with counts, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
    fig, ax = plt.subplots(figsize=(9, 8), dpi=100)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    names = [c.replace("\\", "") for c in classes]
    ax.set_xticks(range(len(classes)), names, rotation=90)
    ax.set_yticks(range(len(classes)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if matrix[i, j]:
                colour = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=6, color=colour)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}%"


def markdown(card: dict[str, Any]) -> str:
    """The card for people, from its JSON."""
    m = card["metrics"]["valid"]
    tr = card["training"]
    lines = [
        f"# Model card: {card['name']} {card['version']}",
        "",
        f"Handwritten math symbol classifier, trained {card['date']}. File `{card['file']}` "
        f"({card['size_bytes'] / 1e6:.2f} MB, sha256 `{card['sha256'][:16]}…`), "
        f"{tr.get('parameters', '?')} parameters; ONNX, served with ONNX Runtime "
        "(`mathocr.classifier.SymbolClassifier`).",
        "",
        "## Classes",
        "",
        " ".join(f"`{c}`" for c in card["classes"]),
        "",
        card["classes_note"],
        "",
        "## Input",
        "",
        f"`{card['input']['name']}`: float32 `(N, 1, {BOX}, {BOX})`, values 0/1, produced by "
        f"`{card['input']['normalization']}` (box {card['input']['box']}, margin "
        f"{card['input']['margin']}): {card['input']['description']}.",
        "",
        *_geometry_lines(card),
        f"Output `{card['output']['name']}`: `(N, {len(card['classes'])})` softmax "
        "probabilities in the class order above. The serving code refuses a card whose "
        "format, classes, box, margin, normalization, geometry function or checksum do not "
        "match.",
        "",
        "## Data and terms",
        "",
    ]
    data = card["data"]
    lines += [f"- {k}: {v}" for k, v in data.items()]
    lines += ["", card["terms"], "", "Citations:", ""]
    lines += [f"- {c}" for c in card["citations"]]
    lines += [
        "",
        "## Training",
        "",
        f"Command: `{tr.get('command', '?')}`",
        "",
        f"Best epoch {tr.get('best_epoch')} of {tr.get('config', {}).get('epochs')} "
        f"(selected on the valid writers), {tr.get('seconds')} s on "
        f"{tr.get('config', {}).get('threads')} CPU threads, seed "
        f"{tr.get('config', {}).get('seed')}.",
        "",
        "| epoch | loss | train acc | valid acc |",
        "|---|---|---|---|",
    ]
    for row in tr.get("history", []):
        lines.append(
            f"| {row['epoch']} | {row['loss']:.4f} | {_pct(row.get('train_accuracy'))} "
            f"| {_pct(row.get('valid_accuracy'))} |"
        )
    lines += [
        "",
        "## Accuracy on the valid writers",
        "",
        f"{m['n']} symbols of our classes from `crohme/valid/` (writers not in training), "
        "each drawn once at a seeded random size and pen, through the same normalization.",
        "",
        f"- accuracy: **{_pct(m['accuracy'])}**",
        f"- accuracy with x and \\times merged: **{_pct(m['accuracy_merged'])}** "
        f"({card['merged_note']})",
        "",
        "| class | n | accuracy |",
        "|---|---|---|",
    ]
    for label, row in m["per_class"].items():
        lines.append(f"| `{label}` | {row['n']} | {_pct(row['accuracy'])} |")
    lines += ["", "Most frequent confusions (true → predicted: count):", ""]
    lines += [f"- `{t}` → `{p}`: {c}" for t, p, c in m["confusions"][:12]]
    lines += ["", f"![confusion matrix]({CONFUSION_PNG})", ""]
    lines += _limits(card)
    lines += ["## Baselines (same valid set)", ""]
    lines += ["| model | accuracy | x/\\times merged | notes |", "|---|---|---|---|"]
    lines.append(
        f"| this CNN | {_pct(m['accuracy'])} | {_pct(m['accuracy_merged'])} | "
        f"{tr.get('parameters', '?')} parameters |"
    )
    for name, row in card["baselines"].items():
        lines.append(
            f"| {name} | {_pct(row.get('accuracy'))} | {_pct(row.get('accuracy_merged'))} "
            f"| {row.get('description', '')} |"
        )
    if card.get("speed"):
        s = card["speed"]
        lines += [
            "",
            "## Speed",
            "",
            f"ONNX Runtime, 1 thread, median: {s.get('single_ms', 0):.3f} ms for one symbol, "
            f"{s.get('batch16_ms_per_symbol', 0):.4f} ms a symbol in batches of 16.",
        ]
    lines += [
        "",
        "## Rebuild",
        "",
        "```",
        "pip install -e '.[train]'",
        *(str(data[k]) for k in ("train_dataset_command", "valid_dataset_command") if k in data),
        tr.get("command", "mathocr train"),
        "mathocr evaluate-symbols --inkml ../shared/data/crohme/valid",
        "```",
        "",
        "The same seed gives the same model on the same library versions.",
        "",
    ]
    return "\n".join(lines)


def _limits(card: dict[str, Any]) -> list[str]:
    """What the model cannot do from a symbol's shape alone, measured."""
    m = card["metrics"]["valid"]
    weak = [
        f"`{c}` {_pct(r['accuracy'])} (n={r['n']})"
        for c, r in m["per_class"].items()
        if r["n"] >= 20 and r["accuracy"] < 0.95
    ]
    clean = card["training"].get("train_clean_accuracy")
    lines = ["## Known limits", ""]
    lines.append(
        "- Classes with at least 20 valid samples below 95%: "
        + (", ".join(weak) if weak else "none")
        + "."
    )
    if clean is not None:
        lines.append(
            f"- On the undistorted training symbols themselves the model scores {_pct(clean)}: "
            "the remaining errors are mostly shapes that carry two labels in the data, not a "
            "lack of fit."
        )
    lines += [
        "- `x` and `\\times` are drawn alike (CROHME's `x` includes straight crosses and the "
        "capital `X`); `(`, `)`, `1` and `/` differ mostly by their size next to "
        "their neighbours, which the geometry input gives back but which overlaps between "
        "writers, and by a slant or curve that writers vary. The recognizer rereads every "
        "symbol beside its neighbours (`neighbours.onnx`, see NEIGHBOURS_CARD.md: a second "
        "model trained on this one's readings) and then decides from layout and grammar among "
        "the top 3.",
        "- Very long, thin symbols (a `\\sqrt` or bar spanning a whole expression, drawn with "
        "a thin pen) can collapse to a dot in `normalize_symbol`'s downscale "
        f"({card['training'].get('degenerate_valid', '?')} valid samples).",
        "",
    ]
    return lines


def write_card(card: dict[str, Any], out_dir: Path, matrix: np.ndarray) -> list[Path]:
    """Write model_card.json, MODEL_CARD.md and the confusion PNG into *out_dir*."""
    json_path = out_dir / CARD_NAME
    json_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path = out_dir / CARD_MD
    md_path.write_text(markdown(card), encoding="utf-8")
    png = plot_confusion(
        matrix, list(card["classes"]), out_dir / CONFUSION_PNG, title=f"valid, {card['version']}"
    )
    return [json_path, md_path, png]
