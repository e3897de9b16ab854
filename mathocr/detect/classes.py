"""The detector's classes: today's 21 symbols, five comparisons, and ``other``.

The detector finds every symbol on the page, including those outside our
classes (letters, Greek, integrals): those go to :data:`OTHER`, so that the
model learns they are symbols and not paper, and so the expression can say it
holds something it cannot read instead of quietly dropping it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..symbols import CLASSES

__all__ = ["COMPARISONS", "DETECTOR_CLASSES", "OTHER", "detector_class"]

#: Comparison symbols, spelt as the layout and LaTeX output spell them.
COMPARISONS: tuple[str, ...] = ("<", ">", "\\le", "\\ge", "\\ne")
#: A symbol outside our classes.
OTHER = "other"
#: The heatmap channels, in the model's order.
DETECTOR_CLASSES: tuple[str, ...] = (*CLASSES, *COMPARISONS, OTHER)

# CROHME's spellings of our classes where they differ from ours.
_ALIASES: Mapping[str, str] = {
    "X": "x",
    "\\lt": "<",
    "\\gt": ">",
    "\\leq": "\\le",
    "\\geq": "\\ge",
    "\\neq": "\\ne",
}
_INDEX = {label: i for i, label in enumerate(DETECTOR_CLASSES)}


def detector_class(label: str) -> str:
    """A CROHME symbol label as one of :data:`DETECTOR_CLASSES` (``other`` if not ours).

    >>> detector_class("\\\\leq"), detector_class("X"), detector_class("\\\\alpha")
    ('\\\\le', 'x', 'other')
    """
    label = label.strip()
    label = _ALIASES.get(label, label)
    return label if label in _INDEX and label != OTHER else OTHER


def class_index(label: str) -> int:
    """The heatmap channel of a detector class."""
    return _INDEX[label]
