"""Context fixes: pick the likeliest labels that form a well-formed expression.

The classifier sees one symbol at a time, scaled to one square, so some
confusions are only settled by the neighbours and the sizes: ``x`` and
``\\times`` look alike but ``2 x 3`` can only mean a product and ``2 x + 1``
only a variable; an unmatched ``(`` next to digits was probably a ``1``; a
dot-sized "0", or a mark low between two digits, is a decimal point.

Each row of the layout tree is decoded by a small exact dynamic programme over
(previous token class, bracket depth). A reading scores the classifier's
probabilities times a few geometric likelihoods (size of dots and slashes, an
x between two operands); every grammar break costs a large fixed penalty, so
the fewest breaks win first, then the likeliest labels. The top labels
therefore stay whenever they are grammatical and their sizes fit.

Where a label changes the layout itself, :mod:`mathocr.layout.reading` runs
this decoder on each layout and keeps the likelier reading.

Labels that are easily confused but missing from the alternatives get a small
share of the probability the classifier left unassigned, so the grammar can
still rescue them; ``x``/``\\times`` always get a tiny floor.

>>> from mathocr.layout.tree import Sym
>>> row = [Sym("2", (0,)), Sym("x", (1,)), Sym("3", (2,))]
>>> best_labels(row, {1: [("x", 0.9), ("\\\\times", 0.1)]}, top=True)[1][1]
'\\\\times'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .grammar_prior import log_prior
from .tree import DIGITS, RELATIONS, Frac, Item, Root, Row, Sub, Sup, Sym

__all__ = ["best_labels", "candidates", "inner_rows", "row_token_classes", "CONFUSABLE", "FLOOR"]

#: Groups of labels that handwriting confuses; members are always considered.
_X_TIMES = frozenset({"x", "\\times"})
CONFUSABLE: tuple[frozenset[str], ...] = (
    _X_TIMES,
    frozenset({"1", "/", "(", ")"}),
    frozenset({"0", "."}),
)
#: The least probability a candidate label keeps.
FLOOR = 1e-4

_START, _D, _DOT, _X, _OPEN, _CLOSE, _BIN, _UN, _MUL, _EQ, _OPND, _SUP = range(12)
_ENDS = frozenset({_D, _X, _CLOSE, _OPND, _SUP})
_BEFORE_OPERAND = frozenset({_START, _D, _X, _BIN, _UN, _MUL, _EQ, _OPEN, _CLOSE, _OPND, _SUP})
_BEFORE_DIGIT = frozenset({_START, _D, _DOT, _BIN, _UN, _MUL, _EQ, _OPEN, _SUP})
_BEFORE_UNARY = frozenset({_START, _EQ, _OPEN})

State = tuple[int, int]  # (class of the previous token, bracket depth)
#: A beam's key in :func:`best_labels`: the state, and whether the number read so far is a lone 0.
_Key = tuple[State, bool]


def candidates(
    label: str, confidence: float, alternatives: Sequence[tuple[str, float]]
) -> list[tuple[str, float]]:
    """The labels worth considering for one symbol, with probabilities."""
    out: dict[str, float] = {label: max(confidence, FLOOR)}
    for alt, p in alternatives:
        out.setdefault(alt, max(float(p), FLOOR / 10))
    # What the classifier left unassigned may belong to a look-alike; x and
    # \times are so alike that the grammar may always overrule them.
    spare = max(1.0 - confidence, 0.0) * FLOOR
    for group in CONFUSABLE:
        if label in group:
            for other in group:
                floor = FLOOR * FLOOR if group == _X_TIMES else spare
                if floor > 0:
                    out.setdefault(other, floor)
    return list(out.items())


def _step(state: State, label: str, top: bool) -> State | None:
    prev, depth = state
    if prev == _DOT and label not in DIGITS:
        return None
    if label in DIGITS:
        return (_D, depth) if prev in _BEFORE_DIGIT else None
    if label == ".":
        return (_DOT, depth) if prev == _D else None
    if label == "x":
        return (_X, depth) if prev in _BEFORE_OPERAND else None
    if label == "(":
        return (_OPEN, depth + 1) if prev in _BEFORE_OPERAND else None
    if label == ")":
        return (_CLOSE, depth - 1) if prev in _ENDS and depth > 0 else None
    if label in ("+", "-"):
        if prev in _ENDS:
            return (_BIN, depth)
        if prev in _BEFORE_UNARY or (prev == _MUL and label == "-"):  # 2 × -3, never 2 × +3
            return (_UN, depth)
        return None
    if label in ("\\times", "\\div", "/"):
        return (_MUL, depth) if prev in _ENDS else None
    if label in RELATIONS:
        # At the start too: a line of working may continue the one above ("= 27").
        return (_EQ, depth) if top and depth == 0 and (prev in _ENDS or prev == _START) else None
    return None  # an empty \sqrt or anything unknown


def _accepts(state: State, top: bool, length: int) -> bool:
    prev, depth = state
    if depth != 0:
        return False
    if length == 0:
        return top
    return prev in _ENDS or (top and prev == _EQ)


def best_labels(
    row: Row, options: Mapping[int, Sequence[tuple[str, float]]], *, top: bool
) -> tuple[float, dict[int, str]]:
    """The best labels for the plain symbols of *row*, grammatical if possible.

    *options* gives, per symbol index, candidate labels with probabilities
    (see :func:`candidates`); symbols without options keep their label.
    Returns the reading's score and index → label for every single-index
    symbol of the row. A reading that breaks the grammar costs
    :data:`VIOLATION` per break, so the fewest breaks win first: one
    unavoidable mistake (a stray mark) does not stop the rest of the row
    from being fixed.
    """
    beams: dict[_Key, tuple[float, tuple[tuple[int, str], ...]]] = {((_START, 0), False): (0.0, ())}
    digit_height = _digit_height(row)
    for k in range(len(row)):
        nxt: dict[_Key, tuple[float, tuple[tuple[int, str], ...]]] = {}
        choices = _choices(row, k, options, digit_height)
        for (state, lone_zero), (score, chosen) in beams.items():
            for label, cost, idx, fixed_class in choices:
                new, grammatical = _advance(state, label, fixed_class, top)
                total = score + cost
                if not grammatical:
                    total += VIOLATION
                else:
                    total += PRIOR_WEIGHT * log_prior(state[0], new[0])
                    if label == "+" and new[0] == _UN:
                        total += _LOG_UNARY_PLUS
                    if lone_zero and label in DIGITS:
                        total += _LOG_LEADING_ZERO
                starts_zero = label == "0" and state[0] not in (_D, _DOT)
                key = (new, starts_zero)
                old = nxt.get(key)
                if old is None or total > old[0]:
                    picked = chosen + ((idx, label),) if idx >= 0 else chosen
                    nxt[key] = (total, picked)
        beams = nxt
    finals = [
        (
            v[0]
            + (PRIOR_WEIGHT * log_prior(s[0], -1) if _accepts(s, top, len(row)) else VIOLATION),
            v[1],
        )
        for (s, _), v in beams.items()
    ]
    score, chosen = max(finals, key=lambda v: v[0])
    return score, dict(chosen)


#: Score of one grammar break (log-probability units: any grammatical reading wins).
VIOLATION = -1000.0
#: Weight of how often each token follows the previous one (:mod:`mathocr.layout.grammar_prior`)
#: against the classifier's log-probabilities: a hint, not a rule (chosen among 0.5
#: and 1 on the valid writers and 300 train expressions together).
PRIOR_WEIGHT = 0.5
#: Likelihood factor for a plus sign with nothing before it (``+5``, ``(+3``): on the
#: CROHME train truths a sign there is a minus 568 times, a plus only before ∞.
UNARY_PLUS = 0.01
_LOG_UNARY_PLUS = math.log(UNARY_PLUS)
#: Likelihood factor for a number that starts with 0 and goes on with a digit (``047``):
#: of the 799 numbers starting with 0 in the CROHME train truths, at most 10 go on with a digit.
LEADING_ZERO = 0.01
_LOG_LEADING_ZERO = math.log(LEADING_ZERO)


def _advance(state: State, label: str, fixed_class: int | None, top: bool) -> tuple[State, bool]:
    """The state after one token, and whether the grammar allows it there."""
    new = _step_class(state, fixed_class) if fixed_class is not None else _step(state, label, top)
    if new is None:
        return _forced(state, label, fixed_class), False
    return new, True


def row_token_classes(tree: Row) -> list[list[int]]:
    """The decoder's class sequence of every row of *tree*, each starting at ``_START``.

    What :mod:`mathocr.layout.grammar_prior` counts; labels are taken as they are,
    and a token the grammar refuses keeps the class it would have had.
    """
    out: list[list[int]] = []

    def walk(row: Row, top: bool) -> None:
        state: State = (_START, 0)
        sequence = [_START]
        for item in row:
            label = item.label if isinstance(item, Sym) else ""
            state, _ = _advance(state, label, _fixed_class(item), top)
            sequence.append(state[0])
            if isinstance(item, Sub):
                continue  # a subscript is part of a name, not a row of arithmetic
            for inner in inner_rows(item):
                walk(inner, False)
        out.append(sequence)

    walk(tree, True)
    return out


def _forced(state: State, label: str, fixed_class: int | None) -> State:
    """Where an ungrammatical token leaves the decoder: as if it had been allowed."""
    _, depth = state
    if fixed_class is not None:
        return (fixed_class, depth)
    if label in DIGITS:
        return (_D, depth)
    if label == "(":
        return (_OPEN, depth + 1)
    if label == ")":
        return (_CLOSE, max(depth - 1, 0))
    simple = {".": _DOT, "x": _X, "+": _BIN, "-": _BIN, **dict.fromkeys(RELATIONS, _EQ)}
    return (simple.get(label, _MUL if label in ("\\times", "\\div", "/") else _OPND), depth)


def _digit_height(row: Row) -> float | None:
    """Median height of the row's digits (None with fewer than two)."""
    heights = sorted(item.box.h for item in row if isinstance(item, Sym) and item.label in DIGITS)
    if len(heights) < 2 or heights[len(heights) // 2] <= 0:
        return None
    return heights[len(heights) // 2]


def _size_prior(
    label: str, item: Sym, digit_height: float | None, slash_or_one: bool = False
) -> float:
    """How well the symbol's size fits *label*: the classifier never sees size.

    Every symbol is scaled to the same square before classification, so a
    decimal point and a zero can look alike to it; on CROHME a point's box is
    under half a digit's height (95% of them) and a zero's over 0.64 (95%).
    Likewise a slash reaches above and below the digits (95% are taller than
    1.14 digit heights) while most ones are not (75% under 1.11); that is
    weaker evidence, used only between those two.
    """
    if digit_height is None:
        return 1.0
    if slash_or_one and label in ("1", "/"):
        tall = item.box.h / digit_height
        if label == "/" and tall < 1.12:
            return SLASH_MISMATCH
        if label == "1" and tall > 1.3:
            return SLASH_MISMATCH
    if label not in DIGITS and label != ".":
        return 1.0
    size = max(item.box.w, item.box.h) / digit_height
    if label == ".":
        return DOT_MISMATCH if size > 0.6 else 1.0
    return DOT_MISMATCH if size < 0.5 else 1.0


#: Likelihood factor for a dot the size of a digit, or a digit the size of a dot.
DOT_MISMATCH = 0.05
#: Likelihood factor for a slash no taller than a digit, or a one much taller.
SLASH_MISMATCH = 0.3


def _choices(
    row: Row,
    k: int,
    options: Mapping[int, Sequence[tuple[str, float]]],
    digit_height: float | None,
) -> list[tuple[str, float, int, int | None]]:
    """(label, log-likelihood, symbol index or -1, fixed class or None) per reading of row[k]."""
    item = row[k]
    fixed = _fixed_class(item)
    if fixed is not None:
        return [("", 0.0, -1, fixed)]
    assert isinstance(item, Sym)
    if len(item.indices) != 1:
        return [(item.label, 0.0, -1, None)]
    idx = item.indices[0]
    given = options.get(idx) or []
    opts = list(given or [(item.label, 1.0)])
    labels = {label for label, _ in opts}
    tiny = digit_height is not None and max(item.box.w, item.box.h) < DOT_SIZE * digit_height
    low = _below_middle(row, k)
    tiny = tiny or low
    if tiny:  # the classifier cannot see that it is dot-sized
        opts = [(lab, p) for lab, p in opts if lab != "."]
        opts.append((".", max(DOT_PROPOSAL, dict(given).get(".", 0.0))))
    slash_or_one = {"1", "/"} <= labels
    between = {"x", "\\times"} <= labels and _between_operands(row, k)
    out: list[tuple[str, float, int, int | None]] = []
    for label, p in opts:
        if not (low and label == "."):  # a decimal comma is taller than a point
            p *= _size_prior(label, item, digit_height, slash_or_one)
        if tiny and label in _NEVER_TINY or low and label in DIGITS:
            p *= DOT_MISMATCH
        if between and label == "x":
            p *= X_BETWEEN_OPERANDS
        out.append((label, math.log(max(p, 1e-12)), idx, None))
    return out


def _fixed_class(item: Item) -> int | None:
    """The token class of a structure (an exponent, a fraction, a root); None for a symbol."""
    if isinstance(item, Sup):
        return _SUP
    if isinstance(item, Sub):
        # x_1 is a name; to the grammar (and its prior, counted before subscripts
        # were read) the digit after the x is still a digit.
        return _D
    if isinstance(item, Frac | Root):
        return _OPND
    return None


def inner_rows(item: Item) -> tuple[Row, ...]:
    """The rows inside an item of the tree, in reading order (none for a symbol)."""
    if isinstance(item, Frac):
        return (item.num, item.den)
    if isinstance(item, Root):
        return (item.body,) if item.degree is None else (item.degree, item.body)
    if isinstance(item, Sup | Sub):
        return (item.row,)
    return ()


def _below_middle(row: Row, k: int) -> bool:
    """Between two digits, entirely below their middle and point-sized: where only a point sits.

    Point-sized is under about half the smaller neighbour's height (95% of
    CROHME's points are under half; a thick pen adds a little); a small times
    sign written low between digits is bigger.
    """
    if not 0 < k < len(row) - 1:
        return False
    prev, item, nxt = row[k - 1], row[k], row[k + 1]
    if not all(isinstance(u, Sym) and u.label in DIGITS for u in (prev, nxt)):
        return False
    if isinstance(item, Sym) and item.label in ("-", "+", "=", "\\times", "\\div", "x"):
        return False
    line = max(prev.box.h, nxt.box.h)
    if item.box.w >= POINT_SIZE * line or item.box.h >= COMMA_SIZE * line:
        return False
    return item.box.y0 > (prev.box.cy + nxt.box.cy) / 2


#: A point's box is under this share of its neighbouring digits' height (half, plus a thick pen).
POINT_SIZE = 0.55
#: A decimal comma hangs below the line: taller than a point, still under most of a digit.
COMMA_SIZE = 0.8


def _between_operands(row: Row, k: int) -> bool:
    """A number, fraction or closing bracket on the left; a number, fraction or opening one on the right.

    That is where a times sign stands (``7 × \\frac{1}{11}``, ``(1+2) × (3+4)``,
    ``5 × (1+2)``). In the CROHME train truths a digit or ``)`` followed by an
    x-like mark and ``(`` is a product 55 times out of 56; a variable there
    (``2x(x+1)``) is rare, and is read anyway when the classifier is sure of it.
    """

    def operand(item: Item | None, bracket: str) -> bool:
        if isinstance(item, Frac):
            return True
        if not isinstance(item, Sym):
            return False
        return item.label in DIGITS or item.label == bracket

    return 0 < k < len(row) - 1 and operand(row[k - 1], ")") and operand(row[k + 1], "(")


#: A symbol under this many digit heights (or low between digits) is dot-like ...
DOT_SIZE = 0.35
#: ... and may be a decimal point whatever the classifier says (with this probability).
DOT_PROPOSAL = 0.3
#: Labels a dot-sized mark cannot have (besides digits, see _size_prior).
_NEVER_TINY = frozenset({"/", "(", ")", "\\sqrt"})
#: Likelihood factor for a variable x written where a times sign stands (see _between_operands).
X_BETWEEN_OPERANDS = 0.1


def _step_class(state: State, cls: int) -> State | None:
    prev, depth = state
    if cls == _SUP:
        return (_SUP, depth) if prev in (_D, _X, _CLOSE, _OPND) else None
    if cls == _D:  # a subscript: only after an x
        return (_D, depth) if prev == _X else None
    return (_OPND, depth) if prev in _BEFORE_OPERAND else None
