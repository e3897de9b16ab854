"""A whole expression read: its final labels and its layout tree, settled together.

The layout depends on the labels (an x can carry an exponent and a times sign
cannot), and the best labels depend on the layout (:mod:`mathocr.layout.context`
decodes each row of the tree). So :func:`read_symbols` lays the symbols out
(:mod:`mathocr.layout.build`), lets the decoder relabel every row, lays them
out again until the reading is stable, and where a label could change the
layout (an x read as a times sign, or back) reads both layouts and keeps the
likelier, weighing the exponents each one makes and the digits' sizes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .build import PlacedSymbol, build_layout
from .context import FLOOR, best_labels, candidates, inner_rows
from .tree import DIGITS, Root, Row, Sub, Sup, Sym

__all__ = ["read_symbols"]


def read_symbols(symbols: Sequence[PlacedSymbol]) -> tuple[list[str], Row]:
    """Final labels and layout tree: the likeliest grammatical reading.

    Where the layout itself depends on a label (an x can carry an exponent, a
    times sign cannot), both layouts are tried and the better reading wins.
    """
    top = [s.label for s in symbols]
    options = {i: candidates(s.label, s.confidence, s.alternatives) for i, s in enumerate(symbols)}
    starts = [top]
    as_x = [
        "x" if label == "\\times" and any(c == "x" for c, _ in options[i]) else label
        for i, label in enumerate(top)
    ]
    if as_x != top:
        starts.append(as_x)
    # And the other way: a times sign written high between fractions makes the
    # factor after it look raised, as if it were an x with an exponent.
    as_times = [
        "\\times"
        if label == "x" and any(c == "\\times" and p >= FLOOR for c, p in options[i])
        else label
        for i, label in enumerate(top)
    ]
    if as_times != top:
        starts.append(as_times)
    best: tuple[float, list[str], Row] | None = None
    for start in starts:
        score, labels, row = _settle(symbols, start, options)
        # A raised symbol right after it is evidence for an x with an exponent:
        # a times sign is not followed by a small raised digit.
        swapped = {i for i, label in enumerate(labels) if label == "x" and top[i] == "\\times"}
        score += math.log(EXPONENT_EVIDENCE) * _exponents_on(row, swapped)
        # ... and the digits' sizes say which of them are exponents.
        score += _digit_sizes(row)
        if best is None or score > best[0]:
            best = (score, labels, row)
    assert best is not None
    _, labels, row = best
    return _final_labels(row, labels), row


#: Likelihood ratio of "x with an exponent" over "times sign, then a raised symbol".
EXPONENT_EVIDENCE = 10.0


#: How tall digits are against the median digit on the lines (exponents aside):
#: the share of exponent digits and of other digits in each band, measured on
#: the CROHME train writers with perfect boxes. An exponent is rarely as tall
#: as the others (3%), a digit on the line rarely under 0.7 of them (6%).
SIZE_BANDS = (0.7, 0.85, 1.0)
EXPONENT_SIZES = (0.774, 0.156, 0.039, 0.031)
LINE_SIZES = (0.056, 0.115, 0.229, 0.601)


def _digit_sizes(row: Row) -> float:
    """Log-likelihood of the digits' heights, given which of them the tree raises.

    Reading a mark as x or as a times sign decides whether the digit after it
    is an exponent (x^{2}) or a factor on the line (\\times 2), and the
    digit's size says which is likelier.
    """
    digits: list[tuple[bool, float]] = []
    _digit_heights(row, False, digits)
    on_line = sorted(h for raised, h in digits if not raised)
    if not on_line or on_line[len(on_line) // 2] <= 0:
        return 0.0
    typical = on_line[len(on_line) // 2]
    total = 0.0
    for raised, h in digits:
        band = sum(h >= edge * typical for edge in SIZE_BANDS)
        total += math.log((EXPONENT_SIZES if raised else LINE_SIZES)[band])
    return total


def _digit_heights(row: Row, raised: bool, out: list[tuple[bool, float]]) -> None:
    """(in a superscript, height) of every digit in the tree."""
    for item in row:
        if isinstance(item, Sym) and item.label in DIGITS:
            out.append((raised, item.box.h))
        if isinstance(item, Sub):
            continue  # a subscript's small digits say nothing about exponents
        for inner in inner_rows(item):
            if isinstance(item, Root) and inner is item.degree:
                continue  # nor does a root's index, small by its place
            _digit_heights(inner, raised or isinstance(item, Sup), out)


def _exponents_on(row: Row, indices: set[int]) -> int:
    """How many superscripts in the tree sit on a symbol from *indices*."""
    count = 0
    for k, item in enumerate(row):
        if isinstance(item, Sup):
            prev = row[k - 1] if k else None
            if isinstance(prev, Sym) and set(prev.indices) & indices:
                count += 1
        for inner in inner_rows(item):
            count += _exponents_on(inner, indices)
    return count


def _settle(
    symbols: Sequence[PlacedSymbol], labels: list[str], options: dict
) -> tuple[float, list[str], Row]:
    """Relabel and re-lay-out until the reading is stable; return its score too."""
    row = build_layout(symbols, labels)
    empty = _empty_roots(row)
    if empty:
        # A root over nothing is a misread symbol (two touching digits, a 5
        # with a long hat): it takes its likeliest other reading.
        labels = list(labels)
        for i in empty:
            others = [(p, c) for c, p in options.get(i, []) if c != "\\sqrt"]
            if others:
                labels[i] = max(others)[1]
        row = build_layout(symbols, labels)
    score = 0.0
    for _ in range(3):
        changes: dict[int, str] = {}
        score = _fix_rows(row, options, top=True, out=changes)
        new = list(labels)
        for i, label in changes.items():
            new[i] = label
        if new == labels:
            return score, labels, row
        labels = new
        row = build_layout(symbols, labels)
    return _fix_rows(row, options, top=True, out={}), labels, row


def _empty_roots(row: Row) -> list[int]:
    """Symbol indices of the roots in the tree with nothing under their bar."""
    out: list[int] = []
    for item in row:
        if isinstance(item, Root) and not item.body:
            out.append(item.index)
        for inner in inner_rows(item):
            out.extend(_empty_roots(inner))
    return out


def _fix_rows(row: Row, options: dict, *, top: bool, out: dict[int, str]) -> float:
    """Best labels for every row of the tree into *out*; the total log-probability."""
    score, best = best_labels(row, options, top=top)
    out.update(best)
    for item in row:
        for inner in inner_rows(item):
            score += _fix_rows(inner, options, top=False, out=out)
    return score


def _final_labels(row: Row, labels: list[str]) -> list[str]:
    """Labels as the tree reads them (two stacked bars both become ``=``)."""
    out = list(labels)

    def walk(r: Row) -> None:
        for item in r:
            if isinstance(item, Sym):
                for i in item.indices:
                    out[i] = item.label
            for inner in inner_rows(item):
                walk(inner)

    walk(row)
    return out
