"""Classified symbols → LaTeX, text and meaning (value, equation check, solutions).

:func:`interpret` is the last two stages of the recognizer: it lays the
symbols out and lets the grammar fix confusions the classifier could not
settle (:func:`mathocr.layout.reading.read_symbols`), renders what was read
(:mod:`mathocr.layout.notation`) and then evaluates the parsed tree exactly
(:mod:`.syntax`, :mod:`.exact`, :mod:`.polynomial`).
Nothing is ever passed to ``eval`` or a computer-algebra parser: the value is
built node by node from the tree, with size checks before every power.

It never raises for a bad symbol sequence: the reason goes in ``error`` and
the LaTeX/text still say what was read.

>>> from mathocr.layout.build import PlacedSymbol as P
>>> r = interpret([P("1", (0, 0, 10, 30)), P("+", (14, 8, 12, 12)), P("2", (30, 0, 12, 30))])
>>> r.latex, r.text, r.value, r.kind
('1 + 2', '1+2', '3', 'value')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import ExpressionError
from ..layout.build import PlacedSymbol
from ..layout.notation import to_latex, to_text
from ..layout.reading import read_symbols
from ..layout.tree import RELATIONS, Row, Sym
from ..symbols import CLASSES
from .claims import Claim
from .compare import equal_within_rounding
from .exact import Num, TooLargeError
from .exact_roots import nth_root, whole_degree
from .intervals import SolutionSet
from .polynomial import Poly, Rational, p_eval, poly_text, real_roots
from .syntax import (
    BinOp,
    Equation,
    Neg,
    Node,
    NthRoot,
    Number,
    Power,
    SquareRoot,
    SyntaxProblem,
    Var,
    has_x,
    names,
    parse_equation,
)

__all__ = ["Interpretation", "interpret", "equation_meaning", "unknown_of"]

#: Largest exponent applied to an expression with x.
_MAX_X_POWER = 64


@dataclass(frozen=True)
class Interpretation:
    """What a sequence of placed symbols says and means."""

    latex: str
    text: str
    value: str | None
    """Exact value (``"5/6"``, ``"3*sqrt(2)"``), both sides of an equation
    (``"24/125 = 19/100"``), the simplified expression, or the solutions joined
    (``"x = 2 or x = 3"``)."""
    decimal: str | None
    holds: bool | None
    solutions: tuple[str, ...]
    kind: str
    """``"value"``, ``"equation"``, ``"comparison"`` (numbers only), ``"solve"``,
    ``"inequality"``, ``"simplify"`` or ``"empty"``."""
    error: str | None
    labels: tuple[str, ...]
    """The final label of each input symbol, in input order (after context fixes)."""
    solution_latex: str | None = None
    """The solution set as LaTeX, for inequalities (``x \\le -1 \\text{ or } x \\ge 3``)."""
    claim: Claim | None = None
    """What the line asserts, for checking the next line of working against it."""
    equation: Equation | None = None
    """The parsed line (a continued line with the side above prepended)."""


def interpret(
    symbols: Sequence[PlacedSymbol], *, continued: bool = False, after: Node | None = None
) -> Interpretation:
    """Lay out, read and evaluate *symbols*; errors are reported, never raised.

    With *continued*, the symbols are a line of working that may start with a
    relation (``= 27``): it then relates *after*, the last side of the line
    above, to what follows (see :mod:`mathocr.meaning.page`).
    """
    if not symbols:
        return Interpretation("", "", None, None, None, (), "empty", None, ())
    error: str | None = None
    meaning = _Meaning(None, "value")
    try:
        labels, row = read_symbols(symbols)
        latex, text = to_latex(row), to_text(row)
    except RecursionError:  # hundreds of nested structures: read it flat
        labels = [s.label for s in symbols]
        order = sorted(range(len(symbols)), key=lambda i: symbols[i].box[0])
        row = [Sym(labels[i], (i,)) for i in order]
        latex, text = to_latex(row), to_text(row)
        error = _TOO_DEEP
    unknown = sorted({s for s in labels if s not in _KNOWN})
    if unknown:
        error = f"unknown symbol label(s): {', '.join(unknown)}"
    elif error is None:
        try:
            meaning = _meaning(row, continued, after)
        except ExpressionError as e:
            error = _explain(e, text)
        except RecursionError:
            error = _TOO_DEEP
        except (MemoryError, OverflowError):
            error = "result too large"
    return Interpretation(
        latex=latex,
        text=text,
        value=meaning.value,
        decimal=meaning.decimal,
        holds=meaning.holds,
        solutions=meaning.solutions,
        kind=meaning.kind,
        error=error,
        labels=tuple(labels),
        solution_latex=meaning.solution_latex,
        claim=meaning.claim,
        equation=meaning.equation,
    )


_TOO_DEEP = "the expression is nested too deeply"
#: Labels the layout reads: the classifier's, and comparisons a detector may give.
_KNOWN = frozenset(CLASSES) | frozenset(RELATIONS)


class _Unsupported(ExpressionError):
    """A well-formed expression whose algebra is beyond this evaluator."""

    def __init__(self, what: str) -> None:
        super().__init__(f"cannot evaluate: {what} are not supported")


def _explain(error: ExpressionError, text: str) -> str:
    """Malformed input names the expression; other failures speak for themselves."""
    if isinstance(error, _Unsupported | TooLargeError) or not isinstance(error, SyntaxProblem):
        return str(error)
    return f"'{text}' is not a valid expression: {error}"


# -- meaning ----------------------------------------------------------------------


def _meaning(row: Row, continued: bool = False, after: Node | None = None) -> _Meaning:
    eq = parse_equation(row, continued=continued)
    if eq.leading is not None:
        if after is None:
            raise SyntaxProblem(f"nothing before '{eq.leading}'")
        relations = (eq.leading, *(eq.relation(k) for k in range(len(eq.sides) - 1)))
        plain = all(r == "=" for r in relations)
        eq = Equation([after, *eq.sides], eq.trailing_equals, () if plain else relations)
    return replace(equation_meaning(eq), equation=eq)


def unknown_of(eq: Equation) -> str:
    """The one unknown of *eq* (``"x"`` when there is none); several are refused."""
    found: set[str] = set()
    for side in eq.sides:
        found |= names(side)
    if len(found) > 1:
        raise _Unsupported(f"several unknowns ({', '.join(sorted(found))})")
    return found.pop() if found else "x"


def equation_meaning(eq: Equation) -> _Meaning:
    """Value, truth or solutions of a parsed line; raises :class:`ExpressionError`."""
    name = unknown_of(eq)
    if eq.relations:
        from .relations import relation_meaning

        return relation_meaning(eq, name)
    ev = _Evaluator()
    any_x = any(has_x(side) for side in eq.sides)
    try:
        values = [ev.value_of(side) for side in eq.sides]
    except _Unsupported:
        if len(eq.sides) == 2 and any_x:
            from .numeric import solve_numerically

            return solve_numerically(eq.sides[0], eq.sides[1], name)
        raise
    if len(values) == 1:
        v = values[0]
        if any_x or not v.is_constant:
            return _Meaning(value=_rational_text(v, name), kind="simplify", claim=Claim(function=v))
        num = v.constant_value()
        claim = Claim(number=num, decimals=_shown_decimals(eq.sides[0]))
        return _Meaning(num.exact_text(), "value", num.decimal_text(), claim=claim)
    if not any_x:
        nums = [v.constant_value() for v in values]
        holds = all(
            equal_within_rounding(a, b, _shown_decimals(na), _shown_decimals(nb))
            for a, b, na, nb in zip(nums, nums[1:], eq.sides, eq.sides[1:], strict=False)
        )
        return _Meaning(
            value=" = ".join(n.exact_text() for n in nums),
            decimal=" = ".join(n.decimal_text() for n in nums),
            holds=holds,
            kind="equation",
            claim=Claim(number=nums[-1] if holds else None, truth=holds),
        )
    return _solve(values, ev.denominators, name, _answer(eq))


def _answer(eq: Equation) -> tuple[str, Num] | None:
    """``x_1 = 5`` (or ``5 = x_1``): the name and the number it is given, else None."""
    if len(eq.sides) != 2:
        return None
    for var, other in (eq.sides, eq.sides[::-1]):
        if isinstance(var, Var) and not has_x(other):
            try:
                value = _Evaluator().value_of(other).constant_value()
            except ExpressionError:
                return None
            return var.name, value
    return None


@dataclass(frozen=True)
class _Meaning:
    value: str | None
    kind: str
    decimal: str | None = None
    holds: bool | None = None
    solutions: tuple[str, ...] = ()
    solution_latex: str | None = None
    claim: Claim | None = None
    equation: Equation | None = None


def _rational_text(v: Rational, name: str = "x") -> str:
    top = poly_text(v.num, var=name)
    if len(v.den) == 1:
        return top
    bottom = poly_text(v.den, var=name)
    wrap_top = f"({top})" if " " in top else top
    wrap_bottom = f"({bottom})" if " " in bottom or "*" in bottom or "^" in bottom else bottom
    return f"{wrap_top}/{wrap_bottom}"


def _shown_decimals(node: Node) -> int | None:
    """Decimals of a side written as a plain (signed) decimal number, else None."""
    while isinstance(node, Neg):
        node = node.operand
    return node.decimals if isinstance(node, Number) and node.decimals > 0 else None


def _solve(
    values: list[Rational],
    denominators: list[Poly],
    name: str = "x",
    answer: tuple[str, Num] | None = None,
) -> _Meaning:
    """Solve every consecutive pair of sides for x; keep common solutions."""
    roots: list[Num] | None = None  # None: every x so far
    for left, right in zip(values, values[1:], strict=False):
        diff = left - right
        if not diff.num:
            continue  # holds for every x
        if len(diff.num) == 1:
            roots = []
            break
        found, _ = real_roots(diff.num)
        roots = found if roots is None else [r for r in roots if any(r == f for f in found)]
    if roots is not None:
        roots = [r for r in roots if not any(_vanishes(d, r) for d in denominators)]
    if roots is None:
        bad = _excluded(denominators)
        excluded = " and ".join(f"{name} = {r.exact_text()}" for r in bad)
        value = f"every {name}" + (f" except {excluded}" if excluded else "")
        claim = Claim(solutions=SolutionSet.every_but(bad, name), answer=answer)
        return _Meaning(value=value, kind="solve", claim=claim)
    claim = Claim(solutions=SolutionSet.points(roots, name), answer=answer)
    if not roots:
        return _Meaning(value="no solution", kind="solve", claim=claim)
    solutions = tuple(
        f"{name} = {r.exact_text()}" if r.exact else f"{name} ≈ {r.decimal_text(8)}" for r in roots
    )
    decimal = None
    if any(not _is_integer(r) for r in roots):
        decimal = " or ".join(f"{name} ≈ {r.decimal_text(8)}" for r in roots)
    return _Meaning(
        value=" or ".join(solutions),
        decimal=decimal,
        solutions=solutions,
        kind="solve",
        claim=claim,
    )


def _is_integer(r: Num) -> bool:
    q = r.as_rational()
    return q is not None and q.denominator == 1


def _vanishes(p: Poly, r: Num) -> bool:
    v = p_eval(p, r)
    return v.is_zero or (not v.exact and abs(v.to_float()) < 1e-9)


def _excluded(denominators: list[Poly]) -> list[Num]:
    """Where a denominator vanishes, ascending."""
    bad: list[Num] = []
    for d in denominators:
        if len(d) > 1:
            for r in real_roots(d)[0]:
                if not any(r == b for b in bad):
                    bad.append(r)
    bad.sort(key=lambda n: n.to_float())
    return bad


class _Evaluator:
    """Evaluates a syntax tree into a :class:`Rational`, remembering denominators.

    With *x* given, the variable is that number and everything is a constant.
    """

    def __init__(self, x: Num | None = None) -> None:
        self.denominators: list[Poly] = []
        self.x = x

    def value_of(self, node: Node) -> Rational:
        if isinstance(node, Number):
            return Rational.constant(Num.rational(node.value))
        if isinstance(node, Var):
            return Rational.variable() if self.x is None else Rational.constant(self.x)
        if isinstance(node, Neg):
            return -self.value_of(node.operand)
        if isinstance(node, SquareRoot):
            inner = self.value_of(node.operand)
            if not inner.is_constant:
                raise _Unsupported("square roots of expressions with x")
            return Rational.constant(Num.sqrt_of(inner.constant_value()))
        if isinstance(node, NthRoot):
            return self._nth_root(node)
        if isinstance(node, Power):
            return self._power(node)
        return self._binop(node)

    def _binop(self, node: BinOp) -> Rational:
        left = self.value_of(node.left)
        right = self.value_of(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if not right.num:
            raise ExpressionError("division by zero")
        if not right.is_constant:
            self.denominators.append(right.num)
        return left / right

    def _nth_root(self, node: NthRoot) -> Rational:
        """The real root of a number, of a degree that is a positive whole number."""
        degree = self.value_of(node.degree)
        if not degree.is_constant:
            # Not left to the numeric solver either: such a root is defined at whole x only.
            raise ExpressionError("cannot evaluate: roots with x in the degree are not supported")
        n = whole_degree(degree.constant_value())
        inner = self.value_of(node.operand)
        if not inner.is_constant:
            raise _Unsupported("roots of expressions with x")
        return Rational.constant(nth_root(inner.constant_value(), n))

    def _power(self, node: Power) -> Rational:
        exponent = self.value_of(node.exponent)
        if not exponent.is_constant:
            raise _Unsupported("powers with x in the exponent")
        e = exponent.constant_value()
        base = self.value_of(node.base)
        if base.is_constant:
            return Rational.constant(base.constant_value().power(e))
        q = e.as_rational()
        if q is None or q.denominator != 1:
            raise _Unsupported(
                "powers with x in the exponent" if q is None else "fractional powers of x"
            )
        n = int(q)
        if abs(n) > _MAX_X_POWER:
            raise ExpressionError("result too large (power of x)")
        if n < 0:
            self.denominators.append(base.num)
        return base.power(n)
