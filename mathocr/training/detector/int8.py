"""An exported float detector made int8, with a card that serves it: ``mathocr quantize-detector``.

Issue 21 budgets the detector at 10 ms per canvas image on one core, and the
float model alone takes 11–16 ms; a static QDQ int8 copy (:mod:`.quantize`)
takes about 0.4 of that. :func:`write_int8` makes the copy in the form the
serving code loads (``detector.onnx`` and its card in a folder), measured
against its float model:

1. the copy is calibrated on :data:`~.quantize.CALIBRATION_FRAMES` prepared
   dev frames (a seeded choice; never valid), with the variant of
   :data:`QUANTIZATION`;
2. the float model and the copy run on every dev frame in one run, one
   thread, in alternating order: the copy's decoding threshold and Platt
   calibration are chosen on its own dev detections, exactly as the export
   chooses the float model's (:func:`.export.choose_decoding`), because the
   quantized heatmap's scores are not the float one's;
3. valid is run through both and only reported;
4. the card is the float model's, describing the copy (file, checksum,
   decoding, calibration, figures) with how it was quantized and the float
   model's figures and CPU time beside its own.

Deterministic: the calibration frames are chosen by seed and the MinMax
ranges are each tensor's extremes over them.

The served detector is still the float model: through the whole serving path
the int8 copy of the width-32 model read fewer of the dev writers' whole
expressions (README, "Training the symbol detector"), so an int8 copy is
served only by pointing ``SymbolDetector`` at it, until one reads as well.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...detect.model import CARD_NAME
from ...errors import MathOCRError
from .card import card_markdown
from .export import THRESHOLDS, _public, choose_decoding, score_samples, valid_figures
from .quantize import CALIBRATION_FRAMES, calibration_frames, quantize_detector, run_models
from .scenes import Sample

__all__ = ["QUANTIZATION", "float_model", "write_int8"]

#: The quantization used (options of :func:`.quantize.quantize_detector`): per-channel
#: weight scales, the heads' last convolutions in float. On the shipped width-32 model,
#: 1,024 dev frames: F1 0.8780 against the float model's 0.8769 and plain int8's 0.8760,
#: at 0.38 of the float model's time (BENCHMARKS.md, "Int8 detector").
QUANTIZATION: dict[str, Any] = {"per_channel": True, "float_heads": True}
#: The figures of a split kept on the card for the float model beside the copy's.
_SUMMARY = ("images", "precision", "recall", "f1", "count_right", "whole")


def float_model(path: Path) -> Path:
    """The float ``detector.onnx`` that *path* names: the file, or the folder holding it.

    The folder is ``--out`` of ``train-detector``: the float model and its
    card. A model whose card says it is already quantized is refused:
    quantizing it twice would compound the rounding.
    """
    path = Path(path)
    candidate = path if path.suffix == ".onnx" else path / "detector.onnx"
    card = candidate.with_name(CARD_NAME)
    if not (candidate.is_file() and card.is_file()):
        raise MathOCRError(f"{path}: no float detector.onnx with its {CARD_NAME} at {candidate}")
    if "quantization" in json.loads(card.read_text(encoding="utf-8")):
        raise MathOCRError(f"{candidate} is already int8 (its card says so)")
    return candidate


def write_int8(
    source: Path,
    out_dir: Path,
    *,
    dev: Sequence[Sample],
    valid: Sequence[Sample] = (),
    command: str | None = None,
    frames: int = CALIBRATION_FRAMES,
    seed: int = 0,
) -> Path:
    """Write the int8 ``detector.onnx``, its ``detector_card.json`` and ``DETECTOR_CARD.md``.

    *source* is a float detector with its card beside it (what
    :func:`.export.export_detector` writes); *out_dir* must be another
    folder. *command*, when given, is added to the card's rebuild commands
    (``mathocr quantize-detector`` after the training commands).
    """
    source, out_dir = Path(source), Path(out_dir)
    if out_dir.resolve() == source.parent.resolve():
        raise ValueError(f"{out_dir}: the int8 model must go to another folder than its source")
    float_card = json.loads(source.with_name(CARD_NAME).read_text(encoding="utf-8"))
    calibration, chosen = calibration_frames(dev, frames, seed=seed)
    with tempfile.TemporaryDirectory(prefix="mathocr-int8-") as tmp:
        staged = Path(tmp) / "detector.onnx"
        quantize_detector(source, staged, calibration, **QUANTIZATION)
        # quantize_detector's own card beside the copy names the nodes left in float.
        staged_card = json.loads(staged.with_name(CARD_NAME).read_text(encoding="utf-8"))
        models = {"float": source, "int8": staged}
        low = min(THRESHOLDS)
        dev_dets, times = run_models(models, dev, low)
        decoding = choose_decoding(dev_dets["int8"], dev)
        threshold = decoding["threshold"]
        float_threshold = float(float_card["decode"]["threshold"])
        float_dev = score_samples(dev_dets["float"], dev, float_threshold)
        valid_int8 = valid_float = None
        if valid:
            valid_dets, _ = run_models(models, valid, low)
            valid_int8 = valid_figures(
                valid_dets["int8"], valid, threshold, decoding["a"], decoding["b"]
            )
            valid_float = score_samples(valid_dets["float"], valid, float_threshold)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / "detector.onnx"
        shutil.copyfile(staged, target)
    ms = {k: round(statistics.median(v), 3) for k, v in times.items()}
    # The staged card already names the copied file: its version, checksum, size and
    # int8 storage (quantize_detector wrote it for these very bytes).
    card = {
        **staged_card,
        "decode": {**float_card["decode"], "threshold": threshold},
        "calibration": {
            "a": round(decoding["a"], 5),
            "b": round(decoding["b"], 5),
            "ece_raw": round(decoding["ece_raw"], 4),
            "ece": round(decoding["ece"], 4),
        },
        "command": "\n".join(c for c in (float_card.get("command"), command) if c),
        "quantization": {
            "format": "QDQ (onnxruntime.quantization.quantize_static)",
            "weights": "int8, per channel" if QUANTIZATION["per_channel"] else "int8",
            "activations": "uint8",
            "float_nodes": staged_card["quantization"]["float_nodes"],
            "calibration": (
                f"MinMax, each activation's extremes over {len(chosen)} prepared dev frames "
                f"(seeded choice, seed {seed}) of {len(dev)}; never valid"
            ),
            "decoding": "threshold and Platt calibration chosen again on the int8 model's dev "
            "detections",
        },
        "float": {
            "version": float_card["version"],
            "sha256": float_card["sha256"],
            "onnx_bytes": float_card["onnx_bytes"],
            "weights": float_card.get("weights", "float32"),
            "threshold": float_threshold,
            "dev": _summary(float_dev),
            "valid": _summary(valid_float) if valid_float else None,
        },
        "speed": {
            "float_ms": ms["float"],
            "int8_ms": ms["int8"],
            "int8_over_float": round(ms["int8"] / ms["float"], 3),
            "measured": f"median CPU ms of the model per dev frame ({len(dev)} frames), "
            "one intra-op thread, both models in one run",
        },
        "dev": {
            **_public(decoding["figures"]),
            "threshold_sweep": {str(t): decoding["sweep"][t]["f1"] for t in THRESHOLDS},
        },
        "valid": _public(valid_int8) if valid_int8 else None,
    }
    (out_dir / CARD_NAME).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    (out_dir / "DETECTOR_CARD.md").write_text(card_markdown(card), encoding="utf-8")
    return target


def _summary(figures: dict) -> dict:
    return {k: figures[k] for k in _SUMMARY}
