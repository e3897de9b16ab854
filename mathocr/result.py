"""The frozen result objects that the pipeline returns and clients serialize.

Kept apart from the pipeline so that the CLI, the web service and the
benchmarks depend on the shape of a result, not on how it is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["RecognizedSymbol", "RecognizedLine", "DebugImages", "Recognition"]


@dataclass(frozen=True)
class RecognizedSymbol:
    """One symbol as read from the image."""

    label: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    """Runner-up labels with their probabilities, best first (the label excluded)."""
    box: tuple[int, int, int, int]
    """x, y, width, height in the original image's pixel coordinates."""
    components: tuple[int, ...] = ()
    """Ids of the connected components the symbol was made from. The detector finds
    symbols without splitting the ink into components, so it is empty today; kept so
    that stored results and clients reading the field stay valid."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": round(float(self.confidence), 4),
            "alternatives": [[a, round(float(p), 4)] for a, p in self.alternatives],
            "box": [int(v) for v in self.box],
            "components": [int(c) for c in self.components],
        }


@dataclass(frozen=True)
class RecognizedLine:
    """One line of a page of working, read on its own and checked against the lines above."""

    latex: str
    text: str
    value: str | None = None
    decimal: str | None = None
    holds: bool | None = None
    """Whether the line is true: an equation or comparison of numbers, or for a
    line that continues the one above (``= 27``), every link of the chain."""
    solutions: tuple[str, ...] = ()
    solution_latex: str | None = None
    """The solution set as LaTeX (inequalities: ``x \\le -1 \\text{ or } x \\ge 3``)."""
    kind: str = "empty"
    error: str | None = None
    symbols: tuple[int, ...] = ()
    """Indices of the line's symbols in the recognition's ``symbols``, left to right."""
    step: str = "start"
    """``"start"`` (the first line, or one that starts anew), ``"ok"`` (it follows
    from the last line that did), ``"wrong"`` or ``"unreadable"``."""
    continues: bool = False
    """The line starts with ``=`` (or a comparison) and continues the line above."""
    expected: str | None = None
    """For a wrong line, what it should have said, as text like ``value``: the
    value, solutions or simplified expression of the last line that was right
    (``7``, ``x = 2``, ``4*x``), or for a false chain of ``=`` its first side's
    value (``2 + 2 = 5`` expected ``4``). A reader is told what went wrong, not
    only where. None when right, or when there is nothing to compare it with."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "latex": self.latex,
            "text": self.text,
            "value": self.value,
            "decimal": self.decimal,
            "holds": self.holds,
            "solutions": list(self.solutions),
            "solution_latex": self.solution_latex,
            "kind": self.kind,
            "error": self.error,
            "symbols": [int(i) for i in self.symbols],
            "step": self.step,
            "continues": self.continues,
            "expected": self.expected,
        }


@dataclass(frozen=True)
class DebugImages:
    """Intermediate images for the "show steps" view (uint8, same size each)."""

    gray: np.ndarray
    binary: np.ndarray
    thinned: np.ndarray
    boxes: np.ndarray
    """BGR image with each symbol's box and label drawn."""

    def as_dict(self) -> dict[str, np.ndarray]:
        return {
            "gray": self.gray,
            "binary": self.binary,
            "thinned": self.thinned,
            "boxes": self.boxes,
        }


@dataclass(frozen=True)
class Recognition:
    """What an image says and what it means.

    ``error`` describes why the expression could not be evaluated; the symbols
    and LaTeX are still filled in when recognition itself worked.
    """

    latex: str
    text: str
    value: str | None = None
    """Exact value (``"5/6"``), or for an equation with x the solutions as text."""
    decimal: str | None = None
    holds: bool | None = None
    """For ``a = b`` with numbers on both sides: whether it is true."""
    solutions: tuple[str, ...] = ()
    kind: str = "empty"
    """``"value"``, ``"equation"``, ``"comparison"``, ``"solve"``, ``"inequality"``,
    ``"simplify"``, ``"working"`` (several lines) or ``"empty"``."""
    error: str | None = None
    symbols: tuple[RecognizedSymbol, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    """Milliseconds per stage, plus ``"total"``."""
    model_version: str = ""
    image_size: tuple[int, int] = (0, 0)
    """Width, height of the original image."""
    debug: DebugImages | None = None
    solution_latex: str | None = None
    """The solution set as LaTeX, for inequalities (the last line's, for several)."""
    lines: tuple[RecognizedLine, ...] = ()
    """The lines of the page, top first, each read and checked on its own (the
    fields above describe the whole: for one line, that line)."""
    first_wrong: int | None = None
    """Index in ``lines`` of the first line of working that does not follow."""

    @property
    def ms(self) -> float:
        return float(self.timings.get("total", 0.0))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (without the debug images)."""
        return {
            "latex": self.latex,
            "text": self.text,
            "value": self.value,
            "decimal": self.decimal,
            "holds": self.holds,
            "solutions": list(self.solutions),
            "kind": self.kind,
            "error": self.error,
            "symbols": [s.to_dict() for s in self.symbols],
            "model_version": self.model_version,
            "image_size": list(self.image_size),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "ms": round(self.ms, 3),
            "solution_latex": self.solution_latex,
            "lines": [line.to_dict() for line in self.lines],
            "first_wrong": self.first_wrong,
        }
