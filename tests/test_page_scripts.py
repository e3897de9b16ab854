"""Line splitting: short lines placed like exponents of a neighbouring line, and real
exponents. Boxes are laid out as CROHME writers' pages of working put them (the
pages of ``bench/layout_pages.py``), with lines 0.3 symbol heights apart."""

from __future__ import annotations

from mathocr.layout.build import PlacedSymbol as P
from mathocr.layout.lines import split_lines
from mathocr.meaning.page import read_page


def labels(symbols: list[P]) -> list[str]:
    return ["".join(symbols[i].label for i in line) for line in split_lines(symbols)]


def test_a_line_with_a_relation_is_no_exponent_of_the_symbol_under_its_start():
    """1 + 2 = 3 written 0.3 symbol heights over a lone 2, starting past the 2's middle
    and just after its end: placed as an exponent would be, but an exponent holds no =."""
    page = [
        P("1", (54, 59, 23, 43)),
        P("+", (79, 69, 21, 21)),
        P("2", (105, 58, 40, 49)),
        P("=", (150, 72, 30, 15)),
        P("3", (185, 58, 30, 45)),
        P("2", (29, 122, 37, 50)),
    ]
    assert labels(page) == ["1+2=3", "2"]


def test_a_continued_line_is_no_exponent_of_the_line_under_it():
    """ "= 4" written low under "2 + 2" and just over the first 2 of the next line."""
    page = [
        P("2", (40, 20, 30, 42)),
        P("+", (80, 30, 25, 25)),
        P("2", (115, 20, 30, 42)),
        P("=", (70, 84, 28, 14)),
        P("4", (108, 70, 28, 40)),
        P("2", (40, 124, 30, 44)),
        P("+", (80, 134, 25, 25)),
        P("3", (115, 124, 30, 44)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["2 + 2", "= 4", "2 + 3"]


def test_a_line_that_starts_before_the_base_is_no_exponent_of_it():
    """7 x 2 over 2 + 3: the upper line's last two symbols stand where an exponent of
    the 3 would, but the line starts over the 2, long before the 3's middle."""
    page = [
        P("7", (75, 54, 29, 46)),
        P("\\times", (123, 84, 25, 30)),
        P("2", (167, 66, 25, 41)),
        P("2", (44, 127, 35, 44)),
        P("+", (74, 140, 24, 18)),
        P("3", (106, 133, 30, 41)),
    ]
    assert labels(page) == ["7\\times2", "2+3"]


def test_a_line_over_the_symbols_after_its_base_is_no_exponent():
    """7 x 2 starting just past the middle of the 2 under it, and over the + and 3
    that follow that 2: an exponent comes before what follows its base."""
    page = [
        P("7", (66, 72, 25, 38)),
        P("\\times", (110, 92, 22, 22)),
        P("2", (150, 76, 22, 36)),
        P("2", (44, 127, 35, 44)),
        P("+", (84, 140, 24, 18)),
        P("3", (116, 133, 30, 41)),
        P("1", (190, 131, 10, 42)),
    ]
    assert labels(page) == ["7\\times2", "2+31"]


def test_an_exponent_over_a_slash_is_still_an_exponent():
    """2^{2} / 3: the slash's box reaches under the exponent, its ink does not."""
    page = [
        P("2", (28, 56, 29, 37)),
        P("/", (41, 61, 81, 62)),
        P("2", (64, 40, 22, 18)),
        P("3", (84, 98, 39, 41)),
        P("2", (32, 178, 47, 54)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["2^{2} / 3", "2"]


def test_two_exponents_in_one_piece_still_join_their_line():
    """2^{3} + 2^{0}: the two exponents overlap in height and are near enough to be one
    piece, which spans the + 2 between them; those stand under neither exponent."""
    page = [
        P("2", (0, 100, 28, 45)),
        P("3", (32, 80, 18, 28)),
        P("+", (70, 110, 30, 30)),
        P("2", (120, 100, 28, 45)),
        P("0", (152, 80, 18, 28)),
        P("1", (10, 200, 12, 45)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["2^{3} + 2^{0}", "1"]


def test_a_long_bars_levels_may_stand_further_from_it():
    """A bar 8 symbol heights long (the outer bar of a stack of fractions) with its
    denominator 1.8 symbol heights under it: one line, and the line below apart."""
    page = [
        P("1", (150, 0, 12, 40)),
        P("-", (0, 60, 320, 8)),
        P("2", (150, 140, 24, 40)),
        P("3", (150, 210, 24, 40)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["\\frac{1}{2}", "3"]


def test_a_rule_between_two_lines_of_working_makes_no_fraction_of_them():
    """The same long bar with lines of working 1.5-1.9 symbol heights above and below it:
    a line with a relation is no numerator, whatever the bar's length."""
    page = [P("2", (20, 0, 24, 40)), P("+", (60, 10, 24, 20)), P("3", (100, 0, 24, 40))]
    page += [P("=", (140, 14, 24, 12)), P("5", (180, 0, 24, 40)), P("-", (0, 100, 320, 6))]
    y = 176
    page += [P("1", (20, y, 12, 40)), P("+", (60, y + 10, 24, 20)), P("4", (100, y, 24, 40))]
    page += [P("=", (140, y + 14, 24, 12)), P("5", (180, y, 24, 40))]
    assert [line.latex for line in read_page(page).lines] == ["2 + 3 = 5", "-", "1 + 4 = 5"]


def test_a_line_over_a_subscript_after_its_base_is_no_exponent():
    """4 + 2 written over the start of x_1 \\times x_2 ...: the 1 hangs below the x's band,
    and stands under the +, wholly below the line above."""
    page = [
        P("4", (74, 199, 22, 47)),
        P("+", (104, 211, 34, 26)),
        P("2", (138, 195, 66, 43)),
        P("x", (36, 261, 52, 36)),
        P("1", (121, 298, 8, 37)),
        P("\\times", (194, 265, 57, 65)),
        P("x", (308, 284, 51, 48)),
        P("2", (378, 325, 40, 23)),
        P("\\times", (454, 291, 45, 46)),
        P("x", (547, 293, 53, 55)),
        P("3", (618, 330, 34, 45)),
        P("\\times", (694, 310, 40, 42)),
        P("x", (797, 318, 55, 45)),
        P("4", (872, 356, 38, 36)),
    ]
    assert labels(page) == ["4+2", "x1\\timesx2\\timesx3\\timesx4"]


def test_a_short_xs_exponent_is_measured_against_its_lines_digits():
    """x^{3} - 75 written larger than the rest of the page: the 3 is half as tall again
    as the x, yet small against the line's own digits, which the x stands for."""
    page = [
        P("x", (37, 97, 53, 43)),
        P("3", (107, 32, 31, 63)),
        P("-", (168, 129, 48, 15)),
        P("7", (260, 83, 40, 57)),
        P("5", (320, 85, 40, 55)),
    ]
    page += [P("1", (40, 200, 10, 40)), P("+", (60, 210, 25, 25)), P("2", (95, 200, 25, 40))]
    page += [P("4", (40, 280, 25, 40)), P("+", (70, 290, 25, 25)), P("3", (105, 280, 25, 40))]
    assert labels(page) == ["x3-75", "1+2", "4+3"]


def test_a_fraction_written_low_after_a_plus_is_on_its_line():
    """2 + 1/17 with the bar at the foot of the +, past a wide space: the bar's band misses
    the line's, but the numerator stands beside the + and the denominator under it."""
    page = [
        P("2", (0, 100, 30, 45)),
        P("+", (40, 110, 30, 30)),
        P("-", (150, 142, 60, 10)),
        P("1", (170, 70, 14, 48)),
        P("1", (158, 160, 10, 45)),
        P("7", (178, 160, 25, 45)),
        P("3", (0, 260, 30, 45)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["2 + \\frac{1}{17}", "3"]


def test_a_minus_starting_a_line_is_no_bar_of_the_lines_around_it():
    """96, -2x and 6 on three lines a symbol height apart: the minus is wider than a
    digit, and the lines over and under it are as far from it as a stacked fraction's
    levels, but the 2 right after it makes it the sign of its term."""
    page = [P("9", (31, 52, 22, 52)), P("6", (53, 59, 35, 41))]
    page += [P("-", (55, 157, 56, 6)), P("2", (116, 117, 31, 48)), P("x", (161, 136, 44, 31))]
    page += [P("6", (55, 206, 25, 41))]
    assert [line.latex for line in read_page(page).lines] == ["96", "-2x", "6"]


def test_an_exponent_in_a_numerator_may_stand_over_the_denominators_end():
    """\\frac{2^{5}}{3 + 1} with a wide 2: its exponent stands right over the 1 of the
    denominator, which is across the bar from the 2, not after it on its line."""
    page = [
        P("2", (124, 488, 87, 54)),
        P("5", (184, 446, 25, 34)),
        P("-", (66, 558, 206, 24)),
        P("3", (78, 622, 49, 49)),
        P("+", (133, 636, 35, 22)),
        P("1", (184, 621, 24, 57)),
    ]
    assert len(split_lines(page)) == 1
    assert [line.latex for line in read_page(page).lines] == ["\\frac{2^{5}}{3 + 1}"]


def test_a_line_written_large_spaces_its_exponent_further():
    """x^{2} with a big x and the 2 starting 0.6 x heights past its end: more than one
    symbol height of the page (the 2, its only digit), but a line written larger
    spaces its exponents further, as it raises them further."""
    page = [P("x", (8, 42, 58, 58)), P("2", (100, 8, 18, 30))]
    assert len(split_lines(page)) == 1
    assert [line.latex for line in read_page(page).lines] == ["x^{2}"]


def test_a_short_line_far_past_a_symbols_end_is_no_exponent():
    """A lone 2 written a little higher than the x of the line beside it, well past its end."""
    page = [P("x", (8, 42, 40, 40)), P("+", (60, 50, 30, 30)), P("2", (200, 0, 30, 40))]
    assert len(split_lines(page)) == 2


def test_an_exponent_of_a_short_x_may_be_taller_than_the_x():
    """x^{4} - 5x^{2} + 5 under a line of small digits: the x stands for a digit a
    quarter taller, and its 4, half as tall again as the x, is its exponent still."""
    page = [P(label, (40 + 40 * k, 560, 30, 34)) for k, label in enumerate("12+13")]
    page += [P("=", (250, 575, 30, 14)), P("2", (290, 560, 30, 34)), P("5", (330, 560, 30, 34))]
    page += [
        P("x", (60, 720, 83, 40)),
        P("4", (158, 660, 44, 60)),
        P("-", (294, 761, 29, 10)),
        P("5", (377, 685, 80, 96)),
        P("x", (522, 710, 77, 48)),
        P("2", (611, 676, 50, 36)),
        P("+", (738, 724, 44, 47)),
        P("5", (858, 680, 80, 88)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["12 + 13 = 25", "x^{4} - 5x^{2} + 5"]


def test_two_exponents_of_one_line_over_what_lies_between_them():
    """3^{x} - 2^{x}: the two x's are one piece, spanning the - 2 between them; the
    second x starts past the 2's middle, as its exponent does, so the 2 is not under
    the piece the way a symbol is under a line written over it."""
    page = [
        P("3", (8, 40, 48, 63)),
        P("x", (35, 12, 22, 23)),
        P("-", (65, 69, 26, 5)),
        P("2", (101, 39, 39, 71)),
        P("x", (132, 8, 24, 25)),
    ]
    assert len(split_lines(page)) == 1
    assert [line.latex for line in read_page(page).lines] == ["3^{x} - 2^{x}"]


def test_a_denominator_written_large_takes_back_its_exponent_from_the_bar():
    """\\frac{\\sqrt{99x^{7}}}{11x^{3}} written larger than the line under it: the bar
    takes the 3 (its nearest symbol below) without 11x, which is too wide to be a
    script in the page's digit heights, but not in its own; it is the line the 3
    was taken from."""
    page = [
        P("-", (69, 180, 385, 30)),
        P("\\sqrt", (94, 60, 447, 130)),
        P("1", (128, 230, 46, 74)),
        P("9", (189, 86, 41, 66)),
        P("1", (193, 232, 36, 59)),
        P("9", (253, 91, 43, 50)),
        P("x", (266, 260, 62, 46)),
        P("3", (310, 215, 30, 22)),
        P("x", (319, 115, 68, 48)),
        P("7", (374, 80, 26, 31)),
    ]
    page += [P(label, (40 + 40 * k, 360, 30, 34)) for k, label in enumerate("12+13")]
    page += [P("=", (250, 375, 30, 14)), P("2", (290, 360, 30, 34)), P("5", (330, 360, 30, 34))]
    assert [line.latex for line in read_page(page).lines] == [
        "\\frac{\\sqrt{99x^{7}}}{11x^{3}}",
        "12 + 13 = 25",
    ]


def test_a_relation_after_a_raised_end_goes_on_its_line_if_any_of_it_is_level_with_it():
    """\\sqrt{2}^{\\sqrt{2} \\times \\sqrt{2}} = \\sqrt{2}^{2} = 2 on a line falling to the
    right: the = after the raised exponent stands low, its middle below the whole of
    what comes before it, its top not."""
    page = [
        P("\\sqrt", (59, 206, 141, 79)),
        P("2", (124, 242, 29, 36)),
        P("\\sqrt", (222, 152, 95, 66)),
        P("2", (261, 177, 21, 32)),
        P("\\times", (323, 182, 34, 31)),
        P("\\sqrt", (399, 162, 92, 62)),
        P("2", (443, 186, 25, 39)),
        P("=", (521, 273, 65, 29)),
        P("\\sqrt", (677, 235, 137, 83)),
        P("2", (748, 271, 41, 41)),
        P("2", (834, 221, 25, 29)),
        P("=", (915, 288, 57, 28)),
        P("2", (1025, 271, 41, 47)),
    ]
    assert [line.latex for line in read_page(page).lines] == [
        "\\sqrt{2}^{\\sqrt{2} \\times \\sqrt{2}} = \\sqrt{2}^{2} = 2"
    ]


def test_a_relation_that_ends_a_group_goes_with_what_follows_it_on_its_level():
    """16, then = 2^{4} under it with the = written low and four symbol heights before
    the 2: the two sides' cores are apart, but a relation stands between two sides, and
    the 2's foot is level with the =."""
    page = [
        P("1", (25, 512, 7, 43)),
        P("6", (43, 512, 21, 39)),
        P("=", (47, 631, 33, 29)),
        P("2", (243, 596, 30, 52)),
        P("4", (295, 569, 25, 31)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["16", "= 2^{4}"]


def test_an_exponent_may_start_with_a_minus_drawn_over_its_base():
    """10^{-12} with the minus written right over the 0 and the 12 after the 0's end:
    the exponent starts, as the layout reads it, at its 1."""
    page = [
        P("1", (70, 356, 45, 62)),
        P("-", (128, 329, 21, 9)),
        P("0", (129, 379, 35, 28)),
        P("1", (167, 310, 25, 39)),
        P("2", (200, 305, 43, 39)),
    ]
    assert [line.latex for line in read_page(page).lines] == ["10^{-12}"]


def test_a_line_starting_with_a_minus_over_a_symbol_is_no_exponent_of_it():
    """-6 written over a lone 3, its minus over the 3 and its 6 starting over the 3's
    end: an exponent's minus fills the space over its base, what follows starts past it."""
    page = [P("-", (38, 18, 20, 6)), P("6", (56, 0, 26, 40)), P("3", (36, 52, 30, 44))]
    assert len(split_lines(page)) == 2


def test_a_level_whose_index_sticks_out_past_its_bar_is_still_in_its_span():
    """x_{3} / x_{4} under a line of digits: the 3 of x_3 starts over the bar and ends
    past it, its x is further from the bar than a short bar's levels are; the 3 is
    a level all the same, as it starts and is centred over the bar."""
    page = [P(label, (40 + 40 * k, 300, 30, 40)) for k, label in enumerate("12+13")]
    page += [P("=", (250, 315, 30, 14)), P("2", (290, 300, 30, 40)), P("5", (330, 300, 30, 40))]
    page += [
        P("x", (174, 409, 38, 44)),
        P("3", (225, 444, 40, 44)),
        P("-", (180, 522, 71, 8)),
        P("x", (193, 581, 43, 44)),
        P("4", (253, 604, 31, 68)),
    ]
    assert [line.latex for line in read_page(page).lines] == [
        "12 + 13 = 25",
        "\\frac{x_{3}}{x_{4}}",
    ]


def test_a_whole_line_just_over_a_lone_digit_is_no_exponent_of_it():
    """x^{4} - 4x + 2x + 3x - 5x + 1, a whole line of working, written 0.3 symbol heights
    over a lone 1 whose middle it starts just past: the line's first x stands where an
    exponent of the 1 would, but a line sixteen symbol heights wide is no exponent."""
    page = [
        P("x", (36, 94, 45, 40)),
        P("4", (84, 60, 18, 30)),
        P("-", (120, 114, 24, 5)),
        P("4", (160, 76, 26, 44)),
        P("x", (192, 90, 40, 30)),
        P("+", (250, 98, 30, 30)),
        P("2", (300, 76, 28, 44)),
        P("x", (334, 90, 40, 30)),
        P("+", (392, 98, 30, 30)),
        P("3", (440, 76, 26, 44)),
        P("x", (472, 90, 40, 30)),
        P("-", (530, 114, 24, 5)),
        P("5", (580, 76, 26, 44)),
        P("x", (612, 90, 40, 30)),
        P("+", (670, 98, 30, 30)),
        P("1", (730, 76, 8, 44)),
        P("1", (23, 134, 6, 43)),
    ]
    got = [line.latex for line in read_page(page).lines]
    assert got == ["x^{4} - 4x + 2x + 3x - 5x + 1", "1"]
