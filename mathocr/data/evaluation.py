"""Scoring whole-expression recognition: expression rate by kind, symbol boxes, speed.

``mathocr evaluate`` and the benchmark read the same drawn images
(:mod:`mathocr.data.scenes`) and must score them the same way, so the scoring lives
here rather than in either of them. A reading is scored three ways, because
each failure shows up in a different one:

- the **expression rate**, per kind of expression (:func:`expression_kind`):
  whether the LaTeX is right as a whole, which is what a user sees;
- the **symbols**: each recognized box matched to a true one of the same
  class (:func:`match_symbols`), which says whether a wrong expression came
  from finding symbols, naming them, or laying them out;
- **count right** and the **median time**: whether the recognizer found as many
  symbols as were written, and what a reading costs.

>>> expression_kind("x_1 < 3"), expression_kind("x \\\\le 3"), expression_kind("2^{x}")
('subscript', 'comparison', 'structure')
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from ..detect.classes import OTHER, detector_class
from ..result import Recognition
from .canonical import same_expression, tokens
from .inkml import InkExpression
from .scenes import EvalImage

__all__ = [
    "KINDS",
    "Box",
    "Labelled",
    "Reader",
    "detector_scope",
    "evaluate_images",
    "expression_kind",
    "iou",
    "match_symbols",
]

#: The kinds of expression, from the simplest; each has its own expression rate.
KINDS: tuple[str, ...] = ("plain", "x", "structure", "comparison", "subscript")

#: An x, y, w, h box in an image's pixels.
Box = tuple[int, int, int, int]
#: A symbol's class with its box.
Labelled = tuple[str, Box]

# After canonical.tokens, which spells \lt as <, \le as \leq and so on.
_COMPARISONS = frozenset({"<", ">", "\\leq", "\\geq", "\\neq", "\\le", "\\ge", "\\ne"})
_STRUCTURE = frozenset({"^", "\\frac", "\\sqrt"})


class Reader(Protocol):
    """What is scored: anything that turns encoded image bytes into a :class:`Recognition`."""

    def recognize(self, image: Any) -> Recognition: ...


def detector_scope(ink: InkExpression) -> bool:
    """Whether every symbol of *ink* is one the detector names (not ``other``).

    These are the expressions a recognizer can read right at all; one with a
    letter or an integral in it would count against every engine alike and
    hide the differences between them.
    """
    return bool(ink.symbols) and all(detector_class(s.label) != OTHER for s in ink.symbols)


def expression_kind(truth: str) -> str:
    """The kind of the expression whose true LaTeX is *truth*, one of :data:`KINDS`.

    The first that applies wins, in this order: ``subscript`` (``_``),
    ``comparison`` (``<``, ``>``, ``\\le``, ``\\ge``, ``\\ne`` in any spelling),
    ``structure`` (``^``, ``\\frac``, ``\\sqrt``), ``x``, else ``plain``.
    Each expression is counted once, under the newest and rarest thing it
    asks of the recognizer (``x_1 < 3`` is a subscript), so that the plain
    and x rates measure only what they name.
    The truth is tokenized (:func:`mathocr.data.canonical.tokens`), so ``\\left``
    is not a ``\\le`` and the x of ``\\times`` is not an x.
    """
    toks = set(tokens(truth))
    if "_" in toks:
        return "subscript"
    if toks & _COMPARISONS:
        return "comparison"
    if toks & _STRUCTURE:
        return "structure"
    if "x" in toks:  # tokens() spells X as x
        return "x"
    return "plain"


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two x, y, w, h boxes (0 when either is empty)."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = min(ax + aw, bx + bw) - max(ax, bx)
    ih = min(ay + ah, by + bh) - max(ay, by)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def match_symbols(
    found: Sequence[Labelled], truth: Sequence[Labelled], *, threshold: float = 0.5
) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of recognized symbol ``found[i]`` matched to true symbol ``truth[j]``.

    Two symbols match when their labels are equal (``x`` and ``\\times`` stay
    distinct: telling them apart is the recognizer's job) and their boxes
    overlap with an IoU of at least *threshold*. Each symbol is used once,
    the best overlaps first (greedy by IoU), so that a box lying over two
    true symbols cannot be counted right twice. Labels are compared as
    given; map them to one vocabulary (:func:`detector_class`) first.
    """
    candidates = []
    for i, (label, box) in enumerate(found):
        for j, (true_label, true_box) in enumerate(truth):
            if label != true_label:
                continue
            overlap = iou(box, true_box)
            if overlap >= threshold:
                candidates.append((-overlap, i, j))
    candidates.sort()
    used_found: set[int] = set()
    used_truth: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i in used_found or j in used_truth:
            continue
        used_found.add(i)
        used_truth.add(j)
        pairs.append((i, j))
    return sorted(pairs)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def evaluate_images(images: Iterable[EvalImage], recognizer: Reader) -> dict[str, Any]:
    """Read every image once with *recognizer* and score the readings.

    Returns
    -------
    dict
        ``{"n", "exprate": {"all", "plain", "x", "structure", "comparison",
        "subscript"}, "symbols": {"precision", "recall", "f1"}, "count_right",
        "median_ms"}``. Rates are percentages (0–100, 2 decimals); a rate
        with nothing to count (a kind with no expressions, precision with
        no symbol found) is None rather than 0, so that "nothing to score"
        is not read as "all wrong". ``median_ms`` is the median wall-clock
        time of ``recognize`` alone, drawing and scoring excluded; the
        median, because one slow first call (loading, caches) should not
        move it.
    """
    n = 0
    right = dict.fromkeys(KINDS, 0)
    total = dict.fromkeys(KINDS, 0)
    found_count = truth_count = matched = count_right = 0
    times: list[float] = []
    for image in images:
        start = time.perf_counter()
        result = recognizer.recognize(image.data)
        times.append((time.perf_counter() - start) * 1000.0)
        n += 1
        kind = expression_kind(image.truth)
        total[kind] += 1
        right[kind] += same_expression(result.latex, image.truth)
        found = [(detector_class(s.label), s.box) for s in result.symbols]
        truth = [(detector_class(label), box) for label, box in image.boxes]
        matched += len(match_symbols(found, truth))
        found_count += len(found)
        truth_count += len(truth)
        count_right += len(found) == len(truth)
    exprate: dict[str, float | None] = {"all": _percent(sum(right.values()), n)}
    exprate.update({kind: _percent(right[kind], total[kind]) for kind in KINDS})
    return {
        "n": n,
        "exprate": exprate,
        "symbols": {
            "precision": _percent(matched, found_count),
            "recall": _percent(matched, truth_count),
            # 2TP / (2TP + FP + FN): defined whenever there is a symbol on either side.
            "f1": _percent(2 * matched, found_count + truth_count),
        },
        "count_right": _percent(count_right, n),
        "median_ms": round(statistics.median(times), 1) if times else None,
    }
