"""Export the best detector checkpoint to ONNX with its card.

The export is also where the decoding threshold is chosen and the confidence
calibrated, both on the dev writers (never on valid): the threshold that
gives the best symbol F1, then Platt scaling of the peak score against
whether each detection was right, with the expected calibration error before
and after. Valid is drawn the same way and only reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ...detect.classes import DETECTOR_CLASSES
from ...detect.decode import Detection, box_iou
from ...detect.model import CARD_FORMAT, CARD_NAME, PREPARATION, calibrated
from ...detect.prepare import MULTIPLE, TARGET_HEIGHT
from .card import card_markdown
from .evaluate import MATCH_IOU, match
from .net import Detector
from .scenes import Sample
from .train import predict

__all__ = [
    "choose_decoding",
    "export_detector",
    "score_samples",
    "store_weights_half",
    "valid_figures",
]

THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def _load(checkpoint: Path) -> tuple[Detector, dict]:
    state = torch.load(checkpoint, weights_only=False)
    model = Detector(len(DETECTOR_CLASSES), state["config"]["width"])
    model.load_state_dict(state["model"])
    model.eval()
    return model, state


def _detect_all(
    model: Detector, samples: Sequence[Sample], threshold: float
) -> list[list[Detection]]:
    return [predict(model, s.image.astype(np.float32) / 255.0, threshold) for s in samples]


def score_samples(
    detections: Sequence[Sequence[Detection]], samples: Sequence[Sample], threshold: float
) -> dict:
    """Symbol figures of *detections* (peaks ≥ *threshold*) against the samples' truth."""
    c = len(DETECTOR_CLASSES)
    tp = np.zeros(c, int)
    n_pred = np.zeros(c, int)
    n_true = np.zeros(c, int)
    confusions: Counter[tuple[str, str]] = Counter()
    whole = count_right = 0
    scores, right = [], []
    for dets, s in zip(detections, samples, strict=True):
        kept = [d for d in dets if d.score >= threshold]
        boxes = np.array([d.box for d in kept]).reshape(-1, 4)
        labels = np.array([d.label for d in kept], np.int64)
        truth = s.labels.astype(np.int64)
        pairs = match(boxes, labels, s.boxes, truth)
        hit = {i for i, _ in pairs}
        for i, _ in pairs:
            tp[labels[i]] += 1
        np.add.at(n_pred, labels, 1)
        np.add.at(n_true, truth, 1)
        whole += int(len(pairs) == len(kept) == len(truth))
        count_right += int(len(kept) == len(truth))
        for i, det in enumerate(kept):
            scores.append(det.score)
            right.append(i in hit)
        # A wrong label on the right box: the confusion it was.
        if len(kept) and len(truth):
            iou = box_iou(boxes, s.boxes)
            matched_t = {t for _, t in pairs}
            for i in set(range(len(kept))) - hit:
                t = int(np.argmax(iou[i]))
                if iou[i, t] >= MATCH_IOU and t not in matched_t:
                    confusions[(DETECTOR_CLASSES[truth[t]], DETECTOR_CLASSES[labels[i]])] += 1
    p = tp.sum() / max(1, n_pred.sum())
    r = tp.sum() / max(1, n_true.sum())
    per_class = {
        DETECTOR_CLASSES[k]: {
            "precision": round(float(tp[k] / max(1, n_pred[k])), 4),
            "recall": round(float(tp[k] / max(1, n_true[k])), 4),
            "n": int(n_true[k]),
        }
        for k in range(c)
    }
    return {
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(2 * p * r / max(1e-9, p + r)), 4),
        "whole": round(whole / max(1, len(samples)), 4),
        "count_right": round(count_right / max(1, len(samples)), 4),
        "images": len(samples),
        "per_class": per_class,
        "confusions": [[t, d, n] for (t, d), n in confusions.most_common(15)],
        "_scores": np.array(scores),
        "_right": np.array(right, bool),
    }


def _platt(scores: np.ndarray, right: np.ndarray) -> tuple[float, float]:
    """Logistic regression of rightness on logit(score), by Newton's method."""
    s = np.clip(scores, 1e-6, 1 - 1e-6)
    x = np.log(s / (1 - s))
    y = right.astype(np.float64)
    a, b = 1.0, 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a * x + b)))
        g = np.array([np.sum((p - y) * x), np.sum(p - y)])
        w = p * (1 - p) + 1e-9
        hess = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        hess += 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def expected_calibration_error(confidence: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    """The mean gap between confidence and accuracy over equal-width bins, weighted by count."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
    gap = 0.0
    for k in range(bins):
        sel = idx == k
        if sel.any():
            gap += sel.sum() * abs(float(confidence[sel].mean()) - float(right[sel].mean()))
    return gap / len(confidence)


def choose_decoding(detections: Sequence[Sequence[Detection]], dev: Sequence[Sample]) -> dict:
    """The decoding threshold and confidence calibration, chosen on the dev writers.

    *detections* are the dev samples' peaks at the lowest of :data:`THRESHOLDS`.
    The threshold is the one of best symbol F1; Platt scaling is then fitted
    to whether each detection at that threshold was right. Returns the
    threshold, ``a``, ``b``, the expected calibration error raw and
    calibrated, the figures at the threshold and the F1 of every threshold.
    """
    sweep = {t: score_samples(detections, dev, t) for t in THRESHOLDS}
    threshold = max(THRESHOLDS, key=lambda t: sweep[t]["f1"])
    figures = sweep[threshold]
    a, b = _platt(figures["_scores"], figures["_right"])
    return {
        "threshold": threshold,
        "a": a,
        "b": b,
        "ece_raw": expected_calibration_error(figures["_scores"], figures["_right"]),
        "ece": expected_calibration_error(calibrated(figures["_scores"], a, b), figures["_right"]),
        "figures": figures,
        "sweep": sweep,
    }


def valid_figures(
    detections: Sequence[Sequence[Detection]],
    valid: Sequence[Sample],
    threshold: float,
    a: float,
    b: float,
) -> dict:
    """Valid's figures at the dev-chosen *threshold* and calibration (reported, never used)."""
    figures = score_samples(detections, valid, threshold)
    figures["ece"] = round(
        expected_calibration_error(calibrated(figures["_scores"], a, b), figures["_right"]), 4
    )
    return figures


def _public(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if not k.startswith("_")}


def export_detector(
    checkpoint: Path,
    out_dir: Path,
    *,
    command: str,
    dev: Sequence[Sample],
    valid: Sequence[Sample] = (),
    seconds: float = 0.0,
    data: dict | None = None,
    half_weights: bool = True,
) -> Path:
    """Write ``detector.onnx``, ``detector_card.json`` and ``DETECTOR_CARD.md`` into *out_dir*.

    With *half_weights* the file stores its weights in float16
    (:func:`store_weights_half`); the figures on the card are the float32
    network's, which the stored one matches to about 1e-3 of a heatmap.
    """
    model, state = _load(checkpoint)
    # The best checkpoint's history stops at its own epoch; the run's last
    # checkpoint beside it tells how long the whole run trained.
    last = checkpoint.parent / "last.pt"
    run_history = (
        torch.load(last, weights_only=False)["history"] if last.is_file() else state["history"]
    )
    chosen = choose_decoding(_detect_all(model, dev, min(THRESHOLDS)), dev)
    threshold, a, b = chosen["threshold"], chosen["a"], chosen["b"]
    dev_fig, sweep = chosen["figures"], chosen["sweep"]
    ece_raw, ece_cal = chosen["ece_raw"], chosen["ece"]
    valid_fig = None
    if valid:
        valid_fig = valid_figures(_detect_all(model, valid, threshold), valid, threshold, a, b)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "detector.onnx"
    dummy = torch.zeros(1, 1, 64, 128)
    torch.onnx.export(
        model,
        (dummy,),
        str(onnx_path),
        input_names=["image"],
        output_names=["heat", "size", "offset"],
        dynamic_axes={
            "image": {2: "height", 3: "width"},
            "heat": {2: "rows", 3: "cols"},
            "size": {2: "rows", 3: "cols"},
            "offset": {2: "rows", 3: "cols"},
        },
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    if half_weights:
        store_weights_half(onnx_path)
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    params = sum(p.numel() for p in model.parameters())
    card = {
        "card_format": CARD_FORMAT,
        "file": onnx_path.name,
        "version": f"{dt.date.today().isoformat()}-{digest[:8]}",
        "sha256": digest,
        "classes": list(DETECTOR_CLASSES),
        "input": {
            "preparation": PREPARATION,
            "target_height": TARGET_HEIGHT,
            "multiple": MULTIPLE,
            "values": "ink 1, paper 0",
        },
        "decode": {"threshold": threshold, "stride": 4},
        "calibration": {
            "a": round(a, 5),
            "b": round(b, 5),
            "ece_raw": round(ece_raw, 4),
            "ece": round(ece_cal, 4),
        },  # fmt: skip
        "parameters": int(params),
        "onnx_bytes": onnx_path.stat().st_size,
        "weights": "float16" if half_weights else "float32",
        "command": command,
        "training_seconds": round(sum(h["seconds"] for h in run_history)),
        "command_seconds": round(seconds),
        "epochs_run": len(run_history),
        "best_epoch": state["epoch"] + 1,
        "history": run_history,
        "data": data or {},
        "dev": {
            **_public(dev_fig),
            "threshold_sweep": {str(t): sweep[t]["f1"] for t in THRESHOLDS},
        },
        "valid": _public(valid_fig) if valid_fig else None,
    }
    (out_dir / CARD_NAME).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    (out_dir / "DETECTOR_CARD.md").write_text(card_markdown(card), encoding="utf-8")
    return onnx_path


def store_weights_half(onnx_path: Path) -> None:
    """Rewrite *onnx_path* with its float32 weights stored as float16.

    Why: the served file must stay within the detector's size budget (8 MB)
    as the network widens, and int8 costs whole-expression accuracy here
    (``mathocr quantize-detector``'s card). Each stored weight feeds a
    ``Cast`` back to float32, which ONNX Runtime folds into a constant when
    the session loads, so serving still computes in float32 at the same
    speed; only the weights' last bits are rounded. Tiny tensors (biases of a
    few channels) stay float32: rounding them saves nothing.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(onnx_path))
    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        values = numpy_helper.to_array(init)
        if init.data_type != TensorProto.FLOAT or values.size < 64:
            kept.append(init)
            continue
        half = numpy_helper.from_array(values.astype(np.float16), f"{init.name}__float16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))
