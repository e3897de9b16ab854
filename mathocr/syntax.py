"""Layout tree → abstract syntax tree, by recursive descent.

Precedence is the school one: powers (a superscript binds to the atom before
it), then unary signs, then products and quotients (``\\times``, ``\\div``,
``/`` and juxtaposition such as ``2x`` or ``2(3+4)``, left to right), then sums.
A row may be split by ``=`` into the sides of an equation; a trailing ``=``
asks for the value of the left side.

>>> from mathocr.layout import Sym
>>> parse_equation([Sym("2", (0,)), Sym("+", (1,)), Sym("3", (2,)), Sym("=", (3,))])
Equation(sides=[BinOp(op='+', left=Number(value=Fraction(2, 1), decimals=0), right=Number(value=Fraction(3, 1), decimals=0))], trailing_equals=True)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import ExpressionError
from .exact import TooLargeError
from .layout import DIGITS, Frac, Item, Root, Row, Sup, Sym

__all__ = [
    "Node",
    "Number",
    "Var",
    "Neg",
    "BinOp",
    "Power",
    "SquareRoot",
    "Equation",
    "parse_equation",
    "parse_row",
    "SyntaxProblem",
    "has_x",
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
    pass


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


Node = Number | Var | Neg | BinOp | Power | SquareRoot


@dataclass(frozen=True)
class Equation:
    sides: list[Node]
    trailing_equals: bool


def has_x(node: Node) -> bool:
    if isinstance(node, Var):
        return True
    if isinstance(node, Number):
        return False
    if isinstance(node, Neg | SquareRoot):
        return has_x(node.operand)
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
        return "a square root"
    return "a superscript"


def parse_equation(row: Row) -> Equation:
    """Parse the top row; raises :class:`ExpressionError` with a precise reason."""
    if not row:
        raise SyntaxProblem("nothing to read")
    sides: list[Row] = [[]]
    for item in row:
        if isinstance(item, Sym) and item.label == "=":
            sides.append([])
        else:
            sides[-1].append(item)
    trailing = len(sides) > 1 and not sides[-1]
    if trailing:
        sides.pop()
    for k, side in enumerate(sides):
        if not side:
            where = "before" if k == 0 else "after"
            raise SyntaxProblem(f"nothing {where} '='")
    return Equation([parse_row(side) for side in sides], trailing)


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
                raise SyntaxProblem("nothing under the square root")
            return SquareRoot(parse_row(item.body))
        if isinstance(item, Sup):
            raise SyntaxProblem("a superscript with nothing before it")
        label = item.label
        if label in DIGITS:
            return self.number()
        if label == "x":
            self.pos += 1
            return Var()
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
