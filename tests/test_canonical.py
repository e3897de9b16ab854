"""Canonical LaTeX for scoring, categories and scope, on hand-written and real truths."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mathocr.data.canonical import (
    canonical_latex,
    category,
    in_scope,
    plain_values,
    same_expression,
)
from mathocr.data.inkml import iter_inkml, read_inkml
from mathocr.meaning.expression import interpret
from tests.typeset import typeset


@pytest.mark.parametrize(
    "a, b",
    [
        ("2 + 3", "2+3"),
        ("3 0 \\times 2 9", "30\\times29"),
        ("2 * 3", "2 \\times 3"),
        ("2 \\ast 3", "2\\times 3"),
        ("X^2", "x^{2}"),
        ("\\left( x \\right)", "(x)"),
        ("{x^{2}} + {1}", "x^{2}+1"),
        ("\\frac12", "\\frac{1}{2}"),
        ("\\frac {2}{15}", "\\frac{2}{15}"),
        ("\\sqrt 4", "\\sqrt{4}"),
        ("\\sqrt {1 + \\sqrt {2}}", "\\sqrt{1+\\sqrt{2}}"),
        ("x^{2 8}", "x^{28}"),
        ("13 \\div 167", "13 / 167"),
        ("{ x } ^ { X }", "x^{x}"),
    ],
)
def test_same_expression(a, b):
    assert same_expression(a, b)
    assert canonical_latex(a) == canonical_latex(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("2 + 3", "2 - 3"),
        ("x^{2}", "x2"),
        ("\\frac{1}{2}", "1/2"),
        ("\\sqrt{2}x", "\\sqrt{2x}"),
        ("(1+2)", "1+2"),
        ("23", "2 \\times 3"),
    ],
)
def test_different_expressions(a, b):
    assert not same_expression(a, b)


def test_command_followed_by_letter_keeps_a_separator():
    assert canonical_latex("2 \\times x") == "2\\times x"


@pytest.mark.parametrize(
    "truth, cat",
    [
        ("146 \\times (101 + 157 - 181) = 11242", "plain"),
        ("24 / 125 = 0.19", "plain"),
        ("4 \\div 182 = 0.02", "plain"),
        ("5 + 7 = x", "x_or_comparison"),
        ("2 X + 4", "x_or_comparison"),
        ("3 < 4", "x_or_comparison"),
        ("a \\leq b", "x_or_comparison"),
        ("x^{2}", "structure"),
        ("\\frac{9}{5}", "structure"),
        ("{\\sqrt{-1}}", "structure"),
        ("\\alpha + 1", "other"),
    ],
)
def test_category(truth, cat):
    assert category(truth) == cat


@pytest.mark.parametrize(
    "truth, ok",
    [
        ("\\left( x^{3} - x \\right) \\left( 2 x - 7 \\right)", True),
        ("\\frac {2}{15} \\times 7", True),
        ("x_1 = 1", False),
        ("{6^{6}} \\cdot {6^{2}}", False),
        ("3 < 4", False),
        ("\\sin x", False),
        ("", False),
    ],
)
def test_in_scope(truth, ok):
    assert in_scope(truth) is ok


def test_plain_values_oracle():
    assert plain_values("((84 / 113) / 51) - 119 = -118.99") == [
        Fraction(84, 113) / 51 - 119,
        Fraction("-118.99"),
    ]
    assert plain_values("2 - 3 - 4 \\times 2") == [Fraction(-9)]
    assert plain_values("x + 1") is None
    assert plain_values("1 / 0") is None


@given(st.text(alphabet="0123456789+-=()x{}^ \\fracsqrtimesdv", max_size=40))
def test_canonical_is_idempotent_and_total(s):
    once = canonical_latex(s)
    assert canonical_latex(once) == once


@pytest.mark.crohme
def test_real_truths_are_categorised_and_read_back(crohme_dir):
    """Every in-scope valid/ truth typeset by the test helper reads back identically.

    This checks canonical_latex and the layout on the real variety of CROHME
    spellings (MathBrush braces, \\left( \\right), \\frac12, spaced digits).
    """
    seen: dict[str, int] = {}
    for path in iter_inkml(crohme_dir / "valid"):
        truth = read_inkml(path).truth
        if not in_scope(truth):
            continue
        cat = category(truth)
        assert cat in {"plain", "x_or_comparison", "structure"}, truth
        seen[cat] = seen.get(cat, 0) + 1
        got = interpret(typeset(truth)).latex
        assert canonical_latex(got) == canonical_latex(truth), (truth, got)
    assert seen.get("plain", 0) >= 20 and seen.get("structure", 0) >= 40


@pytest.mark.crohme
def test_every_valid_truth_has_a_stable_canonical_form(crohme_dir):
    """All 757 valid/ truths, in scope or not: canonical form is a fixed point,
    spacing never matters, and scope implies one of our three categories."""
    count = 0
    for path in iter_inkml(crohme_dir / "valid"):
        truth = read_inkml(path).truth
        once = canonical_latex(truth)
        assert canonical_latex(once) == once, truth
        if "\\" not in truth:  # spaces between all characters (commands aside)
            assert canonical_latex(" ".join(truth)) == once, truth
        assert category(truth) in {"plain", "x_or_comparison", "structure", "other"}
        if in_scope(truth):
            assert category(truth) != "other", truth
        count += 1
    assert count >= 700


def test_a_stray_backslash_is_dropped_and_stays_idempotent():
    # Found by the property test: a lone trailing backslash used to escape the
    # closing brace that canonicalization adds after it.
    assert canonical_latex("^\\") == "^{}"
    assert canonical_latex(canonical_latex("^\\")) == canonical_latex("^\\")
    assert canonical_latex("2 + 3\\") == canonical_latex("2+3")
