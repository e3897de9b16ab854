"""The float detector against int8 copies of it: CPU time and symbol figures on the dev writers.

``python -m bench detector_int8`` quantizes the shipped detector
(:mod:`mathocr.training.detector.quantize`) with the variants of
:data:`VARIANTS`, calibrated on dev frames, and runs the float model and
every copy on the same prepared dev images in one run (the calibration
frames left out), one intra-op thread each, as a web worker runs. The
figures are the export's own (:func:`mathocr.training.detector.export.score_samples`,
at the card's threshold), so the float row is the card's dev figure on these
images. ``$MATHOCR_INT8`` names an already quantized file to compare instead.
Times are process CPU time, as in ``bench detector_speed``: this shared
machine preempts a low-priority run for whole milliseconds.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CROHME = ROOT.parent / "shared" / "data" / "crohme"
CACHE = ROOT / "data-cache" / "detector"
#: The copies compared with the float model: name → options of ``quantize_detector``.
VARIANTS: dict[str, dict[str, Any]] = {
    "int8": {},
    "int8 mean ranges": {"ranges": "mean"},
    "int8 per-channel float-heads": {"per_channel": True, "float_heads": True},
}


def run(*, quick: bool) -> dict[str, Any]:
    from mathocr.detect.model import CARD_NAME, DEFAULT_DETECTOR
    from mathocr.training.detector.quantize import (
        CALIBRATION_FRAMES,
        calibration_frames,
        compare_detectors,
        dev_samples,
        quantize_detector,
    )

    card = json.loads((DEFAULT_DETECTOR.parent / CARD_NAME).read_text(encoding="utf-8"))
    samples = dev_samples(CROHME, CACHE)
    frames, chosen = calibration_frames(samples, 100 if quick else CALIBRATION_FRAMES)
    skip = set(chosen)
    if quick:  # every 6th image: a smoke run
        skip |= {i for i in range(len(samples)) if i % 6}
    with tempfile.TemporaryDirectory(prefix="bench-int8-") as tmp:
        models: dict[str, Path] = {"float": DEFAULT_DETECTOR}
        given = os.environ.get("MATHOCR_INT8")
        if given:
            models["given"] = Path(given)
        else:
            for name, options in VARIANTS.items():
                target = Path(tmp) / name.replace(" ", "_") / DEFAULT_DETECTOR.name
                models[name] = quantize_detector(DEFAULT_DETECTOR, target, frames, **options)
        figures = compare_detectors(
            models, samples, threshold=float(card["decode"]["threshold"]), skip=skip
        )
    return {
        "model_version": card["version"],
        "calibration_frames": len(chosen),
        "variants": {k: VARIANTS.get(k, {"file": given}) for k in models if k != "float"},
        "figures": figures,
    }


def markdown(result: dict[str, Any]) -> str:
    figures = result["figures"]
    base = figures["float"]
    lines = [
        "### Int8 detector (`python -m bench detector_int8`)",
        "",
        f"The shipped detector ({result['model_version']}) and static QDQ int8 copies of it, "
        f"calibrated on {result['calibration_frames']} dev frames, on the other prepared dev "
        "images in one run, one intra-op thread. Median CPU milliseconds of the model per "
        "image; symbols matched by class and IoU ≥ 0.5 at the card's threshold.",
        "",
        "| model | images | ms | ms/float | precision | recall | F1 | every symbol right | MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in figures.items():
        lines.append(
            f"| {name} | {f['images']} | {f['ms']} | {f['ms'] / base['ms']:.2f} | "
            f"{f['precision']:.4f} | {f['recall']:.4f} | {f['f1']:.4f} | {f['whole']:.4f} | "
            f"{f['bytes'] / 1e6:.2f} |"
        )
    return "\n".join(lines) + "\n"
