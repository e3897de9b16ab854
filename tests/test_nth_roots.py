"""Roots with an index: exact values, errors, guards, solving, and scoring against truths."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from mathocr.data.canonical import canonical_latex, category, in_scope, same_expression
from mathocr.data.evaluation import expression_kind
from mathocr.errors import ExpressionError
from mathocr.meaning.exact import Num, TooLargeError
from mathocr.meaning.exact_roots import nth_root
from mathocr.meaning.expression import _Evaluator, interpret
from mathocr.meaning.numeric_solve import evaluate_float
from mathocr.meaning.syntax import Neg, Node, NthRoot, Number, Power, SquareRoot, Var

from .typeset import typeset


def q(value: int | Fraction) -> Num:
    return Num.rational(value)


def read(latex: str):
    return interpret(typeset(latex))


# -- exact values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, value, decimal",
    [
        ("\\sqrt[3]{27}", "3", "3"),
        ("\\sqrt[4]{16}", "2", "2"),
        ("\\sqrt[3]{-8}", "-2", "-2"),
        ("\\sqrt[2]{18}", "3*sqrt(2)", "4.242640687"),  # the same as \sqrt{18}
        ("\\sqrt[4]{4}", "sqrt(2)", "1.414213562"),
        ("\\sqrt[3]{\\frac{1}{8}}", "1/2", "0.5"),
        ("\\sqrt[1]{7}", "7", "7"),
        ("\\sqrt[3]{2} \\times \\sqrt[3]{4}", "2", "2"),
        ("2\\sqrt[3]{8} + \\sqrt[4]{16}", "6", "6"),
        ("\\sqrt[3]{8}^{2}", "4", "4"),  # an exponent after the root, not its index
        ("\\sqrt[5]{55}", "2.228807384", "2.228807384"),  # not exact: a float
    ],
)
def test_values_of_indexed_roots(written, value, decimal):
    r = read(written)
    assert r.error is None
    assert (r.value, r.decimal) == (value, decimal)


def test_text_of_an_indexed_root():
    r = read("\\sqrt[3]{27}")
    assert (r.latex, r.text) == ("\\sqrt[3]{27}", "root(27,3)")


def test_an_inexact_root_is_flagged_approximate():
    root = nth_root(q(2), 3)
    assert not root.exact
    assert root.to_float() == pytest.approx(2 ** (1 / 3))
    assert nth_root(q(-2), 3).to_float() == pytest.approx(-(2 ** (1 / 3)))


def test_roots_that_stay_in_the_field_are_exact():
    sqrt2 = Num.sqrt_of(q(2))
    assert nth_root(q(8), 6) == sqrt2  # 8^(1/6) = 2^(1/2)
    assert nth_root(q(2) * sqrt2, 3) == sqrt2  # (2 sqrt 2)^(1/3)
    assert nth_root(q(Fraction(-8, 27)), 3) == q(Fraction(-2, 3))
    assert nth_root(q(3**3000), 3) == q(3**1000)  # integer Newton, far past floats
    assert nth_root(q(0), 5) == q(0)
    assert all(nth_root(q(k**7), 7) == q(k) for k in range(1, 50))


def test_an_even_root_of_a_negative_number_is_an_error_like_sqrt():
    with pytest.raises(ExpressionError, match="square root of a negative number"):
        nth_root(q(-4), 2)
    with pytest.raises(ExpressionError, match="4th root of a negative number"):
        nth_root(q(-16), 4)
    with pytest.raises(ExpressionError, match="12th root of a negative number"):
        nth_root(q(-1), 12)
    assert read("\\sqrt[4]{-16}").error == "4th root of a negative number"
    assert read("\\sqrt{-4}").error == "square root of a negative number"


def n(value: int | Fraction) -> Number:
    return Number(Fraction(value), 0)


@pytest.mark.parametrize(
    "degree, shown",
    [
        (n(0), "0"),
        (n(Fraction(3, 2)), "3/2"),
        (Neg(n(2)), "-2"),
        (SquareRoot(n(2)), "sqrt\\(2\\)"),  # irrational
    ],
)
def test_the_degree_must_be_a_positive_whole_number(degree, shown):
    with pytest.raises(ExpressionError, match=f"positive whole number, not {shown}$"):
        _Evaluator().value_of(NthRoot(n(8), degree))


def test_a_zero_degree_written_in_the_crook_is_refused():
    error = read("\\sqrt[0]{5}").error
    assert error == "the degree of a root must be a positive whole number, not 0"


def test_an_x_in_the_degree_is_refused_and_not_solved_numerically():
    refused = "cannot evaluate: roots with x in the degree are not supported"
    assert read("\\sqrt[x]{8}").error == refused
    assert read("\\sqrt[x]{8} = 2").error == refused


def test_huge_degrees_are_answered_at_once():
    start = time.perf_counter()

    def value(radicand: int, degree: Node) -> float:
        return _Evaluator().value_of(NthRoot(n(radicand), degree)).constant_value().to_float()

    assert value(2, Power(n(10), n(9))) == pytest.approx(2**1e-9)
    assert value(-2, n(10**400 + 1)) == pytest.approx(-1.0)  # odd: the real root
    with pytest.raises(ExpressionError, match="even root of a negative number"):
        value(-2, n(10**400))
    assert nth_root(q(2**9999 + 1), 9998).to_float() == pytest.approx(2.0, rel=1e-3)
    assert time.perf_counter() - start < 1.0


def test_a_root_too_large_for_a_float_is_refused():
    with pytest.raises(TooLargeError):
        nth_root(q(2**9000 + 1), 3)


# -- solving ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, solutions",
    [
        ("\\sqrt[3]{x} = 2", ("x = 8",)),
        ("\\sqrt[3]{x} = -2", ("x = -8",)),  # an odd root of a negative x is real
        ("\\sqrt[4]{x} = 2", ("x = 16",)),
        ("3\\sqrt[3]{x} = 6", ("x = 8",)),
        ("\\sqrt[3]{x^{2}} = 4", ("x = -8", "x = 8")),
        ("\\sqrt[2]{x + 1} = x - 1", ("x = 3",)),
    ],
)
def test_equations_with_x_under_an_indexed_root(written, solutions):
    r = read(written)
    assert r.error is None
    assert r.solutions == solutions


def test_the_numeric_root_follows_the_exact_one():
    import numpy as np

    x = np.array([-8.0, -1.0, 0.0, 16.0])
    cube = evaluate_float(NthRoot(Var(), n(3)), x)
    assert cube == pytest.approx([-2.0, -1.0, 0.0, 16 ** (1 / 3)])
    fourth = evaluate_float(NthRoot(Var(), n(4)), x)
    assert np.isnan(fourth[:2]).all() and fourth[2:] == pytest.approx([0.0, 2.0])
    half = evaluate_float(NthRoot(Var(), n(Fraction(1, 2))), x)
    assert np.isnan(half).all()


# -- scoring against truths ---------------------------------------------------------------


def test_indexed_root_truths_compare_and_are_in_scope():
    assert same_expression("\\sqrt[5]{55}", "\\sqrt [ 5 ] { 5 5 }")
    assert not same_expression("\\sqrt[5]{55}", "\\sqrt{555}")
    assert not same_expression("\\sqrt[5]{55}", "5\\sqrt{55}")
    assert canonical_latex("\\sqrt[3]{\\sqrt{x}}") == "\\sqrt[3]{\\sqrt{x}}"
    assert in_scope("\\sqrt[5]{55}") and in_scope("\\sqrt[3]{\\sqrt[2]{x}}")
    assert not in_scope("[2]") and not in_scope("\\sqrt[3]{[2]}")
    assert category("\\sqrt[5]{55}") == "structure" == expression_kind("\\sqrt[5]{55}")


@pytest.mark.parametrize("name", ["MfrDB1754", "MfrDB1780", "MfrDB2478", "MfrDB3018"])
def test_crohme_writers_indexed_roots_match_their_truth(crohme_dir, name):
    from mathocr.data.ink_layout import placed_symbols
    from mathocr.data.inkml import read_inkml

    path = crohme_dir / "train" / "MfrDB" / f"{name}.inkml"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    ink = read_inkml(path)
    symbols = placed_symbols(ink)
    assert symbols is not None
    assert same_expression(interpret(symbols).latex, ink.truth)
