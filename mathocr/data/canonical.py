"""Canonical LaTeX, for scoring a recognition against a CROHME truth.

Two spellings of one expression must compare equal: spacing and redundant
braces do not matter, ``\\times``, ``*`` and ``\\ast`` are one operator, so
are ``\\div`` and ``/`` (CROHME's own truths and symbol labels disagree on
them), ``X`` is ``x``, ``\\left(`` is ``(``, ``\\frac12`` is ``\\frac{1}{2}`` and ``x^2`` is
``x^{2}``. The string is tokenized, parsed into groups, and written back with
braces only where a command takes an argument.

>>> canonical_latex("\\\\frac12 \\\\times {X^2}") == canonical_latex("\\\\frac{1}{2}*x^{2}")
True
>>> category("2 + 3 = 5"), category("x^{2}"), category("3x < 4")
('plain', 'structure', 'x_or_comparison')
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = [
    "canonical_latex",
    "same_expression",
    "category",
    "in_scope",
    "tokens",
    "plain_values",
]

_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|\S")
_COMMAND_END = re.compile(r"\\[a-zA-Z]+$")

_ALIASES = {
    "*": "\\times",
    "\\div": "/",
    "\\ast": "\\times",
    "X": "x",
    "\\lt": "<",
    "\\gt": ">",
    "\\le": "\\leq",
    "\\ge": "\\geq",
    "\\ne": "\\neq",
    "\\lbrack": "[",
    "\\rbrack": "]",
}
_DROP = {
    "\\",
    "\\left",
    "\\right",
    "\\,",
    "\\;",
    "\\!",
    "\\:",
    "\\ ",
    "~",
    "\\quad",
    "\\qquad",
    "$",
}
_ONE_ARG = {"\\sqrt", "^", "_"}
_COMPARISONS = {"<", ">", "\\leq", "\\geq", "\\neq", "\\lt", "\\gt", "\\le", "\\ge", "\\ne"}
_PLAIN = set("0123456789+-/=().") | {"\\times"}
_STRUCTURE = {"^", "\\frac", "\\sqrt"}
_IN_SCOPE = _PLAIN | _STRUCTURE | {"x"}

Tree = list["str | Tree"]


def tokens(latex: str) -> list[str]:
    """Normalized tokens (aliases mapped, spacing and ``\\left``/``\\right`` dropped)."""
    out = []
    for tok in _TOKEN.findall(latex):
        if tok in _DROP:
            continue
        out.append(_ALIASES.get(tok, tok))
    return out


def _parse(toks: list[str]) -> Tree:
    stack: list[Tree] = [[]]
    for tok in toks:
        if tok == "{":
            stack.append([])
        elif tok == "}":
            if len(stack) > 1:
                group = stack.pop()
                stack[-1].append(group)
        else:
            stack[-1].append(tok)
    while len(stack) > 1:  # unbalanced: close what is open
        group = stack.pop()
        stack[-1].append(group)
    return stack[0]


def _emit(seq: Tree) -> str:
    out: list[str] = []
    i = 0

    def arg() -> str:
        nonlocal i
        if i >= len(seq):
            return ""
        item = seq[i]
        i += 1
        return _emit(item) if isinstance(item, list) else _emit([item])

    while i < len(seq):
        item = seq[i]
        i += 1
        if isinstance(item, list):
            out.append(_emit(item))  # a redundant group
        elif item == "\\frac":
            a = arg()
            b = arg()
            out.append(f"\\frac{{{a}}}{{{b}}}")
        elif item == "\\sqrt" and i < len(seq) and seq[i] == "[":
            index: list[str] = []
            i += 1
            while i < len(seq) and seq[i] != "]":
                part = seq[i]
                index.append(_emit(part) if isinstance(part, list) else _emit([part]))
                i += 1
            i += 1
            out.append(f"\\sqrt[{''.join(index)}]{{{arg()}}}")
        elif item in _ONE_ARG:
            out.append(f"{item}{{{arg()}}}")
        else:
            out.append(item)
    text = ""
    for piece in out:  # "\\times x" must not become "\\timesx"
        if piece[:1].isalpha() and _COMMAND_END.search(text):
            text += " "
        text += piece
    return text


def canonical_latex(latex: str) -> str:
    """One spelling per expression (see the module docstring)."""
    return _emit(_parse(tokens(latex)))


def same_expression(a: str, b: str) -> bool:
    """Whether two LaTeX strings spell the same expression."""
    return canonical_latex(a) == canonical_latex(b)


def category(truth: str) -> str:
    """``"structure"`` (powers, fractions, roots), else ``"x_or_comparison"``,
    else ``"plain"`` (digits and ``+ - \\times \\div / = ( ) .``), else ``"other"``."""
    toks = set(tokens(truth)) - {"{", "}"}
    if toks & _STRUCTURE:
        return "structure"
    if "x" in toks or toks & _COMPARISONS:
        return "x_or_comparison"
    if toks <= _PLAIN:
        return "plain"
    return "other"


def in_scope(truth: str) -> bool:
    """Whether *truth* uses only what we recognize (our symbols and structures).

    The brackets of a root's index (``\\sqrt[3]{27}``) are part of the root;
    any other bracket is a symbol we do not read.
    """
    toks = set(_without_root_brackets(tokens(truth))) - {"{", "}"}
    return bool(toks) and toks <= _IN_SCOPE


def _without_root_brackets(toks: list[str]) -> list[str]:
    """*toks* without the ``[`` and ``]`` that enclose a root's index."""
    out: list[str] = []
    closing: list[int] = []  # depth of "[" at which each open index's "]" comes
    depth = 0
    for k, tok in enumerate(toks):
        if tok == "[" and k and toks[k - 1] == "\\sqrt":
            depth += 1
            closing.append(depth)
            continue
        if tok == "[":
            depth += 1
        elif tok == "]":
            if closing and closing[-1] == depth:
                closing.pop()
                depth -= 1
                continue
            depth -= 1
        out.append(tok)
    return out


def plain_values(truth: str) -> list[Fraction] | None:
    """Exact values of the sides of a plain-arithmetic truth, or None.

    A deliberately separate implementation (a shunting-yard over the LaTeX
    tokens) used to check :func:`mathocr.meaning.expression.interpret` against truths:
    two independent routes agreeing is the evidence a value is right.

    >>> plain_values("24 / 125 = 0.19")
    [Fraction(24, 125), Fraction(19, 100)]
    """
    if category(truth) != "plain":
        return None
    toks = [t for t in tokens(truth) if t not in "{}"]
    sides: list[list[str]] = [[]]
    for t in toks:
        if t == "=":
            sides.append([])
        else:
            sides[-1].append(t)
    if sides and not sides[-1]:
        sides.pop()
    try:
        return [_shunting_yard(side) for side in sides]
    except (ValueError, IndexError, ZeroDivisionError):
        return None


_PRECEDENCE = {"+": 1, "-": 1, "\\times": 2, "/": 2, "neg": 3}


def _shunting_yard(toks: list[str]) -> Fraction:
    values: list[Fraction] = []
    ops: list[str] = []

    def apply(op: str) -> None:
        if op == "neg":
            values.append(-values.pop())
            return
        b, a = values.pop(), values.pop()
        if op == "+":
            values.append(a + b)
        elif op == "-":
            values.append(a - b)
        elif op == "\\times":
            values.append(a * b)
        else:
            values.append(a / b)

    i = 0
    expect_operand = True
    while i < len(toks):
        t = toks[i]
        if t.isdigit() or t == ".":
            j = i
            while j < len(toks) and (toks[j].isdigit() or toks[j] == "."):
                j += 1
            values.append(Fraction("".join(toks[i:j])))
            i = j
            expect_operand = False
            continue
        if t == "(":
            ops.append(t)
        elif t == ")":
            while ops[-1] != "(":
                apply(ops.pop())
            ops.pop()
            expect_operand = False
            i += 1
            continue
        elif t == "-" and expect_operand:
            ops.append("neg")
        elif t in _PRECEDENCE:
            while ops and ops[-1] != "(" and _PRECEDENCE[ops[-1]] >= _PRECEDENCE[t]:
                apply(ops.pop())
            ops.append(t)
        else:
            raise ValueError(t)
        expect_operand = True
        i += 1
    while ops:
        apply(ops.pop())
    if len(values) != 1:
        raise ValueError("malformed")
    return values[0]
