"""Roots with an index (``\\sqrt[5]{55}``): layout from explicit boxes, and notation.

The boxes follow CROHME writers' indexed roots (train/MfrDB, ``\\sqrt[5]{55}``):
a radical sign whose box runs from its tick to the end of its bar, the index
small in its upper-left corner, inside the box or sticking out past its left
edge or above its top; and, for contrast, what is no index: a coefficient
before the root, an exponent before it, a radicand's first digit.
"""

from __future__ import annotations

import pytest

from mathocr.data.canonical import canonical_latex
from mathocr.layout.build import PlacedSymbol, build_layout
from mathocr.layout.notation import to_latex, to_text
from mathocr.layout.root_degree import split_degree
from mathocr.layout.tree import Box, Frac, Root, Sup, Sym
from mathocr.meaning.expression import interpret

from .typeset import typeset


def P(label: str, x: int, y: int, w: int, h: int) -> PlacedSymbol:
    return PlacedSymbol(label, (x, y, w, h))


def latex(symbols: list[PlacedSymbol]) -> str:
    return canonical_latex(interpret(symbols).latex)


def labels(row: list) -> list[str]:
    return [u.label for u in row if isinstance(u, Sym)]


# A radical sign over "55" (root box 100 x 60 from its tick to its bar's end) ...
SIGN = P("\\sqrt", 20, 10, 100, 60)
FIVES = [P("5", 55, 24, 22, 42), P("5", 85, 24, 22, 42)]


def test_an_index_in_the_crook_of_the_sign_is_the_roots_degree():
    # The 5 of MfrDB1754: a third of the radicand's height, in the box's upper-left corner.
    symbols = [SIGN, P("5", 23, 20, 13, 15), *FIVES]
    tree = build_layout(symbols)
    assert len(tree) == 1 and isinstance(tree[0], Root)
    assert tree[0].degree is not None and labels(tree[0].degree) == ["5"]
    assert labels(tree[0].body) == ["5", "5"]
    assert latex(symbols) == "\\sqrt[5]{55}"


def test_an_index_sticking_out_past_the_left_edge_is_the_degree():
    # MfrDB2478: the index starts left of the sign's box, its centre outside it.
    symbols = [SIGN, P("5", 8, 20, 18, 25), *FIVES]
    assert latex(symbols) == "\\sqrt[5]{55}"


def test_an_index_sticking_out_above_the_sign_is_the_degree():
    # MfrDB3180: the index's centre above the top of the box.
    symbols = [SIGN, P("3", 22, 0, 16, 20), *FIVES]
    assert latex(symbols) == "\\sqrt[3]{55}"


def test_a_full_size_digit_on_the_baseline_before_the_root_stays_a_coefficient():
    # As tall as the radicand's digits and standing on their baseline, touching the tick.
    symbols = [P("5", 0, 24, 24, 42), SIGN, *FIVES]
    assert latex(symbols) == "5\\sqrt{55}"
    # ... also when it reaches into the sign's box.
    symbols = [P("5", 2, 24, 24, 42), SIGN, *FIVES]
    assert latex(symbols) == "5\\sqrt{55}"


def test_a_small_digit_before_the_root_on_its_baseline_is_no_index():
    # Small, but its foot is on the radicand's baseline: a coefficient written small.
    symbols = [P("5", 10, 44, 14, 22), SIGN, *FIVES]
    assert "[" not in latex(symbols)


def test_an_exponent_before_the_root_stays_an_exponent():
    # x^{2}\sqrt{55}: the 2 raised after the x, clear of the sign's box.
    symbols = [P("x", 0, 36, 26, 30), P("2", 28, 14, 12, 18), P("\\sqrt", 46, 10, 90, 60)]
    symbols += [P("5", 75, 24, 22, 42), P("5", 105, 24, 22, 42)]
    assert latex(symbols) == "x^{2}\\sqrt{55}"


def test_a_radicands_first_digit_level_with_the_rest_is_no_index():
    # A thin 1 starting the radicand of a sign whose tick hangs well below the line
    # (MathBrush's continued roots): level with the x after it, not raised.
    symbols = [
        P("\\sqrt", 0, 0, 270, 122),
        P("1", 55, 40, 11, 41),
        P("+", 80, 45, 30, 30),
        P("x", 130, 49, 31, 39),
    ]
    tree = build_layout(symbols)
    assert isinstance(tree[0], Root) and tree[0].degree is None
    assert labels(tree[0].body) == ["1", "+", "x"]


def test_a_digit_as_tall_as_the_radicands_is_no_index_wherever_it_is():
    symbols = [SIGN, P("5", 23, 12, 22, 42), *FIVES]
    tree = build_layout(symbols)
    assert isinstance(tree[0], Root) and tree[0].degree is None


def test_an_index_is_not_taken_when_it_would_leave_nothing_under_the_bar():
    tree = build_layout([SIGN, P("5", 23, 20, 13, 15)])
    assert isinstance(tree[0], Root) and tree[0].degree is None
    assert labels(tree[0].body) == ["5"]


def test_an_index_of_two_digits_and_an_x():
    assert latex(typeset("\\sqrt[10]{1024}")) == "\\sqrt[10]{1024}"
    assert latex(typeset("\\sqrt[x]{8}")) == "\\sqrt[x]{8}"


@pytest.mark.parametrize(
    "written",
    [
        "\\sqrt{\\sqrt[3]{8}}",  # the index is the inner root's, in its crook
        "\\sqrt[3]{\\sqrt{64}}",  # the index is the outer root's, before the inner sign
        "\\sqrt[3]{\\sqrt[2]{64}}",
        "2\\sqrt[3]{8} + \\sqrt[4]{16}",
        "\\sqrt[3]{\\frac{1}{8}}",  # the index is no numerator written wider than its bar
        "\\frac{\\sqrt[3]{8}}{2}",
        "x^{2}\\sqrt[3]{x}",
    ],
)
def test_indexed_roots_read_back(written):
    assert latex(typeset(written)) == canonical_latex(written)


@pytest.mark.parametrize("scale", [0.25, 1.0, 6.0])
def test_an_index_does_not_depend_on_the_writing_size(scale):
    assert latex(typeset("\\sqrt[3]{27}", size=40 * scale)) == "\\sqrt[3]{27}"


def test_split_degree_takes_an_unclaimed_symbol_reaching_into_the_box():
    root = Box(20, 10, 120, 70)
    index = Sym("5", (1,), Box(8, 20, 26, 45))
    body = [Sym("5", (2,), Box(55, 24, 77, 66)), Sym("5", (3,), Box(85, 24, 107, 66))]
    beside = Sym("2", (4,), Box(0, 20, 7, 45))  # does not reach the box
    degree, radicand = split_degree(root, body, [index, beside])
    assert degree == [index] and radicand == body


# -- notation ---------------------------------------------------------------------------


def _root(degree: str | None, body: str) -> Root:
    def row(text: str) -> list:
        return [Sym(c, (k,)) for k, c in enumerate(text)]

    return Root(9, row(body), degree=None if degree is None else row(degree))


def test_latex_and_text_of_an_indexed_root():
    row = [_root("5", "55")]
    assert to_latex(row) == "\\sqrt[5]{55}"
    assert to_text(row) == "root(55,5)"
    plain = [_root(None, "18")]
    assert (to_latex(plain), to_text(plain)) == ("\\sqrt{18}", "sqrt(18)")


def test_notation_of_an_indexed_root_in_a_sum_and_under_a_power():
    row = [Sym("2", (0,)), _root("3", "8"), Sym("+", (1,)), Sym("1", (2,))]
    assert to_latex(row) == "2\\sqrt[3]{8} + 1"
    assert to_text(row) == "2root(8,3)+1"
    powered = [_root("3", "2"), Sup([Sym("6", (3,))])]
    assert to_latex(powered) == "\\sqrt[3]{2}^{6}"
    assert to_text(powered) == "root(2,3)^6"


def test_a_fraction_under_an_indexed_root():
    tree = build_layout(typeset("\\sqrt[3]{\\frac{1}{8}}"))
    assert isinstance(tree[0], Root) and isinstance(tree[0].body[0], Frac)
    assert to_text(tree) == "root(1/8,3)"
