"""Layout structures from explicit boxes: the shapes that went wrong on the dev pages.

Each test draws a small expression by hand (no data files) in the geometry
that broke the layout on CROHME dev writers (issue 22): a denominator that
runs past its bar after an exponent and a flat ``+``, a bracketed fraction
raised to a power, operators written low after a subscript, and an exponent
on a line slanted as the page benchmark slants its lines (up to 3 degrees).
"""

from __future__ import annotations

from mathocr.data.canonical import canonical_latex
from mathocr.layout.build import PlacedSymbol, build_layout
from mathocr.layout.tree import Frac, Sub, Sym
from mathocr.meaning.expression import interpret


def P(label: str, x: int, y: int, w: int, h: int) -> PlacedSymbol:
    return PlacedSymbol(label, (x, y, w, h))


def reads(symbols: list[PlacedSymbol], latex: str) -> bool:
    return canonical_latex(interpret(symbols).latex) == canonical_latex(latex)


# -- a denominator wider than its bar -------------------------------------------------


def test_a_denominator_continues_past_its_bar_after_an_exponent_and_a_flat_plus():
    # 5 / (x^2 + x): the last x's centre is past the bar's end, 14 px after the +.
    # The small exponent and the flat + must not make the reach a small symbol's.
    symbols = [
        P("5", 36, 8, 20, 36),
        P("-", 0, 50, 88, 4),
        P("x", 0, 62, 30, 36),
        P("2", 32, 56, 10, 12),
        P("+", 46, 72, 14, 12),
        P("x", 74, 62, 30, 36),
    ]
    tree = build_layout(symbols)
    assert len(tree) == 1 and isinstance(tree[0], Frac)
    assert reads(symbols, "\\frac{5}{x^{2} + x}")


def test_a_factor_well_after_a_fraction_is_not_taken_into_its_denominator():
    # (5 / (x + 1)) x: the x stands a whole symbol past the denominator's end.
    symbols = [
        P("5", 20, 8, 20, 36),
        P("-", 0, 50, 60, 4),
        P("x", 0, 62, 24, 30),
        P("+", 26, 70, 12, 12),
        P("1", 42, 60, 8, 34),
        P("x", 90, 40, 24, 30),
    ]
    assert reads(symbols, "\\frac{5}{x + 1} x")


# -- a bracket around a fraction -----------------------------------------------------


def test_a_bracket_spanning_the_bar_encloses_the_fraction():
    # (2/x)^{-4}: the closing bracket's centre lies over the bar's end, but it
    # reaches far above and below the bar, so it is no part of the denominator.
    symbols = [
        P("(", 0, 20, 12, 80),
        P("-", 8, 58, 40, 3),
        P("2", 20, 25, 14, 24),
        P("x", 20, 70, 14, 20),
        P(")", 42, 18, 12, 84),
        P("-", 58, 10, 10, 3),
        P("4", 72, 2, 10, 22),
    ]
    tree = build_layout(symbols)
    frac = next(u for u in tree if isinstance(u, Frac))
    assert [u.label for u in frac.den if isinstance(u, Sym)] == ["x"]
    assert reads(symbols, "(\\frac{2}{x})^{-4}")


def test_a_bracket_under_the_bar_stays_in_the_denominator():
    # 1 / (x + 1): brackets written below the bar belong to the denominator.
    symbols = [
        P("1", 40, 0, 8, 30),
        P("-", 0, 36, 90, 3),
        P("(", 2, 44, 10, 36),
        P("x", 16, 52, 20, 22),
        P("+", 40, 56, 14, 14),
        P("1", 60, 46, 8, 30),
        P(")", 74, 44, 10, 36),
    ]
    assert reads(symbols, "\\frac{1}{(x + 1)}")


# -- subscripts are indices -----------------------------------------------------------


def test_an_equals_written_low_after_a_subscript_is_back_on_the_line():
    # x_4 = x, with the = drawn low, level with the subscript's middle.
    symbols = [
        P("x", 0, 14, 52, 52),
        P("4", 56, 46, 24, 26),
        P("=", 100, 48, 40, 18),
        P("x", 170, 8, 56, 64),
    ]
    tree = build_layout(symbols)
    assert isinstance(tree[1], Sub) and len(tree[1].row) == 1
    assert reads(symbols, "x_{4} = x")


def test_a_plus_written_low_after_a_subscript_is_back_on_the_line():
    symbols = [
        P("x", 0, 10, 40, 40),
        P("1", 44, 38, 8, 22),
        P("+", 66, 36, 22, 22),
        P("x", 100, 10, 40, 40),
        P("2", 144, 38, 14, 22),
    ]
    assert reads(symbols, "x_{1} + x_{2}")


def test_a_subscript_of_several_digits_is_still_one_index():
    symbols = [P("x", 0, 10, 40, 40), P("1", 44, 38, 8, 22), P("2", 56, 38, 14, 22)]
    tree = build_layout(symbols)
    assert isinstance(tree[1], Sub) and len(tree[1].row) == 2
    assert reads(symbols, "x_{12}")


# -- a slanted line -------------------------------------------------------------------


def _sheared(symbols: list[PlacedSymbol], slope: float) -> list[PlacedSymbol]:
    """*symbols* on a line that falls (slope > 0) or climbs to the right, as a page slants."""
    out = []
    for s in symbols:
        x, y, w, h = s.box
        out.append(P(s.label, x, round(y + slope * (x + w / 2)), w, h))
    return out


# 2 + 10x^{3} with an exponent written low: its foot 15 px above the line,
# just over the 14 px a 40 px digit asks for.
_LOW_EXPONENT = [
    P("2", 0, 20, 24, 40),
    P("+", 34, 30, 20, 20),
    P("1", 64, 20, 10, 40),
    P("0", 82, 20, 26, 40),
    P("x", 116, 30, 30, 30),
    P("3", 150, 17, 20, 28),
]


def test_a_low_exponent_on_a_level_line_is_an_exponent():
    assert reads(_LOW_EXPONENT, "2 + 10x^{3}")


def test_a_low_exponent_on_a_line_falling_three_degrees_is_still_an_exponent():
    # Falling to the right, the 0 two places back stands 3 px higher than the
    # exponent's line would: against it, the 3 no longer looks raised.
    assert reads(_sheared(_LOW_EXPONENT, 0.05), "2 + 10x^{3}")
    assert reads(_sheared(_LOW_EXPONENT, -0.05), "2 + 10x^{3}")


def test_the_baseline_slope_ignores_an_exponent_and_needs_four_feet():
    from mathocr.layout.slant import baseline_slope

    feet = [(0.0, 100.0), (40.0, 102.0), (80.0, 104.0), (100.0, 80.0), (120.0, 106.0)]
    assert baseline_slope(feet, size=30) == 0.05
    assert baseline_slope(feet[:3], size=30) is None
    # Stacked material is no slant: a tower of feet is left alone.
    assert baseline_slope([(0.0, 100.0), (40.0, 50.0), (80.0, 0.0), (120.0, -50.0)], 30) is None


# -- stacked fractions ----------------------------------------------------------------


def test_a_nested_fractions_bar_may_stick_out_past_the_bar_over_it():
    # x_1 / (x_2 / (x_3 / x_4)), as a CROHME train writer stacks it: each bar a little
    # shorter than the one over it, but the innermost starts 32 px left of the middle
    # one. Long as it is, that bar is a level's own, no minus sign in front of it.
    symbols = [
        P("x", 118, 8, 70, 56),
        P("1", 205, 28, 6, 40),
        P("-", 25, 72, 266, 18),
        P("x", 109, 142, 54, 41),
        P("2", 167, 153, 40, 31),
        P("-", 40, 192, 222, 31),
        P("x", 102, 229, 59, 48),
        P("3", 167, 229, 23, 47),
        P("-", 8, 312, 200, 21),
        P("x", 60, 349, 70, 57),
        P("4", 137, 366, 35, 34),
    ]
    assert reads(symbols, "\\frac{x_{1}}{\\frac{x_{2}}{\\frac{x_{3}}{x_{4}}}}")


def test_a_minus_sticking_out_past_a_bar_with_nothing_between_stays_in_front_of_it():
    # - 3/4 with the minus written just over the start of the bar, sticking out of it:
    # nothing stands between the two, so it is no bar of a level.
    symbols = [
        P("-", 12, 34, 24, 4),
        P("3", 40, 0, 20, 30),
        P("-", 20, 40, 60, 4),
        P("4", 40, 50, 20, 30),
    ]
    assert reads(symbols, "-\\frac{3}{4}")


def test_a_denominators_index_may_hang_past_its_bars_end():
    # x_3 / x_4 with the 4 written tall and low after its x, starting past the bar's
    # end: below the denominator's band, but its x's index (as on the line).
    symbols = [
        P("x", 131, 302, 43, 44),
        P("3", 169, 339, 40, 44),
        P("-", 122, 415, 70, 8),
        P("x", 131, 473, 43, 44),
        P("4", 188, 499, 31, 67),
    ]
    assert reads(symbols, "\\frac{x_{3}}{x_{4}}")


# -- exponents ------------------------------------------------------------------------


def test_an_exponent_of_a_short_x_is_measured_by_the_xs_height_against_the_digit_before():
    # 11x^3: the 3's foot is 16 px over the x's (0.57 of its height) and 15 px over the
    # 1's; against the tall 1 the same rise must be a share of the x's height, not
    # the 1's (0.34 of it), or the 3 is a factor and the x a times sign.
    symbols = [
        P("1", 56, 97, 15, 46),
        P("1", 75, 97, 14, 44),
        P("x", 93, 114, 23, 28),
        P("3", 112, 104, 13, 22),
    ]
    assert reads(symbols, "11x^{3}")


def test_an_exponent_of_a_tall_bracket_is_measured_against_the_short_digit_before_it():
    # (3 + 4)^3 with brackets twice the digits' height: against the 4 before the ), the
    # 3's rise is a share of the 4's height, as ever, not of the bracket's.
    symbols = [
        P("(", 0, 0, 12, 66),
        P("3", 20, 40, 14, 22),
        P("+", 40, 44, 14, 14),
        P("4", 60, 40, 14, 22),
        P(")", 80, 0, 12, 66),
        P("3", 96, 10, 12, 30),
    ]
    assert reads(symbols, "(3 + 4)^{3}")


def test_a_numerators_exponent_may_stand_past_its_bars_end():
    # x^4 / 2^3: the 4 is raised after the x and starts past the bar's end, above the
    # numerator's band; it is the x's exponent, not a factor after the fraction.
    symbols = [
        P("-", 8, 103, 98, 10),
        P("x", 54, 46, 44, 56),
        P("4", 105, 8, 20, 31),
        P("2", 20, 124, 38, 56),
        P("3", 63, 118, 23, 28),
    ]
    assert reads(symbols, "\\frac{x^{4}}{2^{3}}")


def test_a_level_centred_just_past_its_bars_end_is_still_over_it():
    # 1/2 (3x^2 - 1) with the 2 shifted right: its centre half a pixel past the bar's
    # end, within a tenth of its width, as the minus sign rule allows a bar's end.
    symbols = [
        P("1", 67, 483, 49, 41),
        P("-", 83, 527, 45, 10),
        P("2", 109, 532, 39, 38),
        P("(", 178, 487, 20, 67),
        P("3", 214, 492, 26, 45),
        P("x", 254, 503, 47, 36),
        P("2", 290, 465, 36, 26),
        P("-", 322, 513, 38, 7),
        P("1", 377, 480, 52, 47),
        P(")", 423, 461, 26, 85),
    ]
    assert reads(symbols, "\\frac{1}{2}(3x^{2} - 1)")


def test_an_exponent_ends_before_a_bracket_it_closes_without_opening():
    # (x^3 - x^2 - x)(2x - 7) on a line rising to the right: everything after the 3
    # stands higher than the first x and would run on in its exponent, but the ) that
    # closes the first bracket cannot be in it, nor what follows.
    boxes = [
        ("(", 62, 330, 27, 66),
        ("x", 123, 345, 40, 39),
        ("3", 162, 322, 18, 28),
        ("-", 198, 345, 32, 9),
        ("x", 250, 327, 41, 40),
        ("2", 292, 313, 20, 17),
        ("-", 315, 336, 41, 9),
        ("x", 372, 323, 42, 34),
        (")", 423, 302, 21, 70),
        ("(", 458, 312, 25, 57),
        ("2", 488, 315, 48, 44),
        ("x", 539, 322, 38, 35),
        ("-", 598, 323, 28, 8),
        ("7", 637, 289, 39, 63),
        (")", 675, 288, 21, 76),
    ]
    assert reads([P(*b) for b in boxes], "(x^{3} - x^{2} - x)(2x - 7)")


def test_a_fraction_in_an_exponent_stands_at_its_bar_not_its_foot():
    # x^{1/2 (1 + 1/2^2)} written as large as the x: the second fraction's denominator
    # hangs nearly to the x's foot, but its bar is up on the exponent's line.
    boxes = [
        ("x", 80, 111, 65, 58),
        ("1", 153, 39, 42, 45),
        ("-", 156, 92, 49, 6),
        ("2", 167, 93, 41, 43),
        ("(", 231, 47, 23, 81),
        ("1", 245, 58, 38, 59),
        ("+", 289, 79, 35, 35),
        ("-", 336, 94, 83, 8),
        ("2", 345, 108, 34, 45),
        ("1", 351, 47, 38, 40),
        ("2", 377, 100, 37, 34),
        (")", 420, 34, 27, 101),
    ]
    assert reads([P(*b) for b in boxes], "x^{\\frac{1}{2}(1 + \\frac{1}{2^{2}})}")


def test_a_tiny_digit_is_no_yardstick_for_whether_the_next_one_is_raised():
    # 4.5 with the point read as a 0 (and the point its runner-up): measured against
    # the tiny 0's height, a 5 written 3 px higher than the 4 would be raised over both.
    symbols = [
        P("4", 0, 10, 20, 40),
        PlacedSymbol("0", (24, 46, 5, 5), 0.6, ((".", 0.35),)),
        P("5", 34, 7, 20, 40),
    ]
    assert reads(symbols, "4.5")


def test_an_exponent_stays_whole_when_its_opening_bracket_is_misread():
    # x^{(1 + 2)} with its ( read as a 1 (the ( its runner-up): no bracket is open before
    # the x, so the ) stays in the raised run and the grammar sees the run whole.
    symbols = [
        P("x", 0, 40, 30, 30),
        PlacedSymbol("1", (34, 0, 8, 36), 0.6, (("(", 0.35),)),
        P("1", 46, 8, 10, 24),
        P("+", 60, 14, 14, 14),
        P("2", 78, 8, 14, 24),
        P(")", 96, 0, 8, 36),
    ]
    assert reads(symbols, "x^{(1 + 2)}")


def test_a_minus_over_its_base_starting_a_pixel_further_left_still_follows_it():
    # 10^{-12} on a slanted page: the exponent's minus is drawn over the 0 and starts
    # a pixel left of it, within a tenth of the 0's width.
    symbols = [
        P("1", 70, 356, 45, 62),
        P("-", 128, 329, 21, 9),
        P("0", 129, 379, 35, 28),
        P("1", 167, 310, 25, 39),
        P("2", 200, 305, 43, 39),
    ]
    assert reads(symbols, "10^{-12}")
