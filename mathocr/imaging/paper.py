"""What is printed on the paper or lies around it, told apart from the writing.

A ruled or squared notebook's lines (long, straight, running out of the
writing's region; erased when printed darker than faint ink would allow), and
the edge of a page photographed on a darker desk. Used by :mod:`.binarize`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["erase_printed_lines", "has_printed_lines", "printed_lines", "ruling", "spans_region"]


def has_printed_lines(faint: np.ndarray) -> bool:
    """Do the pieces of *faint* ink form a long straight line that runs out of the region?

    Such lines are a ruled or squared page's, printed as faint as pencil; the
    region around the writing has a margin on every side, so no written
    stroke reaches its edges. Below the threshold the rules break into
    dashes, which the Hough transform bridges.
    """
    return len(printed_lines(faint)) > 0


def printed_lines(ink: np.ndarray) -> np.ndarray:
    """(N, 4) segments ``x1, y1, x2, y2`` of *ink* that are long, straight and run out of the region.

    Found by the probabilistic Hough transform at half size (0.5° steps, gaps
    of 8 px bridged): at least half the region's short side long, with an
    end within the region's margin of an edge.
    """
    small, scale = ink, 1.0
    if min(ink.shape) >= 64:
        small = cv2.resize(ink * 255, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        small = (small >= 64).astype(np.uint8)
        scale = 2.0
    h, w = small.shape
    span = 0.5 * min(h, w)
    lines = cv2.HoughLinesP(
        small, 1, np.pi / 360, threshold=max(10, int(span / 3)), minLineLength=span, maxLineGap=8
    )
    if lines is None:
        return np.zeros((0, 4), np.int32)
    seg = lines.reshape(-1, 4)
    x1, y1, x2, y2 = seg.T
    out = _near_edge(x1, y1, w, h) | _near_edge(x2, y2, w, h)
    return (seg[out] * scale).astype(np.int32)


def _edge_margin(w: int, h: int) -> tuple[float, float]:
    """How near an edge of a *w* × *h* region a printed line's end comes: 2% of a side, and 2 px.

    Written strokes stay further in: the region around writing has a wider margin.
    """
    return 2 + 0.02 * w, 2 + 0.02 * h


def _near_edge(x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    """Which points (*x*, *y*) lie within :func:`_edge_margin` of an edge of the region."""
    near_x, near_y = _edge_margin(w, h)
    return (x <= near_x) | (x >= w - 1 - near_x) | (y <= near_y) | (y >= h - 1 - near_y)


def spans_region(ink: np.ndarray) -> bool:
    """Is there ink at two opposite edges of the region, as a page's printed lines put there?

    The region around writing has a margin on every side, so this cheap test
    spares a drawing the Hough transform of :func:`printed_lines`.
    """
    h, w = ink.shape
    near_x, near_y = _edge_margin(w, h)
    mx, my = int(near_x) + 1, int(near_y) + 1
    across = ink[:, :mx].any() and ink[:, -mx:].any()
    return bool(across or (ink[:my].any() and ink[-my:].any()))


def ruling(lines: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The *lines* that are a notebook's ruling (possibly none), as (N, 4) segments.

    A ruling is three or more parallel lines (within a degree of their median
    direction) each crossing 70% of the region; with them come a margin line
    square to them and the rules parallel to them that run from edge to edge
    through a corner. A long fraction bar or a root's bar may reach the
    region's edge on a tight drawing, but not three parallel ones across most
    of it; and a line slanting across the rules is a chance alignment of their
    pieces, not one of them.
    """
    none = lines[:0]
    if len(lines) < 3:
        return none
    x1, y1, x2, y2 = lines.T.astype(np.float64)
    angle = np.degrees(np.arctan2(y2 - y1, x2 - x1)) % 180.0
    angle = np.where(angle > 135.0, angle - 180.0, angle)  # flat lines near 0, steep near 90
    flat = np.abs(angle) < 45.0
    across = np.where(flat, np.abs(x2 - x1) / shape[1], np.abs(y2 - y1) / shape[0])
    h, w = shape[:2]
    # A rule that runs out through a corner of the region crosses only part
    # of it, but it goes from edge to edge as no written stroke does.
    edge_to_edge = _near_edge(x1, y1, w, h) & _near_edge(x2, y2, w, h)
    for group in (flat, ~flat):
        long = group & (across >= 0.7)
        if np.count_nonzero(long) < 3:
            continue
        direction = float(np.median(angle[long]))
        parallel = np.abs(angle - direction) <= 1.0
        rules = long & parallel
        if np.count_nonzero(rules) < 3:
            continue
        # The margin line runs square to the rules, from one edge for at least
        # half the region (where writing covers it, the transform may break it).
        square = np.abs(np.abs(angle - direction) - 90.0) <= 10.0
        margin = ~group & square & (across >= 0.5)
        return lines[rules | margin | (group & parallel & edge_to_edge)]
    return none


def erase_printed_lines(ink: np.ndarray, lines: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """*ink* without a notebook's rules, keeping the strokes that cross them.

    Along each line a band a few pixels wide is cleared, except where the ink
    runs on across the band (a stroke crossing the rule): a run of ink across
    it longer than the band survives an opening. Flat rules are crossed by
    vertical runs, a steep margin line by horizontal ones. A stroke lying
    along a rule (a bar of an ``=`` on a tilted page) has no such run; it is
    kept where the writing is clearly darker than the print (*gray*, the
    region's flattened gray), as pen on a printed page usually is.
    """
    thick = max(5, round(0.0015 * max(ink.shape)) * 2 + 1)
    bands = {False: np.zeros_like(ink), True: np.zeros_like(ink)}
    ys, xs = np.nonzero(ink)
    h, w = ink.shape
    fits: dict[bool, list[tuple[float, float, int]]] = {False: [], True: []}
    span_of = {False: w, True: h}
    for x1, y1, x2, y2 in lines:
        steep = abs(int(y2) - int(y1)) > abs(int(x2) - int(x1))
        # Along and across the line: x and y for a flat rule, y and x for a steep one.
        along, across = (ys, xs) if steep else (xs, ys)
        p1, q1, p2, q2 = (y1, x1, y2, x2) if steep else (x1, y1, x2, y2)
        slope = float(q2 - q1) / float(p2 - p1) if p2 != p1 else 0.0
        offset = q1 - slope * p1
        if any(
            abs(o - offset) <= thick and abs(sl - slope) * span_of[steep] <= thick
            for sl, o, _ in fits[steep]
        ):
            continue  # another segment of a rule already fitted
        if not steep:
            along, across = _flat_strip(xs, ys, slope, offset, w, 3 * thick)
        fitted = _fit_rule(along, across, slope, offset, thick)
        if fitted is not None:
            fits[steep].append(fitted)
    fits[False] += _missed_rules(fits[False], xs, ys, w, h, thick)
    for steep, found in fits.items():
        for slope, offset, width in found:
            ends = [(p, slope * p + offset) for p in (0.0, float(span_of[steep] - 1))]
            points = [(round(q), round(p)) if steep else (round(p), round(q)) for p, q in ends]
            cv2.line(bands[steep], points[0], points[1], 1, max(thick, width))
    run = thick + 4
    grow = np.ones((5, 5), np.uint8)
    near_flat: np.ndarray = cv2.dilate(bands[False], grow)
    near_steep: np.ndarray = cv2.dilate(bands[True], grow)
    near = near_flat | near_steep
    # Where two printed lines cross, their inks add up to a darker spot.
    dark = _darker_than_print(ink, near, gray) & (1 - (near_flat & near_steep))
    # Flat rules first, so that what is left of them does not count as a
    # stroke crossing a margin line.
    for steep, band in bands.items():
        if band.any():
            kernel = np.ones((1, run) if steep else (run, 1), np.uint8)
            crossing = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
            ink = ink & (1 - (band & (1 - crossing) & (1 - dark)))
    # Pieces lying mostly on a rule are dropped whole: what the band left of
    # a rule, the margin line's dashes between rules; not the dark writing.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    on_rule = np.bincount(labels[near > 0], minlength=count)
    written = np.bincount(labels[dark > 0], minlength=count)
    area = stats[:, cv2.CC_STAT_AREA]
    long_side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    short_side = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    # A dash of a rule's dark core is no writing; a dot on a rule may be a decimal point.
    dash = (area < 3 * run * run) & (long_side >= 2 * short_side)
    drop = (on_rule >= 0.8 * area) & ((written < 0.5 * area) | dash)
    drop[0] = False
    if drop.any():
        ink = ink & (1 - drop[labels]).astype(np.uint8)
    return ink


#: How much darker than the printed rules (in gray levels) the writing must be
#: for its own dark pixels to be kept on them.
PRINT_CONTRAST = 40.0


def _darker_than_print(ink: np.ndarray, near: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """The ink pixels clearly darker than the rules (all zeros when the two are alike).

    The rules' level is the median gray of the ink on them (most of it is
    print); the writing's, the median of the ink away from them. Pixels below
    the midpoint are writing.
    """
    on = ink.astype(bool) & (near > 0)
    off = ink.astype(bool) & (near == 0)
    if not on.any() or not off.any():
        return np.zeros_like(ink)
    printed, written = float(np.median(gray[on])), float(np.median(gray[off]))
    if printed - written < PRINT_CONTRAST:
        return np.zeros_like(ink)
    return (ink.astype(bool) & (gray < 0.5 * (printed + written))).astype(np.uint8)


def _missed_rules(
    found: list[tuple[float, float, int]],
    xs: np.ndarray,
    ys: np.ndarray,
    w: int,
    h: int,
    thick: int,
) -> list[tuple[float, float, int]]:
    """The ruling's other rules, at its spacing, that the Hough transform missed.

    A rule that leaves the region through a corner is too short for the
    transform, and one that the writing covers may be broken into pieces; but
    rules are evenly spaced, so each place a rule should be is fitted, and kept
    if ink lies along at least half of its length inside the region.
    """
    if len(found) < 3:
        return []
    offsets = np.unique(np.round([o for _, o, _ in found]))
    gaps = np.diff(offsets)
    gaps = gaps[gaps > 2 * thick]
    if len(gaps) < 2:
        return []
    steps = np.round(gaps / np.min(gaps))
    if np.median(np.abs(gaps / np.min(gaps) - steps)) > 0.1:
        return []  # not an even ruling
    spacing = float(np.median(gaps / steps))
    slope = float(np.median([sl for sl, _, _ in found]))
    # Offsets for which the line y = slope * x + offset crosses the region,
    # stepped out from the nearest rule found (and into the gaps between them).
    low, high = min(0.0, -slope * (w - 1)), max(float(h - 1), h - 1 - slope * (w - 1))
    wanted = [offsets[0] - k * spacing for k in range(1, int((offsets[0] - low) / spacing) + 1)]
    wanted += [offsets[-1] + k * spacing for k in range(1, int((high - offsets[-1]) / spacing) + 1)]
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        wanted += [
            a + k * (b - a) / round((b - a) / spacing) for k in range(1, round((b - a) / spacing))
        ]
    out = []
    for offset in wanted:
        if np.min(np.abs(offsets - offset)) <= thick:
            continue
        near_x, near_y = _flat_strip(xs, ys, slope, float(offset), w, 3 * thick)
        fitted = _fit_rule(near_x, near_y, slope, float(offset), thick)
        if fitted is None:
            continue
        inside = [x for x in range(0, w, 4) if 0 <= fitted[0] * x + fitted[1] < h]
        close = np.abs(ys - (fitted[0] * xs + fitted[1])) <= 2
        if inside and len(np.unique(xs[close])) >= 0.5 * 4 * len(inside):
            out.append(fitted)
    return out


def _flat_strip(
    xs: np.ndarray, ys: np.ndarray, slope: float, offset: float, w: int, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """The points (*ys* ascending, as :func:`numpy.nonzero` gives them) in the rows a flat line crosses.

    A page's rules make hundreds of thousands of ink pixels; each rule is
    fitted to the few rows it passes through, found by bisection.
    """
    top = offset + min(0.0, slope * (w - 1)) - margin
    bottom = offset + max(0.0, slope * (w - 1)) + margin
    a, b = np.searchsorted(ys, [top, bottom])
    return xs[a:b], ys[a:b]


def _fit_rule(
    along: np.ndarray, across: np.ndarray, slope: float, offset: float, thick: int
) -> tuple[float, float, int] | None:
    """A printed line fitted to its own ink: (slope, offset, width in pixels), or None.

    The Hough segment's angle is only good to a quarter of a degree, which
    drifts by several pixels across a page; a least-squares line through the
    ink near it, refitted on the pixels closest to the last fit (writing that
    crosses the rule is the outlier), follows the rule from edge to edge. The
    width is what the rule's own pixels spread across that line.
    """
    # Every later pass looks only near the first guess: one pass over the region's ink.
    nearby = np.abs(across - (slope * along + offset)) <= 3 * thick
    along, across = along[nearby], across[nearby]
    near = float(thick)
    for _ in range(3):
        residual = across - (slope * along + offset)
        close = np.abs(residual) <= near
        if np.count_nonzero(close) < 20:
            return None
        p, q = along[close].astype(np.float64), across[close].astype(np.float64)
        p_mean, q_mean = float(p.mean()), float(q.mean())
        spread = float(((p - p_mean) ** 2).sum())
        if spread <= 0.0:
            return None
        slope = float(((p - p_mean) * (q - q_mean)).sum()) / spread
        offset = q_mean - slope * p_mean
        near = max(2.0, 0.5 * thick)
    residual = np.abs(across - (slope * along + offset))
    spread = float(np.percentile(residual[residual <= thick], 80))
    return float(slope), float(offset), int(2 * math.ceil(spread) + 3)
