"""Stage 2: the ink of a grey image, whatever the paper, light and pen.

The paper's brightness is divided out (shadows, a page's edge on a desk), the
ink's polarity is found (white on a blackboard), faint pencil is kept on clean
paper, a notebook's printed rules are erased (:mod:`.paper`), and loops a thick
pen filled are opened again, so that a drawing and a photo give the same ink.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .paper import (
    erase_printed_lines,
    has_printed_lines,
    printed_lines,
    ruling,
    spans_region,
)

__all__ = ["Binarized", "STRONG_INK", "binarize", "estimate_pen_width"]


@dataclass(frozen=True)
class Binarized:
    """Ink found in a grayscale image."""

    binary: np.ndarray
    """(H, W) uint8, 1 on ink."""
    normalized: np.ndarray
    """(H, W) uint8 grayscale after illumination correction, dark ink on white."""
    inverted: bool
    """The input was light ink on a dark ground."""
    pen_width: float
    """Typical stroke width in pixels (0 when there is no ink)."""


#: How far from the threshold towards the darkest ink a piece's darkest pixel must reach
#: (0.5 lost faint pencil-like strokes; 0.15 kept the specks of ruled paper).
STRONG_INK = 0.25


def binarize(gray: np.ndarray, *, min_contrast: float = 0.22) -> Binarized:
    """Find the ink: dark or light, on white, coloured, grey or shadowed paper.

    The paper's brightness is estimated at low resolution with a maximum filter
    (ink is thin, paper is everywhere) and divided out, so a shadow across the
    page becomes white paper again. The original chain's Gaussian blur and a
    global Otsu threshold then work on that flat image; the threshold is kept
    within bounds so an ink-free page does not turn its grain into "ink":
    *min_contrast* below the paper, or less on paper with so fine a grain that
    faint pencil stands far out of it (:func:`_grain_ceiling`), unless a
    notebook's printed lines come in with the pencil (:func:`has_printed_lines`).
    Specks smaller than a pen dot are dropped, and so are pieces nowhere much
    darker than the threshold (:data:`STRONG_INK`).

    Parameters
    ----------
    gray : (H, W) uint8 ndarray
    min_contrast : float
        Ink must be at least this much darker than the paper (as a fraction of
        the paper's brightness) to count.
    """
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"gray must be a 2-D uint8 array, got {gray.dtype} {gray.shape}")
    small, factor = _small(gray, 320)
    inverted = _light_on_dark(small)
    ceiling = round(255 * (1.0 - min_contrast))
    region = _ink_region(255 - small if inverted else small, factor, gray.shape, min_contrast)
    binary = np.zeros_like(gray)
    flat = np.full_like(gray, 255)
    if region is None:
        return Binarized(binary, flat, inverted, 0.0)
    y0, y1, x0, x1 = region
    crop = gray[y0:y1, x0:x1]
    work = 255 - crop if inverted else crop
    background = _paper_brightness(work)
    part = cv2.divide(work, background, scale=255)
    part = cv2.GaussianBlur(part, (0, 0), 1.0)
    flat[y0:y1, x0:x1] = part
    # Ink is what stays clearly below the paper level (255 after the division).
    otsu, _ = cv2.threshold(part, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu on an almost blank page splits the paper grain; keep it sensible.
    level = float(np.clip(otsu, 255 * 0.45, ceiling))
    if otsu > ceiling:
        # On clean paper faint ink may be lighter than *min_contrast* allows,
        # unless that lets the printed lines of a notebook in, which are as faint.
        faint = float(np.clip(otsu, 255 * 0.45, _grain_ceiling(part)))
        if faint > level:
            faint_only = ((part < faint) & (part >= ceiling)).astype(np.uint8)
            if not has_printed_lines(faint_only):
                level = faint
    ink = (part < level).astype(np.uint8)
    if not ink.any():
        return Binarized(binary, flat, inverted, 0.0)
    if spans_region(ink):
        rules = ruling(printed_lines(ink), ink.shape)
        if len(rules):
            ink = erase_printed_lines(ink, rules, part)
    pen = estimate_pen_width(ink)
    # Hysteresis: a piece of ink must somewhere be clearly darker than the
    # threshold, a quarter of the way to the ink's own darkest tenth. Writing has dark
    # cores; what is only just below the threshold everywhere (the specks a
    # notebook's printed rules leave, paper texture) is dropped.
    core = _level_below(np.bincount(part[ink > 0], minlength=256), 0.1)
    strong = part < level - STRONG_INK * (level - core)
    _open_sunken_holes(part, ink, pen, [core + share * (level - core) for share in HOLE_LEVELS])
    binary[y0:y1, x0:x1] = _drop_specks(ink, pen, strong)
    return Binarized(binary, flat, inverted, pen)


#: The least contrast ink can have on the cleanest paper, as a share of its brightness.
FAINT_CONTRAST = 0.08
#: How many times the paper's grain (a robust standard deviation) ink must lie below it.
GRAIN_MARGIN = 8.0


def _grain_ceiling(part: np.ndarray) -> int:
    """The lightest grey that can still be ink on this paper, from how grainy the paper is.

    Faint pencil on smooth paper is only 10-20% darker than the paper, under
    the fixed *min_contrast*, yet many times darker than the paper's own grain.
    The grain is measured on the lighter half of the histogram's lower side
    (median to first quartile), which is paper unless a quarter of the region
    is ink.
    """
    counts = np.bincount(part.ravel(), minlength=256)
    middle = _level_below(counts, 0.5)
    grain = max(1.0, (middle - _level_below(counts, 0.25)) / 0.674)
    return round(min(middle - GRAIN_MARGIN * grain, 255 * (1.0 - FAINT_CONTRAST)))


#: Where between the ink's dark core (0) and the threshold (1) a loop's filled-in
#: centre must be lighter than, to be opened again. The lower level finds the
#: shallow centres, but there the lighter ring of a stroke may join a centre to
#: the paper outside; the higher level still sees those centres enclosed.
HOLE_LEVELS = (0.2, 0.3)


def _open_sunken_holes(
    part: np.ndarray, ink: np.ndarray, pen: float, levels: Sequence[float]
) -> None:
    """Open loops that blur and a thick pen filled in: light spots ringed by dark ink.

    A small loop (the eyes of a narrow 8, a 6's belly) drawn with a thick pen
    comes out of the blur as one dark blob with a slightly lighter centre,
    which the threshold counts as ink (or all but a pinhole of it); thinned,
    such a blob reads as a ``1`` or a ``(``. Under a stricter threshold
    (*levels*) the centre is paper again, and it is a hole: a patch of
    lighter ink that touches no paper but pinholes smaller than a pen dot.
    The lighter pixels on a stroke's edge touch the paper around the stroke,
    or inside a loop, and stay ink. *ink* is changed in place, after all
    levels were looked at.
    """
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return
    # Only around the ink: a photo's region of interest is often most of the page.
    y0, x0 = max(0, y - 1), max(0, x - 1)
    part, ink = part[y0 : y + h + 1, x0 : x + w + 1], ink[y0 : y + h + 1, x0 : x + w + 1]
    background = (ink == 0).astype(np.uint8)
    count, labels = cv2.connectedComponents(background, connectivity=8)
    pinhole = np.bincount(labels.ravel(), minlength=count) < pen * pen
    pinhole[0] = False  # label 0 is the ink
    paper = background
    if pinhole.any():  # (mostly none: the loops of writing are larger than a pen dot)
        paper[pinhole[labels]] = 0
    paper = cv2.dilate(paper, _CROSS, borderType=cv2.BORDER_CONSTANT)
    holes: list[np.ndarray] = []
    for level in levels:
        lighter = ((part >= level) & (ink > 0)).astype(np.uint8)
        # (without stats: OpenCV's 4-connected labelling with stats is ten times slower)
        count, labels = cv2.connectedComponents(lighter, connectivity=4)
        if count <= 1:
            continue
        enclosed = np.ones(count, bool)
        enclosed[0] = False
        edge = cv2.findNonZero(cv2.bitwise_and(lighter, paper))
        if edge is not None:
            xy = edge.reshape(-1, 2)
            enclosed[labels[xy[:, 1], xy[:, 0]]] = False
        if enclosed.any():
            holes.append(enclosed[labels])
    for hole in holes:
        ink[hole] = 0


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def _level_below(counts: np.ndarray, share: float) -> int:
    """The grey level under which *share* of the pixels lie, from their 256-bin histogram."""
    return int(np.searchsorted(np.cumsum(counts), share * counts.sum()))


def _ink_region(
    small: np.ndarray, factor: float, shape: tuple[int, ...], min_contrast: float
) -> tuple[int, int, int, int] | None:
    """Rows and columns (y0, y1, x0, x1) of the full image that hold the ink.

    Found on the small image, where the ink is blurred but still darker than
    its paper, so the full-resolution work only covers the writing: on a
    photo that is a fraction of the frame. A generous margin keeps thin
    strokes at the edges.
    """
    paper = _paper_brightness(small)
    flat = cv2.divide(small, paper, scale=255)
    dark = (flat < round(255 * (1.0 - 0.5 * min_contrast))).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= 2]
    if not keep:
        return None
    x0 = min(int(stats[i, cv2.CC_STAT_LEFT]) for i in keep)
    y0 = min(int(stats[i, cv2.CC_STAT_TOP]) for i in keep)
    x1 = max(int(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]) for i in keep)
    y1 = max(int(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT]) for i in keep)
    h, w = shape[:2]
    pad_x = 3 / factor + 0.05 * (x1 - x0) / factor + 8
    pad_y = 3 / factor + 0.05 * (y1 - y0) / factor + 8
    return (
        max(0, int(y0 / factor - pad_y)),
        min(h, int(math.ceil(y1 / factor + pad_y))),
        max(0, int(x0 / factor - pad_x)),
        min(w, int(math.ceil(x1 / factor + pad_x))),
    )


def _small(gray: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    h, w = gray.shape
    factor = min(1.0, long_side / max(h, w))
    if factor >= 1.0:
        return gray, 1.0
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), factor


def _light_on_dark(gray: np.ndarray) -> bool:
    """Is the minority (the ink) brighter than its surroundings? (*gray* is small.)

    A drawing (a canvas export, a screenshot) has a frame of even background,
    and the ink is whatever differs from it: that holds for a fat brush too,
    whose strokes are no thinner than the gaps between them.

    A photo's frame is paper, a shadow or the desk under the page. There two
    measures vote, each the log of a light-to-dark ratio: clear outliers from
    the local median at low resolution (neutral to polarity, but a page's
    edge on a dark desk gives light outliers along the page), and the
    strength of thin strokes (:func:`_thin_stroke_strengths`, which broad
    edges do not touch). Faint ink leaves too few clear outliers; then the
    thin strokes decide alone, and only a page without any goes by its
    overall brightness, which a shadow can decide wrongly.
    """
    small = gray
    if min(small.shape) < 3:
        return float(np.median(small)) < 96
    drawn = _drawing_background(small)
    if drawn is not None:
        return drawn < float(small.mean())
    k = max(3, (min(small.shape) // 8) | 1)
    k = min(k, 31)
    local = cv2.medianBlur(small, k)
    diff = small.astype(np.int16) - local.astype(np.int16)
    darker = int(np.count_nonzero(diff < -40))
    lighter = int(np.count_nonzero(diff > 40))
    strokes = _thin_stroke_strengths(small)
    if darker + lighter >= 0.0005 * small.size:
        vote = math.log((lighter + 1) / (darker + 1))
        if strokes is not None:
            vote += math.log((strokes[1] + 1) / (strokes[0] + 1))
        return vote > 0
    if strokes is None:
        return float(np.median(small)) < 96
    return strokes[1] > strokes[0]


def _drawing_background(small: np.ndarray) -> float | None:
    """The background's grey level if *small* looks like a drawing, else ``None``.

    A drawing's frame is of one even grey, and what differs from it is
    strokes. A drawing program makes it flat to a grey level; a photo has
    grain. A page photographed on a smooth desk has a nearly even frame, but
    what differs from the desk is the page: a broad shape, some of which
    survives an erosion that wipes out any stroke narrower than a twelfth of
    the picture's short side.
    """
    frame = np.concatenate(
        [small[:2].ravel(), small[-2:].ravel(), small[:, :2].ravel(), small[:, -2:].ravel()]
    ).astype(np.float32)
    if float(frame.std()) >= EVEN_FRAME:
        return None
    level = float(np.median(frame))
    if np.count_nonzero(np.abs(frame - level) <= 1) >= 0.98 * frame.size:
        return level  # flat as only a drawing program makes it
    differs = (np.abs(small.astype(np.int16) - level) > 25).astype(np.uint8)
    if not differs.any():
        return None
    side = 2 * max(3, round(0.04 * min(small.shape))) + 1
    core = cv2.erode(differs, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    if np.count_nonzero(core) > 0.002 * core.size:
        return None
    return level


#: The largest standard deviation of grey levels along the image's frame that is
#: a drawing's even background (a photo's paper has grain, light and shadow).
EVEN_FRAME = 3.0


def _thin_stroke_strengths(gray: np.ndarray) -> tuple[float, float] | None:
    """How strongly thin strokes in *gray* stand out dark and light (``None``: none found).

    A black top-hat (closing minus image) keeps dark strokes narrower than
    its 5-pixel kernel and a white top-hat (image minus opening) light ones;
    shadows, vignettes and the page's edge are broader and drop out of both.
    Each strength is what the response keeps above the two's common noise
    floor. It needs strokes thinner than the kernel, which the reduced image
    has unless the input was small and drawn with a thick pen; such input is
    a drawing, whose even frame settles the matter first.
    """
    if min(gray.shape) < 5:
        return None
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    dark = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel)
    light = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, kernel)
    # The noise floor: the 95th percentile of both responses (from their histogram).
    counts = np.bincount(dark.ravel(), minlength=256) + np.bincount(light.ravel(), minlength=256)
    floor = np.full_like(dark, max(6, _level_below(counts, 0.95)))
    strength_dark = float(cv2.subtract(dark, floor).sum(dtype=np.float64))
    strength_light = float(cv2.subtract(light, floor).sum(dtype=np.float64))
    if strength_dark + strength_light == 0:
        return None
    return strength_dark, strength_light


def _paper_brightness(gray: np.ndarray) -> np.ndarray:
    """The paper's brightness under each pixel, as if the ink were not there.

    A maximum filter a little wider than any pen stroke sees paper around
    every ink pixel; keeping the window that small lets it follow a shadow's
    edge or a crease. It runs at reduced resolution, where the window is a
    few pixels, and is smoothed before being scaled back up.
    """
    h, w = gray.shape
    window = max(15.0, 0.015 * max(h, w))
    factor = min(1.0, 5.0 / window)
    small = gray
    if factor < 1.0:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    k = max(3, round(window * factor) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    paper = cv2.dilate(small, kernel)
    paper = cv2.GaussianBlur(paper, (0, 0), k / 2)
    if paper.shape != gray.shape:
        paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    # The smooth estimate runs over the edge of a page lying on a darker desk,
    # and the desk along the edge would look like a band of ink. A closing
    # (the largest brightness around, then the least of those) keeps the
    # edge where it is, and it still fills every stroke, and every blob of
    # ink (a loop a fat pen filled) narrower than twice the window; it caps
    # the smooth estimate.
    full = max(3, round(2 * window) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (full, full))
    # The frame is repeated outwards first: a strip of desk cut by the frame
    # must not pass for a narrow dark stroke.
    padded = cv2.copyMakeBorder(gray, full, full, full, full, cv2.BORDER_REPLICATE)
    closed = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, kernel)[full:-full, full:-full]
    return np.maximum(np.minimum(paper, closed), 1)


def estimate_pen_width(binary: np.ndarray) -> float:
    """Typical stroke width: twice the ink area over the ink's outline length.

    A stroke of length L and width w has area ≈ wL and outline ≈ 2L, so the
    ratio gives w without thinning or a distance transform.
    """
    area = int(np.count_nonzero(binary))
    if area == 0:
        return 0.0
    eroded = cv2.erode(binary, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT)
    outline = area - int(np.count_nonzero(eroded))
    return max(1.0, 2.0 * area / max(outline, 1))


def _drop_specks(binary: np.ndarray, pen: float, strong: np.ndarray | None = None) -> np.ndarray:
    """Remove components too small to be a dot made with this pen, or without a *strong* pixel."""
    min_area = max(3, round(0.25 * pen * pen))
    # Only the areas are needed: labelling alone and a bincount cost a third of
    # OpenCV's labelling with statistics (whose labels are the same).
    count, labels = cv2.connectedComponents(binary, connectivity=8)
    small = np.bincount(labels.ravel(), minlength=count) < min_area
    if strong is not None:
        faint = np.ones(count, bool)
        # Label 0 (no ink) may be marked too: it is never dropped, below.
        faint[labels[strong]] = False
        small |= faint
    small[0] = False
    if not small[1:].any():
        return binary
    keep = (~small).astype(np.uint8)
    keep[0] = 0
    return keep[labels]
