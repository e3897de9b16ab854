"""An ``8`` whose small eye the pen filled in, which the model reads as ``6``, ``0`` or ``9``.

A small ``8`` written with a thick pen (or blurred in a photo) may lose one of its
eyes: the loop closes into a round blot of ink. Thinned, the blot becomes a
short stroke ending in the open, so the symbol looks like a loop with a tail,
a ``6`` (or a ``0`` with a hook) when the top eye is lost, a ``9`` when the
bottom one is. What tells the blot from a real tail is its width on the
unthinned mask: a pen draws a tail one pen wide, while the blot is as wide as
the eye was, about two pens. The test measures the ink's width along the
skeleton's one loose end, on the candidate's full-size mask.

The pen alone is not a safe yardstick: on dark squared paper the page's pen
estimate falls to half the writing's, and every tail looks wide. So the loose
end must also be wider than the symbol's other strokes (:data:`OWN_WIDTH`).
The model's doubt gates the swap, as in :mod:`mathocr.tee`.

Measured where the gate let the test run (a ``6``, ``0`` or ``9`` reading with
``8`` at :data:`EIGHT_DOUBT` or more) on the valid images, every 2nd train
expression and the robustness variants: real tails were at most 1.30 times
the symbol's strokes when 1.6 pens or wider, filled eyes 1.40 and up. It
turned one valid photo (formulaire035-equation025), one train canvas and 7
robustness variants right, and none wrong.
"""

from __future__ import annotations

import cv2
import numpy as np

from .symbols import _NEIGHBOURS, CLASSES, thin_strokes

__all__ = ["BLOT_WIDTH", "EIGHT_DOUBT", "OWN_WIDTH", "filled_eye", "filled_eye_as_eight"]

_EIGHT = CLASSES.index("8")
#: Readings that a lost top eye (``6``, ``0``) or a lost bottom eye (``9``, ``0``) gives.
_TOP_LOST = (CLASSES.index("6"), CLASSES.index("0"))
_BOTTOM_LOST = (CLASSES.index("9"), CLASSES.index("0"))
#: Least probability of ``8`` under such a reading for the shape test to be asked.
EIGHT_DOUBT = 0.01
#: How many pens wide the ink along the loose end must be to be a filled eye.
BLOT_WIDTH = 1.6
#: ... and this many times as wide as the rest of the symbol's strokes.
OWN_WIDTH = 1.35


def _end_codes() -> np.ndarray:
    """For each neighbourhood code, 1 if it is an end: one neighbour, or two adjacent ones.

    The codes are the thinning's own (:data:`mathocr.symbols._NEIGHBOURS`), whose
    bits go round the pixel in order, so neighbouring bits are touching pixels.
    """
    out = np.zeros(256, np.uint8)
    for code in range(256):
        bits = [(code >> i) & 1 for i in range(8)]
        runs = sum(1 for i in range(8) if bits[i] and not bits[i - 1])
        out[code] = sum(bits) == 1 or (sum(bits) == 2 and runs == 1)
    return out


_END_CODES = _end_codes()


def _pruned(skeleton: np.ndarray, steps: int) -> np.ndarray:
    """*skeleton* with its loose ends shortened by *steps* pixels: the forks thinning
    leaves at the tip of a round blot go, and a real loose end stays."""
    sk = skeleton.astype(np.uint8)
    for _ in range(steps):
        ends = _ends(sk)
        if not ends.any():
            break
        sk[ends] = 0
    return sk


def _ends(sk: np.ndarray) -> np.ndarray:
    """Where *sk* ends: pixels with one neighbour, or two that touch each other (the
    corners of the little triangle thinning may leave at a tip)."""
    code = cv2.filter2D(sk, cv2.CV_32F, _NEIGHBOURS, borderType=cv2.BORDER_CONSTANT)
    return (sk > 0) & (_END_CODES[code.astype(np.uint8)] > 0)


def _loose_end(sk: np.ndarray) -> list[tuple[int, int]] | None:
    """The pixels of the skeleton's only loose end, from its tip to the junction, if it has one."""
    ends = np.argwhere(_ends(sk))
    if len(ends) != 1:
        return None
    path = [(int(ends[0][0]), int(ends[0][1]))]
    seen = {path[0]}
    h, w = sk.shape
    while True:
        y, x = path[-1]
        nxt = [
            (y + dy, x + dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if (dy or dx)
            and 0 <= y + dy < h
            and 0 <= x + dx < w
            and sk[y + dy, x + dx]
            and (y + dy, x + dx) not in seen
        ]
        if len(nxt) != 1:
            return path if len(nxt) > 1 else None  # reached the loop (or a dead end)
        path.append(nxt[0])
        seen.add(nxt[0])


def filled_eye(mask: np.ndarray, pen: float) -> str | None:
    """``"top"`` or ``"bottom"`` when *mask* is a loop with one blot-wide loose end there."""
    ink = (np.asarray(mask) > 0).astype(np.uint8)
    h, w = ink.shape
    if h < 4 * pen:
        return None
    skeleton = _pruned(thin_strokes(ink), max(1, round(pen / 2)))
    path = _loose_end(skeleton)
    if path is None or len(path) < 2:
        return None
    ys = np.array([p[0] for p in path])
    xs = np.array([p[1] for p in path])
    tip_y, joint_y = ys[0], ys[-1]
    if tip_y < joint_y and tip_y < 0.35 * h:
        side = "top"
    elif tip_y > joint_y and tip_y > 0.65 * h:
        side = "bottom"
    else:
        return None
    depth = cv2.distanceTransform(ink, cv2.DIST_L2, 5)
    # Away from the tip (where the width tapers) and the junction (where it swells).
    keep = slice(max(1, len(path) // 4), max(2, 3 * len(path) // 4))
    width = 2.0 * float(np.median(depth[ys[keep], xs[keep]]))
    rest = skeleton > 0
    rest[ys, xs] = False
    stroke = 2.0 * float(np.median(depth[rest])) if rest.any() else pen
    return side if width >= BLOT_WIDTH * pen and width >= OWN_WIDTH * stroke else None


def filled_eye_as_eight(mask: np.ndarray, probs: np.ndarray, pen: float) -> np.ndarray:
    """*probs* with ``8`` swapped in when the model reads an ``8`` with a filled eye as a loop and a tail."""
    top = int(np.argmax(probs))
    if top not in _TOP_LOST + _BOTTOM_LOST or probs[_EIGHT] < EIGHT_DOUBT:
        return probs
    side = filled_eye(mask, pen)
    if side is None or top not in (_TOP_LOST if side == "top" else _BOTTOM_LOST):
        return probs
    out = probs.copy()
    out[top], out[_EIGHT] = probs[_EIGHT], probs[top]
    return out
