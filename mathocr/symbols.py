"""The symbol classes and the one normalization every symbol goes through.

Training images (rendered from CROHME strokes) and live symbols (cut out of a
user's image) both pass through :func:`normalize_symbol`; a mismatch between the
two is the classic failure of this kind of system, so there is exactly one
implementation and both sides import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

__all__ = [
    "CLASSES",
    "CLASS_INDEX",
    "BOX",
    "MARGIN",
    "crohme_to_class",
    "crop_to_ink",
    "normalize_symbol",
    "normalize_symbols",
    "thin_strokes",
]

#: The 22 symbol classes, in the order of the model's outputs.
CLASSES: tuple[str, ...] = (
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    "+", "-", "\\times", "\\div", "/", "=", "(", ")", ".", "x", "\\sqrt",
)  # fmt: skip

CLASS_INDEX: Mapping[str, int] = {label: i for i, label in enumerate(CLASSES)}

#: Side of the square every symbol is normalized into.
BOX = 32
#: Empty border kept around the symbol inside the box.
MARGIN = 2

# CROHME spellings that mean one of our classes. The capital X is written like
# the letter x; CROHME labels a fraction bar "-" already.
_CROHME_ALIASES: Mapping[str, str] = {
    "X": "x",
}


def crohme_to_class(label: str) -> str | None:
    """Map a CROHME symbol label to one of :data:`CLASSES`, or ``None``.

    >>> crohme_to_class("X"), crohme_to_class("\\\\alpha")
    ('x', None)
    """
    label = label.strip()
    label = _CROHME_ALIASES.get(label, label)
    return label if label in CLASS_INDEX else None


def crop_to_ink(mask: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """*mask* cut to the bounding box of its nonzero pixels, with that box's x and y.

    ``None`` when there is no ink at all.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], int(cols[0]), int(rows[0])


def normalize_symbol(mask: np.ndarray, *, box: int = BOX, margin: int = MARGIN) -> np.ndarray:
    """Turn a symbol's ink mask into the classifier's input.

    The ink is cropped to its bounding box, scaled (aspect ratio kept),
    binarized and thinned to 1-pixel strokes so that the *skeleton's* longer
    side fills ``box - 2*margin`` pixels, then centred in a ``box``×``box``
    square. Scaling happens before thinning, and the fit is made on the
    skeleton, so that neither the pen width nor the source resolution changes
    what the network sees.

    Parameters
    ----------
    mask : (M, N) ndarray
        Nonzero (or True) where there is ink. Any size.
    box, margin : int
        Output side and empty border, in pixels.

    Returns
    -------
    (box, box) ndarray of uint8
        1 on the thinned strokes, 0 elsewhere.

    >>> m = np.zeros((40, 10), bool); m[2:38, 4:7] = True
    >>> out = normalize_symbol(m); out.shape, int(out.max())
    ((32, 32), 1)
    """
    return normalize_symbols([mask], box=box, margin=margin)[0]


def normalize_symbols(
    masks: Sequence[np.ndarray], *, box: int = BOX, margin: int = MARGIN
) -> np.ndarray:
    """:func:`normalize_symbol` for many masks at once: (N, box, box) uint8, the same images.

    A recognition normalizes dozens of detected symbols, and
    thinning a 30-pixel image is mostly per-call overhead; thinning them all
    side by side in one image (:func:`_thin_many`) gives each the same
    skeleton in a fraction of the time.
    """
    if box - 2 * margin < 4:
        raise ValueError(f"box={box} and margin={margin} leave no room for a symbol")
    crops = []
    for mask in masks:
        if mask.ndim != 2:
            raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
        found = crop_to_ink(mask != 0)
        if found is None:
            raise ValueError("mask holds no ink")
        crops.append(found[0].astype(np.float32))
    inner = box - 2 * margin
    scales = [inner / max(crop.shape) for crop in crops]
    holes = _holes(crops, scales)
    skeletons = _thin_many([_scaled(c, s, h) for c, s, h in zip(crops, scales, holes, strict=True)])
    # Thinning pulls the ends of a thick stroke in by half the pen width; scale
    # once more so the skeleton itself fills the box whatever the pen was.
    short = [i for i, sk in enumerate(skeletons) if _extent(sk) < inner - 1]
    again = _thin_many(
        [_scaled(crops[i], scales[i] * inner / _extent(skeletons[i]), holes[i]) for i in short]
    )
    for i, skeleton in zip(short, again, strict=True):
        scale = scales[i]
        while _extent(skeleton) > box:  # rounding overshoot on tiny inputs
            scale *= 0.9
            skeleton = thin_strokes(_scaled(crops[i], scale, holes[i]))
        skeletons[i] = skeleton
    out = np.zeros((len(crops), box, box), np.uint8)
    for k, skeleton in enumerate(skeletons):
        ys, xs = np.nonzero(skeleton)
        part = skeleton[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        nh, nw = part.shape
        top = (box - nh) // 2
        left = (box - nw) // 2
        out[k, top : top + nh, left : left + nw] = part
    return out


def _extent(skeleton: np.ndarray) -> int:
    ys, xs = np.nonzero(skeleton)
    return int(max(np.ptp(ys), np.ptp(xs))) + 1


def _scaled(crop: np.ndarray, scale: float, holes: Sequence[Hole] = ()) -> np.ndarray:
    """*crop* resized by *scale* and thresholded back to a binary image, its *holes* kept."""
    h, w = crop.shape
    nh = max(1, round(h * scale))
    nw = max(1, round(w * scale))
    if scale < 1.0:
        # Area averaging keeps thin strokes as partial coverage; a low cut-off
        # keeps them connected when a large symbol is shrunk a lot.
        small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA) >= _coverage_cut(
            crop, scale
        )
    else:
        small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_LINEAR) >= 0.5
    if not small.any():  # a faint sliver: keep whatever the resize touched
        small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA) > 0
    elif scale < 1.0 and holes:
        _keep_holes(small, holes, scale)
    return np.asarray(small)


#: The least area (in source pixels) of a loop's hole that shrinking must not close.
HOLE_AREA = 2

#: A hole this many pixels large once shrunk is open whatever the coverage cut.
OPEN_AREA = 16
#: A hole of a crop: its pixels' rows and columns, and which of them lies deepest in it.
Hole = tuple[np.ndarray, np.ndarray, int]


def _holes(crops: Sequence[np.ndarray], scales: Sequence[float]) -> list[list[Hole]]:
    """The holes (background the ink encloses) of each crop that shrinking by *scales* may close.

    The crops are laid side by side on empty paper and the paper is flooded:
    whatever background reaches a crop's edge goes with it, and only holes
    are left. Most symbols have none, and those that have are labelled alone.
    A hole that keeps :data:`OPEN_AREA` pixels at the scale is left out.
    """
    if not crops:
        return []
    height = max(crop.shape[0] for crop in crops) + 2
    starts = np.cumsum([1] + [crop.shape[1] + 1 for crop in crops])
    sheet = np.ones((height, int(starts[-1])), np.uint8)
    for crop, x in zip(crops, starts, strict=False):
        sheet[1 : 1 + crop.shape[0], x : x + crop.shape[1]] = crop == 0
    cv2.floodFill(sheet, None, (0, 0), 0, flags=4)
    out: list[list[Hole]] = [[] for _ in crops]
    if not cv2.countNonZero(sheet):
        return out
    columns = np.flatnonzero(sheet.any(axis=0))
    for k in np.unique(np.searchsorted(starts, columns, side="right") - 1):
        crop = crops[k]
        part = sheet[1 : 1 + crop.shape[0], starts[k] : starts[k] + crop.shape[1]]
        count, labels = cv2.connectedComponents(part, connectivity=4)
        areas = np.bincount(labels.ravel(), minlength=count)
        largest = OPEN_AREA / scales[k] ** 2
        depth: np.ndarray | None = None
        for label in range(1, count):
            if not HOLE_AREA <= areas[label] < largest:
                continue
            if depth is None:
                depth = cv2.distanceTransform((crop == 0).astype(np.uint8), cv2.DIST_L2, 3)
            ys, xs = np.nonzero(labels == label)
            out[k].append((ys, xs, int(np.argmax(depth[ys, xs]))))
    return out


def _keep_holes(small: np.ndarray, holes: Sequence[Hole], scale: float) -> None:
    """Reopen in *small* (in place) each of the crop's *holes* that shrinking filled in.

    How many loops a symbol has is what tells 8 from 6 from 0; the small eye
    of an 8 written with a thick pen is a hole of a few pixels, and the low
    coverage cut that keeps thin strokes whole also covers it. Its deepest
    pixel (the first, among equals) is opened again where ink surrounds it,
    so thinning draws a loop around it.
    """
    h, w = small.shape
    for ys, xs, deepest in holes:
        mapped_y = np.minimum((ys * scale).astype(int), h - 1)
        mapped_x = np.minimum((xs * scale).astype(int), w - 1)
        if not small[mapped_y, mapped_x].all():
            continue  # part of it is still open
        y, x = int(mapped_y[deepest]), int(mapped_x[deepest])
        if 0 < y < h - 1 and 0 < x < w - 1 and small[y - 1 : y + 2, x - 1 : x + 2].all():
            small[y, x] = False  # only where it makes a loop: a stroke is never cut


def _deletable_tables() -> tuple[np.ndarray, np.ndarray]:
    """Guo and Hall's two-subiteration thinning (CACM 32(3), 1989, algorithm A1) as two
    256-entry tables: for each 3×3 neighbourhood code, whether the middle pixel goes.

    Bit *k* of a code is neighbour x(k+1), counter-clockwise from east (the
    weights of :data:`_NEIGHBOURS`). A pixel goes when it joins exactly one
    stretch of background (G1), has two or three filled neighbour pairs (G2),
    and is on the side that subiteration erodes (G3, then G3'). This is the
    thinning scikit-image's ``thin`` runs; computing the tables here keeps that
    package (about 40 MB per process) out of the recognizer.
    """
    first, second = np.zeros(256, bool), np.zeros(256, bool)
    for code in range(256):
        x = [bool((code >> k) & 1) for k in range(8)]
        ring = x + x[:1]
        crossings = sum(not ring[2 * i] and (ring[2 * i + 1] or ring[2 * i + 2]) for i in range(4))
        n1 = sum(ring[2 * k] or ring[2 * k + 1] for k in range(4))
        n2 = sum(ring[2 * k + 1] or ring[2 * k + 2] for k in range(4))
        if crossings != 1 or not 2 <= min(n1, n2) <= 3:
            continue
        first[code] = not ((x[1] or x[2] or not x[7]) and x[0])
        second[code] = not ((x[5] or x[6] or not x[3]) and x[4])
    return first, second


#: Per subiteration, 1 where a pixel with that neighbourhood code stays (for cv2.LUT).
_KEEP: tuple[np.ndarray, ...] = tuple((~t).astype(np.uint8) for t in _deletable_tables())
_NEIGHBOURS = np.array([[8, 4, 2], [16, 0, 1], [32, 64, 128]], np.float32)


def thin_strokes(image: np.ndarray) -> np.ndarray:
    """Thinning to 1-pixel strokes: scikit-image's ``thin``, pixel for pixel, about four
    times faster.

    The same two-subiteration table-lookup thinning (:func:`_deletable_tables`);
    the neighbourhood code is computed with ``cv2.filter2D`` instead of
    ``scipy.ndimage``, whose per-call overhead dominates on symbol-sized images
    (a test checks that the two agree). Thinning is most of the recognizer's
    time per symbol.
    """
    skel = np.asarray(image, dtype=bool).astype(np.uint8)
    count = cv2.countNonZero(skel)
    while True:
        for keep in _KEEP:
            code = cv2.filter2D(skel, -1, _NEIGHBOURS, borderType=cv2.BORDER_CONSTANT)
            cv2.bitwise_and(skel, cv2.LUT(code, keep), dst=skel)
        now = cv2.countNonZero(skel)
        if now == count:
            return skel.astype(bool)
        count = now


def _thin_many(images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """:func:`thin_strokes` of each image, computed on all of them laid side by side.

    Thinning looks at 3×3 neighbourhoods and treats the outside as empty, so
    images one empty column apart (and padded below with empty rows) thin
    exactly as they would alone; an image already thin is left unchanged by
    the passes the others still need.
    """
    if len(images) < 2:
        return [thin_strokes(image) for image in images]
    height = max(image.shape[0] for image in images)
    starts = np.cumsum([0] + [image.shape[1] + 1 for image in images])
    sheet = np.zeros((height, int(starts[-1]) - 1), bool)
    for image, x in zip(images, starts, strict=False):
        sheet[: image.shape[0], x : x + image.shape[1]] = image
    thinned = thin_strokes(sheet)
    return [
        thinned[: image.shape[0], x : x + image.shape[1]].copy()
        for image, x in zip(images, starts, strict=False)
    ]


def _coverage_cut(crop: np.ndarray, scale: float) -> float:
    """The share of a shrunk pixel that must be ink for it to count as ink.

    A stroke ``pen`` pixels wide covers about ``pen * scale`` of each pixel it
    crosses after shrinking; a fixed cut-off of 0.2 erases a thin pen on a very
    long symbol (a root drawn across a whole line shrinks 40-fold). Below a
    5-fold shrink the fixed cut is safe and the pen estimate is skipped.
    """
    if scale >= 0.2:
        return 0.2
    ink = crop > 0
    inner = ink[1:-1, 1:-1]
    edge = inner & ~(ink[:-2, 1:-1] & ink[2:, 1:-1] & ink[1:-1, :-2] & ink[1:-1, 2:])
    # A stroke of width p and length L has area p*L and about 2*L edge pixels.
    pen = 2.0 * float(ink.sum()) / max(1.0, float(edge.sum()))
    return min(0.2, 0.4 * pen * scale)
