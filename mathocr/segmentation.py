"""Stage 3: from ink to symbol candidates.

Connected components are the starting point, but a handwritten symbol is not
always one component, nor one component one symbol:

- several components make one symbol: the two bars of ``=``, the bar and dots
  of ``\\div``, a ``5`` whose hat was lifted, an ``x`` drawn as two arcs;
- one component holds several symbols when the writer's strokes touch; those
  are cut with a sliding window scored by the classifier (the cut that makes
  the most confident pieces wins, and only if it beats the uncut blob);
- the shape alone settles some classes: a flat, wide bar can only be ``-``
  (layout later decides whether it is a fraction bar), a tiny round blob only
  ``.``. Such candidates carry the classes they allow.

Geometry thresholds are in units of the pen width and of the typical symbol
height measured on the image itself, so they hold at any resolution.

>>> import numpy as np
>>> ink = np.zeros((60, 200), np.uint8)
>>> ink[28:32, 10:50] = 1                    # a minus
>>> ink[20:24, 70:110] = 1; ink[36:40, 70:110] = 1   # an equals sign
>>> [c.allowed for c in segment(ink, pen_width=4)]
[frozenset({'-'}), frozenset({'='})]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import cv2
import numpy as np

from .geometry import mask_geometry, typical_mask_size
from .marks import Component, Marks, find_marks, usable
from .symbols import CLASS_INDEX, crop_to_ink, normalize_symbols

__all__ = [
    "Candidate",
    "ProbabilityModel",
    "Segmentation",
    "group_components",
    "resolve_touching",
    "segment",
]


class ProbabilityModel(Protocol):
    """What segmentation needs from a classifier: class probabilities per symbol.

    *geometry* is each symbol's size in its expression
    (:func:`mathocr.geometry.symbol_geometry`); a model may ignore it.
    """

    def probabilities(
        self, batch: np.ndarray, geometry: np.ndarray | None = None
    ) -> np.ndarray: ...


def score_masks(
    model: ProbabilityModel, masks: Sequence[np.ndarray], pen: float, reference: float
) -> np.ndarray:
    """Class probabilities of symbol masks: THE normalization plus their geometry.

    Every mask here is cropped to its own ink, so its shape is the symbol's
    box; the pen width is taken off to compare with pen-free training sizes.
    """
    if not masks:
        return np.zeros((0, len(CLASS_INDEX)), np.float32)
    batch = normalize_symbols(masks)
    return np.asarray(model.probabilities(batch, mask_geometry(masks, pen, reference)), np.float32)


@dataclass(frozen=True)
class Candidate:
    """A region believed to hold exactly one symbol."""

    box: tuple[int, int, int, int]
    """x, y, width, height in the segmented image."""
    mask: np.ndarray = field(repr=False)
    """(h, w) bool: the symbol's own ink inside *box* (neighbours' ink excluded)."""
    components: tuple[int, ...]
    allowed: frozenset[str] | None = None
    """Classes the shape permits; ``None`` lets the classifier choose freely."""
    probabilities: np.ndarray | None = field(default=None, repr=False)
    """Already computed while splitting a touching blob, to avoid a second pass."""
    parts: tuple[Candidate, ...] = field(default=(), repr=False)
    """The neighbours this candidate was joined from as one ``x`` (:func:`_join_arcs`),
    kept so that the reading can part them again if no ``x`` fits the expression."""


# --------------------------------------------------------------------------- shapes

#: The classes of a candidate whose shape says it is a root.
_ROOT_ONLY = frozenset({"\\sqrt"})
#: The classes of a bar alone, and of two bars.
_MINUS, _EQUALS = frozenset({"-"}), frozenset({"="})


def _is_bar(c: Component, pen: float, height: float) -> bool:
    """Flat and wide: a minus, a fraction bar, or half of ``=``."""
    return c.w >= 2.2 * c.h and c.h <= max(0.4 * height, 2.6 * pen) and c.w >= 1.5 * pen


def _is_dot(c: Component, pen: float, height: float) -> bool:
    """Small and round: a decimal point or a dot of ``\\div``."""
    limit = max(3.2 * pen, 0.22 * height)
    return c.w <= limit and c.h <= limit and c.w <= 2.2 * c.h and c.h <= 2.2 * c.w


#: The largest blot, as a share of the symbol height, that may be a dot of ``\div``.
BLOT_SIZE = 0.35
#: How much of its box a blot fills (a disc fills 0.79, a pressed dot 0.65; the strokes of a small digit much less).
BLOT_FILL = 0.6


def _is_blot(c: Component, pen: float, height: float) -> bool:
    """A dot pressed into a round blot, too big for :func:`_is_dot`: only a ``\\div``'s dot.

    Some writers make the dots of a ``\\div`` as wide as a third of a digit;
    they stay solid, where a small ``0`` or ``o`` is a ring.
    """
    if _is_dot(c, pen, height) or max(c.w, c.h) > BLOT_SIZE * height:
        return False
    return c.w <= 1.6 * c.h and c.h <= 1.6 * c.w and c.area >= BLOT_FILL * c.w * c.h


def _is_speck_inside(
    dot: Component, body: Component, pen: float, height: float, labels: np.ndarray
) -> bool:
    """A speck well inside a symbol's box (a pen tap in a ``0``'s loop): part of it, not a point.

    A decimal point sits beside or below its digits, never inside one; the
    body must be symbol-sized, since a root's or a bracket's box does hold
    whole symbols. Low in the box, it is inside only with the body's own ink
    just under it (*labels*, the component image): a bit of a ``2``'s base
    that a photo broke off, where a point tucked under a ``7``'s slant has
    paper below.
    """
    if _is_bar(body, pen, height) or not 0.5 * height <= body.h <= 1.6 * height:
        return False
    if body.w > 1.3 * height:
        return False
    mx, my = 0.2 * body.w, 0.2 * body.h
    if not body.x + mx <= dot.cx <= body.right - mx or dot.cy < body.y + my:
        return False
    if dot.cy <= body.bottom - my:
        return True
    if dot.cy > body.bottom - pen:
        return False
    under = labels[dot.bottom : dot.bottom + max(2, round(2 * pen)), dot.x : dot.right]
    return bool(np.any(under == body.id))


def _is_hat(hat: Component, body: Component, pen: float, height: float) -> bool:
    """A short bar lifted off the top of a symbol, as in a ``5`` (or a ``7``'s stroke)."""
    if not _is_bar(hat, pen, height) or _is_bar(body, pen, height):
        return False
    if hat.w > 1.6 * body.w or body.h < 0.5 * height or body.h > 2 * height:
        return False
    starts_on_body = body.x - 3 * pen <= hat.x <= body.x + 0.75 * body.w
    level = body.y - max(0.45 * height, 3 * pen) <= hat.cy and hat.bottom <= body.y + 0.35 * body.h
    return starts_on_body and level and _x_overlap(hat, body) >= 0.2 * hat.w


def _is_foot(
    bar: Component, body: Component, comps: Sequence[Component], pen: float, height: float
) -> bool:
    """A bar along the bottom of a narrow symbol with nothing under it: a ``1``'s foot.

    Written apart (or parted by a photo's blur), the foot is wider than the
    stem and flag above it; a fraction bar has a denominator under it, and
    a root's bar lies over its radicand.
    """
    if body.w > 0.6 * body.h or body.h < 0.7 * height or abs(bar.cy - body.bottom) > 1.5 * pen:
        return False  # a minus after a small exponent can lie level with its bottom
    reach = 0.25 * body.w  # the foot runs out under both sides of the symbol
    if bar.w > 3 * body.w or bar.x > body.x + reach or bar.right < body.right - reach:
        return False
    return not any(
        o.id not in (bar.id, body.id) and o.y >= bar.cy and _x_overlap(o, bar) > 0 for o in comps
    )


def _is_low_mark(c: Component, comps: Sequence[Component], height: float) -> bool:
    """A small mark sitting on the baseline between two symbols: a decimal point.

    Writers make the point as a tick, a comma or a short dash as often as a
    dot; what gives it away is its size and that it sits low between
    full-height neighbours (a minus sits on their middle).
    """
    pair = _neighbours(c, comps, height)
    if pair is None:
        return False
    a, b = pair
    line_mid = max(a.cy, b.cy)
    line_bottom = max(a.bottom, b.bottom)
    return (
        c.y >= line_mid
        and c.bottom >= line_bottom - 0.25 * height
        and c.bottom <= line_bottom + 0.5 * height
    )


def _is_comma(mark: Component, body: Component, comps: Sequence[Component], height: float) -> bool:
    """A decimal comma hanging under the right of the digit before it: its own symbol.

    Many writers (the HAMEX ones, French) write the decimal point as a comma
    that starts at the digit's foot and runs down below the line, under its
    right half; overlapping the digit, it would join it as a lifted part and
    turn a ``0`` into a ``9``. A symbol's own detached stroke (a ``9``'s or a
    ``4``'s) starts higher up, and does not sit low between two digits.
    """
    if max(mark.w, mark.h) > 0.7 * height or mark.cx < body.cx:
        return False
    if not 0.5 * height <= body.h <= 1.3 * height:
        return False  # a digit, not a bracket or a root
    if mark.y < body.bottom - 0.35 * body.h or mark.bottom < body.bottom + 0.2 * height:
        return False
    # ... and the number goes on: a digit close on the right, whose foot the comma hangs below too.
    return any(
        o.id not in (mark.id, body.id)
        and o.x >= mark.cx
        and o.x - mark.right <= 0.8 * height
        and 0.5 * height <= o.h <= 1.3 * height
        and mark.bottom >= o.bottom + 0.2 * height
        and o.y < mark.y
        for o in comps
    )


def _neighbours(
    c: Component, comps: Sequence[Component], height: float, largest: float = 0.45
) -> tuple[Component, Component] | None:
    """The full-height symbols close on the left and on the right of a small mark.

    ``None`` when *c* is no small mark (over *largest* of a symbol's height) or lacks either.
    """
    if max(c.w, c.h) > largest * height:
        return None
    left = [o for o in comps if o.right <= c.x + 0.3 * c.w and o.h >= 0.6 * height]
    right = [o for o in comps if o.x >= c.right - 0.3 * c.w and o.h >= 0.6 * height]
    if not left or not right:
        return None
    a = max(left, key=lambda o: o.right)
    b = min(right, key=lambda o: o.x)
    if a.x > c.x - 0.1 * height or b.x - c.right > 0.8 * height or c.x - a.right > 0.8 * height:
        return None
    return a, b


def _is_middle_dash(c: Component, comps: Sequence[Component], height: float) -> bool:
    """A dot drawn flat, level with the middle of its neighbours: a short, thick minus.

    A thick pen makes a quick minus too stubby for :func:`_is_bar`; it is no
    decimal point, which sits on the baseline.
    """
    return c.w >= 1.5 * c.h and _level_with_middle(c, comps, height)


#: Least size, in pens across both ways, of a blot that may be a small operator
#: filled in by a thick pen rather than a point.
OPERATOR_BLOT_PENS = 2.5
#: What a dot-sized blot level with the middle of its neighbours may be.
_MIDDLE_BLOT = frozenset({"+", "\\times", "-", "."})


def _is_middle_blot(c: Component, comps: Sequence[Component], pen: float, height: float) -> bool:
    """A blot the size of a fat dot, level with the middle of its neighbours: maybe a small ``+``.

    Written small with a thick pen, a ``+`` or ``×`` fills in to a blot that
    :func:`_is_dot` takes for a point (at 40 px symbols and an 8 px pen, a
    ``+`` 3 pens wide, read ``5.7`` for ``5 + 7``). A decimal point sits on
    the baseline, so a blot at mid-height several pens wide is left to the
    classifier among the operators and the point.
    """
    if min(c.w, c.h) < OPERATOR_BLOT_PENS * pen:
        return False
    return _level_with_middle(c, comps, height, largest=0.6)


def _level_with_middle(
    c: Component, comps: Sequence[Component], height: float, largest: float = 0.45
) -> bool:
    """Whether *c*'s centre lies in the middle 40% of the band its two neighbours share."""
    pair = _neighbours(c, comps, height, largest)
    if pair is None:
        return False
    a, b = pair
    top, bottom = max(a.y, b.y), min(a.bottom, b.bottom)
    return top + 0.3 * (bottom - top) <= c.cy <= top + 0.7 * (bottom - top)


def _x_overlap(a: Component, b: Component) -> int:
    return min(a.right, b.right) - max(a.x, b.x)


def _gap(a: Component, b: Component) -> int:
    """How far apart two boxes are, along the axis where they are furthest apart."""
    return max(a.x, b.x) - min(a.right, b.right) if _x_overlap(a, b) < 0 else max(0, _v_gap(a, b))


def _v_gap(a: Component, b: Component) -> int:
    """Vertical distance between two boxes (negative when they overlap)."""
    return max(a.y, b.y) - min(a.bottom, b.bottom)


def _between_is_empty(a: Component, b: Component, comps: Sequence[Component]) -> bool:
    """No other component lies in the band between two stacked components."""
    top, bottom = (a, b) if a.y < b.y else (b, a)
    y0, y1 = top.bottom, bottom.y
    x0, x1 = max(a.x, b.x), min(a.right, b.right)
    for c in comps:
        if c.id in (a.id, b.id):
            continue
        if c.x < x1 and c.right > x0 and c.y < y1 and c.bottom > y0:
            return False
    return True


def _short_twin(
    bar: Component, comps: Sequence[Component], pen: float, height: float
) -> Component | None:
    """The other stroke of an ``=`` written with one short, thick bar, if *bar* has one.

    A quick second stroke can come out as a dash or a blot too stubby to pass
    for a bar. It counts when it is flat, lies over or under *bar* within its
    span, near it with nothing between, and is the only thing there (a bar
    with ink on a side is a fraction bar or an exponent's minus).
    """
    near = [
        c
        for c in comps
        if c.id != bar.id
        and _x_overlap(c, bar) > 0.2 * min(c.w, bar.w)
        and -0.5 * pen <= _v_gap(c, bar) <= min(0.8 * height, 1.2 * bar.w)
    ]
    if len(near) != 1:
        return None
    mark = near[0]
    flat = mark.h <= max(0.35 * height, 2.6 * pen) and mark.w >= 0.9 * mark.h
    if not flat or not 0.3 * bar.w <= mark.w <= bar.w or _is_bar(mark, pen, height):
        return None
    if not bar.x <= mark.cx <= bar.right or _v_gap(mark, bar) < 0:
        return None
    return mark if _between_is_empty(bar, mark, comps) else None


def _detached_roots(
    free: Sequence[Component], comps: Sequence[Component], pen: float, height: float
) -> list[tuple[Component, Component]]:
    """``(hook, bar)`` pairs of roots whose bar was drawn as a stroke of its own.

    Such a root leaves a tall hook (read alone as ``1``, ``)`` or ``2``) and a
    bar that the shape rules would make a minus, or pair with a nested root's
    bar into an ``=``. The hook's top meets the bar's left end; the hook lies
    left of the bar and reaches well below it; and the bar has a radicand
    under it and nothing but other bars over it (a fraction bar has its
    numerator there). A ``5`` or ``7`` with a lifted hat has its body under
    the hat, not left of it.
    """
    bars = [c for c in free if _is_bar(c, pen, height)]
    pairs: list[tuple[float, Component, Component]] = []
    for bar in bars:
        if bar.w < 0.6 * height:
            continue
        for hook in free:
            if hook.id == bar.id or _is_bar(hook, pen, height) or _is_dot(hook, pen, height):
                continue
            if hook.h < 0.5 * height or hook.bottom < bar.bottom + 0.5 * height:
                continue
            if not hook.x < bar.x <= hook.right + 2 * pen:
                continue
            if hook.right - bar.x > max(0.6 * hook.w, 2 * pen) or hook.w > bar.w:
                continue
            if not -0.3 * height - pen <= hook.y - bar.cy <= 0.5 * height + pen:
                continue
            pairs.append((abs(hook.y - bar.cy) + (bar.x - hook.right), hook, bar))
    out: list[tuple[Component, Component]] = []
    taken: set[int] = set()
    for _, hook, bar in sorted(pairs, key=lambda p: p[0]):
        if hook.id in taken or bar.id in taken:
            continue
        if not _has_radicand_below(bar, hook, comps, pen, height) or _covered(
            bar, comps, pen, height
        ):
            continue
        out.append((hook, bar))
        taken.update({hook.id, bar.id})
    return out


def _has_radicand_below(
    bar: Component, hook: Component, comps: Sequence[Component], pen: float, height: float
) -> bool:
    """Whether a component other than a bar stands under *bar*, above the foot of *hook*.

    A bar under the bar makes an ``=`` (a ``4`` before it has a hook-like top
    right end too); a nested root's hook stands under its outer bar.
    """
    return any(
        c.id not in (bar.id, hook.id)
        and not _is_bar(c, pen, height)
        and bar.x <= c.cx <= bar.right
        and c.cy > bar.bottom
        and c.y >= bar.y
        and c.cy <= hook.bottom + 0.25 * height
        for c in comps
    )


def _covered(bar: Component, comps: Sequence[Component], pen: float, height: float) -> bool:
    """Whether something other than a bar lies over *bar* within its span (a numerator)."""
    return any(
        c.id != bar.id
        and not _is_bar(c, pen, height)
        and _x_overlap(c, bar) > 0.3 * min(c.w, bar.w)
        and c.bottom <= bar.y + pen
        and c.bottom >= bar.y - 1.5 * height
        for c in comps
    )


def _stubby_pairs(
    free: Sequence[Component], comps: Sequence[Component], pen: float, height: float
) -> list[tuple[Component, Component]]:
    """``=`` written as two short dashes, each too stubby for a bar with a thick pen.

    Both are flat dashes of about the same length, one over the other, close
    together with nothing between and nothing else over or under them.
    """

    def dash(c: Component) -> bool:
        return (
            c.h <= max(0.35 * height, 2.6 * pen)
            and c.w >= 1.5 * c.h
            and c.w >= 2.5 * pen
            and c.w <= 1.2 * height
        )

    dashes = [c for c in free if dash(c)]
    out: list[tuple[Component, Component]] = []
    taken: set[int] = set()
    for i, a in enumerate(dashes):
        for b in dashes[i + 1 :]:
            if a.id in taken or b.id in taken:
                continue
            top, low = (a, b) if a.cy <= b.cy else (b, a)
            gap = _v_gap(top, low)
            if not (
                _x_overlap(a, b) >= 0.5 * min(a.w, b.w)
                and min(a.w, b.w) >= 0.6 * max(a.w, b.w)
                and 0 < gap <= min(0.6 * height, 1.2 * max(a.w, b.w))
                and _between_is_empty(top, low, comps)
            ):
                continue
            span_x0, span_x1 = min(a.x, b.x), max(a.right, b.right)
            others = [
                c
                for c in comps
                if c.id not in (a.id, b.id)
                and min(c.right, span_x1) - max(c.x, span_x0) > 0.2 * min(c.w, span_x1 - span_x0)
            ]
            if others:
                continue  # ink over or under them: a fraction or an exponent's signs
            out.append((top, low))
            taken.update({a.id, b.id})
    return out


# --------------------------------------------------------------------------- grouping


def _group(
    comps: Sequence[Component], pen: float, height: float, labels: np.ndarray
) -> list[tuple[list[Component], frozenset[str] | None]]:
    """Gather components into symbol groups, with the classes a group's shape allows.

    *labels*, the component image, lets a few tests look at the ink itself.
    """
    used: set[int] = set()
    groups: list[tuple[list[Component], frozenset[str] | None]] = []
    bars = [c for c in comps if _is_bar(c, pen, height)]
    dots = [c for c in comps if _is_dot(c, pen, height)]
    div_dots = dots + [c for c in comps if _is_blot(c, pen, height)]

    # ÷: a bar with a dot above and a dot below, both over the bar.
    for bar in bars:
        near = [
            d
            for d in div_dots
            if d.id not in used
            and d.id != bar.id
            and bar.x - 0.5 * d.w <= d.cx <= bar.right + 0.5 * d.w
            and abs(d.cy - bar.cy) <= max(0.75 * height, 0.9 * bar.w)
        ]
        above = [d for d in near if d.bottom <= bar.y + 0.5 * pen]
        below = [d for d in near if d.y >= bar.bottom - 0.5 * pen]
        if above and below:
            up = min(above, key=lambda d: bar.y - d.bottom)
            down = min(below, key=lambda d: d.y - bar.bottom)
            groups.append(([bar, up, down], frozenset({"\\div"})))
            used.update({bar.id, up.id, down.id})

    # ÷ whose other dot ran into the bar: a flat piece wider than a bar alone
    # would be, with one free dot centred over or under it.
    for d in dots:
        if d.id in used:
            continue
        for body in comps:
            if body.id in used or body.id == d.id or _is_dot(body, pen, height):
                continue
            if not (body.h <= 0.6 * height and body.w >= 1.5 * body.h and body.w >= 2 * d.w):
                continue
            if _is_bar(body, pen, height):
                continue  # a plain bar with one dot is not enough
            if not body.x + 0.2 * body.w <= d.cx <= body.right - 0.2 * body.w:
                continue
            gap = max(body.y - d.bottom, d.y - body.bottom)
            if -0.5 * pen <= gap <= 0.5 * height:
                groups.append(([body, d], frozenset({"\\div"})))
                used.update({body.id, d.id})
                break

    # √ written as a hook and a separate bar: before '=' pairing, since nested
    # roots stack their bars like the strokes of an '='.
    for hook, bar in _detached_roots([c for c in comps if c.id not in used], comps, pen, height):
        groups.append(([hook, bar], _ROOT_ONLY))
        used.update({hook.id, bar.id})

    # =: two bars of similar length stacked close together with nothing between
    # (writers often shift one bar sideways, so a third of an overlap will do).
    free_bars = [b for b in bars if b.id not in used]
    pairs = []
    for i, a in enumerate(free_bars):
        for b in free_bars[i + 1 :]:
            overlap = _x_overlap(a, b)
            gap = _v_gap(a, b)
            if (
                overlap >= 0.3 * min(a.w, b.w)
                and 0 <= gap <= min(0.8 * height, 1.2 * max(a.w, b.w))
                and min(a.w, b.w) >= 0.35 * max(a.w, b.w)
                and _between_is_empty(a, b, comps)
            ):
                pairs.append((gap / max(min(a.w, b.w), 1), a, b))
    for _, a, b in sorted(pairs, key=lambda p: p[0]):
        if a.id in used or b.id in used:
            continue
        groups.append(([a, b], _EQUALS))
        used.update({a.id, b.id})
    for bar in bars:
        if bar.id in used:
            continue
        mark = _short_twin(bar, [c for c in comps if c.id not in used], pen, height)
        if mark is not None:
            groups.append(([bar, mark], _EQUALS))
            used.update({bar.id, mark.id})
    for a, b in _stubby_pairs([c for c in comps if c.id not in used], comps, pen, height):
        groups.append(([a, b], _EQUALS))
        used.update({a.id, b.id})

    # Parts of one symbol: a lifted hat (5, 7), a detached stroke (4, x drawn
    # as two arcs) overlaps its other part horizontally and almost touches it.
    # A bar with ink both above and below it is a fraction bar: never a part.
    rest = [c for c in comps if c.id not in used]
    parent = {c.id: c.id for c in rest}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def fraction_bar(c: Component) -> bool:
        if not _is_bar(c, pen, height):
            return False
        up = down = False
        for o in comps:
            if o.id == c.id or _x_overlap(o, c) <= 0.2 * min(o.w, c.w):
                continue
            up |= o.cy < c.y
            down |= o.cy > c.bottom
        return up and down

    for i, a in enumerate(rest):
        for b in rest[i + 1 :]:
            if _is_dot(a, pen, height) and _is_dot(b, pen, height):
                # A point dabbed twice: two specks close together are one point
                # (two decimal points in a row mean nothing).
                if _gap(a, b) <= max(1.5 * pen, 0.5 * max(a.w, a.h, b.w, b.h), 0.15 * height):
                    parent[find(a.id)] = find(b.id)
                continue
            if _is_dot(a, pen, height) or _is_dot(b, pen, height):
                dot, body = (a, b) if _is_dot(a, pen, height) else (b, a)
                if _is_speck_inside(dot, body, pen, height, labels):
                    parent[find(a.id)] = find(b.id)
                continue
            small, big = (a, b) if a.w * a.h <= b.w * b.h else (b, a)
            if _is_comma(small, big, rest, height):
                continue
            if _is_hat(small, big, pen, height) and not fraction_bar(small):
                parent[find(a.id)] = find(b.id)
                continue
            if _is_bar(small, pen, height) and _is_foot(small, big, comps, pen, height):
                parent[find(a.id)] = find(b.id)
                continue
            overlap = _x_overlap(a, b)
            if overlap < 0.6 * small.w:
                continue
            if _v_gap(a, b) > max(0.12 * height, 1.5 * pen):
                continue
            if small.w > 1.4 * big.w and _is_bar(small, pen, height):
                continue  # a long bar over a short symbol: a fraction or a root's bar
            if fraction_bar(a) or fraction_bar(b):
                continue
            if _is_bar(a, pen, height) and _is_bar(b, pen, height):
                continue
            # A symbol under a root's bar or inside a tall bracket lies wholly
            # within the bigger box; a lifted part sticks out of it.
            if (
                small.x >= big.x - pen
                and small.right <= big.right + pen
                and small.y >= big.y - pen
                and small.bottom <= big.bottom + pen
            ):
                continue
            if big.h > 1.6 * height:
                continue
            parent[find(a.id)] = find(b.id)
    clusters: dict[int, list[Component]] = {}
    for c in rest:
        clusters.setdefault(find(c.id), []).append(c)
    for members in clusters.values():
        allowed: frozenset[str] | None = None
        if len(members) == 1:
            c = members[0]
            low = _is_low_mark(c, rest, height)
            dot_shaped = _is_dot(c, pen, height)
            dash = dot_shaped and _is_middle_dash(c, rest, height)
            if (_is_bar(c, pen, height) and not low) or dash:
                allowed = _MINUS
            elif dot_shaped and not low and _is_middle_blot(c, rest, pen, height):
                allowed = _MIDDLE_BLOT
            elif dot_shaped or low:
                allowed = frozenset({"."})
        elif all(_is_dot(c, pen, height) for c in members):
            allowed = frozenset({"."})
        groups.append((members, allowed))
    return groups


def _union_box(members: Sequence[Component]) -> tuple[int, int, int, int]:
    x0 = min(c.x for c in members)
    y0 = min(c.y for c in members)
    x1 = max(c.right for c in members)
    y1 = max(c.bottom for c in members)
    return x0, y0, x1 - x0, y1 - y0


def _mask(labels: np.ndarray, ids: Sequence[int], box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    crop = labels[y : y + h, x : x + w]
    if len(ids) == 1:
        return np.asarray(crop == ids[0])
    return np.isin(crop, ids)


# --------------------------------------------------------------------------- splitting


def _roof(mask: np.ndarray, pen: float, *, read_as_root: bool = False) -> tuple[int, int] | None:
    """The columns of a root's bar, if *mask* is a root: (first, last) or ``None``.

    A root is a hook on the left rising into a bar that runs along the top
    over most of the width. When the model already reads the blob as a root
    (*read_as_root*), the shape only has to agree, not to prove it alone: a
    radicand hanging from the bar may reach below the root's foot and cover
    much of the room under the bar (``\\sqrt{4}`` nested in another root).
    """
    h, w = mask.shape
    if w < 4 * pen:
        return None
    has_ink = mask.any(axis=0)
    top = np.where(has_ink, mask.argmax(axis=0), h)
    band = top <= max(2.5 * pen, h / 6)
    cols = np.flatnonzero(band)
    if cols.size < 0.5 * w:
        return None
    # The bar is the longest run of such columns (a hook's tip may reach the
    # band too, left of where the bar starts); tiny gaps are bridged.
    breaks = np.flatnonzero(np.diff(cols) > max(2.0, 0.3 * pen)) + 1
    runs = np.split(cols, breaks)
    bar = max(runs, key=lambda r: int(r[-1] - r[0]))
    first, last = int(bar[0]), int(bar[-1])
    # A hook is narrow next to a long bar: over a long radicand its width goes
    # with the root's height, not with how far the bar runs.
    least = 0.06 * h if w >= 1.8 * h else 0.12 * w
    if last - first < 0.5 * w or not least <= first <= 0.5 * w or w < 0.9 * h:
        return None
    # The hook reaches the bottom left of the bar's start (not quite, when a
    # long radicand still attached hangs lower than the root's foot) ...
    low = 0.7 if w >= 1.8 * h else 0.85
    if read_as_root:
        low = min(low, LENIENT_FOOT)
    if not mask[int(low * h) :, : first + max(1, round(pen))].any():
        return None
    # ... and a thin bar leaves room below itself over most of its length
    # (a loop's top, as in 0 or 9, is a bar with a wall at each end).
    # Per column: no ink in the rows from 2 pens under its top, h/8 deep
    # (counted from running sums down the columns, all columns at once).
    span = top[first : last + 1]
    start = np.minimum(h - 1, span + round(2 * pen))
    end = np.minimum(h, span + round(2 * pen) + max(2, h // 8))
    sums = np.zeros((h + 1, span.size), np.int32)
    np.cumsum(mask[:, first : last + 1], axis=0, out=sums[1:])
    cols = np.arange(span.size)
    below = sums[end, cols] == sums[start, cols]
    if np.mean(below) < (LENIENT_ROOM if read_as_root else 0.5):
        return None
    return first, last


#: For a blob the model reads as a root: its hook need only reach this low ...
LENIENT_FOOT = 0.6
#: ... and this share of its bar need room below.
LENIENT_ROOM = 0.3


def _under_roof(
    cand: Candidate, pen: float, height: float, *, read_as_root: bool = False
) -> list[Candidate]:
    """Separate what touches a root from below (its radicand) from the root itself."""
    mask = cand.mask
    roof = _roof(mask, pen, read_as_root=read_as_root)
    if roof is None:
        return [cand]
    first, last = roof
    h, w = mask.shape
    has_ink = mask.any(axis=0)
    top = np.where(has_ink, mask.argmax(axis=0), 0)
    thickness = max(2, round(1.6 * pen))
    inner = mask.copy()
    edge = min(w - 1, first + round(2 * pen))
    inner[:, :edge] = False
    for x in range(first, last + 1):
        inner[: top[x] + thickness, x] = False
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        inner.astype(np.uint8), connectivity=8
    )
    keep = [
        i
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= 3 * pen * pen
        and stats[i, cv2.CC_STAT_HEIGHT] >= 0.3 * height
        and not _rest_of_stem(labels == i, edge, h)
        and not _end_tick(stats[i], edge, last, top + thickness, pen, max(height, 0.25 * h))
    ]
    if not keep:
        return [cand]
    x0, y0, _, _ = cand.box
    root = mask.copy()
    out = []
    for i in keep:
        piece = labels == i
        root &= ~piece
        px, py, pw, ph = (int(v) for v in stats[i, :4])
        out.append(
            Candidate(
                box=(x0 + px, y0 + py, pw, ph),
                mask=piece[py : py + ph, px : px + pw],
                components=cand.components,
            )
        )
    found = crop_to_ink(root)
    assert found is not None  # the root keeps its bar
    tight, dx, dy = found
    box = (x0 + dx, y0 + dy, tight.shape[1], tight.shape[0])
    out.append(Candidate(box=box, mask=tight, components=cand.components, allowed=None))
    return out


def _end_tick(
    stat: np.ndarray, edge: int, last: int, below_bar: np.ndarray, pen: float, height: float
) -> bool:
    """A short stroke hanging from either end of a root's bar: part of the root, not a ``1``.

    At the bar's end it is the writer's serif; at its start, the top of a
    stem that leans into the bar, left over right of the cut at *edge*. It
    hangs straight from the bar (its top right under it), no wider than a
    few pens and shorter than a symbol; a radicand's ``1`` touching the bar
    there is as tall as a digit. *below_bar* is the first row under the bar
    in each column. A root over a fraction is much taller than
    a digit, and so are its ticks: *height* is the larger of the two scales.
    """
    x, y, w, h = (int(v) for v in stat[:4])
    at_end = x >= last - 3 * pen and x + w >= last - pen
    at_start = x <= edge + pen
    hangs = y <= int(below_bar[x : x + w].max()) + 1
    return (at_end or at_start) and w <= 3 * pen and hangs and h < 0.6 * height


def _rest_of_stem(piece: np.ndarray, edge: int, h: int) -> bool:
    """The lower end of a root's own stem, left behind by the cut at *edge*.

    A stem that curves into the bar crosses the cut column on its way down
    to the root's foot, a thin upright stroke; a radicand that touches the
    foot is as wide as a symbol.
    """
    rows = np.flatnonzero(piece.any(axis=1))
    cols = np.flatnonzero(piece.any(axis=0))
    upright = cols[-1] - cols[0] + 1 <= 0.4 * (rows[-1] - rows[0] + 1)
    return upright and bool(piece[:, edge].any()) and rows[-1] >= 0.85 * h


def _needs_split(box: tuple[int, int, int, int], mask: np.ndarray, height: float) -> bool:
    """Too wide for one symbol (roots were handled before)."""
    _, _, w, h = box
    # Wider than five symbols is a bar or a root, never a run of touching symbols;
    # narrower than a symbol is one symbol (two touching 1s are about that wide).
    return 0.9 * height <= w <= 5 * height and w >= 0.8 * h


#: A blob the model reads whole with at least this probability is not cut.
SURE = 0.9
#: Most cut columns tried in one blob.
MAX_CUTS = 10
#: A cut whose bigger piece keeps this share of the ink and the blob's own reading
#: only trimmed a stroke's end (the tail of an x's long stroke), never two symbols.
TRIM = 0.7
#: Deepest recursion of cuts (a blob of up to 2**depth touching symbols).
MAX_DEPTH = 3


def _cut_positions(mask: np.ndarray, pen: float, height: float) -> list[int]:
    """Columns worth cutting at: thin places in the ink's column profile.

    Touching symbols meet where a stroke or two cross the column, so only
    local minima of the profile that are at most a few pen widths of ink are
    tried, the thinnest first.
    """
    h, w = mask.shape
    margin = max(2, round(0.25 * height))
    if w - margin <= margin:
        return []
    profile = mask.sum(axis=0).astype(np.float64)
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    limit = 5.0 * pen
    minima = [
        x
        for x in range(margin, w - margin)
        if smooth[x] <= limit and smooth[x] <= smooth[x - 1] and smooth[x] <= smooth[x + 1]
    ]
    minima.sort(key=lambda x: smooth[x])
    # Overlapping symbols meet without a thin place; a coarse grid covers them.
    grid = list(range(margin, w - margin + 1, max(2, round(height / 4))))
    chosen: list[int] = []
    gap = max(2.0, pen)
    for x in minima + grid:
        if len(chosen) >= MAX_CUTS:
            break
        if all(abs(x - c) >= gap for c in chosen):
            chosen.append(x)
    return sorted(chosen)


#: A piece cut off a blob read as a bracket must be at least this share of a symbol's height.
SHORT_BRACKET = 0.75
# Besides a straight vertical line, each cut column is tried as a path that
# bends round the ink (:func:`_bent_lines`). Leaning straight lines were tried
# too and over-split more than they helped.

#: How far a bent cut may stray from its column, as a share of the blob's height.
BEND_REACH = 0.15
#: Cost of one column's step sideways, and of each column away from the start, in
#: pixels of ink crossed: the path keeps straight unless bending saves ink.
STEP_COST, AWAY_COST = 0.1, 0.02


def _bent_lines(mask: np.ndarray, cuts: Sequence[int]) -> np.ndarray:
    """(len(cuts), h): per row, the column of the path near each cut that crosses the least ink.

    Two digits that touch where one's flag meets the other's stem (a writer
    who flags their 1s) have no column that misses both: a straight cut
    takes a piece of the flag with the left digit, which then reads as a
    ``+``. A path that may step a column sideways per pair of rows crosses
    only at the joint. It is a dynamic programme over pairs of rows (either
    row's ink counts) within :data:`BEND_REACH` of the blob's height from its
    cut, run for all cuts at once: the per-row loop is the cost, not the
    arithmetic, and pairing rows halved it (0.73 → 0.44 ms a canvas, mean).
    """
    full_h, w = mask.shape
    reach = max(1, round(BEND_REACH * full_h))
    if full_h % 2:
        mask = np.vstack([mask, np.zeros((1, w), mask.dtype)])
    mask = mask[0::2] | mask[1::2]
    h = mask.shape[0]
    offsets = np.arange(-reach, reach + 1)
    cols = np.asarray(cuts, np.int64)[:, None] + offsets[None, :]  # (K, B)
    outside = (cols < 1) | (cols > w - 1)
    cols = np.clip(cols, 1, w - 1)
    # (h, K, B): ink under each candidate column, walls outside the blob.
    step = mask[:, cols].astype(np.float64) + AWAY_COST * np.abs(offsets)[None, None, :]
    step[:, outside] = np.inf
    cost = step[0].copy()
    moves = np.zeros((h, *cost.shape), np.int8)
    wall = np.full((len(cuts), 1), np.inf)
    for y in range(1, h):
        from_left = np.concatenate((wall, cost[:, :-1]), axis=1) + STEP_COST
        from_right = np.concatenate((cost[:, 1:], wall), axis=1) + STEP_COST
        best = np.minimum(cost, np.minimum(from_left, from_right))
        moves[y] = np.where(best == cost, 0, np.where(best == from_left, -1, 1))
        cost = best + step[y]
    k = np.arange(len(cuts))
    j = np.argmin(cost, axis=1)
    path = np.empty((len(cuts), h), np.int64)
    for y in range(h - 1, -1, -1):
        path[:, y] = cols[k, j]
        j = j + moves[y, k, j]
    return np.repeat(path, 2, axis=1)[:, :full_h]


def _bent_cuts(mask: np.ndarray, cuts: Sequence[int], pen: float) -> list[tuple[int, np.ndarray]]:
    """The bent cuts worth reading: each through a joint thinner than a pen's width
    (where two strokes merely touch) that its straight line missed, each path once.

    A cut whose straight line already crosses at most a pen of ink is not
    searched: the search and, above all, reading the pieces are most of a
    split's cost.
    """
    rows = np.arange(mask.shape[0])
    across = {cut: int(mask[:, cut].sum()) for cut in cuts}
    worth = [cut for cut in cuts if across[cut] > pen]
    if not worth:
        return []
    out: list[tuple[int, np.ndarray]] = []
    seen: set[bytes] = set()
    for cut, line in zip(worth, _bent_lines(mask, worth), strict=True):
        crossed = int(mask[rows, line].sum())
        if crossed <= pen and crossed < across[cut] and line.tobytes() not in seen:
            seen.add(line.tobytes())
            out.append((cut, line))
    return out


def _halves(mask: np.ndarray, line: np.ndarray) -> list[tuple[np.ndarray, int, int]]:
    """The two sides of a cut given as a column per row (a vertical line, or a bent one).

    Each side loses the small bits of the neighbour that the line leaves on
    its edge, and is cropped tight: (mask, x offset, y offset) in *mask*.
    """
    h, w = mask.shape
    ys, xs = np.mgrid[0:h, 0:w]
    line = np.asarray(line, np.float64).reshape(h, 1)
    left_side = xs < line
    out = []
    for side in (left_side, ~left_side):
        piece = mask & side
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            piece.astype(np.uint8), connectivity=8
        )
        if count > 2:
            total = int(stats[1:, cv2.CC_STAT_AREA].sum())
            near = np.abs(xs - line) < 1.5
            touching = set(np.unique(labels[near & piece]).tolist()) - {0}
            keep = np.ones(count, bool)
            keep[0] = False
            for i in touching:
                if stats[i, cv2.CC_STAT_AREA] < 0.3 * total:
                    keep[i] = False
            piece = keep[labels]
        found = crop_to_ink(piece)
        if found is None:
            return []
        out.append(found)
    return out


def confidence(probs: np.ndarray) -> float:
    """How sure the model is of what a candidate is, for cutting it or not.

    ``x`` and ``\\times`` are one shape, which the context tells apart
    later: a blob read 0.68 x and 0.28 times is a sure x-like mark, not a
    doubtful one worth cutting up.
    """
    return max(float(probs.max()), float(probs[_X] + probs[_TIMES]))


_X, _TIMES = CLASS_INDEX["x"], CLASS_INDEX["\\times"]
_ONE = CLASS_INDEX["1"]
_DIGIT_INDICES = frozenset(CLASS_INDEX[str(d)] for d in range(10))


def _digits_or_coefficient(labels: Sequence[int], probs: Sequence[np.ndarray]) -> bool:
    """Two sure digits, or a sure digit and then a sure x: what a touching "02" or "2x" is cut into."""
    if not all(confidence(p) >= SURE for p in probs):
        return False
    if all(label in _DIGIT_INDICES for label in labels):
        return True
    return len(labels) == 2 and labels[0] in _DIGIT_INDICES and labels[1] in (_X, _TIMES)


def _split(
    cand: Candidate,
    model: ProbabilityModel,
    pen: float,
    height: float,
    reference: float,
    depth: int = 0,
    *,
    digits_only: bool = False,
    with_one: bool = False,
) -> list[Candidate]:
    """Cut a blob in two where the classifier likes the two pieces best, recursively.

    Each thin place in the ink is tried as a cut: a straight one, and a bent
    one where that crosses a joint thinner than the pen (:func:`_bent_cuts`),
    which counts only when both its pieces read as digits. The two pieces are
    scored by the log-probability of their best class, and the best cut is
    kept only if it beats the blob read whole. A piece that is itself wide
    and doubtful is split again. A bar or a dot cut off a blob is nearly
    always a symbol's own stroke end (a 5's hat, a 1's foot), and ")(" out of
    one blob is an x written as two arcs far more often than two touching
    brackets, so neither counts as a split.

    *digits_only* takes only cuts into sure digits (or a digit and its x);
    *with_one* only straight cuts that part a narrow 1 off an end.
    """
    assert cand.probabilities is not None
    whole = math.log(max(confidence(cand.probabilities), 1e-6))
    mask = cand.mask
    pieces: list[tuple[tuple[int, bool], np.ndarray, int, int]] = []
    cuts = _cut_positions(mask, pen, height)
    if with_one:
        # A 1 is narrow: only cuts that leave a narrow piece at one end.
        narrow = ONE_WIDTH * mask.shape[0]
        cuts = [cut for cut in cuts if min(cut, mask.shape[1] - cut) <= narrow]
    lines: list[tuple[tuple[int, bool], np.ndarray]] = [
        ((cut, False), np.full(mask.shape[0], cut)) for cut in cuts
    ]
    if not with_one:
        lines += [((cut, True), line) for cut, line in _bent_cuts(mask, cuts, pen)]
    for key, line in lines:
        halves = _halves(mask, line)
        if len(halves) == 2 and all(np.count_nonzero(m) >= 2 * pen * pen for m, _, _ in halves):
            pieces.extend((key, m, dx, dy) for m, dx, dy in halves)
    if not pieces:
        return [cand]
    probs = score_masks(model, [p[1] for p in pieces], pen, reference)
    by_cut: dict[tuple[int, bool], list[int]] = {}
    for i, (key, *_rest) in enumerate(pieces):
        by_cut.setdefault(key, []).append(i)
    thin = (CLASS_INDEX["-"], CLASS_INDEX["."])
    close, open_ = CLASS_INDEX[")"], CLASS_INDEX["("]
    best: tuple[float, list[int]] | None = None
    whole_label = int(np.argmax(cand.probabilities))
    ink = np.count_nonzero(mask)
    for idx in by_cut.values():
        labels = [int(np.argmax(probs[i])) for i in idx]
        if any(label in thin for label in labels) or labels == [close, open_]:
            continue
        if pieces[idx[0]][0][1] and not all(label in _DIGIT_INDICES for label in labels):
            continue  # a bent cut finds plausible pieces in an x's arms; only digits may come of it
        if any(
            label in (close, open_) and pieces[i][1].shape[0] < SHORT_BRACKET * height
            for label, i in zip(labels, idx, strict=True)
        ):
            continue  # a bracket is as tall as the digits: a short one is a sliver of a digit
        if digits_only and not _digits_or_coefficient(labels, [probs[i] for i in idx]):
            continue  # only sure digits (or a digit and its x) may come out of a sure x
        if with_one and _ONE not in labels:
            continue  # ... and only a 1 and its neighbour out of a sure digit
        if any(
            label == whole_label and np.count_nonzero(pieces[i][1]) >= TRIM * ink
            for label, i in zip(labels, idx, strict=True)
        ):
            continue  # a stroke's end trimmed off the very symbol the blob reads as
        total = sum(math.log(max(confidence(probs[i]), 1e-6)) for i in idx)
        if best is None or total > best[0]:
            best = (total, idx)
    if best is None or best[0] <= whole + (DIGITS_MARGIN if digits_only else 0.0):
        return [cand]
    x0, y0, _, _ = cand.box
    out: list[Candidate] = []
    for i in best[1]:
        _key, tight, dx, dy = pieces[i]
        part = Candidate(
            box=(x0 + dx, y0 + dy, tight.shape[1], tight.shape[0]),
            mask=tight,
            components=cand.components,
            probabilities=probs[i],
        )
        if (
            depth + 1 < MAX_DEPTH
            and confidence(probs[i]) < SURE
            and (
                _needs_split(part.box, part.mask, height)
                # two touching small symbols, as in a two-digit exponent
                or (part.box[2] >= 1.1 * part.box[3] and part.box[2] >= 0.45 * height)
            )
        ):
            out.extend(_split(part, model, pen, height, reference, depth + 1))
        else:
            out.append(part)
    return out


def replace_probs(cand: Candidate, probs: np.ndarray) -> Candidate:
    return Candidate(cand.box, cand.mask, cand.components, cand.allowed, probs.astype(np.float32))


# --------------------------------------------------------------------------- entry point


@dataclass(frozen=True)
class Segmentation:
    """Candidates from grouping components, with the scale they were judged at."""

    candidates: list[Candidate]
    pen_width: float
    height: float
    """Typical symbol height in pixels (see :func:`mathocr.marks.typical_height`)."""
    marks: int = 0
    """How many pieces of ink there were; above :data:`mathocr.marks.MAX_MARKS` none become candidates."""
    reference: float = 1.0
    """Typical pen-free symbol height of the candidates (:func:`mathocr.geometry.typical_size`)."""


def group_components(
    binary: np.ndarray, *, pen_width: float, marks: Marks | None = None
) -> Segmentation:
    """Components gathered into symbol candidates by shape alone (no classifier).

    *marks*, when given, is :func:`find_marks` of the same image and pen.
    """
    if marks is None:
        marks = find_marks(binary, pen_width=pen_width)
    labels, comps, pen = marks.labels, marks.components, marks.pen_width
    if not usable(comps):
        # Hundreds of separate marks are a texture or noise, not an expression;
        # grouping them would cost quadratic time for nothing.
        return Segmentation([], pen, 0.0, len(comps), 1.0)
    height = marks.height
    candidates: list[Candidate] = []
    for members, allowed in _group(comps, pen, height, labels):
        box = _union_box(members)
        ids = tuple(sorted(c.id for c in members))
        mask = _mask(labels, ids, box)
        if allowed == _MINUS and len(ids) == 1 and _two_bars(mask):
            allowed = _EQUALS  # an "=" whose bars touch at an end or two
        cand = Candidate(box=box, mask=mask, components=ids, allowed=allowed)
        if allowed is None:
            candidates.extend(_off_the_bar(cand, comps, pen, height))
        else:
            candidates.append(cand)
    candidates.sort(key=lambda c: (c.box[0], c.box[1]))
    reference = typical_mask_size((c.mask for c in candidates), pen)
    return Segmentation(candidates, pen, height, len(comps), reference)


#: Share of a bar's columns that must cross ink twice for it to be two bars run together.
TWO_BARS = 0.5


def _two_bars(mask: np.ndarray) -> bool:
    """Whether a bar-shaped piece of ink is two bars joined, as a quick ``=`` often is.

    Drawn fast, the two strokes of ``=`` touch at one end or both and make
    one component, which is flat and wide like a minus. Along most of its
    length, though, a column down through it crosses two strokes with paper
    between, where a minus (however thick or slanted) is crossed once.
    """
    ink = np.asarray(mask, bool)
    columns = ink.any(axis=0)
    if not columns.any():
        return False
    # Entries into ink going down each column: 1 for one stroke, 2 for two.
    entries = np.count_nonzero(ink[1:] & ~ink[:-1], axis=0) + ink[0]
    return float(np.mean(entries[columns] >= 2)) >= TWO_BARS


def _without_crumbs(part: np.ndarray, least: float) -> np.ndarray:
    """*part* without the pieces smaller than *least* pixels (bits of a bar's edge)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        part.astype(np.uint8), connectivity=8
    )
    if count <= 2:
        return part
    keep = stats[:, cv2.CC_STAT_AREA] >= least
    keep[0] = False
    return np.asarray(keep[labels])


def _bar_band(mask: np.ndarray, top: int, bottom: int, pen: float) -> np.ndarray:
    """The bar's own ink, following its slant: a slanting bar is level only over a short stretch.

    *top*:*bottom* are the rows full across the blob. In strips a few pen
    widths wide, the run of full rows nearest them shows where the bar is;
    a straight line through the strips where the run is no thicker than the
    bar (not where a symbol's stroke lies along it) gives the bar's middle,
    and the bar is the ink within its thickness of that line.
    """
    h, w = mask.shape
    step = max(3, round(3 * pen))
    thick = bottom - top
    lo, hi = max(0, top - round(2 * pen)), min(h, bottom + round(2 * pen))
    mid = (top + bottom) / 2 - lo
    xs, ys_mid = [], []
    for x in range(0, w, step):
        strip = mask[lo:hi, x : x + step]
        ys = np.flatnonzero(strip.sum(axis=1) >= 0.6 * strip.shape[1])
        if ys.size == 0:
            continue
        runs = np.split(ys, np.flatnonzero(np.diff(ys) > 1) + 1)
        run = min(runs, key=lambda r: abs((r[0] + r[-1]) / 2 - mid))
        if run[-1] - run[0] + 1 <= thick + pen:
            xs.append(x + strip.shape[1] / 2)
            ys_mid.append(lo + (run[0] + run[-1]) / 2)
    if len(xs) >= 2:
        slope, icpt = np.polyfit(xs, ys_mid, 1)
    else:
        slope, icpt = 0.0, (top + bottom - 1) / 2
    centre = slope * np.arange(w) + icpt
    half = thick / 2 + 0.5 * pen
    rows = np.arange(h)[:, None]
    return mask & (np.abs(rows - centre[None, :]) <= half)


def _off_the_bar(
    cand: Candidate, comps: Sequence[Component], pen: float, height: float
) -> list[Candidate]:
    """Free a numerator written onto its fraction bar, or a denominator hung from it.

    The blob is wide and a band of its rows is a bar across most of its
    width; the ink above and below that band is much narrower than the bar.
    When ink is attached on one side only, something must lie on the other
    side (the rest of the fraction). The bar becomes a ``-`` of its own and
    each side a candidate. A root's roof is not a fraction bar.
    """
    x0, y0, w, h = cand.box
    if w < 1.2 * height or h < 1.5 * pen:
        return [cand]
    mask = cand.mask
    rows = mask.sum(axis=1)
    full = rows >= 0.6 * w
    if not full.any():
        return [cand]
    # The thickest run of full rows is the bar.
    best: tuple[int, int] | None = None
    start = None
    for y in range(h + 1):
        inside = y < h and bool(full[y])
        if inside and start is None:
            start = y
        elif not inside and start is not None:
            if best is None or y - start > best[1] - best[0]:
                best = (start, y)
            start = None
    assert best is not None
    top, bottom = best
    if bottom - top > 3 * pen:
        return [cand]
    reach = round(2 * pen)
    clear = (mask[: max(0, top - reach)], mask[bottom + reach :])
    if not any(part.any() for part in clear):
        return [cand]  # a bar and nothing else (most wide blobs): nothing to lift off
    for part in clear:
        cols = np.flatnonzero(part.any(axis=0))
        if cols.size and cols[-1] - cols[0] + 1 > 0.6 * w:
            return [cand]  # wide ink clear of the bar: a symbol's own stroke (checked below too)
    band = _bar_band(mask, top, bottom, pen)
    bar = crop_to_ink(band)
    if bar is None:
        return [cand]
    # Each column's ink off the bar goes to the side of the bar it lies on.
    rows_idx = np.arange(h)[:, None]
    has_bar = band.any(axis=0)
    first_bar = np.where(has_bar, band.argmax(axis=0), (top + bottom) // 2)
    rest = mask & ~band
    sides = []
    for part, is_above in (
        (rest & (rows_idx < first_bar), True),
        (rest & (rows_idx >= first_bar), False),
    ):
        found = crop_to_ink(_without_crumbs(part, 2 * pen * pen))
        if found is None or np.count_nonzero(found[0]) < 2 * pen * pen:
            continue
        if found[0].shape[0] <= 1.2 * pen:
            continue  # a sliver of the bar's own edge
        if found[0].shape[1] > 0.6 * bar[0].shape[1] or found[0].shape[0] < 0.25 * height:
            return [cand]  # a symbol's own stroke (the base of a 2), not a bar
        sides.append((found, is_above))
    if not sides:
        return [cand]
    if len(sides) == 2 and h < 1.6 * height:
        return [cand]  # a plus with a long bar: its stem crosses the bar
    if top < 2 * pen and _roof(mask, pen) is not None:
        return [cand]
    if len(sides) == 1:
        above = sides[0][1]
        edge_top, edge_bottom = y0 + top, y0 + bottom
        other = any(
            (c.y >= edge_bottom - pen and c.y <= edge_bottom + 1.5 * height)
            if above
            else (c.bottom <= edge_top + pen and c.bottom >= edge_top - 1.5 * height)
            for c in comps
            if min(c.right, x0 + w) - max(c.x, x0) > 0.5 * c.w
        )
        if not other:
            return [cand]
    bar_mask, bx, by = bar
    out = [
        Candidate(
            box=(x0 + bx, y0 + by, bar_mask.shape[1], bar_mask.shape[0]),
            mask=bar_mask,
            components=cand.components,
            allowed=_MINUS,
        )
    ]
    for (part, dx, dy), _ in sides:
        out.append(
            Candidate(
                box=(x0 + dx, y0 + dy, part.shape[1], part.shape[0]),
                mask=part,
                components=cand.components,
            )
        )
    return out


def segment(
    binary: np.ndarray,
    *,
    pen_width: float,
    model: ProbabilityModel | None = None,
) -> list[Candidate]:
    """Symbol candidates of a binary image, left to right by box.

    Parameters
    ----------
    binary : (H, W) uint8 ndarray
        1 on ink (as :func:`mathocr.imaging.binarize` returns).
    pen_width : float
        Typical stroke width in pixels.
    model : ProbabilityModel, optional
        Classifies the candidates whose class the shape leaves open, and scores
        the pieces of touching symbols; without it, touching symbols stay
        together and nothing is classified.
    """
    seg = group_components(binary, pen_width=pen_width)
    if model is None:
        return seg.candidates
    free = [i for i, c in enumerate(seg.candidates) if c.allowed is None]
    if not free:
        return seg.candidates
    probs = score_masks(model, [seg.candidates[i].mask for i in free], seg.pen_width, seg.reference)
    return resolve_touching(seg, dict(zip(free, probs, strict=True)), model)


def resolve_touching(
    seg: Segmentation, probs: dict[int, np.ndarray], model: ProbabilityModel
) -> list[Candidate]:
    """Free touching radicands and cut touching symbols, given each free candidate's probabilities.

    *probs* maps a candidate's index to its class probabilities (the
    candidates whose class the shape leaves open). A roof-shaped blob the
    model reads as a root has what touches it from below cut away; a blob at
    least as wide as a symbol goes to the sliding-window split when the model
    is unsure of it whole, or when it is far too wide for one symbol. Every
    returned candidate carries probabilities except parts freed from under a
    root, which still need classifying.
    """
    candidates, pen, height, ref = seg.candidates, seg.pen_width, seg.height, seg.reference
    # An x's two arcs are joined before either is cut: a wide arc the model
    # doubts would otherwise be split, and its pieces no longer pair up.
    scored = [replace_probs(c, probs[i]) if i in probs else c for i, c in enumerate(candidates)]
    # Before cutting, both must be doubtful: a sure digit beside a blob of
    # touching digits ("13" then "2") can read as an x together.
    early = _arc_joins(scored, model, pen, height, ref, both_doubtful=True)
    paired = {k for i, j, _ in early for k in (i, j)}
    replaced: dict[int, list[Candidate]] = {}
    for i, p in probs.items():
        if i in paired:
            continue
        cand = scored[i]
        parts = _resolve(cand, model, pen, height, ref, 0)
        if (
            len(parts) == 1
            and (parts[0].allowed == _ROOT_ONLY or int(np.argmax(p)) == CLASS_INDEX["\\sqrt"])
            and confidence(p) < SURE
            and _needs_split(cand.box, cand.mask, height)
            and not _has_radicand(cand, candidates)
        ):
            # A root with nothing under its bar is no root: touching symbols
            # whose first one has a bar-like top (a 5's hat running into a 3).
            split = _split(cand, model, pen, height, ref)
            if len(split) > 1:
                parts = split
        replaced[i] = parts
    out = [q for i, c in enumerate(candidates) if i not in paired for q in replaced.get(i, [c])]
    out += [u for _, _, u in early]
    out.sort(key=lambda c: (c.box[0], c.box[1]))
    return _join_arcs(out, model, pen, height, ref)


def _has_radicand(root: Candidate, candidates: Sequence[Candidate]) -> bool:
    """Whether another candidate sits under *root*'s bar, right of its hook."""
    x, y, w, h = root.box
    for other in candidates:
        if other.box == root.box:
            continue  # the root itself
        ox, oy, ow, oh = other.box
        cx, cy = ox + ow / 2, oy + oh / 2
        if x + 0.25 * w <= cx <= x + w and y <= cy <= y + 1.25 * h:
            return True
    return False


#: The classes a symbol written as two separate side-by-side strokes may take.
TWO_ARCS = ("x", "\\times")
#: A half read as x at least this surely is an x of its own beside the other half.
HALF_X = 0.5
#: How sure the model must be of two doubtful neighbours joined to read them as one ``x`` ...
ARC_SURE = 0.95
#: ... or how fairly sure, when that is ARC_ODDS times the likelihood of the two halves'
#: own readings (valid and train300 unchanged; white-on-dark photos +1). At 4 times, a 3 (0.52)
#: and a 1 (0.32) side by side on a valid photo were joined into an x (0.93).
ARC_LIKELY = 0.8
ARC_ODDS = 8.0
#: ... and a sure one this many times (valid canvas +1; train300 and the photo variants unchanged).
SURE_ODDS = 2.0


#: How far two halves of an x may reach into each other's box, as a share of the narrower:
#: the strokes of an x drawn as a slash and a hook cross (a KAIST writer's halves overlapped
#: by 0.32 and 0.33 of the narrower width). 0.3 before; at 0.5, the valid images and every 2nd
#: train expression are unchanged and the robustness images gain one (1007 -> 1008).
ARC_OVERLAP = 0.5


def _arc_pair(a: Candidate, b: Candidate, height: float) -> bool:
    """Two free pieces side by side that could be the halves of one ``x``.

    An ``x`` drawn as two arcs (``)(`` turned back to back, or ``⊃⊂``) leaves
    two pieces of about the same height, level with each other, almost
    touching or crossing (:data:`ARC_OVERLAP`), each clearly narrower than
    the pair; together they are about as wide as tall. Brackets around a
    product, ``)(``, are much taller than wide together, so they do not
    qualify.
    """
    if a.allowed is not None or b.allowed is not None or set(a.components) & set(b.components):
        return False
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    if min(ah, bh) < 0.6 * max(ah, bh):
        return False
    if min(ay + ah, by + bh) - max(ay, by) < 0.6 * min(ah, bh):
        return False
    gap = bx - (ax + aw)
    if gap > 0.25 * max(ah, bh) or gap < -ARC_OVERLAP * min(aw, bw):
        return False
    x0, y0 = min(ax, bx), min(ay, by)
    w = max(ax + aw, bx + bw) - x0
    h = max(ay + ah, by + bh) - y0
    return 0.7 * h <= w <= 2.3 * h and h <= 1.3 * height and max(aw, bw) <= 0.75 * w


def _arc_joins(
    cands: list[Candidate],
    model: ProbabilityModel,
    pen: float,
    height: float,
    reference: float,
    *,
    both_doubtful: bool = False,
) -> list[tuple[int, int, Candidate]]:
    """Neighbours ``(i, j, union)`` that the model reads as one ``x`` better than as two symbols.

    Geometry alone cannot tell an ``x`` written as two strokes from two
    narrow symbols side by side (``2c``, ``)(``, ``1 1``), so the pair's union is
    classified and joined only when the model reads it as an ``x`` (or
    ``\\times``) much more surely than the halves as what they look like
    (:func:`_x_beats_halves`) while doubting at least one half, and neither
    half is an ``x`` already (a digit and an x side by side read as an x too),
    unless the halves reach into each other's box: the two strokes of one
    ``x`` cross, where a digit beside an ``x`` keeps to its own side.
    On photos the halves are often read fairly surely as ``)`` and ``2``.
    With *both_doubtful* (before any blob is cut) neither half may be sure.
    """
    arcs = [CLASS_INDEX[c] for c in TWO_ARCS]

    def worth_trying(a: Candidate, b: Candidate) -> bool:
        # One half at least is doubtful, and neither is an x already (an x
        # beside a digit joined reads as an x too); checked before classifying.
        if a.probabilities is None or b.probabilities is None:
            return False
        pa, pb = a.probabilities, b.probabilities
        if min(float(pa.max()), float(pb.max())) >= SURE:
            return False
        if both_doubtful and max(float(pa.max()), float(pb.max())) >= SURE:
            return False
        crossing = a.box[0] + a.box[2] - b.box[0] >= max(2.0, 1.5 * pen)
        sure_x = [p for p in (pa, pb) if int(np.argmax(p)) in arcs and confidence(p) >= HALF_X]
        if not crossing and sure_x:
            return False
        if not _arc_pair(a, b, height):
            return False
        # An x's arcs are open; a 0, 6, 8 or 9 is not (checked last: it costs most).
        return not (_has_loop(a.mask, pen) or _has_loop(b.mask, pen))

    pairs = []
    for i, a in enumerate(cands):
        j = _right_neighbour(cands, i)
        if j is not None and worth_trying(a, cands[j]):
            pairs.append((i, j))
    if not pairs:
        return []
    unions = [_union(cands[i], cands[j]) for i, j in pairs]
    probs = score_masks(model, [u.mask for u in unions], pen, reference)
    used: set[int] = set()
    joined: list[tuple[int, int, Candidate]] = []
    for (i, j), union, p in zip(pairs, unions, probs, strict=True):
        if i in used or j in used:
            continue
        best = int(np.argmax(p))
        if (
            best in arcs
            and _x_beats_halves(confidence(p), cands[i], cands[j])
            and not _two_digits(cands[i], cands[j], confidence(p))
        ):
            union = replace(union, probabilities=p.astype(np.float32), parts=(cands[i], cands[j]))
            joined.append((i, j, union))
            used.update((i, j))
    return joined


def _join_arcs(
    cands: list[Candidate], model: ProbabilityModel, pen: float, height: float, reference: float
) -> list[Candidate]:
    """*cands* with the neighbours :func:`_arc_joins` finds to be one ``x`` joined."""
    joined = _arc_joins(cands, model, pen, height, reference)
    if not joined:
        return cands
    used = {k for i, j, _ in joined for k in (i, j)}
    out = [c for k, c in enumerate(cands) if k not in used] + [u for _, _, u in joined]
    out.sort(key=lambda c: (c.box[0], c.box[1]))
    return out


def _x_beats_halves(as_x: float, a: Candidate, b: Candidate) -> bool:
    """Whether the union's reading as an ``x`` (*as_x*) is worth joining the two halves for.

    It is when it is likelier than the two halves read as what they look
    like: :data:`SURE_ODDS` times for a sure x (a ``3`` at 0.87 beside a
    thick-pen ``6`` read ``(`` at 0.91 joined into an x at 0.96), and
    :data:`ARC_ODDS` times for a fairly sure one (on a white-on-dark photo an
    x's arcs came out as ``0`` (0.31) and ``2`` (0.16), and their union as an
    x at 0.94, just under :data:`ARC_SURE`).
    """
    halves = _pair_likelihood(a, b)
    if as_x >= ARC_SURE:
        return as_x >= SURE_ODDS * halves
    return as_x >= ARC_LIKELY and as_x >= ARC_ODDS * halves


def _pair_likelihood(a: Candidate, b: Candidate) -> float:
    """How likely two scored neighbours are as what each reads as best, side by side."""
    assert a.probabilities is not None and b.probabilities is not None
    return float(a.probabilities.max()) * float(b.probabilities.max())


def _right_neighbour(cands: Sequence[Candidate], i: int) -> int | None:
    """The next candidate to the right of ``cands[i]`` on its own line.

    Candidates are in left-to-right order, so in a fraction the next one may
    sit in the other row: the two halves of an ``x`` in a denominator have
    the numerator's first symbol between them in that order.
    """
    _, ay, _, ah = cands[i].box
    for j in range(i + 1, len(cands)):
        _, by, _, bh = cands[j].box
        if min(ay + ah, by + bh) - max(ay, by) > 0.5 * min(ah, bh):
            return j
    return None


def _has_loop(mask: np.ndarray, pen: float) -> bool:
    """Whether the ink encloses background bigger than a pen dot (the loop of a 0, 6, 8 or 9)."""
    padded = np.pad(mask.astype(np.uint8), 1)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(1 - padded, connectivity=4)
    outside = labels[0, 0]
    return any(i != outside and stats[i, cv2.CC_STAT_AREA] >= pen * pen for i in range(1, count))


def _two_digits(a: Candidate, b: Candidate, as_x: float) -> bool:
    """Two neighbours read as digits about as surely as their union is read as an x.

    Two digits side by side ("56") read as one x too, as surely as an x's own
    halves joined; digits that together score within :data:`DIGITS_MARGIN`
    of the x stay digits.
    """
    assert a.probabilities is not None and b.probabilities is not None
    labels = (int(np.argmax(a.probabilities)), int(np.argmax(b.probabilities)))
    if not all(label in _DIGIT_INDICES for label in labels):
        return False
    return math.log(max(_pair_likelihood(a, b), 1e-9)) > math.log(as_x) + DIGITS_MARGIN


def _union(a: Candidate, b: Candidate) -> Candidate:
    """One candidate holding the ink of both."""
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    x0, y0 = min(ax, bx), min(ay, by)
    w = max(ax + aw, bx + bw) - x0
    h = max(ay + ah, by + bh) - y0
    mask = np.zeros((h, w), bool)
    mask[ay - y0 : ay - y0 + ah, ax - x0 : ax - x0 + aw] |= a.mask
    mask[by - y0 : by - y0 + bh, bx - x0 : bx - x0 + bw] |= b.mask
    return Candidate(box=(x0, y0, w, h), mask=mask, components=a.components + b.components)


#: Below this probability for its best class, a wide roof-shaped blob is taken for a root.
UNSURE_ROOT = 0.5
#: Deepest nesting of roots whose radicands touch them (``\sqrt{1+\sqrt{2+\sqrt{3}}}``).
MAX_ROOT_DEPTH = 4


def _looks_root(cand: Candidate, pen: float, height: float) -> bool:
    """Whether the model's reading or, when it is lost, the shape says root.

    The model was trained on symbols of ordinary proportions; a root stretched
    over a long radicand (or with its radicand still attached) normalizes to
    something it has never seen and gets a low, arbitrary answer. A blob much
    wider than a symbol with a roof over most of it can only be a root.
    """
    assert cand.probabilities is not None
    p = cand.probabilities
    read_as_root = int(np.argmax(p)) == CLASS_INDEX["\\sqrt"]
    if _roof(cand.mask, pen, read_as_root=read_as_root) is None:
        return False
    if read_as_root:
        return True
    _, _, w, h = cand.box
    if w >= 2.4 * h and w >= 2 * height:
        return True  # far too long for any other symbol with a hook and a roof
    if float(p.max()) < SURE and w >= 1.8 * h and w >= 1.5 * height:
        return True  # a doubtful long blob under a roof: a root with its radicand attached
    return float(p.max()) < UNSURE_ROOT and w >= 1.5 * height


def _raised_corner(
    cand: Candidate,
    model: ProbabilityModel,
    pen: float,
    height: float,
    reference: float,
    *,
    any_base: bool = False,
    sure_x: bool = False,
) -> list[Candidate]:
    """Free an exponent touching its x's upper arm: ``x²`` written in one go.

    The exponent sits in the blob's upper right corner, above the end of
    the x's lower arm, so no cut straight down separates them. A corner
    (right of a column, above a row) is cut off instead; it is kept when the
    corner reads as a digit, the rest as an x-like mark, and both together
    beat the doubtful reading of the whole blob.

    With *any_base*, for a blob taller than a symbol, the rest may also be a
    digit or a ``)``; then the corner must stick out to the right of the
    rest, as an exponent does, and must not be a ``1``: the top end of a
    stroke (a ``4``'s stem, a bracket's tip) cut off reads as one.

    With *sure_x*, for a blob the model reads as a sure x but at least as
    wide as tall, the corner must stick out in the same way, read as a digit
    other than ``1`` (at :data:`RAISED_DIGIT` or more), and the pair may
    score below the whole by :data:`DIGITS_MARGIN` (the model reads an x
    with its exponent run into it as an x, and sure of it).
    """
    bases = _BASES if any_base else frozenset({_X, _TIMES})
    assert cand.probabilities is not None
    mask = cand.mask
    h, w = mask.shape
    least = 2 * pen * pen
    tries: list[tuple[tuple[np.ndarray, int, int], tuple[np.ndarray, int, int]]] = []
    seen: set[tuple[tuple[int, ...], bytes]] = set()
    rows = [int(0.35 * h), int(0.45 * h), int(0.55 * h)]
    stick_out = any_base or sure_x
    if stick_out:
        # Only a corner whose ink reaches a pen further right than all the ink
        # below it can stick out (checked before any cutting: it rules out most blobs).
        cols = np.arange(w)
        right = np.where(mask.any(axis=1), (mask * cols).max(axis=1), -1)
        rows = [r for r in rows if right[:r].max(initial=-1) >= right[r:].max(initial=-1) + pen]
    for col in range(int(0.45 * w), int(0.85 * w), max(2, round(pen))):
        for row in rows:
            corner = mask.copy()
            corner[row:, :] = False
            corner[:, :col] = False
            top = crop_to_ink(_without_crumbs(corner, least))
            rest = crop_to_ink(_without_crumbs(mask & ~corner, least))
            if top is None or rest is None or not 0.2 * h <= top[0].shape[0] <= 0.6 * h:
                continue
            (top_m, top_x, top_y), (rest_m, rest_x, rest_y) = top, rest
            # The corner must be a smaller raised mark (checked before classifying).
            raised = top_y + top_m.shape[0] <= rest_y + 0.5 * rest_m.shape[0]
            if not raised or top_m.shape[0] > 0.7 * rest_m.shape[0]:
                continue
            if stick_out and top_x + top_m.shape[1] < rest_x + rest_m.shape[1] + pen:
                continue
            # Neighbouring cuts often give the same pair: classify it once.
            key = (
                (top[1], top_y, *top_m.shape, rest[1], rest_y, *rest_m.shape),
                np.packbits(top_m).tobytes() + np.packbits(rest_m).tobytes(),
            )
            if key in seen:
                continue
            seen.add(key)
            tries.append((top, rest))
    if not tries:
        return [cand]
    probs = score_masks(model, [m for pair in tries for m, _, _ in pair], pen, reference)
    whole = math.log(max(confidence(cand.probabilities), 1e-6))
    best: tuple[float, int] | None = None
    for k in range(len(tries)):
        top_p, rest_p = probs[2 * k], probs[2 * k + 1]
        if int(np.argmax(top_p)) not in _DIGIT_INDICES or int(np.argmax(rest_p)) not in bases:
            continue
        if stick_out and int(np.argmax(top_p)) == _ONE:
            continue
        if confidence(rest_p) < SURE or (sure_x and confidence(top_p) < RAISED_DIGIT):
            continue  # the rest must be a sure base (and the corner a likely digit)
        total = math.log(max(confidence(top_p), 1e-6)) + math.log(max(confidence(rest_p), 1e-6))
        if total > whole + (DIGITS_MARGIN if sure_x else 0.0) and (best is None or total > best[0]):
            best = (total, k)
    if best is None:
        return [cand]
    x0, y0, _, _ = cand.box
    k = best[1]
    out = []
    for (m, dx, dy), q in ((tries[k][1], probs[2 * k + 1]), (tries[k][0], probs[2 * k])):
        out.append(
            Candidate((x0 + dx, y0 + dy, m.shape[1], m.shape[0]), m, cand.components, None, q)
        )
    return out


def _resolve(
    cand: Candidate,
    model: ProbabilityModel,
    pen: float,
    height: float,
    reference: float,
    depth: int,
) -> list[Candidate]:
    """One scored candidate → the candidates it really holds.

    A root has what touches it from below cut away, and each freed piece is
    scored and resolved in turn, since a nested root often touches both its
    own radicand and the outer root's bar.
    """
    assert cand.probabilities is not None
    p = cand.probabilities
    root = CLASS_INDEX["\\sqrt"]
    is_root = int(np.argmax(p)) == root
    _, _, w, _ = cand.box
    if depth < MAX_ROOT_DEPTH and _looks_root(cand, pen, height):
        parts = _under_roof(cand, pen, height, read_as_root=is_root)
        if len(parts) == 1:
            return [_as_root(cand)]
        scored = score_masks(model, [c.mask for c in parts], pen, reference)
        out: list[Candidate] = []
        # The last part is the root itself, stripped of its radicand.
        for part, q in zip(parts[:-1], scored[:-1], strict=True):
            out.extend(_resolve(replace_probs(part, q), model, pen, height, reference, depth + 1))
        out.append(_as_root(replace_probs(parts[-1], scored[-1])))
        return out
    # A doubtful x, or a doubtful root of no root's shape: an x with its
    # exponent run into its arm reads as one as often as as an x.
    if int(np.argmax(p)) in (_X, _TIMES, root) and confidence(p) < SURE:
        parts = _raised_corner(cand, model, pen, height, reference)
        if len(parts) > 1:
            return parts
    if int(np.argmax(p)) in (_X, _TIMES) and confidence(p) >= SURE and w >= cand.box[3]:
        # A sure x as wide as tall or wider: an x² written in one go reads as
        # a sure x; only a corner sticking out as an exponent does is tried.
        parts = _raised_corner(cand, model, pen, height, reference, sure_x=True)
        if len(parts) > 1:
            return parts
    if (
        confidence(p) < SURE
        and cand.box[3] >= TALL_BLOB * height
        and cand.box[2] >= 0.35 * cand.box[3]
    ):
        # Taller than a symbol and doubtful: maybe a base with its exponent run
        # into it ("2²"); a sure reading is not second-guessed (and not paid for).
        parts = _raised_corner(cand, model, pen, height, reference, any_base=True)
        if len(parts) > 1:
            return parts
    if not is_root and _needs_split(cand.box, cand.mask, height):
        if confidence(p) < SURE or w > 1.6 * height:
            return _split(cand, model, pen, height, reference)
        if int(np.argmax(p)) in (_X, _TIMES) and w >= WIDE_X * cand.box[3]:
            # Two touching digits ("02", "24") make a wide crossing blob the
            # model reads as a sure x; a cut into two digits it is sure of is
            # taken (an x's own halves read as brackets or doubtful digits).
            return _split(cand, model, pen, height, reference, digits_only=True)
        if (
            int(np.argmax(p)) in _DIGIT_INDICES
            and w >= WIDE_X * cand.box[3]
            and _stroke_at_an_end(cand.mask, pen)
        ):
            # A 1 run into the foot of the next digit ("12") reads as that
            # digit, sure, but wider than a digit is: only a cut into a sure 1
            # and a sure digit is taken (a flat 2 cut is a "0" and a "2").
            return _split(cand, model, pen, height, reference, digits_only=True, with_one=True)
    return [cand]


#: A blob at least this many typical heights tall may hold a base and its exponent.
TALL_BLOB = 1.15
#: What an exponent may be raised on when it touches it.
_BASES = _DIGIT_INDICES | {_X, _TIMES, CLASS_INDEX[")"]}

#: A blob read as x (or a digit) at least this many times as wide as tall may be two
#: touching digits.
WIDE_X = 1.2
#: The widest a 1 cut off a blob may be, as a share of the blob's height.
ONE_WIDTH = 0.5
#: Least probability of a digit for a corner cut off a sure x to be its exponent.
RAISED_DIGIT = 0.5
#: Log-odds by which two digits may score below the sure x they were cut from: the
#: model has never seen two touching digits, and reads them as an x about as surely.
DIGITS_MARGIN = math.log(0.5)


def _stroke_at_an_end(mask: np.ndarray, pen: float) -> bool:
    """Whether one end of *mask* is a single upright stroke most of its height: a 1's stem."""
    h = mask.shape[0]
    reach = max(1, round(ONE_WIDTH * h))
    for end in (mask[:, :reach], mask[:, -reach:]):
        rows = np.flatnonzero(end.any(axis=1))
        if len(rows) < 0.7 * h:
            continue
        filled = end[rows]
        first = filled.argmax(axis=1)
        last = filled.shape[1] - 1 - filled[:, ::-1].argmax(axis=1)
        if float(np.median(last - first + 1)) > 2.5 * pen:
            continue
        # ... and straight: a 0's or a 3's arc bows away from any line through it.
        middle = (first + last) / 2.0
        line = np.polyval(np.polyfit(rows, middle, 1), rows)
        if float(np.abs(middle - line).max()) <= pen:
            return True
    return False


def _as_root(cand: Candidate) -> Candidate:
    """The candidate fixed as a root: :func:`_looks_root` already decided on its shape."""
    return Candidate(cand.box, cand.mask, cand.components, _ROOT_ONLY, cand.probabilities)


def restrict(probs: np.ndarray, allowed: frozenset[str] | None) -> np.ndarray:
    """Probabilities renormalized over the classes a candidate's shape allows."""
    if allowed is None:
        return probs
    keep = np.zeros_like(probs)
    idx = [CLASS_INDEX[a] for a in allowed if a in CLASS_INDEX]
    keep[idx] = probs[idx]
    total = float(keep.sum())
    if total <= 0:
        keep[idx] = 1.0 / len(idx)
        return keep
    return keep / total
