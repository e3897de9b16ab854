"""Test support: typeset a LaTeX-like string into placed symbols with boxes.

Tests write ``typeset(r"\\frac{5}{6} + 2^{3}")`` instead of hand-computing
dozens of boxes; the geometry mimics handwriting proportions (digits one
height, a short x, operators on the middle line, raised smaller exponents,
fraction bars with numerator above and denominator below, roots over their
body). Only for tests: the library never needs to go from LaTeX to boxes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathocr.layout.build import PlacedSymbol

__all__ = ["typeset"]


@dataclass
class _Ink:
    label: str
    x0: float
    y0: float
    x1: float
    y1: float


Spec = list["str | tuple[str, list[Spec]]"]


def _parse(toks: list[str], i: int = 0, stop: str | None = None) -> tuple[Spec, int]:
    out: Spec = []
    while i < len(toks):
        t = toks[i]
        if t == stop:
            return out, i + 1
        if t in ("\\frac", "\\sqrt", "^", "_"):
            args = []
            i += 1
            degree: Spec | None = None
            if t == "\\sqrt" and toks[i] == "[":  # \sqrt[3]{27}: the index first
                degree, i = _parse(toks, i + 1, "]")
            for _ in range(2 if t == "\\frac" else 1):
                if toks[i] == "{":
                    arg, i = _parse(toks, i + 1, "}")
                else:
                    arg, i = [toks[i]], i + 1
                args.append(arg)
            out.append((t, args if degree is None else [*args, degree]))
            continue
        out.append(t)
        i += 1
    return out, i


# (width, top, bottom) in units of the symbol size, relative to the baseline.
_SHAPES = {
    "digit": (0.6, -1.0, 0.0),
    "x": (0.6, -0.6, 0.0),
    "(": (0.3, -1.1, 0.15),
    ")": (0.3, -1.1, 0.15),
    "+": (0.5, -0.75, -0.25),
    "-": (0.5, -0.53, -0.47),
    "=": (0.5, -0.65, -0.35),
    "\\times": (0.45, -0.72, -0.28),
    "<": (0.45, -0.75, -0.25),
    ">": (0.45, -0.75, -0.25),
    "\\le": (0.45, -0.8, -0.2),
    "\\ge": (0.45, -0.8, -0.2),
    "\\ne": (0.5, -0.8, -0.2),
    "\\div": (0.5, -0.75, -0.25),
    "/": (0.45, -1.05, 0.05),
    ".": (0.12, -0.12, 0.0),
}


def _layout(spec: Spec, x: float, base: float, size: float, out: list[_Ink]) -> float:
    """Place *spec* starting at x on baseline *base*; return the x after it."""
    gap = 0.15 * size
    for item in spec:
        if isinstance(item, tuple):
            kind, args = item
            if kind == "^":
                # Raised so that the exponent's bottom sits near the base's middle.
                sup: list[_Ink] = []
                end = _layout(args[0], x - 0.05 * size, 0.0, 0.6 * size, sup)
                dy = base - 0.55 * size - max(0.0, max(i.y1 for i in sup))
                out.extend(_Ink(i.label, i.x0, i.y0 + dy, i.x1, i.y1 + dy) for i in sup)
                x = end + gap
            elif kind == "_":
                # Lowered so that the subscript's top sits near the base's middle.
                sub: list[_Ink] = []
                end = _layout(args[0], x - 0.05 * size, 0.0, 0.6 * size, sub)
                dy = base - 0.3 * size - min(i.y0 for i in sub)
                out.extend(_Ink(i.label, i.x0, i.y0 + dy, i.x1, i.y1 + dy) for i in sub)
                x = end + gap
            elif kind == "\\frac":
                x = _frac(args[0], args[1], x, base, size, out) + gap
            else:
                x = _sqrt(args[0], x, base, size, out, args[1] if len(args) > 1 else None) + gap
            continue
        shape = _SHAPES.get(item, _SHAPES["digit"]) if not item.isdigit() else _SHAPES["digit"]
        w, top, bottom = shape
        out.append(_Ink(item, x, base + top * size, x + w * size, base + bottom * size))
        x += w * size + gap
    return x


def _extent(inks: list[_Ink]) -> tuple[float, float, float, float]:
    return (
        min(i.x0 for i in inks),
        min(i.y0 for i in inks),
        max(i.x1 for i in inks),
        max(i.y1 for i in inks),
    )


def _frac(num: Spec, den: Spec, x: float, base: float, size: float, out: list[_Ink]) -> float:
    bar_y = base - 0.5 * size
    top: list[_Ink] = []
    bottom: list[_Ink] = []
    _layout(num, 0, 0, 0.8 * size, top)
    _layout(den, 0, 0, 0.8 * size, bottom)
    tx0, ty0, tx1, ty1 = _extent(top)
    bx0, by0, bx1, by1 = _extent(bottom)
    width = max(tx1 - tx0, bx1 - bx0) + 0.3 * size
    for group, (gx0, gy0, gx1, gy1), above in (
        (top, (tx0, ty0, tx1, ty1), True),
        (bottom, (bx0, by0, bx1, by1), False),
    ):
        dx = x + (width - (gx1 - gx0)) / 2 - gx0
        dy = (bar_y - 0.15 * size - gy1) if above else (bar_y + 0.15 * size - gy0)
        for i in group:
            out.append(_Ink(i.label, i.x0 + dx, i.y0 + dy, i.x1 + dx, i.y1 + dy))
    out.append(_Ink("-", x, bar_y - 0.03 * size, x + width, bar_y + 0.03 * size))
    return x + width


def _sqrt(
    body: Spec, x: float, base: float, size: float, out: list[_Ink], degree: Spec | None = None
) -> float:
    # An index, half size over the tick, widens the tick to hold it.
    index: list[_Ink] = []
    tick = 0.5 * size
    if degree is not None:
        tick = max(tick, _layout(degree, x + 0.02 * size, 0.0, 0.5 * size, index) - x + 0.1 * size)
    inner: list[_Ink] = []
    end = _layout(body, x + tick, base, size, inner)
    _, y0, _, y1 = _extent(inner)
    out.extend(inner)
    top, bottom = y0 - 0.15 * size, max(y1, base) + 0.05 * size
    out.append(_Ink("\\sqrt", x, top, end, bottom))
    if index:  # its foot a little above the middle of the sign
        dy = (top + bottom) / 2 - 0.1 * size - max(i.y1 for i in index)
        out.extend(_Ink(i.label, i.x0, i.y0 + dy, i.x1, i.y1 + dy) for i in index)
    return end


_SPELLINGS = {
    "X": "x",
    "*": "\\times",
    "\\ast": "\\times",
    "\\leq": "\\le",
    "\\geq": "\\ge",
    "\\neq": "\\ne",
    "\\lt": "<",
    "\\gt": ">",
}


def typeset(latex: str, *, size: float = 40.0, order: str = "written") -> list[PlacedSymbol]:
    """Placed symbols for *latex*; ``order="reversed"`` lists them backwards."""
    toks = [
        _SPELLINGS.get(t, t)
        for t in re.findall(r"\\[a-zA-Z]+|\S", latex)
        if t not in ("\\left", "\\right")
    ]
    spec, _ = _parse(toks)
    inks: list[_Ink] = []
    _layout(spec, 10.0, 2.5 * size, size, inks)
    top = min(i.y0 for i in inks)
    shift = 10 - top if top < 10 else 0.0
    symbols = [
        PlacedSymbol(
            i.label,
            (
                round(i.x0),
                round(i.y0 + shift),
                max(1, round(i.x1 - i.x0)),
                max(1, round(i.y1 - i.y0)),
            ),
        )
        for i in inks
    ]
    return symbols[::-1] if order == "reversed" else symbols


def typeset_page(
    lines: list[str], *, size: float = 40.0, gap: float = 0.6, indent: float = 1.5
) -> list[PlacedSymbol]:
    """Several lines of working one under another (*gap* and *indent* in symbol sizes).

    A line that starts with a relation is indented as a continuation is written.
    """
    out: list[PlacedSymbol] = []
    top = 10.0
    for text in lines:
        symbols = typeset(text, size=size)
        y0 = min(s.box[1] for s in symbols)
        y1 = max(s.box[1] + s.box[3] for s in symbols)
        shift_x = (
            round(indent * size) if text.lstrip().startswith(("=", "<", ">", "\\le", "\\ge")) else 0
        )
        shift_y = round(top - y0)
        for s in symbols:
            x, y, w, h = s.box
            out.append(PlacedSymbol(s.label, (x + shift_x, y + shift_y, w, h)))
        top += (y1 - y0) + gap * size
    return out
