"""A page of working: placed symbols → lines, each read, evaluated and checked.

:func:`read_page` is what a recognizer calls instead of
:func:`mathocr.meaning.expression.interpret` when an image may hold several lines:
the symbols are split into lines (:mod:`mathocr.layout.lines`), each line is read on its
own (layout, context fixes, LaTeX, meaning), a line starting with ``=`` or a
comparison continues the line above (its first link is the last side above
it), and every line gets a verdict (:mod:`.steps`).

The page's own fields describe the whole. For a single line they are exactly
what :func:`~mathocr.meaning.expression.interpret` gives, so one-line clients see no
change; for several, the LaTeX stacks the lines (``\\\\``), the value and
solutions are the last line's, and ``holds`` says whether the working is right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ExpressionError
from ..layout.build import PlacedSymbol
from ..layout.lines import split_lines
from ..result import RecognizedLine
from .claims import Claim
from .expression import Interpretation, equation_meaning, interpret
from .steps import OK, START, UNREADABLE, WRONG, Checker
from .syntax import Equation

__all__ = ["Page", "read_page"]


@dataclass(frozen=True)
class Page:
    """Every line of a page with its verdict, and the whole in the shape of one reading."""

    lines: tuple[RecognizedLine, ...]
    labels: tuple[str, ...]
    """The final label of each input symbol, in input order (after context fixes)."""
    latex: str
    text: str
    value: str | None
    decimal: str | None
    holds: bool | None
    solutions: tuple[str, ...]
    kind: str
    """As :class:`~mathocr.meaning.expression.Interpretation`'s for one line; ``"working"`` for several."""
    error: str | None
    first_wrong: int | None
    """Index of the first line whose step is ``"wrong"``."""
    solution_latex: str | None = None

    def recognition_fields(self) -> dict[str, object]:
        """Keyword arguments for :class:`mathocr.result.Recognition`'s meaning fields."""
        return {
            "latex": self.latex,
            "text": self.text,
            "value": self.value,
            "decimal": self.decimal,
            "holds": self.holds,
            "solutions": self.solutions,
            "kind": self.kind,
            "error": self.error,
            "solution_latex": self.solution_latex,
            "lines": self.lines,
            "first_wrong": self.first_wrong,
        }


def read_page(symbols: Sequence[PlacedSymbol]) -> Page:
    """Split *symbols* into lines, read each, and check each against the lines above.

    Never raises for bad input: a line that cannot be read is ``"unreadable"``
    and says why in its ``error``.
    """
    groups = split_lines(symbols)
    readings: list[Interpretation] = []
    continues: list[bool] = []
    verdicts: list[str] = []
    expected: list[str | None] = []
    checker = Checker()
    above: Equation | None = None  # the last trusted line: a continued line links to it
    says: str | None = None  # what the checker's trusted line says, as text
    for k, group in enumerate(groups):
        after = above.sides[-1] if above is not None else None
        reading = interpret([symbols[i] for i in group], continued=k > 0, after=after)
        continued = k > 0 and reading.latex.startswith(_RELATION_LATEX)
        claim: Claim | None = None
        try:
            claim = _claim(reading, continued)
            verdict = checker.check(claim, continued)
        except (ExpressionError, ArithmeticError, RecursionError):
            # Comparing two readable lines can still be too large a computation
            # (a root of a huge surd): the line cannot be checked.
            verdict = UNREADABLE
        readings.append(reading)
        continues.append(continued)
        verdicts.append(verdict)
        expected.append(_expected(reading, claim, says) if verdict == WRONG else None)
        if claim is not None and checker.trusted is claim:
            says = _says(reading, claim, continued)
        if verdict in (OK, START):
            above = reading.equation
    labels = ["" for _ in symbols]
    lines: list[RecognizedLine] = []
    for group, reading, verdict, cont, wanted in zip(
        groups, readings, verdicts, continues, expected, strict=True
    ):
        for i, label in zip(group, reading.labels, strict=True):
            labels[i] = label
        lines.append(_line(reading, tuple(group), verdict, cont, wanted))
    return _whole(tuple(lines), tuple(labels), readings)


#: How a line that starts with a relation begins in LaTeX.
_RELATION_LATEX = ("=", "<", ">", "\\le", "\\ge", "\\ne")


def _claim(reading: Interpretation, continued: bool) -> Claim | None:
    """What the checker compares; for a continued line, its links and its last side."""
    if reading.error is not None or reading.claim is None:
        return None
    if not continued or reading.equation is None:
        return reading.claim
    links = reading.claim
    if links.truth is not None:
        every = links.truth
    else:
        every = links.solutions is not None and links.solutions.holes() is not None
    try:
        last = equation_meaning(Equation([reading.equation.sides[-1]], False)).claim
    except ExpressionError:  # x in an exponent: the side has no value of its own
        last = None
    base = last if last is not None else Claim()
    return Claim(number=base.number, function=base.function, truth=every)


def _side_value(equation: Equation, index: int) -> str | None:
    """The value of one side of *equation* on its own, as text (None if it has none)."""
    try:
        return equation_meaning(Equation([equation.sides[index]], False)).value
    except (ExpressionError, ArithmeticError, RecursionError):
        return None


def _says(reading: Interpretation, claim: Claim, continued: bool) -> str | None:
    """What a trusted line gives the next one to match, as text: its number, its
    solutions or its simplified expression (a continued line: its last side's)."""
    if continued and reading.equation is not None:
        return _side_value(reading.equation, -1)
    if claim.number is not None:
        return claim.number.exact_text()  # "3 + 4 = 7" says 7, not its value "7 = 7"
    if claim.solutions is not None or claim.function is not None:
        return reading.value
    return None


def _expected(reading: Interpretation, claim: Claim | None, says: str | None) -> str | None:
    """What a wrong line should have said.

    A line false in itself is measured against its own first side (for a
    continued line, that is the side above it); a line that does not follow
    is measured against what the trusted line says. A false comparison
    (``3 < 2``) has no one right value, so nothing is expected of it.
    """
    if claim is not None and claim.truth is False:
        equation = reading.equation
        if equation is None or equation.relations:
            return None
        return _side_value(equation, 0)
    return says


def _line(
    reading: Interpretation,
    symbols: tuple[int, ...],
    verdict: str,
    continued: bool,
    expected: str | None = None,
) -> RecognizedLine:
    return RecognizedLine(
        latex=reading.latex,
        text=reading.text,
        value=reading.value,
        decimal=reading.decimal,
        holds=reading.holds if not continued else verdict != WRONG,
        solutions=tuple(reading.solutions),
        solution_latex=reading.solution_latex,
        kind=reading.kind,
        error=reading.error,
        symbols=symbols,
        step=verdict,
        continues=continued,
        expected=expected,
    )


def _whole(
    lines: tuple[RecognizedLine, ...], labels: tuple[str, ...], readings: list[Interpretation]
) -> Page:
    first_wrong = next((k for k, line in enumerate(lines) if line.step == WRONG), None)
    if len(lines) <= 1:
        r = readings[0] if readings else interpret([])
        return Page(
            lines=lines,
            labels=labels,
            latex=r.latex,
            text=r.text,
            value=r.value,
            decimal=r.decimal,
            holds=r.holds,
            solutions=tuple(r.solutions),
            kind=r.kind,
            error=r.error,
            first_wrong=first_wrong,
            solution_latex=r.solution_latex,
        )
    last = lines[-1]
    checked = any(line.step == "ok" for line in lines)
    holds = False if first_wrong is not None else (True if checked else None)
    errors = [f"line {k + 1}: {line.error}" for k, line in enumerate(lines) if line.error]
    unreadable = any(line.step == UNREADABLE for line in lines)
    return Page(
        lines=lines,
        labels=labels,
        latex=" \\\\ ".join(line.latex for line in lines),
        text="\n".join(line.text for line in lines),
        value=last.value,
        decimal=last.decimal,
        holds=None if unreadable and holds else holds,
        solutions=last.solutions,
        kind="working",
        error=errors[0] if errors else None,
        first_wrong=first_wrong,
        solution_latex=last.solution_latex,
    )
