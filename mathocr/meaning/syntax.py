"""Layout tree → abstract syntax tree, by recursive descent.

Precedence is the school one: powers (a superscript binds to the atom before
it), then unary signs, then products and quotients (``\\times``, ``\\div``,
``/`` and juxtaposition such as ``2x`` or ``2(3+4)``, left to right), then sums.
A row may be split by ``=`` (or a comparison: ``<``, ``>``, ``\\le``,
``\\ge``, ``\\ne``) into the sides of a chain; a trailing ``=`` asks for the
value of the left side. An ``x`` with a subscript is a name of its own
(``x_1``), so a student's ``x_1 = 5`` is not the x of the equation above.

>>> from mathocr.layout.tree import Sym
>>> parse_equation([Sym("2", (0,)), Sym("+", (1,)), Sym("3", (2,)), Sym("=", (3,))])
Equation(sides=[BinOp(op='+', left=Number(value=Fraction(2, 1), decimals=0), right=Number(value=Fraction(3, 1), decimals=0))], trailing_equals=True, relations=(), leading=None)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import ExpressionError
from ..layout.tree import DIGITS, RELATIONS, Frac, Item, Root, Row, Sub, Sup, Sym
from .exact import TooLargeError

__all__ = [
    "Node",
    "Number",
    "Var",
    "Neg",
    "BinOp",
    "Power",
    "SquareRoot",
    "NthRoot",
    "Equation",
    "parse_equation",
    "parse_row",
    "SyntaxProblem",
    "has_x",
    "names",
]


class SyntaxProblem(ExpressionError):
    """The symbols do not form a well-formed expression."""


@dataclass(frozen=True)
class Number:
    value: Fraction
    decimals: int
    """Digits after the decimal point as written (for rounding tolerance)."""


@dataclass(frozen=True)
class Var:
    name: str = "x"
    """``"x"``, or a subscripted name such as ``"x_1"``."""


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Power:
    base: Node
    exponent: Node


@dataclass(frozen=True)
class SquareRoot:
    operand: Node


@dataclass(frozen=True)
class NthRoot:
    """A root with an index written in its crook: ``\\sqrt[3]{27}`` has degree 3.

    Kept apart from :class:`SquareRoot`, as written: the degree is an
    expression of its own, checked to be a positive whole number when the
    root is evaluated.
    """

    operand: Node
    degree: Node


Node = Number | Var | Neg | BinOp | Power | SquareRoot | NthRoot


@dataclass(frozen=True)
class Equation:
    """Sides joined by relations: ``a = b``, ``0 < x < 2``, or one expression."""

    sides: list[Node]
    trailing_equals: bool
    relations: tuple[str, ...] = ()
    """The relation between each pair of neighbouring sides; empty means all ``=``."""
    leading: str | None = None
    """A relation the row starts with: a line of working continuing the one above."""

    def relation(self, k: int) -> str:
        """The relation between side *k* and side *k + 1*."""
        return self.relations[k] if self.relations else "="


def names(node: Node) -> set[str]:
    """The variable names in *node* (``{"x"}``, ``{"x_1", "x_2"}``)."""
    if isinstance(node, Var):
        return {node.name}
    if isinstance(node, Number):
        return set()
    if isinstance(node, Neg | SquareRoot):
        return names(node.operand)
    if isinstance(node, NthRoot):
        return names(node.operand) | names(node.degree)
    if isinstance(node, BinOp):
        return names(node.left) | names(node.right)
    return names(node.base) | names(node.exponent)


def has_x(node: Node) -> bool:
    """Whether *node* has a variable (``x`` or a subscripted name)."""
    if isinstance(node, Var):
        return True
    if isinstance(node, Number):
        return False
    if isinstance(node, Neg | SquareRoot):
        return has_x(node.operand)
    if isinstance(node, NthRoot):
        return has_x(node.operand) or has_x(node.degree)
    if isinstance(node, BinOp):
        return has_x(node.left) or has_x(node.right)
    return has_x(node.base) or has_x(node.exponent)


_MUL_OPS = {"\\times": "*", "\\div": "/", "/": "/"}
_NAMES = {"\\times": "'×'", "\\div": "'÷'", "\\sqrt": "'√'"}


def _describe(item: Item | None) -> str:
    if item is None:
        return "the end"
    if isinstance(item, Sym):
        return _NAMES.get(item.label, f"'{item.label}'")
    if isinstance(item, Frac):
        return "a fraction"
    if isinstance(item, Root):
        return "a square root" if item.degree is None else "a root"
    if isinstance(item, Sub):
        return "a subscript"
    return "a superscript"


def parse_equation(row: Row, *, continued: bool = False) -> Equation:
    """Parse the top row; raises :class:`ExpressionError` with a precise reason.

    With *continued*, the row may start with a relation (``= 27`` under
    ``3 \\times 9``): it is kept as :attr:`Equation.leading`.
    """
    if not row:
        raise SyntaxProblem("nothing to read")
    leading: str | None = None
    first = row[0]
    if continued and isinstance(first, Sym) and first.label in RELATIONS and len(row) > 1:
        leading, row = first.label, row[1:]
    sides: list[Row] = [[]]
    relations: list[str] = []
    for item in row:
        if isinstance(item, Sym) and item.label in RELATIONS:
            sides.append([])
            relations.append(item.label)
        else:
            sides[-1].append(item)
    for k, side in enumerate(sides):
        if not side and not (k == len(sides) - 1 and k > 0 and relations[-1] == "="):
            where, sign = ("before", relations[0]) if k == 0 else ("after", relations[k - 1])
            raise SyntaxProblem(f"nothing {where} '{_SIGNS.get(sign, sign)}'")
    trailing = len(sides) > 1 and not sides[-1]
    if trailing:
        sides.pop()
        relations.pop()
    plain = all(r == "=" for r in relations)
    return Equation(
        [parse_row(side) for side in sides],
        trailing,
        () if plain else tuple(relations),
        leading,
    )


_SIGNS = {"\\le": "≤", "\\ge": "≥", "\\ne": "≠"}


def parse_row(row: Row) -> Node:
    parser = _Parser(row)
    node = parser.expr()
    if parser.peek() is not None:
        raise SyntaxProblem(f"unexpected {_describe(parser.peek())}")
    return node


class _Parser:
    def __init__(self, row: Row) -> None:
        self.row = row
        self.pos = 0

    def peek(self) -> Item | None:
        return self.row[self.pos] if self.pos < len(self.row) else None

    def _label(self) -> str | None:
        item = self.peek()
        return item.label if isinstance(item, Sym) else None

    def expr(self) -> Node:
        node = self.term()
        while self._label() in ("+", "-"):
            op = self._label()
            self.pos += 1
            self._expect_operand(op)
            node = BinOp(str(op), node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            label = self._label()
            if label in _MUL_OPS:
                self.pos += 1
                self._expect_operand(label)
                node = BinOp(_MUL_OPS[str(label)], node, self.unary())
            elif self._starts_implicit_factor():
                node = BinOp("*", node, self.power())
            else:
                return node

    def _starts_implicit_factor(self) -> bool:
        item = self.peek()
        if isinstance(item, Frac | Root):
            return True
        if isinstance(item, Sym) and item.label in DIGITS:
            # "2^{8} 3^{6}": a number may follow a power, never another number.
            return self.pos > 0 and isinstance(self.row[self.pos - 1], Sup)
        return isinstance(item, Sym) and item.label in ("x", "(")

    def _expect_operand(self, after: str | None) -> None:
        item = self.peek()
        if item is None or (
            isinstance(item, Sym)
            and item.label
            in {"+", "\\times", "\\div", "/", "=", ")", "."}
            | ({"-"} if after in ("+", "-") else set())
        ):
            name = _NAMES.get(str(after), f"'{after}'")
            raise SyntaxProblem(f"expected a number, x or '(' after {name}, got {_describe(item)}")

    def unary(self) -> Node:
        label = self._label()
        if label in ("+", "-"):
            self.pos += 1
            self._expect_operand(label)
            operand = self.unary()
            return Neg(operand) if label == "-" else operand
        return self.power()

    def power(self) -> Node:
        node = self.atom()
        item = self.peek()
        if isinstance(item, Sup):
            self.pos += 1
            node = Power(node, parse_row(item.row))
        return node

    def atom(self) -> Node:
        item = self.peek()
        if item is None:
            raise SyntaxProblem("the expression ends too early")
        if isinstance(item, Frac):
            self.pos += 1
            return BinOp("/", parse_row(item.num), parse_row(item.den))
        if isinstance(item, Root):
            self.pos += 1
            if not item.body:
                which = "square root" if item.degree is None else "root"
                raise SyntaxProblem(f"nothing under the {which}")
            if item.degree is None:
                return SquareRoot(parse_row(item.body))
            return NthRoot(parse_row(item.body), parse_row(item.degree))
        if isinstance(item, Sup):
            raise SyntaxProblem("a superscript with nothing before it")
        if isinstance(item, Sub):
            raise SyntaxProblem("a subscript with nothing to name")
        label = item.label
        if label in DIGITS:
            return self.number()
        if label == "x":
            self.pos += 1
            sub = self.peek()
            if not isinstance(sub, Sub):
                return Var()
            self.pos += 1
            digits = "".join(u.label if isinstance(u, Sym) else "?" for u in sub.row)
            if not digits.isdigit():
                raise SyntaxProblem("a subscript other than a number")
            return Var(f"x_{digits}")
        if label == "(":
            self.pos += 1
            inner = self.expr()
            if self._label() != ")":
                raise SyntaxProblem(f"'(' is never closed (found {_describe(self.peek())})")
            self.pos += 1
            return inner
        if label == ".":
            raise SyntaxProblem("a decimal point not between digits")
        raise SyntaxProblem(f"unexpected {_describe(item)}")

    def number(self) -> Node:
        digits = ""
        while self._label() in DIGITS or self._label() == ".":
            digits += str(self._label())
            self.pos += 1
        if digits.count(".") > 1 or digits.endswith("."):
            raise SyntaxProblem(f"'{digits}' is not a number")
        if len(digits) > 1000:
            raise TooLargeError("result too large (a number with over 1000 digits)")
        whole, _, frac = digits.partition(".")
        value = Fraction(int(whole + frac), 10 ** len(frac))
        if isinstance(self.peek(), Sym) and self._label() in DIGITS:  # pragma: no cover
            raise SyntaxProblem("unexpected digit")
        return Number(value, len(frac))
