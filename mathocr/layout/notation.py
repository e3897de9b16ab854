"""Layout tree → LaTeX and plain text, exactly as written (no evaluation).

Rendering never fails, so a recognizer can always show what it read even when
the expression does not make sense.

>>> from mathocr.layout.tree import Frac, Sym
>>> row = [Frac(1, [Sym("5", (0,))], [Sym("6", (2,))])]
>>> to_latex(row), to_text(row)
('\\\\frac{5}{6}', '5/6')
"""

from __future__ import annotations

from .tree import DIGITS, RELATIONS, Frac, Item, Root, Row, Sub, Sup, Sym

__all__ = ["to_latex", "to_text"]

_LATEX = {"\\times": "\\times", "\\div": "\\div", "\\sqrt": "\\sqrt{}"}
_TEXT = {
    "\\times": "*",
    "\\div": "/",
    "\\sqrt": "sqrt()",
    "\\le": "<=",
    "\\ge": ">=",
    "\\ne": "!=",
}
_BINARY = {"+", "-", "\\times", "\\div", "/"}
_OPERAND_END = {"num", "x", "close", "sup", "sub", "struct"}


def _kinds(row: Row) -> list[str]:
    kinds: list[str] = []
    for item in row:
        prev = kinds[-1] if kinds else None
        if isinstance(item, Sup):
            kinds.append("sup")
        elif isinstance(item, Sub):
            kinds.append("sub")
        elif isinstance(item, Frac | Root):
            kinds.append("struct")
        elif item.label in DIGITS or item.label == ".":
            kinds.append("num")
        elif item.label == "x":
            kinds.append("x")
        elif item.label == "(":
            kinds.append("open")
        elif item.label == ")":
            kinds.append("close")
        elif item.label in RELATIONS:
            kinds.append("eq")
        elif item.label in ("+", "-") and prev not in _OPERAND_END:
            kinds.append("unary")
        elif item.label in _BINARY:
            kinds.append("binop")
        else:
            kinds.append("other")
    return kinds


def _tight(prev: str, cur: str) -> bool:
    """No space between two neighbouring tokens."""
    if cur in ("sup", "sub", "close") or prev in ("open", "unary"):
        return True
    if prev == "sup" and cur == "num":  # 2^{8} 3^{6}
        return False
    if prev == "num" and cur == "num":
        return True
    return cur in ("x", "open", "struct", "num") and prev in _OPERAND_END


def to_latex(row: Row) -> str:
    """LaTeX such as ``146 \\times (101 + 157 - 181) = 11242``, ``\\sqrt[3]{27}``."""
    kinds = _kinds(row)
    out: list[str] = []
    for i, item in enumerate(row):
        if i and not _tight(kinds[i - 1], kinds[i]):
            out.append(" ")
        out.append(_latex_item(item))
    return "".join(out)


def _latex_item(item: Item) -> str:
    if isinstance(item, Sym):
        return _LATEX.get(item.label, item.label)
    if isinstance(item, Frac):
        return f"\\frac{{{to_latex(item.num)}}}{{{to_latex(item.den)}}}"
    if isinstance(item, Root):
        degree = "" if item.degree is None else f"[{to_latex(item.degree)}]"
        return f"\\sqrt{degree}{{{to_latex(item.body)}}}"
    if isinstance(item, Sub):
        return f"_{{{to_latex(item.row)}}}"
    return f"^{{{to_latex(item.row)}}}"


def to_text(row: Row) -> str:
    """Plain text such as ``146*(101+157-181)=11242``, ``5/6``, ``sqrt(18)``, ``root(27,3)``."""
    kinds = _kinds(row)
    out: list[str] = []
    for i, item in enumerate(row):
        if isinstance(item, Frac):
            body = f"{_wrap(to_text(item.num))}/{_wrap(to_text(item.den))}"
            alone_left = i == 0 or kinds[i - 1] in ("binop", "eq", "open", "unary")
            alone_right = (
                i + 1 == len(row)
                or kinds[i + 1] in ("eq", "close")
                or (kinds[i + 1] == "binop" and _label(row[i + 1]) in ("+", "-"))
            )
            left_ok = i == 0 or _label(row[i - 1]) in ("+", "-", "(", *RELATIONS)
            out.append(body if alone_left and alone_right and left_ok else f"({body})")
        elif isinstance(item, Root) and item.degree is not None:
            # As sqrt(...) is written: a function of the radicand, the degree second.
            out.append(f"root({to_text(item.body)},{to_text(item.degree)})")
        elif isinstance(item, Root):
            out.append(f"sqrt({to_text(item.body)})")
        elif isinstance(item, Sub):
            out.append("_" + _wrap(to_text(item.row)))
        elif isinstance(item, Sup):
            out.append("^" + _wrap(to_text(item.row)))
            if i + 1 < len(row) and kinds[i + 1] == "num":
                out.append("*")  # 2^8*3^6, not 2^83^6
        else:
            out.append(_TEXT.get(item.label, item.label))
    return "".join(out)


def _label(item: Item) -> str:
    return item.label if isinstance(item, Sym) else ""


def _wrap(text: str) -> str:
    simple = text.replace(".", "").isdigit() or text == "x"
    return text if simple else f"({text})"
