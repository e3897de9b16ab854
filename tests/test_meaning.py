"""Comparisons, chains, inequalities, subscripted names and exact roots (mathocr.meaning)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathocr.meaning.compare import compare, holds
from mathocr.meaning.exact import Num
from mathocr.meaning.expression import interpret
from mathocr.meaning.intervals import SolutionSet, num_latex, solve_relation
from mathocr.meaning.polynomial import Rational
from mathocr.meaning.roots import rational_real_roots
from tests.typeset import typeset


def read(latex: str):
    return interpret(typeset(latex))


def q(n: int | Fraction) -> Num:
    return Num.rational(Fraction(n))


# -- numeric comparisons and chains ------------------------------------------------


@pytest.mark.parametrize(
    "latex, truth",
    [
        ("3 < 5", True),
        ("5 < 3", False),
        ("3 > \\sqrt{8}", True),
        ("3 < \\sqrt{8}", False),
        ("2 \\le 2", True),
        ("2 \\ge 3", False),
        ("1 + 1 \\ne 2", False),
        ("\\frac{1}{3} \\ne \\frac{1}{4}", True),
        ("0 < 1 < \\sqrt{2}", True),
        ("0 < 2 < \\sqrt{2}", False),  # the second link fails
        ("1 \\le 1 < 2 \\le 2", True),
    ],
)
def test_numeric_comparisons_and_chains_are_exact(latex, truth):
    r = read(latex)
    assert (r.kind, r.error) == ("comparison", None)
    assert r.holds is truth


def test_comparisons_get_the_rounding_equations_get():
    # 1/3 shown as 0.33: equal to the shown decimals, so \le holds and \ne does not;
    # < and > need the exact order.
    assert read("\\frac{1}{3} \\le 0.33").holds is True
    assert read("\\frac{1}{3} \\ne 0.33").holds is False
    assert read("\\frac{1}{3} > 0.33").holds is True
    assert read("\\frac{1}{3} < 0.33").holds is False
    assert read("\\frac{1}{3} \\ne 0.3").holds is False  # 0.3 is 1/3 to one decimal
    assert read("\\frac{1}{3} \\ne 0.4").holds is True


def test_an_equation_chain_is_checked_link_by_link():
    assert read("3 \\times (4 + 5) = 3 \\times 9 = 27").holds is True
    r = read("3 \\times (4 + 5) = 3 \\times 10 = 27")
    assert r.holds is False
    assert r.value == "27 = 30 = 27"


def test_the_order_of_close_surds_is_exact():
    a = Num.sqrt_of(q(2)) + Num.sqrt_of(q(3))  # 3.1462...
    assert compare(a, Num.sqrt_of(q(10))) == -1  # 3.1623...
    # sqrt(n^2 + 1) is below n + 1/(2n) by about 1/(8 n^3) = 1.25e-13: far below float
    # precision at this size, so the sign has to come from exact digits.
    n = 10**4
    root = Num.sqrt_of(q(n * n + 1))
    near = q(n) + q(Fraction(1, 2 * n))
    assert abs(root.to_float() - near.to_float()) < 1e-11
    assert compare(root, near) == -1
    assert compare(near, root) == 1
    assert holds("<", root, near) and not holds(">", root, near)


# -- inequalities in x ----------------------------------------------------------------


@pytest.mark.parametrize(
    "latex, text, latex_out",
    [
        ("2x + 3 < 7", "x < 2", "x < 2"),
        ("2x + 3 \\le 7", "x <= 2", "x \\le 2"),
        ("-2x > 4", "x < -2", "x < -2"),
        ("x^{2} - 2x - 3 \\ge 0", "x <= -1 or x >= 3", "x \\le -1 \\text{ or } x \\ge 3"),
        ("x^{2} - 2x - 3 < 0", "-1 < x < 3", "-1 < x < 3"),
        ("x^{2} < 2", "-sqrt(2) < x < sqrt(2)", "-\\sqrt{2} < x < \\sqrt{2}"),
        ("x^{2} + 1 > 0", "every x", "x \\in \\mathbb{R}"),
        ("x^{2} + 1 < 0", "no solution", "\\text{no solution}"),
        ("(x - 1)^{2} \\le 0", "x = 1", "x = 1"),
        ("\\frac{1}{x} > 2", "0 < x < 1/2", "0 < x < \\frac{1}{2}"),
        ("x \\ne 3", "x != 3", "x \\ne 3"),
        ("0 < x < \\sqrt{2}", "0 < x < sqrt(2)", "0 < x < \\sqrt{2}"),
        ("0 < 2x \\le 5", "0 < x <= 5/2", "0 < x \\le \\frac{5}{2}"),
    ],
)
def test_inequalities_are_solved_to_exact_intervals(latex, text, latex_out):
    r = read(latex)
    assert (r.kind, r.error) == ("inequality", None)
    assert r.value == text
    assert r.solution_latex == latex_out


def test_a_pole_is_never_in_a_solution_set():
    x, one = Rational.variable(), Rational.constant(q(1))
    s = solve_relation(one / x - one / x, "\\le", "x", [x.num])  # 0 <= 0 except at x = 0
    assert s.text() == "x != 0"
    assert not s.contains(q(0)) and s.contains(q(5))


@settings(max_examples=60, deadline=2000)
@given(st.integers(-9, 9), st.integers(-9, 9), st.sampled_from(["<", ">", "\\le", "\\ge", "\\ne"]))
def test_quadratic_inequality_sets_agree_with_pointwise_checks(r1, r2, rel):
    """(x - r1)(x - r2) rel 0: the set contains exactly the test points where it holds."""
    x = Rational.variable()
    p = (x - Rational.constant(q(r1))) * (x - Rational.constant(q(r2)))
    s = solve_relation(p, rel, "x", [])
    for k in range(-22, 23):
        point = Fraction(k, 2)
        value = (point - r1) * (point - r2)
        assert s.contains(q(point)) == holds(rel, q(value), q(0)), (point, s.text())


# -- subscripted names and exact roots ---------------------------------------------------


def test_subscripted_x_is_a_name_of_its_own():
    r = read("x_{1} = 5")
    assert r.latex == "x_{1} = 5"
    assert r.text == "x_1=5"
    assert r.solutions == ("x_1 = 5",)
    assert r.claim is not None and r.claim.answer == ("x_1", q(5))
    assert read("x_{12}^{2} = 4").solutions == ("x_12 = -2", "x_12 = 2")


def test_two_different_names_are_not_solved_as_one_unknown():
    r = read("x_{1} + x_{2} = 3")
    assert r.error is not None and "several unknowns (x_1, x_2)" in r.error


def test_high_degree_roots_are_exact_when_rational():
    r = read("(1001x - 1)(x - 2)(x^{2} + 1) = 0")
    assert r.solutions == ("x = 1/1001", "x = 2")
    cubic = read("(x - 3)(x^{2} - 2) = 0")  # a rational root and two surds
    assert cubic.solutions == ("x = -sqrt(2)", "x = sqrt(2)", "x = 3")
    # Irreducible cubic: numbers, as before.
    assert read("x^{3} - 3x - 1 = 0").solutions[0].startswith("x ≈ -1.532088")


@settings(max_examples=40, deadline=3000)
@given(
    st.lists(
        st.fractions(min_value=-50, max_value=50, max_denominator=2000), min_size=3, max_size=6
    )
)
def test_factoring_finds_every_rational_root_exactly(roots):
    """prod(x - r) has exactly the distinct r as roots, whatever their denominators."""
    coeffs = [Fraction(1)]
    for r in roots:  # multiply by (x - r), constant first
        coeffs = [
            (coeffs[k - 1] if k > 0 else 0) - r * (coeffs[k] if k < len(coeffs) else 0)
            for k in range(len(coeffs) + 1)
        ]
    found = rational_real_roots(coeffs)
    assert found is not None
    values, exact = found
    assert exact
    assert [v.as_rational() for v in values] == sorted(set(roots))


def test_surds_render_as_latex():
    assert num_latex(Num({1: Fraction(1, 2), 5: Fraction(1, 2)})) == "\\frac{1 + \\sqrt{5}}{2}"
    assert num_latex(Num({2: Fraction(-3)})) == "-3\\sqrt{2}"
    assert num_latex(q(Fraction(-5, 2))) == "-\\frac{5}{2}"


def test_solution_sets_compare_as_sets():
    a = SolutionSet.points([q(2), q(3)])
    assert a.same_as(SolutionSet.points([q(3), q(2)]))
    assert not a.same_as(SolutionSet.points([q(2)]))
    assert SolutionSet.every_but([q(0)]).holes() == [q(0)]
