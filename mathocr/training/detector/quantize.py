"""An int8 copy of the exported detector, and its cost and accuracy against the float one.

Issue 21 asks for a whole reading in 20 ms per canvas on one core, and the
float detector alone takes 11–12 ms of it. ONNX Runtime's QLinearConv
kernels use the CPU's 8-bit dot products (AVX-512 VNNI where there is one,
AVX2's VPMADDUBSW elsewhere; this project has run on both), so a statically
quantized copy (int8 weights, 8-bit activations,
QDQ format: ``QuantizeLinear``/``DequantizeLinear`` pairs that ONNX Runtime
fuses into integer convolutions) may cost a fraction of the float model.

Static quantization needs activation ranges, measured on calibration frames:
prepared images of the dev writers (the split every choice is made on; never
valid, which is only reported), the very frames the detector is served.
Two choices can win back accuracy if the plain quantization loses too much:
per-channel weight scales, and leaving the heads' last 1×1 convolutions in
float (their outputs, log sizes and sub-cell offsets, are read as numbers,
and the heatmap's logits decide the threshold).

:func:`compare_detectors` measures both copies on the same prepared images in
one run, scored with the export's own code (:func:`export.score_samples`), so
the figures are the card's. ``bench/bench_detector_int8.py`` runs it.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...detect.decode import Detection, decode
from ...detect.model import CARD_NAME
from ...model_files import cpu_session
from .scenes import Sample

__all__ = [
    "CALIBRATION_FRAMES",
    "calibration_frames",
    "compare_detectors",
    "dev_samples",
    "head_convs",
    "quantize_detector",
    "run_models",
    "valid_samples",
]

#: Calibration frames drawn from the dev samples: activation ranges settle well
#: before this (MinMax takes each tensor's extremes), and each frame costs a float
#: run of the augmented model.
CALIBRATION_FRAMES = 200


def dev_samples(crohme: Path, cache: Path | None = None, *, seed: int = 0) -> list[Sample]:
    """The dev writers' prepared samples, exactly as ``mathocr train-detector`` draws them.

    The shards under ``<cache>/dev`` that the training command built for this
    seed are read; missing ones are drawn there (or, without a cache, into a
    temporary directory) with the same builder, seed and tag, so the figures
    come from the very frames training and export saw.
    """
    from ...data.splits import split_files
    from .data import drawn_split

    return drawn_split(split_files(crohme)[1], "dev", cache, seed=seed)


def valid_samples(crohme: Path, cache: Path | None = None, *, seed: int = 0) -> list[Sample]:
    """CROHME ``valid/`` drawn as ``mathocr train-detector`` draws it: only ever reported."""
    from .data import drawn_split

    return drawn_split(sorted((crohme / "valid").rglob("*.inkml")), "valid", cache, seed=seed)


def calibration_frames(
    samples: Sequence[Sample], count: int = CALIBRATION_FRAMES, *, seed: int = 0
) -> tuple[list[np.ndarray], list[int]]:
    """*count* of *samples*' images as the model's float input, and which samples they were.

    A seeded random choice rather than the first *count*: the shards hold each
    expression as a canvas and then as a photo, file after file, and the
    ranges should come from both kinds and from every writer.
    """
    rng = np.random.default_rng(seed)
    chosen = sorted(
        int(i) for i in rng.choice(len(samples), min(count, len(samples)), replace=False)
    )
    return [_frame(samples[i]) for i in chosen], chosen


def _frame(sample: Sample) -> np.ndarray:
    """A sample's stored uint8 image as the (1, 1, H, W) float input the detector is served."""
    return (sample.image.astype(np.float32) / 255.0)[None, None]


class _Frames:
    """ONNX Runtime's calibration data reader over a list of frames (any sizes)."""

    def __init__(self, name: str, frames: Iterable[np.ndarray]) -> None:
        self._name = name
        self._frames: Iterator[np.ndarray] = iter(frames)

    def get_next(self) -> dict[str, np.ndarray] | None:
        frame = next(self._frames, None)
        if frame is None:
            return None
        frame = np.asarray(frame, np.float32)
        if frame.ndim == 2:
            frame = frame[None, None]
        return {self._name: frame}

    def rewind(self) -> None:  # the MinMax calibrater reads the frames once
        raise NotImplementedError


def head_convs(model: Any) -> list[str]:
    """Names of the convolutions that compute the graph's outputs (through at most a Sigmoid).

    Found by walking back from each output rather than by name, so a re-export
    with other node names still leaves the right ones in float.
    """
    producer = {out: node for node in model.graph.node for out in node.output}
    names = []
    for output in model.graph.output:
        node = producer.get(output.name)
        while node is not None and node.op_type != "Conv" and len(node.input) == 1:
            node = producer.get(node.input[0])
        if node is not None and node.op_type == "Conv":
            names.append(node.name)
    return names


def quantize_detector(
    source: Path,
    target: Path,
    frames: Iterable[np.ndarray],
    *,
    per_channel: bool = False,
    float_heads: bool = False,
    activations: str = "uint8",
    ranges: str = "extremes",
) -> Path:
    """Write a static QDQ int8 copy of the float detector *source* to *target*.

    Parameters
    ----------
    frames : iterable of ndarray
        Calibration inputs, (H, W) or (1, 1, H, W) float32 (:func:`calibration_frames`).
    per_channel : bool
        One weight scale per output channel instead of one per tensor.
    float_heads : bool
        Leave the heads' last convolutions (:func:`head_convs`) unquantized.
    activations : {"uint8", "int8"}
        The activations' type (weights are int8 either way). uint8 by default:
        ONNX Runtime 1.23's CPU provider fuses the QDQ pairs around a
        convolution into an integer QLinearConv only for uint8 activations on
        x86; with int8 ones most convolutions stay float behind
        DequantizeLinear nodes, and the copy ran slower than the float model
        (issue 21: 18.6 against 16.7 ms a dev image).
    ranges : {"extremes", "mean"}
        Each activation's range: its least and greatest value over all the
        frames, or the mean over the frames of each frame's least and
        greatest (ONNX Runtime's moving-average MinMax). On the dev writers
        (200 frames, 1,024 other images) the extremes cost 0.09 points of F1
        and the mean, which clips what lies beyond, 0.75.

    If a card is beside *source*, a card for the copy is written beside
    *target* (its file, checksum, size, and how it was quantized), so that
    :class:`mathocr.detect.model.SymbolDetector` serves the copy as it does
    the original; *target* must then be named as the card expects to be in a
    directory of its own.
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    if activations not in ("int8", "uint8"):
        raise ValueError(f"activations must be 'int8' or 'uint8', got {activations!r}")
    if ranges not in ("mean", "extremes"):
        raise ValueError(f"ranges must be 'mean' or 'extremes', got {ranges!r}")
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mathocr-quantize-") as tmp:
        # Shape inference and graph folding first, as ONNX Runtime's quantizer
        # asks: quantization parameters are then placed on the fused graph.
        ready = Path(tmp) / "ready.onnx"
        quant_pre_process(str(source), str(ready))
        model = onnx.load(str(ready))
        excluded = head_convs(model) if float_heads else []
        quantize_static(
            str(ready),
            str(target),
            _Frames(model.graph.input[0].name, frames),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QInt8 if activations == "int8" else QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            # Weights in 7 bits: x86 CPUs without VNNI multiply uint8 activations by
            # int8 weights with VPMADDUBSW, whose 16-bit pair sums saturate on full-range
            # weights (ONNX Runtime's quantization guide). On this project's AVX2 EPYC
            # that put heatmap errors of 0.41 on a tiny model whose outputs spread 2.3;
            # a copy must read the same on every machine it is served on.
            reduce_range=True,
            nodes_to_exclude=excluded,
            calibrate_method=CalibrationMethod.MinMax,
            # The calibrater keeps each frame's per-tensor minima and maxima (and the
            # model's outputs, some MB a frame) and reduces them at the end, over all
            # frames at once. Reduced in chunks of 16 frames instead
            # (CalibMaxIntermediateOutputs), the same 200 frames gave a copy 1.4
            # points of F1 worse, for reasons not looked into.
            extra_options={"CalibMovingAverage": ranges == "mean"},
        )
    card_path = source.with_name(CARD_NAME)
    if card_path.is_file():
        _write_card(card_path, target, per_channel, excluded, activations, ranges)
    return target


def _write_card(
    source_card: Path,
    target: Path,
    per_channel: bool,
    excluded: list[str],
    activations: str,
    ranges: str,
) -> None:
    """The source's card, describing the int8 copy: same classes, input and decoding."""
    card = json.loads(source_card.read_text(encoding="utf-8"))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    card.update(
        file=target.name,
        version=f"{card.get('version', '?')}-int8-{digest[:8]}",
        sha256=digest,
        onnx_bytes=target.stat().st_size,
        weights="int8",
        quantization={
            "from": card.get("sha256"),
            "format": "QDQ",
            "weights": "int8",
            "activations": activations,
            "per_channel": per_channel,
            "float_nodes": excluded,
            "calibration": f"MinMax ({ranges}) on dev frames",
        },
    )
    (target.parent / CARD_NAME).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def _detect(
    session: Any, name: str, frame: np.ndarray, threshold: float
) -> tuple[list[Detection], float]:
    """One frame's decoded detections and the model's CPU milliseconds for it."""
    start = time.process_time()
    heat, size, offset = session.run(None, {name: frame})
    ms = (time.process_time() - start) * 1000.0
    return decode(heat[0], size[0], offset[0], threshold=threshold), ms


def run_models(
    models: dict[str, Path], samples: Sequence[Sample], threshold: float
) -> tuple[dict[str, list[list[Detection]]], dict[str, list[float]]]:
    """Each model's detections (peaks ≥ *threshold*) and CPU ms on every sample, in one run.

    Every sample goes through every model in turn, the order rotating from
    one sample to the next, so that the machine's drift falls on all alike.
    One intra-op thread, as a web worker runs. Times are process CPU time,
    not wall clock (this shared machine preempts a low-priority run for
    milliseconds at a time).
    """
    sessions = {key: cpu_session(path, 1) for key, path in models.items()}
    names = {key: s.get_inputs()[0].name for key, s in sessions.items()}
    keys = list(models)
    detections: dict[str, list[list[Detection]]] = {k: [] for k in keys}
    times: dict[str, list[float]] = {k: [] for k in keys}
    for n, sample in enumerate(samples):
        frame = _frame(sample)
        for k in keys[n % len(keys) :] + keys[: n % len(keys)]:
            found, ms = _detect(sessions[k], names[k], frame, threshold)
            detections[k].append(found)
            times[k].append(ms)
    return detections, times


def compare_detectors(
    models: dict[str, Path],
    samples: Sequence[Sample],
    *,
    threshold: float,
    skip: Iterable[int] = (),
) -> dict[str, dict[str, Any]]:
    """Each model's median CPU ms per frame and symbol figures on *samples*, in one run.

    Run by :func:`run_models`; samples whose index is in *skip* (the
    calibration frames) are left out.
    """
    from .export import score_samples

    left_out = set(skip)
    kept = [s for i, s in enumerate(samples) if i not in left_out]
    detections, times = run_models(models, kept, threshold)
    out = {}
    for k in models:
        figures = score_samples(detections[k], kept, threshold)
        out[k] = {
            "ms": round(statistics.median(times[k]), 3),
            "ms_mean": round(statistics.fmean(times[k]), 3),
            "precision": figures["precision"],
            "recall": figures["recall"],
            "f1": figures["f1"],
            "whole": figures["whole"],
            "images": figures["images"],
            "bytes": Path(models[k]).stat().st_size,
        }
    return out
