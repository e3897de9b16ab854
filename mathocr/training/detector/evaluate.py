"""Matching detections to the truth: same class, boxes overlapping with IoU ≥ 0.5."""

from __future__ import annotations

import numpy as np

from ...detect.decode import box_iou

__all__ = ["MATCH_IOU", "match", "match_counts"]

#: Boxes overlapping at least this much (intersection over union) are one symbol.
MATCH_IOU = 0.5


def match(
    boxes: np.ndarray, labels: np.ndarray, true_boxes: np.ndarray, true_labels: np.ndarray
) -> list[tuple[int, int]]:
    """Pairs (detection, truth) of the same class, greedily by IoU, each used once."""
    if len(boxes) == 0 or len(true_boxes) == 0:
        return []
    iou = box_iou(boxes, true_boxes)
    iou[np.asarray(labels)[:, None] != np.asarray(true_labels)[None, :]] = 0.0
    pairs = []
    order = np.dstack(np.unravel_index(np.argsort(-iou, axis=None), iou.shape))[0]
    used_d: set[int] = set()
    used_t: set[int] = set()
    for d, t in order:
        if iou[d, t] < MATCH_IOU:
            break
        if d in used_d or t in used_t:
            continue
        used_d.add(int(d))
        used_t.add(int(t))
        pairs.append((int(d), int(t)))
    return pairs


def match_counts(
    boxes: np.ndarray, labels: np.ndarray, true_boxes: np.ndarray, true_labels: np.ndarray
) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of one image."""
    tp = len(match(boxes, labels, true_boxes, true_labels))
    return tp, len(boxes) - tp, len(true_boxes) - tp
