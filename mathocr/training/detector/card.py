"""The detector's model card in Markdown, from its JSON (:mod:`.export`, :mod:`.int8`)."""

from __future__ import annotations

import json

__all__ = ["card_markdown"]


def _table(fig: dict) -> str:
    rows = ["| class | n | precision | recall |", "|---|---|---|---|"]
    for label, v in fig["per_class"].items():
        if v["n"]:
            rows.append(f"| `{label}` | {v['n']} | {v['precision']:.4f} | {v['recall']:.4f} |")
    return "\n".join(rows)


def card_markdown(card: dict) -> str:
    """``DETECTOR_CARD.md``: the card's JSON for people (an int8 card adds its own section)."""
    dev, valid = card["dev"], card["valid"]
    lines = [
        "# Symbol detector: model card",
        "",
        f"`detector.onnx`, version `{card['version']}`, {card['parameters']:,} parameters, "
        f"{card['onnx_bytes'] / 1e6:.2f} MB"
        + (
            " (weights stored as float16, computed in float32)"
            if card.get("weights") == "float16"
            else ""
        )
        + ". A CenterNet-style fully convolutional detector "
        "(`mathocr/training/detector/net.py`): per-class centre heatmaps at output stride 4, "
        "log box size and sub-cell offset heads, peaks decoded per class without NMS "
        "(`mathocr/detect/decode.py`).",
        "",
        *_int8_section(card),
        "## Classes",
        "",
        ", ".join(f"`{c}`" for c in card["classes"])
        + ". `other` is any CROHME symbol outside the rest (letters, Greek, …); a fraction bar "
        "is a `-`, told apart by layout.",
        "",
        "## Input",
        "",
        "The grey image prepared by `mathocr.detect.prepare.prepare`: paper flattened, light-on-"
        f"dark inverted, straightened, cropped to the ink, scaled so the typical symbol is "
        f"{card['input']['target_height']:.0f} px tall, ink 1 and paper 0, sides padded to a "
        f"multiple of {card['input']['multiple']}.",
        "",
        "## Data",
        "",
        "CROHME `train/` (Mouchère et al., CROHME competitions, ICDAR 2011–ICFHR 2016), split by "
        "writer into train and a dev split (`mathocr/training/detector/data.py`: a fixed hash "
        "of 20% of the writers with ids; MathBrush and MfrDB's three largest writers always "
        "train). Every expression is kept, symbols outside our classes as `other`. Each train "
        "expression is drawn as a canvas and as a phone-like photo (random pen, size, slant, "
        "rotation, paper, ruled and squared lines, lighting, blur, noise, JPEG, white on dark), "
        "plus expressions composed from the train writers' own symbols "
        "(`mathocr/training/detector/compose/`). No valid writer is in training.",
        "",
        "```json",
        json.dumps(card["data"], indent=1),
        "```",
        "",
        "## Rebuild",
        "",
        "```bash",
        card["command"],
        "```",
        "",
        f"Training took {card['training_seconds'] / 60:.0f} minutes on this project's 2-core CPU "
        f"machine ({card['epochs_run']} epochs; the exported weights are epoch "
        f"{card['best_epoch']}, the best by dev F1).",
        "",
        "## Figures (symbols matched by class and IoU ≥ 0.5, in the prepared frame)",
        "",
        f"Decoding threshold {card['decode']['threshold']} (best dev F1 of "
        f"{', '.join(card['dev']['threshold_sweep'])}).",
        "",
        "| split | images | precision | recall | F1 | symbol count right | every symbol right |",
        "|---|---|---|---|---|---|---|",
        f"| dev | {dev['images']} | {dev['precision']:.4f} | {dev['recall']:.4f} | {dev['f1']:.4f} "
        f"| {dev['count_right']:.4f} | {dev['whole']:.4f} |",
    ]
    if valid:
        lines.append(
            f"| valid | {valid['images']} | {valid['precision']:.4f} | {valid['recall']:.4f} | "
            f"{valid['f1']:.4f} | {valid['count_right']:.4f} | {valid['whole']:.4f} |"
        )
    cal = card["calibration"]
    lines += [
        "",
        f"Calibration (Platt scaling of the peak score, fitted on dev): expected calibration "
        f"error {cal['ece_raw']:.4f} raw, {cal['ece']:.4f} calibrated"
        + (f"; valid {valid['ece']:.4f}." if valid else "."),
        "",
        "### Per class (dev)",
        "",
        _table(dev),
        "",
        "### Most frequent confusions (dev: true → read)",
        "",
        "\n".join(f"- `{t}` → `{d}`: {n}" for t, d, n in dev["confusions"]) or "- none",
        "",
    ]
    if valid:
        lines += ["### Per class (valid, reported only)", "", _table(valid), ""]
    lines += [
        "## History",
        "",
        "| epoch | train samples | heat | size | offset | dev F1 | dev whole |",
        "|---|---|---|---|---|---|---|",
    ]
    for h in card["history"]:
        lines.append(
            f"| {h['epoch']} | {h['train_samples']} | {h['heat']} | {h['size']} | {h['offset']} "
            f"| {h['dev_f1']} | {h['dev_whole']} |"
        )
    return "\n".join(lines) + "\n"


def _int8_section(card: dict) -> list[str]:
    """What the int8 copy is and how it compares with its float model; nothing for a float card."""
    q = card.get("quantization")
    if not q:
        return []
    fl, speed = card["float"], card["speed"]
    rows = [("float", fl["threshold"], fl["dev"], fl["valid"], speed["float_ms"], fl["onnx_bytes"])]
    rows.append(
        ("int8", card["decode"]["threshold"], card["dev"], card["valid"],
         speed["int8_ms"], card["onnx_bytes"])
    )  # fmt: skip
    lines = [
        "## Int8",
        "",
        f"This model is int8: a static {q['format']} copy of the float model "
        f"`{fl['version']}` (sha256 `{fl['sha256'][:12]}…`), weights {q['weights']}, "
        f"activations {q['activations']}, left in float: "
        f"{', '.join(f'`{n}`' for n in q['float_nodes']) or 'nothing'}. Calibration: "
        f"{q['calibration']}; {q['decoding']}. Written by "
        "`mathocr quantize-detector` (`mathocr/training/detector/int8.py`).",
        "",
        "| model | threshold | dev F1 | dev every symbol right | valid F1 | valid every symbol "
        "right | model ms | MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, threshold, dev, valid, ms, size in rows:
        v = f"{valid['f1']:.4f} | {valid['whole']:.4f}" if valid else "– | –"
        lines.append(
            f"| {name} | {threshold} | {dev['f1']:.4f} | {dev['whole']:.4f} | {v} | {ms} | "
            f"{size / 1e6:.2f} |"
        )
    lines += ["", f"Model ms: {speed['measured']}; int8/float {speed['int8_over_float']}.", ""]
    return lines
