"""Layout: boxes → tree, context fixes, and the rate on real CROHME stroke boxes."""

from __future__ import annotations

import json
import math

import pytest

from mathocr.data.canonical import canonical_latex, category, in_scope
from mathocr.data.ink_layout import placed_symbols
from mathocr.data.inkml import iter_inkml, read_inkml
from mathocr.layout.build import PlacedSymbol, build_layout
from mathocr.layout.tree import Frac, Root, Sub, Sup, Sym
from mathocr.meaning.expression import interpret
from tests.typeset import typeset

# -- structure from hand-made boxes ---------------------------------------------


def P(label: str, x: int, y: int, w: int, h: int, **kw: object) -> PlacedSymbol:
    return PlacedSymbol(label, (x, y, w, h), **kw)  # type: ignore[arg-type]


def latex_of(symbols: list[PlacedSymbol]) -> str:
    return interpret(symbols).latex


def test_left_to_right_whatever_the_input_order():
    symbols = [P("3", 60, 0, 12, 30), P("1", 0, 0, 10, 30), P("+", 24, 8, 14, 14)]
    assert latex_of(symbols) == "1 + 3"


def test_fraction_bar_with_symbols_above_and_below():
    symbols = [P("5", 10, 0, 14, 28), P("-", 0, 34, 34, 3), P("6", 10, 42, 14, 28)]
    tree = build_layout(symbols)
    assert isinstance(tree[0], Frac)
    assert latex_of(symbols) == "\\frac{5}{6}"


def test_a_minus_with_nothing_above_and_below_stays_a_minus():
    symbols = [P("7", 0, 0, 14, 30), P("-", 20, 14, 16, 3), P("2", 42, 0, 14, 30)]
    assert latex_of(symbols) == "7 - 2"


def test_two_stacked_bars_with_nothing_between_are_equals():
    symbols = [
        P("2", 0, 0, 14, 30),
        P("-", 20, 10, 16, 3),
        P("-", 20, 19, 16, 3),
        P("2", 42, 0, 14, 30),
    ]
    result = interpret(symbols)
    assert result.latex == "2 = 2"
    assert result.holds is True
    assert result.labels == ("2", "=", "=", "2")


def test_superscript_is_raised_and_smaller():
    symbols = [P("2", 0, 20, 16, 30), P("3", 18, 4, 10, 16)]
    tree = build_layout(symbols)
    assert tree == [Sym("2", (0,)), Sup([Sym("3", (1,))])]
    assert interpret(symbols).value == "8"


def test_exponent_minus_drawn_over_the_base_still_belongs_to_the_exponent():
    # CROHME formulaire008-equation041: the minus of 10^{-12} starts above the 0.
    symbols = [
        P("1", 8, 62, 50, 69),
        P("0", 74, 89, 39, 31),
        P("-", 74, 33, 24, 10),
        P("1", 117, 12, 28, 44),
        P("2", 155, 8, 48, 44),
    ]
    assert latex_of(symbols) == "10^{-12}"


def test_a_minus_raised_alone_is_no_exponent():
    # A 5 whose hat was lifted off to its right: "2 + 5" with a short bar over
    # the 5's top right corner, nothing after it.
    symbols = [
        P("2", 0, 20, 16, 30),
        P("+", 22, 26, 16, 16),
        P("5", 44, 22, 16, 28),
        P("-", 57, 14, 22, 4),
    ]
    assert build_layout(symbols)[-1] == Sym("5", (2,))
    assert interpret(symbols).value == "7"
    # With an exponent after it, the raised minus is the exponent's sign.
    with_exponent = [*symbols, P("1", 82, 2, 8, 18)]
    assert latex_of(with_exponent) == "2 + 5^{-1}"


def test_a_digit_level_with_its_neighbour_is_no_superscript():
    symbols = [P("2", 0, 20, 16, 30), P("3", 20, 18, 16, 30)]
    assert latex_of(symbols) == "23"


def test_a_descender_does_not_make_the_next_digit_a_superscript():
    # "145" with a 4 reaching well below the line, as in CROHME's formulaire026.
    symbols = [P("1", 0, 26, 11, 48), P("4", 17, 38, 13, 52), P("5", 49, 30, 26, 40)]
    assert latex_of(symbols) == "145"


@pytest.mark.parametrize(
    "latex",
    [
        "2^{3}",
        "x^{2}",
        "(1 + 2)^{2}",
        "x^{-4}",
        "9^{9^{9}}",
        "2^{8} 3^{6}",
        "\\frac{5}{6}",
        "\\frac{\\frac{1}{2}}{3}",
        "\\frac{1}{\\frac{2}{3}}",
        "4 + \\frac{1}{2 + \\frac{1}{3}} = \\frac{31}{7}",
        "\\sqrt{18}",
        "\\sqrt{\\frac{1}{4}}",
        "\\frac{\\sqrt{3}}{2}",
        "\\sqrt{1 + \\sqrt{2 + \\sqrt{3}}}",
        "2\\sqrt{2} + x^{2}",
        "146 \\times (101 + 157 - 181) = 11242",
        "24 / 125 = 0.19",
        "6 \\div 3 = 2",
        "-(2 + 3) \\times 4",
        "2x^{2} + 3x - 5 = 0",
        "\\frac{1}{2}x^{2}",
    ],
)
def test_typeset_expressions_read_back(latex):
    assert canonical_latex(latex_of(typeset(latex))) == canonical_latex(latex)


@pytest.mark.parametrize("scale", [0.25, 1.0, 6.0])
def test_reading_does_not_depend_on_scale(scale):
    latex = "\\frac{1}{2} + 3^{2} - \\sqrt{4}"
    assert canonical_latex(latex_of(typeset(latex, size=40 * scale))) == canonical_latex(latex)


def test_reading_does_not_depend_on_input_order():
    latex = "\\frac{1 + 2}{3} \\times (4 - 5)^{2}"
    assert latex_of(typeset(latex, order="reversed")) == latex_of(typeset(latex))


def test_root_contains_what_is_under_its_bar_only():
    tree = build_layout(typeset("\\sqrt{2} + 1"))
    assert isinstance(tree[0], Root)
    assert [s.label for s in tree[0].body if isinstance(s, Sym)] == ["2"]
    assert [s.label for s in tree[1:] if isinstance(s, Sym)] == ["+", "1"]


def test_decimal_point_between_digits():
    result = interpret(typeset("0.5 + 1.25"))
    assert result.latex == "0.5 + 1.25"
    assert result.value == "7/4"
    assert result.decimal == "1.75"


# -- context fixes -----------------------------------------------------------------


def _with(symbols, i, label, confidence, alternatives):
    out = list(symbols)
    out[i] = PlacedSymbol(label, symbols[i].box, confidence, alternatives)
    return out


def test_x_between_numbers_is_times():
    symbols = _with(typeset("2 x 3"), 1, "x", 0.8, (("\\times", 0.15),))
    result = interpret(symbols)
    assert result.latex == "2 \\times 3"
    assert result.labels[1] == "\\times"
    assert result.value == "6"


def test_times_used_as_coefficient_is_x():
    symbols = _with(typeset("2 x + 1 = 7"), 1, "\\times", 0.7, (("x", 0.25),))
    result = interpret(symbols)
    assert result.latex == "2x + 1 = 7"
    assert result.solutions == ("x = 3",)


def test_times_at_the_start_is_x_even_without_an_alternative():
    symbols = _with(typeset("x + 1"), 0, "\\times", 0.99, ())
    assert interpret(symbols).labels[0] == "x"


def test_a_grammatical_top_reading_is_kept():
    # "2 x" is a valid reading (2 times x), so x is not turned into a times sign.
    symbols = _with(typeset("2 x"), 1, "x", 0.6, (("\\times", 0.4),))
    assert interpret(symbols).labels[1] == "x"


def test_x_next_to_brackets_is_times():
    # "5 x (1 + 2) = 3 x 5": a doubtful mark between a number and a bracket is
    # a product, as it is 55 times out of 56 in the CROHME train truths.
    symbols = typeset("5 x (1 + 2) = 3 x 5")
    symbols = _with(symbols, 1, "x", 0.56, (("\\times", 0.4),))
    symbols = _with(symbols, 9, "x", 0.79, (("\\times", 0.15),))
    result = interpret(symbols)
    assert result.latex == "5 \\times (1 + 2) = 3 \\times 5"
    assert result.holds is True


def test_a_sure_x_next_to_a_bracket_stays_a_variable():
    symbols = _with(typeset("5 x (1 + 2) = 30"), 1, "x", 0.97, (("\\times", 0.01),))
    result = interpret(symbols)
    assert result.labels[1] == "x"
    assert result.solutions == ("x = 2",)


def test_marks_beside_brackets_are_times_signs():
    symbols = typeset("(1 + 2) x (3 + 4) x 5")
    symbols = _with(symbols, 5, "x", 0.6, (("\\times", 0.35),))
    symbols = _with(symbols, 11, "x", 0.7, (("\\times", 0.25),))
    result = interpret(symbols)
    assert result.latex == "(1 + 2) \\times (3 + 4) \\times 5"
    assert result.value == "105"


def test_a_sure_x_between_brackets_stays_x():
    # Between brackets a product is 28 times likelier than a variable on
    # CROHME, so the model must be very sure of the x to keep it.
    symbols = typeset("(x + 1) x (x - 1)")
    symbols = _with(symbols, 5, "x", 0.995, (("\\times", 0.001),))
    assert interpret(symbols).labels[5] == "x"


def test_unmatched_bracket_read_as_one_when_plausible():
    symbols = _with(typeset("2 + 1 1"), 2, "(", 0.55, (("1", 0.4),))
    result = interpret(symbols)
    assert result.latex == "2 + 11"
    assert result.value == "13"


def test_dot_not_between_digits_becomes_zero_when_plausible():
    symbols = _with(typeset("1 0 + 2"), 1, ".", 0.6, (("0", 0.35),))
    assert interpret(symbols).value == "12"


def test_a_dot_sized_zero_is_a_decimal_point():
    # Grammatical either way ("205" or "2.5"): only the size tells them apart.
    symbols = _with(typeset("2.5"), 1, "0", 0.7, ((".", 0.25),))
    assert interpret(symbols).value == "5/2"
    symbols = _with(typeset("205"), 1, ".", 0.7, (("0", 0.25),))
    assert interpret(symbols).value == "205"


def test_a_low_mark_between_digits_read_as_slash_is_a_decimal_point():
    # As the classifier does on thick pens: the point is read as "/", and "."
    # is not even among its alternatives; the mark sits below the digits' middle.
    symbols = typeset("3.59")
    x, y, _, _ = symbols[1].box
    big_low_mark = PlacedSymbol("/", (x - 4, y - 14, 14, 20), 0.8, (("1", 0.1),))
    result = interpret([symbols[0], big_low_mark, *symbols[2:]])
    assert result.latex == "3.59"
    assert result.labels[1] == "."
    # A real slash is as tall as the digits: it stays a division.
    assert interpret(typeset("3 / 59")).value == "3/59"


def test_a_decimal_comma_hanging_below_the_line_is_a_point():
    # French writers (HAMEX) write 2,29: a stroke starting below the digits'
    # middle and hanging under their baseline, read as a "1" by the classifier.
    symbols = typeset("2.29")
    digit = symbols[0].box
    x = symbols[1].box[0]
    top = digit[1] + digit[3] * 0.6  # below the middle of the line
    comma = PlacedSymbol(
        "1", (x, int(top), 8, int(digit[3] * 0.65)), 0.89, (("/", 0.03), (".", 0.02))
    )
    result = interpret([symbols[0], comma, *symbols[2:]])
    assert result.labels[1] == "."
    assert result.latex == "2.29"
    # The same stroke at full height is a one.
    full = PlacedSymbol("1", (x, digit[1], 8, digit[3]), 0.89, (("/", 0.03), (".", 0.02)))
    assert interpret([symbols[0], full, *symbols[2:]]).latex == "2129"


def test_a_number_does_not_start_with_a_zero_and_another_digit():
    # "= 0.47" with the point drawn as a tick from the digits' middle down to
    # their baseline (a train writer's, on a photo), read "1" (0.84) before "." (0.06).
    symbols = typeset("2 = 0.47")
    k = next(i for i, s in enumerate(symbols) if s.label == ".")
    digit = symbols[k + 1].box
    tick = (symbols[k].box[0], digit[1] + digit[3] * 2 // 5, 14, digit[3] * 3 // 5)
    symbols[k] = PlacedSymbol("1", tick, 0.84, ((".", 0.06), ("(", 0.02)))
    assert interpret(symbols).latex == "2 = 0.47"
    # After another digit a 0 is no leading zero: "1017" keeps its doubtful "1".
    symbols = typeset("2 = 1017")
    assert interpret(_with(symbols, 4, "1", 0.84, ((".", 0.06),))).latex == "2 = 1017"


def test_a_small_times_sign_written_low_between_digits_stays_a_product():
    # Seen on CROHME: a times sign 0.6 digit heights tall, sitting below the
    # digits' middle, read as x (0.72) or times (0.25) and never as a point.
    symbols = typeset("18 \\times 70")
    k = next(i for i, s in enumerate(symbols) if s.label == "\\times")
    x, _, _, _ = symbols[k].box
    digit = symbols[0].box
    low = (x, digit[1] + digit[3] - 18, 20, 24)  # 0.6 of a 40-px digit, below its middle
    symbols[k] = PlacedSymbol("x", low, 0.72, (("\\times", 0.25),))
    result = interpret(symbols)
    assert result.labels[k] == "\\times"
    assert result.value == "1260"


def test_one_unfixable_mistake_does_not_stop_other_fixes():
    symbols = typeset("2 + + 3 = 0.5")  # the doubled "+" is certain: no reading fixes it
    dot = next(i for i, s in enumerate(symbols) if s.label == ".")
    symbols = _with(symbols, dot, "0", 0.7, ((".", 0.25),))
    result = interpret(symbols)
    assert result.labels[dot] == "."
    assert result.latex == "2 + +3 = 0.5"
    assert result.error is not None and "not a valid expression" in result.error


def test_times_with_an_exponent_is_read_as_x_with_its_power():
    # Read as a times sign, the raised 2 could not be an exponent at all.
    symbols = _with(typeset("3x^{2} = 12"), 1, "\\times", 0.6, (("x", 0.35),))
    result = interpret(symbols)
    assert result.latex == "3x^{2} = 12"
    assert result.solutions == ("x = -2", "x = 2")


def _raise(symbol: PlacedSymbol, dy: int) -> PlacedSymbol:
    x, y, w, h = symbol.box
    return PlacedSymbol(symbol.label, (x, y - dy, w, h), symbol.confidence, symbol.alternatives)


def test_an_ambiguous_plus_before_a_root_is_read_as_plus():
    # A plus written like a "t" is read as 1 (0.44) or + (0.40); "21\\sqrt{3}" is
    # well-formed, but a digit is followed by an operator far more often than
    # by a root (mathocr.layout.grammar_prior).
    symbols = typeset("2 + \\sqrt{3}")
    k = next(i for i, s in enumerate(symbols) if s.label == "+")
    symbols = _with(symbols, k, "1", 0.44, (("+", 0.40), ("x", 0.03)))
    assert interpret(symbols).latex == "2 + \\sqrt{3}"


def test_a_doubtful_x_before_a_small_raised_digit_keeps_its_exponent():
    # Read as a times sign, the small raised 2 would be a factor on the line,
    # and digits on the line are rarely under 0.7 of the others' height.
    symbols = _with(typeset("3x^{2} - 1 = 11"), 1, "x", 0.6, (("\\times", 0.35),))
    result = interpret(symbols)
    assert result.latex == "3x^{2} - 1 = 11"
    assert result.solutions == ("x = -2", "x = 2")


def test_a_plus_with_nothing_before_it_is_rarely_a_plus():
    # "+245" is well-formed, but writers put a sign there only to mean minus.
    symbols = _with(typeset("1245 - 5"), 0, "+", 0.75, (("1", 0.12), ("x", 0.04)))
    assert interpret(symbols).value == "1240"
    # A minus there stays a minus.
    assert interpret(typeset("-3 + 5")).value == "2"


def test_a_root_over_nothing_takes_its_next_reading():
    # A 5 with a long hat, or two touching digits, can look like a root; with
    # nothing under its bar it cannot be one.
    symbols = _with(typeset("2 + 5"), 2, "\\sqrt", 0.6, (("5", 0.3), ("0", 0.05)))
    result = interpret(symbols)
    assert result.latex == "2 + 5"
    assert result.value == "7"


def test_the_grammar_prior_is_what_the_train_writers_give(crohme_dir):
    from mathocr.layout.grammar_prior import PRIOR_FILE, count_transitions

    shipped = json.loads(PRIOR_FILE.read_text())["counts"]
    assert count_transitions(crohme_dir / "train") == shipped


def test_the_grammar_prior_is_a_distribution_per_class():
    from mathocr.layout.grammar_prior import TOKEN_CLASSES, log_prior

    for i in range(len(TOKEN_CLASSES)):
        total = sum(math.exp(log_prior(i, j)) for j in [*range(len(TOKEN_CLASSES)), -1])
        assert total == pytest.approx(1.0)
    digit, binary, operand = (TOKEN_CLASSES.index(n) for n in ("digit", "binary", "operand"))
    assert log_prior(digit, binary) > log_prior(digit, operand) + 2


def test_a_full_size_digit_after_a_high_times_sign_is_a_factor_not_an_exponent():
    # Between fractions a writer may put "\\times 7" at the bars' height; the 7
    # then looks raised after the times sign. Read as x it would be x^{7}, but
    # an exponent as tall as the other digits is rare.
    symbols = typeset("\\frac{2}{15} x 7 + 1")
    k = next(i for i, s in enumerate(symbols) if s.label == "x")
    symbols = _with(symbols, k, "x", 0.83, (("\\times", 0.16),))
    symbols[k + 1] = _raise(symbols[k + 1], 20)
    result = interpret(symbols)
    assert result.latex == "\\frac{2}{15} \\times 7 + 1"
    # The same raised digit, small as exponents are, stays an exponent.
    x, y, w, h = symbols[k + 1].box
    symbols[k + 1] = PlacedSymbol("7", (x, y, w // 2, h // 2), 0.99, ())
    assert interpret(symbols).latex == "\\frac{2}{15}x^{7} + 1"


def test_confident_malformed_brackets_are_not_rewritten():
    result = interpret(typeset(") ("))
    assert result.error is not None
    assert result.labels == (")", "(")


# -- real handwriting: CROHME stroke boxes --------------------------------------


def test_placed_symbols_from_ink_scale_to_a_common_size():
    import numpy as np

    from mathocr.data.inkml import InkExpression, InkSymbol

    traces = {
        "a": np.array([[0.0, 0.0], [0.0, 0.5]]),  # a "1", half a unit tall
        "b": np.array([[0.2, 0.25], [0.4, 0.25]]),  # a "-"
        "c": np.array([[0.5, 0.0], [0.7, 0.5]]),
    }
    expr = InkExpression(
        "t",
        "1-1",
        None,
        traces,
        (InkSymbol("1", ("a",)), InkSymbol("-", ("b",)), InkSymbol("1", ("c",))),
    )
    symbols = placed_symbols(expr, symbol_px=40, pen_pad=2)
    assert symbols is not None
    assert [s.label for s in symbols] == ["1", "-", "1"]
    assert symbols[0].box[3] == 40 + 4  # median digit height, plus the pen on both sides
    assert interpret(symbols).value == "0"
    alpha = InkExpression("t", "\\alpha", None, traces, (InkSymbol("\\alpha", ("a",)),))
    assert placed_symbols(alpha) is None


@pytest.mark.crohme
def test_crohme_valid_layout_rates(crohme_dir):
    """Exact canonical match on valid/ (measured: plain 25/25, structure 47/49, x 5/5)."""
    counts: dict[str, list[int]] = {}
    for path in iter_inkml(crohme_dir / "valid"):
        expr = read_inkml(path)
        symbols = placed_symbols(expr) if in_scope(expr.truth) else None
        if symbols is None:
            continue
        ok = canonical_latex(interpret(symbols).latex) == canonical_latex(expr.truth)
        counts.setdefault(category(expr.truth), []).append(ok)
    rate = {c: sum(v) / len(v) for c, v in counts.items()}
    assert len(counts["plain"]) >= 20 and len(counts["structure"]) >= 40
    assert rate["plain"] >= 0.96
    assert rate["structure"] >= 0.93
    assert rate["x_or_comparison"] >= 0.8


# -- subscripts and comparisons ----------------------------------------------------------


def test_a_low_small_digit_after_x_is_a_subscript():
    symbols = [
        P("x", 0, 20, 24, 24),
        P("1", 26, 34, 10, 18),
        P("=", 44, 26, 20, 10),
        P("5", 70, 4, 22, 40),
    ]
    tree = build_layout(symbols)
    assert isinstance(tree[1], Sub) and tree[1].row == [Sym("1", (1,))]
    assert latex_of(symbols) == "x_{1} = 5"


def test_a_digit_on_the_line_after_x_is_no_subscript():
    # "x" then a full-size digit sitting on the same baseline: no subscript.
    symbols = [P("2", 0, 4, 22, 40), P("x", 26, 20, 24, 24), P("3", 54, 4, 22, 40)]
    assert not any(isinstance(u, Sub) for u in build_layout(symbols))


def test_a_small_index_level_with_its_x_is_a_subscript():
    """x_3 inside a fraction as CROHME writers write it: the 3 smaller than the x and
    centred hardly below it (a digit after an x is never a factor). One as tall as the
    x and level with it, after a digit, is left on the line (more often a times sign
    read as an x), and a raised digit is still an exponent."""
    small = [P("x", 0, 100, 40, 40), P("3", 44, 108, 14, 30)]
    assert latex_of(small) == "x_{3}"
    tall = [P("2", -30, 100, 22, 40), P("x", 0, 100, 40, 40), P("3", 44, 102, 20, 38)]
    assert not any(isinstance(u, Sub) for u in build_layout(tall))
    raised = [P("x", 0, 100, 40, 40), P("2", 44, 80, 14, 30)]
    assert latex_of(raised) == "x^{2}"


def test_a_level_digit_after_an_x_with_no_operand_before_it_is_its_index():
    """x2 as MathBrush writers stack x_2 in fractions: the 2 as tall as the x and level
    with it, or small and centred on it. Nothing to multiply stands before the x (it
    starts its row, or follows an operator), so it is no times sign read as an x."""
    for digit in (P("2", 44, 98, 30, 44), P("2", 46, 110, 16, 20)):
        assert latex_of([P("x", 0, 100, 40, 40), digit]) == "x_{2}"
        after_plus = [P("1", -70, 100, 14, 40), P("+", -45, 110, 22, 22), P("x", 0, 100, 40, 40)]
        assert latex_of([*after_plus, digit]) == "1 + x_{2}"
    # Far past the x, or raised as its exponent, it is no index.
    assert latex_of([P("x", 0, 100, 40, 40), P("2", 44, 74, 16, 24)]) == "x^{2}"
    assert latex_of([P("x", 0, 100, 40, 40), P("2", 70, 98, 30, 44)]) == "x2"


def test_a_level_index_of_two_digits_stays_whole():
    """x12 with both digits as tall as the x and level with it: the 2 right after the 1
    is in the index too (x_{12}; on train, CROHME writers' two-digit indices written
    level, a_{11}, are one index). An index begun small and low still ends at a digit
    back on the line (k_1 2 on train), and a raised digit after it is the x's power."""
    level = [P("x", 0, 100, 40, 40), P("1", 44, 98, 14, 44), P("2", 62, 97, 28, 44)]
    assert latex_of(level) == "x_{12}"
    after_plus = [P("1", -70, 100, 14, 40), P("+", -45, 110, 22, 22)]
    assert latex_of([*after_plus, *level, P("=", 100, 112, 26, 14), P("4", 140, 100, 26, 40)]) == (
        "1 + x_{12} = 4"
    )
    low = [P("x", 0, 100, 40, 40), P("1", 44, 118, 8, 30), P("2", 60, 98, 28, 44)]
    assert latex_of(low) == "x_{1}2"
    raised = [P("x", 0, 100, 40, 40), P("1", 44, 98, 14, 44), P("2", 62, 70, 16, 24)]
    assert latex_of(raised) == "x_{1}^{2}"


def test_a_bracket_read_as_a_1_reaching_over_the_x_is_no_index():
    """(x) with the ) read as a 1: it reaches half an x height above the x (SUB_OVER),
    so it is no index of the x and context reads it back as a ). One reaching hardly
    above the x is taken as its index, even with a ) as runner-up."""
    alt = ((")", 0.3),)
    tall = [
        P("(", -20, 84, 14, 70),
        P("x", 0, 100, 40, 40),
        P("1", 46, 80, 12, 68, alternatives=alt),
    ]
    assert latex_of(tall) == "(x)"
    level = [
        P("(", -20, 84, 14, 70),
        P("x", 0, 100, 40, 40),
        P("1", 46, 96, 12, 48, alternatives=alt),
    ]
    assert latex_of(level) == "(x_{1}"


def test_a_digit_after_an_x_after_a_bracket_is_a_factor():
    """(1 + 2)x3: a ) before the x is an operand, so the x may be a times sign read as
    an x, and the level 3 after it is no index; context makes the x a times sign."""
    bracket = [P("(", -100, 90, 14, 60), P("1", -80, 100, 12, 40), P("+", -60, 110, 20, 20)]
    bracket += [P("2", -34, 100, 24, 40), P(")", -6, 90, 14, 60)]
    times = [P("x", 14, 104, 34, 34), P("3", 54, 100, 26, 40)]
    assert not any(isinstance(u, Sub) for u in build_layout(bracket + times))
    assert latex_of(bracket + times) == "(1 + 2) \\times 3"


def test_a_small_high_bracket_after_a_bracket_opens_a_factor_not_a_power():
    """(x - 1)(2x - 7) with the second ( written small and high: raised against the
    first ), but its own ) is back on the line, and an exponent closes its brackets.
    A bracketed exponent that does close is still one."""
    first = [P("(", 0, 100, 12, 58), P("x", 20, 120, 30, 36), P("-", 60, 136, 24, 6)]
    first += [P("1", 94, 110, 10, 44), P(")", 112, 100, 14, 58)]
    factor = [P("(", 140, 96, 9, 32), P("2", 160, 110, 30, 40), P("x", 196, 118, 26, 34)]
    factor += [P("-", 230, 134, 26, 6), P("7", 266, 106, 28, 48), P(")", 300, 92, 20, 70)]
    assert latex_of(first + factor) == "(x - 1)(2x - 7)"
    power = [P("(", 140, 60, 8, 30), P("2", 150, 64, 14, 22), P(")", 166, 60, 8, 30)]
    assert latex_of(first + power) == "(x - 1)^{(2)}"


def test_a_raised_run_is_an_exponent_up_to_the_bracket_it_leaves_open():
    """x^{2}(x + 1) with the ( written small and high after the 2: the ( opens a
    factor whose ) is back on the line, but the 2 before it is still the x's power.
    A bracket opened and closed before the open one stays in the exponent."""
    x_two = [P("x", 0, 100, 40, 40), P("2", 44, 74, 16, 24)]
    factor = [P("(", 64, 70, 8, 30), P("x", 80, 104, 34, 34), P("+", 120, 110, 22, 22)]
    factor += [P("1", 150, 100, 12, 42), P(")", 168, 96, 14, 50)]
    assert latex_of(x_two + factor) == "x^{2}(x + 1)"
    bracketed = [P("x", 0, 100, 40, 40), P("(", 44, 66, 7, 30), P("2", 53, 72, 14, 22)]
    bracketed += [P(")", 69, 66, 7, 30), P("(", 80, 62, 8, 30), P("x", 96, 104, 34, 34)]
    bracketed += [P("+", 136, 110, 22, 22), P("1", 166, 100, 12, 42), P(")", 184, 96, 14, 50)]
    assert latex_of(bracketed) == "x^{(2)}(x + 1)"


def test_an_exponent_of_an_x_after_a_bracket_need_not_clear_the_brackets_middle():
    """(3 - 1)x^{2} with a short x: the 2 stands on the x's top, well above the x, but
    below the middle of the tall ) before it, which says nothing about the baseline."""
    symbols = [P("(", 0, 8, 15, 74), P("3", 20, 30, 26, 42), P("-", 52, 50, 20, 6)]
    symbols += [P("1", 80, 30, 8, 42), P(")", 94, 8, 15, 74), P("x", 108, 56, 60, 29)]
    symbols.append(P("2", 148, 37, 29, 19))
    assert latex_of(symbols) == "(3 - 1)x^{2}"


def test_subscript_then_superscript_both_belong_to_the_x():
    assert latex_of(typeset("x_{1}^{2} + x_{12}")) == "x_{1}^{2} + x_{12}"


@pytest.mark.parametrize("latex", ["3 < 5", "x \\le 2", "0 < x \\ge 1", "2 \\ne 3", "1 > 0"])
def test_comparison_signs_sit_on_the_line_and_split_it(latex):
    assert latex_of(typeset(latex)) == latex


def test_a_comparison_is_no_base_for_a_superscript():
    # A small raised digit right after "<" is not its exponent.
    symbols = [P("3", 0, 20, 22, 40), P("<", 28, 30, 20, 20), P("2", 52, 8, 14, 22)]
    assert latex_of(symbols) == "3 < 2"
