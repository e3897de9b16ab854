"""Stage 3: symbol candidates from ink the tests draw themselves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mathocr.render import draw_strokes
from mathocr.segmentation import (
    Candidate,
    _looks_root,
    _roof,
    _under_roof,
    restrict,
    segment,
)
from mathocr.symbols import CLASS_INDEX, CLASSES, crop_to_ink

PEN = 5


def _ink(*strokes: list[tuple[float, float]], size: tuple[int, int] | None = None) -> np.ndarray:
    """Draw strokes given in pixels; returns the binary ink image (1 = ink)."""
    arrays = [np.array(s, float) for s in strokes]
    image = draw_strokes(
        arrays, scale=1.0, pen=PEN, padding=0, origin=(0, 0), canvas=size or (200, 400)
    )
    return (image < 128).astype(np.uint8)


ONE = [(20, 40), (24, 100)]
SEVEN = [(60, 40), (95, 40), (70, 100)]
FOUR = [(140, 40), (125, 80), (165, 80)], [(155, 50), (155, 100)]


def test_a_minus_is_a_bar_and_only_a_bar():
    cands = segment(_ink(ONE, [(50, 70), (90, 70)], SEVEN[:1]), pen_width=PEN)
    bars = [c for c in cands if c.allowed == frozenset({"-"})]
    assert len(bars) == 1
    x, y, w, h = bars[0].box
    assert w > 35 and h < 12


def test_two_stacked_bars_are_one_equals_sign():
    seven = [(p[0] + 60, p[1]) for p in SEVEN]
    cands = segment(_ink(ONE, [(50, 62), (90, 62)], [(50, 80), (90, 81)], seven), pen_width=PEN)
    assert [c.allowed for c in cands] == [None, frozenset({"="}), None]
    assert len(cands[1].components) == 2


def test_two_bars_joined_at_an_end_are_an_equals_sign_and_a_thick_slanted_bar_a_minus():
    seven = [(p[0] + 70, p[1]) for p in SEVEN]
    # Written in one go: the first bar, back and down, the second bar.
    joined = [(50, 62), (100, 62), (50, 62), (50, 73), (100, 74)]
    cands = segment(_ink(ONE, joined, seven), pen_width=PEN)
    assert [c.allowed for c in cands] == [None, frozenset({"="}), None]
    assert len(cands[1].components) == 1
    slanted = [(50, 64), (100, 72)]
    cands = segment(_ink(ONE, slanted, slanted[::-1], seven), pen_width=PEN)
    assert [c.allowed for c in cands] == [None, frozenset({"-"}), None]


def test_two_bars_written_shifted_apart_are_still_an_equals_sign():
    cands = segment(_ink(ONE, [(50, 60), (90, 60)], [(76, 78), (116, 78)]), pen_width=PEN)
    assert [c.allowed for c in cands] == [None, frozenset({"="})]


def test_a_bar_with_dots_above_and_below_is_one_division_sign():
    dot_up = [(70, 50), (70, 50)]
    dot_down = [(70, 90), (70, 90)]
    cands = segment(_ink(ONE, [(50, 70), (90, 70)], dot_up, dot_down), pen_width=PEN)
    assert len(cands) == 2
    assert cands[1].allowed == frozenset({"\\div"})
    assert len(cands[1].components) == 3


def _blot(cx: int, cy: int, r: int) -> list[tuple[float, float]]:
    """A dot pressed into a solid round blot (a small filled spiral)."""
    return [
        (cx + k / 8 * r * np.cos(k), cy + k / 8 * r * np.sin(k)) for k in np.arange(0, 8.5, 0.5)
    ]


def test_a_bar_with_blots_above_and_below_is_a_division_sign_but_small_zeros_are_not():
    # Dots pressed into blots a quarter of a digit tall, too big for decimal points.
    cands = segment(
        _ink(ONE, SEVEN, [(120, 70), (165, 70)], _blot(142, 50, 7), _blot(142, 90, 7)),
        pen_width=PEN,
    )
    assert [c.allowed for c in cands] == [None, None, frozenset({"\\div"})]
    # The same bar between two small 0s (rings): a fraction, not a division sign.
    ring_up = [(142 + 7 * np.cos(t), 50 + 7 * np.sin(t)) for t in np.linspace(0, 6.3, 30)]
    ring_down = [(x, y + 40) for x, y in ring_up]
    cands = segment(_ink(ONE, SEVEN, [(120, 70), (165, 70)], ring_up, ring_down), pen_width=PEN)
    assert frozenset({"\\div"}) not in [c.allowed for c in cands]


def test_a_stubby_dash_on_the_middle_of_its_neighbours_is_a_minus_and_on_the_baseline_a_point():
    seven_right = [(p[0] + 80, p[1]) for p in SEVEN]
    # Too short for a bar with this pen (w < 2.2 h), but flat and level with the middle.
    middle = segment(_ink(SEVEN, [(102, 70), (109, 70)], seven_right), pen_width=PEN)
    assert [c.allowed for c in middle] == [None, frozenset({"-"}), None]
    low = segment(_ink(SEVEN, [(102, 97), (109, 97)], seven_right), pen_width=PEN)
    assert [c.allowed for c in low] == [None, frozenset({"."}), None]


def test_a_small_plus_filled_in_by_the_pen_is_left_to_the_classifier_but_a_point_is_not():
    seven_right = [(p[0] + 80, p[1]) for p in SEVEN]
    # Arms 4 px each way with a 5 px pen: a blot about 13 px across, under _is_dot's limit.
    plus = [(101, 70), (109, 70)], [(105, 66), (105, 74)]
    middle = segment(_ink(SEVEN, *plus, seven_right), pen_width=PEN)
    assert len(middle) == 3
    assert middle[1].allowed is not None and {"+", "."} <= middle[1].allowed
    # The same blot on the baseline is a point, and so is a pen-sized dot at mid-height.
    low = [[(x, y + 27) for x, y in stroke] for stroke in plus]
    assert [c.allowed for c in segment(_ink(SEVEN, *low, seven_right), pen_width=PEN)][1] == {"."}
    dot = [(105, 70), (105, 70)]
    assert segment(_ink(SEVEN, dot, seven_right), pen_width=PEN)[1].allowed == {"."}


def test_two_stubby_dashes_stacked_between_digits_are_an_equals_sign():
    # A thick pen makes each stroke of a quick "=" too stubby to pass for a bar.
    seven_right = [(p[0] + 80, p[1]) for p in SEVEN]
    top, low = [(102, 62), (111, 64)], [(102, 76), (111, 78)]
    cands = segment(_ink(SEVEN, top, low, seven_right), pen_width=PEN)
    assert [c.allowed for c in cands] == [None, frozenset({"="}), None]
    # One such dash alone is no equals sign, nor are two far apart.
    far = [(102, 98), (111, 100)]
    assert not any(
        c.allowed == frozenset({"="})
        for c in segment(_ink(SEVEN, top, far, seven_right), pen_width=PEN)
    )


def test_a_decimal_point_is_kept_as_a_symbol():
    seven_right = [(p[0] + 60, p[1]) for p in SEVEN]
    dot = [(90, 98), (90, 98)]
    cands = segment(_ink(SEVEN, dot, seven_right), pen_width=PEN)
    assert len(cands) == 3
    assert cands[1].allowed == frozenset({"."})


def test_a_point_dabbed_twice_is_one_point():
    seven_right = [(p[0] + 60, p[1]) for p in SEVEN]
    dab = [(88, 98), (88, 98)]
    again = [(96, 91), (97, 91)]  # a second touch just above and to the right
    cands = segment(_ink(SEVEN, dab, again, seven_right), pen_width=PEN)
    assert len(cands) == 3
    assert cands[1].allowed == frozenset({"."}) and len(cands[1].components) == 2


def test_a_speck_inside_a_zeros_loop_is_part_of_the_zero():
    # A pen tap inside the loop is not a decimal point; the one after the zero is.
    zero = [(20 + 18 * math.cos(t / 10), 70 + 30 * math.sin(t / 10)) for t in range(64)]
    inside, point = [(20, 70), (20, 70)], [(48, 98), (48, 98)]
    cands = segment(_ink(zero, inside, point, [(p[0] + 40, p[1]) for p in SEVEN]), pen_width=PEN)
    assert len(cands) == 3
    assert len(cands[0].components) == 2
    assert cands[1].allowed == frozenset({"."})


def test_a_decimal_comma_hanging_under_a_zero_stays_apart_from_it():
    # "0,7": the comma starts at the 0's foot, under its right half, and runs
    # down below the line; overlapping the 0, it must not join it (a 9). What
    # it is, the classifier says (CROHME's writers label such commas ".").
    zero = [(30 + 18 * math.cos(t / 10), 70 + 30 * math.sin(t / 10)) for t in range(64)]
    comma = [(45, 106), (37, 122)]
    seven = [(p[0] + 40, p[1]) for p in SEVEN]
    cands = segment(_ink(zero, comma, seven), pen_width=PEN)
    assert [len(c.components) for c in cands] == [1, 1, 1]


def test_a_speck_low_over_the_middle_of_a_twos_base_is_part_of_the_two():
    # A bit of the base a photo broke off, over its middle; the point after
    # the 2, past the base's end, is a point.
    two = [(8, 42), (20, 30), (36, 36), (36, 58), (8, 100), (42, 100)]
    speck, point = [(25, 92), (25, 92)], [(54, 100), (54, 100)]
    seven = [(p[0] + 40, p[1]) for p in SEVEN]
    cands = segment(_ink(two, speck, point, seven), pen_width=PEN)
    assert [len(c.components) for c in cands] == [2, 1, 1]
    assert cands[1].allowed == frozenset({"."})


def test_two_specks_a_little_apart_between_digits_are_one_point():
    # A point and a tap of the pen beside it, as on a large photo: 8 px apart
    # next to 60-px digits; two points in a row would mean nothing.
    seven_right = [(p[0] + 60, p[1]) for p in SEVEN]
    cands = segment(
        _ink(SEVEN, [(100, 98), (100, 98)], [(113, 98), (113, 98)], seven_right), pen_width=PEN
    )
    assert [c.allowed for c in cands].count(frozenset({"."})) == 1


def test_two_points_far_apart_stay_two_symbols():
    seven_right = [(p[0] + 60, p[1]) for p in SEVEN]
    seven_far = [(p[0] + 120, p[1]) for p in SEVEN]
    one, two = [(90, 98), (90, 98)], [(150, 98), (150, 98)]
    cands = segment(_ink(SEVEN, one, seven_right, two, seven_far), pen_width=PEN)
    assert [c.allowed for c in cands].count(frozenset({"."})) == 2


def test_specks_smaller_than_a_pen_dot_are_dropped():
    ink = _ink(ONE, SEVEN)
    ink[150, 300] = 1
    ink[10:12, 350:352] = 1
    assert len(segment(ink, pen_width=PEN)) == 2


def test_a_fraction_bar_is_not_merged_with_its_numerator():
    numerator = [(p[0] + 20, p[1] - 30) for p in SEVEN]  # x 80..115, y 10..70
    bar = [(60, 82), (140, 82)]
    denominator = [(100, 95), (104, 150)]
    cands = segment(_ink(numerator, bar, denominator), pen_width=PEN)
    assert len(cands) == 3
    assert sum(c.allowed == frozenset({"-"}) for c in cands) == 1


def test_a_lifted_hat_joins_its_five():
    body = [(40, 60), (38, 85), (60, 80), (68, 95), (55, 112), (35, 108)]
    hat = [(44, 52), (72, 50)]
    cands = segment(_ink(ONE, body, hat), pen_width=PEN)
    assert len(cands) == 2
    assert len(cands[1].components) == 2
    assert cands[1].allowed is None


def test_a_ones_foot_written_apart_joins_the_one_but_a_bar_with_a_denominator_does_not():
    one = [(22, 50), (34, 40), (34, 98)]
    foot = [(18, 106), (50, 106)]
    seven = [(p[0] + 40, p[1]) for p in SEVEN]
    cands = segment(_ink(one, foot, seven), pen_width=PEN)
    assert [len(c.components) for c in cands] == [2, 1]
    # The same bar with a digit under it is a fraction's bar.
    under = [(26, 124), (40, 124), (26, 150), (40, 150)]
    cands = segment(_ink(one, foot, under, seven, size=(240, 400)), pen_width=PEN)
    assert all(len(c.components) == 1 for c in cands)


@pytest.mark.crohme
def test_a_minus_level_with_the_bottom_of_an_exponent_is_no_foot(crohme_dir):
    # "x^{3} - x^{2}": the minus starts under the raised 3's right half; a
    # foot rule without the size and reach checks made the pair one blob.
    latex = _read_valid(crohme_dir, "KAIST/TrainData2_10_sub_15", "canvas")
    assert latex == "(x^{3} - x^{2} - x)(2x - 7)", latex


def test_a_lifted_hat_joins_a_five_written_large():
    # A numerator's 5 nearly twice the height of the other symbols.
    five = [(150, 30), (146, 80), (185, 72), (198, 100), (175, 135), (140, 128)]
    hat = [(156, 22), (200, 20)]
    small = [[(x, y) for x, y in ONE], [(p[0], p[1] + 40) for p in SEVEN]]
    cands = segment(_ink(*small, five, hat, size=(200, 300)), pen_width=PEN)
    assert len(cands) == 3
    assert len(cands[2].components) == 2


def test_a_digit_under_a_root_stays_apart_from_the_root():
    root = [(20, 90), (30, 84), (42, 130), (60, 30), (160, 30)]
    cands = segment(_ink(root, [(p[0] + 20, p[1]) for p in SEVEN]), pen_width=PEN)
    assert len(cands) == 2


HOOK = [(20, 95), (30, 88), (42, 130), (58, 42)]  # a root's tick and stem, without its bar


def test_a_root_drawn_as_a_hook_and_a_separate_bar_is_one_root():
    bar = [(62, 36), (160, 36)]
    radicand = [(p[0] + 20, p[1] + 20) for p in SEVEN]
    cands = segment(_ink(HOOK, bar, radicand), pen_width=PEN)
    assert [c.allowed for c in cands] == [frozenset({"\\sqrt"}), None]
    root = cands[0]
    assert len(root.components) == 2 and root.box[2] > 130  # hook and bar, spanning the radicand


def test_nested_roots_drawn_with_separate_bars_are_roots_not_an_equals_sign():
    outer_bar = [(62, 30), (300, 30)]
    inner_hook = [(p[0] + 90, p[1] + 12) for p in HOOK]
    inner_bar = [(158, 46), (290, 46)]
    radicand = [(p[0] + 130, p[1] + 20) for p in SEVEN]
    cands = segment(
        _ink(HOOK, outer_bar, inner_hook, inner_bar, radicand, size=(200, 400)), pen_width=PEN
    )
    assert [c.allowed for c in cands] == [_ROOT, _ROOT, None]


def test_a_bar_after_a_tall_stroke_stays_a_bar_without_a_radicand_or_over_a_numerator():
    bar = [(62, 36), (160, 36)]
    # Nothing under the bar: a minus (or a fraction bar) after a "1"-like stroke.
    assert _ROOT not in [c.allowed for c in segment(_ink(HOOK, bar), pen_width=PEN)]
    # A numerator over the bar: a fraction after the stroke.
    numerator = [(100, 5), (104, 28)]
    denominator = [(p[0] + 20, p[1] + 20) for p in SEVEN]
    cands = segment(_ink(HOOK, bar, numerator, denominator), pen_width=PEN)
    assert _ROOT not in [c.allowed for c in cands]
    assert frozenset({"-"}) in [c.allowed for c in cands]


def test_an_equals_sign_after_a_tall_stroke_stays_an_equals_sign():
    # A 4's stem meets the top stroke of the '=' after it as a hook meets its
    # bar; the other stroke under that bar is no radicand.
    top, low = [(66, 36), (130, 36)], [(66, 56), (130, 56)]
    cands = segment(_ink(HOOK, top, low), pen_width=PEN)
    assert [c.allowed for c in cands] == [None, frozenset({"="})]


_ROOT = frozenset({"\\sqrt"})


def test_candidates_are_ordered_left_to_right_and_masks_hold_only_their_ink():
    cands = segment(_ink(*FOUR, ONE, SEVEN), pen_width=PEN)
    xs = [c.box[0] for c in cands]
    assert xs == sorted(xs)
    assert len(cands) == 3
    for c in cands:
        assert c.mask.shape == (c.box[3], c.box[2])
        assert c.mask.any(axis=0).all() or c.mask.shape[1] <= PEN  # tight box


def test_empty_ink_gives_no_candidates():
    assert segment(np.zeros((50, 50), np.uint8), pen_width=3) == []


def test_segment_rejects_a_colour_image():
    with pytest.raises(ValueError, match="2-D"):
        segment(np.zeros((5, 5, 3), np.uint8), pen_width=2)


def test_restrict_renormalizes_over_the_allowed_classes():
    probs = np.full(len(CLASSES), 1.0 / len(CLASSES), np.float32)
    probs[CLASS_INDEX["1"]] += 0.5
    probs /= probs.sum()
    out = restrict(probs, frozenset({"-", "="}))
    assert out.sum() == pytest.approx(1.0)
    assert out[CLASS_INDEX["-"]] == pytest.approx(0.5)
    assert out[CLASS_INDEX["1"]] == 0
    assert restrict(probs, None) is probs


def test_a_division_sign_whose_lower_dot_touches_the_bar():
    bar = [(50, 70), (90, 70)]
    touching = [(70, 74), (70, 80)]  # a dot drawn as a short tick into the bar
    dot_up = [(70, 50), (70, 50)]
    cands = segment(_ink(ONE, bar, touching, dot_up), pen_width=PEN)
    assert len(cands) == 2
    assert cands[1].allowed == frozenset({"\\div"})


def test_a_plain_minus_with_a_point_after_it_stays_two_symbols():
    seven = [(p[0] + 100, p[1]) for p in SEVEN]
    cands = segment(_ink([(50, 70), (90, 70)], seven, [(190, 98), (190, 98)]), pen_width=PEN)
    assert [c.allowed for c in cands][0] == frozenset({"-"})
    assert len(cands) == 3


def test_a_numerator_written_onto_its_fraction_bar_is_lifted_off():
    seven = [(p[0] + 40, p[1] - 35) for p in SEVEN]  # x 100..135, y 5..65: stands on the bar
    bar = [(60, 66), (200, 66)]
    denominator = [(125, 85), (128, 150)]
    cands = segment(_ink(seven, bar, denominator), pen_width=PEN)
    assert len(cands) == 3
    bars = [c for c in cands if c.allowed == frozenset({"-"})]
    assert len(bars) == 1 and bars[0].box[2] > 130
    assert sorted(c.box[1] for c in cands)[0] < 20  # the numerator, on its own


def test_a_numerator_on_a_slanting_fraction_bar_is_lifted_off_whole():
    # The bar rises 8 px over its length: only a stretch of it is level, and
    # the bits of its edge left over must not be taken for part of the numerator.
    four = [(95, 10), (80, 45), (125, 45)], [(112, 15), (112, 64)]
    bar = [(60, 70), (200, 62)]
    denominator = [(125, 85), (128, 150)]
    cands = segment(_ink(*four, bar, denominator), pen_width=PEN)
    bars = [c for c in cands if c.allowed == frozenset({"-"})]
    assert len(bars) == 1 and bars[0].box[2] > 130
    numerator = [c for c in cands if c.box[1] < 20]
    assert len(numerator) == 1 and numerator[0].box[2] < 60  # the four, without the bar


def test_a_two_with_a_long_base_keeps_its_base():
    two = [(60, 60), (90, 40), (110, 60), (60, 110), (140, 110)]
    below = [(100, 130), (103, 190)]
    cands = segment(_ink(two, below, size=(220, 400)), pen_width=PEN)
    assert len(cands) == 2
    assert all(c.allowed is None for c in cands)


def test_a_denominator_hanging_from_its_fraction_bar_is_lifted_off():
    numerator = [(125, 10), (128, 50)]
    bar = [(60, 66), (200, 66)]
    seven = [(p[0] + 40, p[1] + 28) for p in SEVEN]  # y 68..128: hangs from the bar
    cands = segment(_ink(numerator, bar, seven), pen_width=PEN)
    assert len(cands) == 3
    bars = [c for c in cands if c.allowed == frozenset({"-"})]
    assert len(bars) == 1 and bars[0].box[2] > 130


def test_a_plus_with_a_long_bar_stays_whole():
    plus = [(40, 70), (160, 70)], [(100, 40), (100, 100)]
    cands = segment(_ink(ONE, *plus, [(p[0] + 150, p[1]) for p in SEVEN]), pen_width=PEN)
    assert len(cands) == 3
    assert all(c.allowed is None for c in cands)


def _tight_mask(ink: np.ndarray) -> np.ndarray:
    found = crop_to_ink(ink)
    assert found is not None
    return found[0].astype(bool)


# A root over a long radicand: a small hook, a stem leaning back as it rises and
# curving into a bar that runs far to the right.
LONG_ROOT = [(10, 150), (25, 138), (60, 200), (40, 100), (45, 75), (60, 60), (85, 53), (380, 50)]


def test_a_long_roots_bar_is_found_although_its_hook_is_narrow():
    mask = _tight_mask(_ink(LONG_ROOT, size=(250, 400)))
    roof = _roof(mask, PEN)
    assert roof is not None
    first, last = roof
    assert first < 0.12 * mask.shape[1]  # the hook is narrow next to the bar
    assert last >= mask.shape[1] - 2 * PEN


def test_a_roots_stem_is_not_cut_off_as_a_radicand():
    mask = _tight_mask(_ink(LONG_ROOT, size=(250, 400)))
    h, w = mask.shape
    cand = Candidate(box=(0, 0, w, h), mask=mask, components=(1,))
    assert _under_roof(cand, PEN, 60.0) == [cand]


def test_a_radicand_touching_a_long_roots_bar_is_freed():
    one = [(150, 52), (150, 190)]
    mask = _tight_mask(_ink(LONG_ROOT, one, size=(250, 400)))
    h, w = mask.shape
    parts = _under_roof(Candidate(box=(0, 0, w, h), mask=mask, components=(1,)), PEN, 60.0)
    assert len(parts) == 2
    x, _, pw, ph = parts[0].box
    assert x <= 150 - 10 <= x + pw and ph >= 100  # the 1, freed from the bar
    assert parts[1].box[2] == w  # the root keeps its whole bar


def test_a_serif_at_the_end_of_a_roots_bar_stays_with_the_root():
    # Some writers end the bar with a short downward tick; it is no radicand.
    serif = [(380, 50), (382, 75)]
    mask = _tight_mask(_ink(LONG_ROOT, serif, size=(250, 400)))
    h, w = mask.shape
    cand = Candidate(box=(0, 0, w, h), mask=mask, components=(1,))
    assert _under_roof(cand, PEN, 60.0) == [cand]
    # A digit-tall stroke touching the bar's end is a radicand's 1, freed.
    one = [(380, 50), (382, 150)]
    mask = _tight_mask(_ink(LONG_ROOT, one, size=(250, 400)))
    h, w = mask.shape
    assert len(_under_roof(Candidate((0, 0, w, h), mask, (1,)), PEN, 60.0)) == 2


def test_a_long_root_is_a_root_even_when_the_model_is_sure_of_something_else():
    # The radicand attached to the bar hangs below the root's foot, and the
    # model, never trained on such proportions, reads the blob as "=".
    longer = [*LONG_ROOT[:-1], (480, 50)]
    mask = _tight_mask(_ink(longer, [(150, 52), (150, 225)], size=(250, 500)))
    h, w = mask.shape
    sure = np.zeros(len(CLASSES), np.float32)
    sure[CLASS_INDEX["="]] = 0.95
    cand = Candidate(box=(0, 0, w, h), mask=mask, components=(1,), probabilities=sure)
    assert _looks_root(cand, PEN, 60.0)
    assert not _looks_root(cand, PEN, 0.6 * w)  # as long as a symbol: the model decides


def test_nested_touching_radicands_are_freed_with_the_shipped_model():
    from mathocr.classifier import SymbolClassifier

    ones = [(120, 90), (120, 190)], [(200, 52), (200, 190)], [(300, 52), (300, 190)]
    cands = segment(
        _ink(LONG_ROOT, *ones, size=(250, 400)),
        pen_width=PEN,
        model=SymbolClassifier(threads=1),
    )
    assert len(cands) == 4
    assert cands[0].allowed == frozenset({"\\sqrt"})
    assert [c.box[0] for c in cands[1:]] == [120, 200, 300]


@pytest.mark.crohme
@pytest.mark.parametrize(("symbol_px", "pen"), [(40, 3), (60, 5), (80, 7)])
def test_an_x_written_as_two_arcs_is_one_symbol(crohme_dir, symbol_px, pen):
    from mathocr.classifier import SymbolClassifier
    from mathocr.inkml import read_inkml
    from mathocr.render import render_expression

    # A train writer's "(x+3)x" whose last x is two separate arcs.
    ink = read_inkml(crohme_dir / "train" / "HAMEX/formulaire038-equation046.inkml")
    drawing = render_expression(ink, symbol_px=symbol_px, pen=pen)
    cands = segment(
        (drawing < 128).astype(np.uint8), pen_width=pen, model=SymbolClassifier(threads=1)
    )
    assert len(cands) == len(ink.symbols) == 6
    last = cands[-1].probabilities
    assert last is not None and CLASSES[int(np.argmax(last))] == "x"


@pytest.mark.crohme
def test_a_cut_that_only_trims_the_blobs_own_symbol_is_not_a_split(crohme_dir):
    from mathocr.classifier import SymbolClassifier
    from mathocr.inkml import read_inkml
    from mathocr.pipeline import Recognizer
    from mathocr.scenes import canvas_image

    # A train writer's "x^{X}": the big X's long stroke ends past the rest of
    # it; a cut there left an "x" and a stray piece, read as two symbols.
    ink = read_inkml(crohme_dir / "train" / "MathBrush/2009213-139-220.inkml")
    result = Recognizer(SymbolClassifier(threads=1)).recognize(canvas_image(ink).data)
    assert [s.label for s in result.symbols] == ["x", "x"]


def test_an_x_like_mark_counts_as_sure_when_x_and_times_share_the_probability():
    from mathocr.segmentation import SURE, confidence

    p = np.zeros(len(CLASSES), np.float32)
    p[CLASS_INDEX["x"]], p[CLASS_INDEX["\\times"]], p[CLASS_INDEX["5"]] = 0.68, 0.28, 0.04
    assert confidence(p) == pytest.approx(0.96) and confidence(p) >= SURE
    q = np.zeros(len(CLASSES), np.float32)
    q[CLASS_INDEX["1"]], q[CLASS_INDEX["("]] = 0.6, 0.4  # a real doubt stays a doubt
    assert confidence(q) == pytest.approx(0.6)


def test_a_root_twice_as_wide_as_tall_with_a_narrow_hook_is_a_root_when_the_model_doubts():
    # A nested root holding its own radicand: about twice as wide as tall, the
    # hook a sixth of the width; the model hesitates (x 0.59, root 0.19).
    root = [(5, 120), (10, 114), (18, 150), (20, 60), (25, 50), (220, 48)]
    inner = [(120, 90), (130, 85), (145, 125)], [(150, 75), (210, 75)]  # a small root touching it
    mask = _tight_mask(_ink(root, *inner, [(175, 76), (165, 160)], size=(250, 300)))
    h, w = mask.shape
    assert 1.8 * h <= w < 2.4 * h
    assert _roof(mask, PEN) is not None
    doubt = np.zeros(len(CLASSES), np.float32)
    doubt[CLASS_INDEX["x"]], doubt[CLASS_INDEX["\\sqrt"]] = 0.59, 0.19
    cand = Candidate(box=(0, 0, w, h), mask=mask, components=(1,), probabilities=doubt)
    assert _looks_root(cand, PEN, 60.0)
    # A wide 5 (one and a half times as wide as tall) is read by the model, not called a root.
    five = _tight_mask(_ink([(100, 20), (15, 20), (10, 60), (70, 55), (100, 80), (60, 95)]))
    fh, fw = five.shape
    doubt5 = np.zeros(len(CLASSES), np.float32)
    doubt5[CLASS_INDEX["5"]], doubt5[CLASS_INDEX["\\sqrt"]] = 0.61, 0.24
    cand5 = Candidate(box=(0, 0, fw, fh), mask=five, components=(1,), probabilities=doubt5)
    assert not _looks_root(cand5, PEN, 60.0)


def test_a_wide_or_crossing_x_written_as_two_arcs_is_still_a_pair():
    from mathocr.segmentation import _arc_pair

    # Two halves 55 and 61 px wide, 58 and 53 tall, almost touching: together
    # a flat x just over twice as wide as tall.
    left = Candidate(box=(467, 153, 55, 58), mask=np.ones((58, 55), bool), components=(1,))
    right = Candidate(box=(523, 155, 61, 53), mask=np.ones((53, 61), bool), components=(2,))
    assert _arc_pair(left, right, 73.0)
    # Side by side with a clear gap they are two symbols.
    apart = Candidate(box=(560, 155, 61, 53), mask=np.ones((53, 61), bool), components=(2,))
    assert not _arc_pair(left, apart, 73.0)
    # A slash and a hook that cross: the hook starts 14 px inside the slash's box
    # (a third of its own 44 px width), as a KAIST writer's x's did.
    slash = Candidate(box=(106, 121, 77, 124), mask=np.ones((124, 77), bool), components=(1,))
    hook = Candidate(box=(169, 113, 44, 125), mask=np.ones((125, 44), bool), components=(2,))
    assert _arc_pair(slash, hook, 124.0)
    # Nearly all of the narrower one inside the other's box is not two halves side by side.
    inside = Candidate(box=(145, 113, 44, 125), mask=np.ones((125, 44), bool), components=(2,))
    assert not _arc_pair(slash, inside, 124.0)


def _scored(box: tuple[int, int, int, int], label: str, p: float) -> Candidate:
    probs = np.full(len(CLASSES), (1 - p) / (len(CLASSES) - 1), np.float32)
    probs[CLASS_INDEX[label]] = p
    x, y, w, h = box
    return Candidate(box=box, mask=np.ones((h, w), bool), components=(x,), probabilities=probs)


def test_two_digits_read_about_as_surely_as_their_union_x_stay_digits():
    from mathocr.segmentation import _two_digits

    five, six = _scored((324, 29, 35, 61), "5", 0.79), _scored((367, 32, 40, 58), "6", 0.99)
    assert _two_digits(five, six, 0.98)  # "56" is not an x written as two arcs
    doubtful = _scored((324, 29, 35, 61), "2", 0.3)
    assert not _two_digits(doubtful, six, 0.98)
    bracket = _scored((324, 29, 35, 61), ")", 0.9)
    assert not _two_digits(bracket, six, 0.98)


@pytest.mark.crohme
@pytest.mark.parametrize(
    "name, truth",
    [
        # "02" written touching: one crossing blob the model reads as a sure x
        ("HAMEX/formulaire002-equation035", "4 \\div 182 = 0.02"),
        # a wide x the same cut could read as two doubtful 2s stays an x
        ("HAMEX/formulaire029-equation048", "x^{4} - 5x^{2} + 5"),
    ],
)
def test_touching_digits_read_as_an_x_are_cut_and_an_x_is_not(crohme_dir, name, truth):
    from mathocr.canonical import same_expression
    from mathocr.inkml import read_inkml
    from mathocr.pipeline import default_recognizer
    from mathocr.scenes import canvas_image

    split = "valid" if name.endswith("035") else "train"
    ink = read_inkml(crohme_dir / split / f"{name}.inkml")
    result = default_recognizer().recognize(canvas_image(ink, 0).data)
    assert same_expression(result.latex, truth), result.latex


def _read_valid(crohme_dir, name: str, kind: str, split: str = "valid") -> str:
    """The LaTeX the shipped recognizer reads from an expression drawn as *kind*."""
    from mathocr.inkml import read_inkml
    from mathocr.pipeline import default_recognizer
    from mathocr.scenes import canvas_image, photo_image

    ink = read_inkml(crohme_dir / split / f"{name}.inkml")
    image = canvas_image(ink, 0) if kind == "canvas" else photo_image(ink)
    return default_recognizer().recognize(image.data).latex


@pytest.mark.crohme
def test_touching_digits_read_as_a_root_with_nothing_under_it_are_cut(crohme_dir):
    # On the photo of "= 15322" the 5's hat runs into the 3: the blob reads as
    # a root, but nothing stands under its bar, so it is cut into 5 and 3.
    latex = _read_valid(crohme_dir, "HAMEX/formulaire025-equation020", "photo")
    assert latex.endswith("= 15322"), latex


@pytest.mark.crohme
def test_a_coefficient_touching_its_x_is_cut_from_it(crohme_dir):
    # "(2x - 7)" with the 2 run into the x: one blob the model reads as a sure
    # x, cut into a sure 2 and a sure x.
    latex = _read_valid(crohme_dir, "KAIST/TrainData2_21_sub_15", "canvas")
    assert "(2x - " in latex, latex


@pytest.mark.crohme
def test_an_x_written_as_two_open_arcs_is_joined_though_one_arc_reads_as_a_doubtful_x(crohme_dir):
    # The photo of "x^3 - 3x + 1": the second x is drawn as two arcs, read
    # 0 (0.36) and x (0.36); joined they read x (0.94) and times (0.01).
    latex = _read_valid(crohme_dir, "HAMEX/formulaire031-equation036", "photo")
    assert latex == "x^{3} - 3x + 1", latex


@pytest.mark.crohme
@pytest.mark.parametrize("kind", ["canvas", "photo"])
def test_an_xs_wide_doubtful_arc_is_joined_to_its_other_arc_before_it_is_cut(crohme_dir, kind):
    # "x^{-1}": the x's first arc is a wide hook read 1 (0.5); cut as too wide
    # for one symbol, its pieces no longer paired with the second arc ("1x").
    latex = _read_valid(crohme_dir, "HAMEX/formulaire035-equation066", kind)
    assert latex == "x^{-1} = \\frac{1}{x}", latex


@pytest.mark.crohme
def test_an_exponent_touching_its_xs_arm_is_cut_off_though_the_blob_reads_as_a_root(crohme_dir):
    # "x^{3} - x^{2} - x": the 2 runs into the x's upper arm and the blob
    # reads as a root (0.7), though it has no root's shape.
    latex = _read_valid(crohme_dir, "KAIST/TrainData2_20_sub_15", "canvas")
    assert latex.startswith("(x^{3} - x^{2} - x)"), latex


@pytest.mark.crohme
def test_an_exponent_touching_its_xs_arm_is_cut_off_as_a_corner(crohme_dir):
    # "(2\\sqrt{21} - 9)x^2 + ...": the 2 touches the x's upper arm, above the
    # end of its lower arm, so no vertical cut frees it (a train writer's file).
    latex = _read_valid(crohme_dir, "HAMEX/formulaire021-equation038", "canvas", split="train")
    assert "9)x^{2} + x" in latex, latex


@pytest.mark.crohme
@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        # The exponent runs into its base's top: one blob a little taller than
        # a symbol, read whole as the base.
        ("MfrDB0285", "canvas", "2 + 2^{2}"),
        ("MfrDB0285", "photo", "2 + 2^{2}"),
        ("MfrDB1788", "photo", "(12 - x)^{2}"),
        # A 4 whose stem rises above its bar is as tall, and the stem's top
        # reads as a 1: no exponent.
        ("MfrDB0526", "canvas", "4 + 3"),
    ],
)
def test_an_exponent_run_into_a_digit_or_a_bracket_is_cut_off_as_a_corner(
    crohme_dir, name, kind, expected
):
    latex = _read_valid(crohme_dir, f"MfrDB/{name}", kind, split="train")
    assert latex == expected, latex


def test_a_bent_cut_finds_the_joint_a_straight_cut_misses():
    from mathocr.segmentation import BEND_REACH, _bent_lines

    # Two strokes stacked with a small overlap: every column near the middle
    # runs through ink for half the height, but a path may slip past the joint.
    mask = np.zeros((60, 40), bool)
    mask[:31, 6:22] = True
    mask[30:, 18:34] = True
    cuts = [20, 4, 37]
    lines = _bent_lines(mask, cuts)
    assert lines.shape == (3, 60)
    rows = np.arange(60)
    crossed = int(mask[rows, lines[0]].sum())
    assert crossed < int(mask[:, 20].sum()) // 4, crossed
    for cut, line in zip(cuts, lines, strict=True):
        assert np.all(np.abs(np.diff(line)) <= 1)  # one column sideways per row at most
        assert np.all(np.abs(line - cut) <= max(1, round(BEND_REACH * 60)))
        assert np.all((line >= 1) & (line <= 39))  # never off the blob's edge
    # Where a straight line crosses no ink, the path stays straight.
    assert np.all(lines[1] == 4) and int(mask[rows, lines[1]].sum()) == 0


@pytest.mark.crohme
def test_touching_flagged_ones_are_cut_where_they_meet(crohme_dir):
    # On the canvas of "\div 118 =" the writer flags their 1s and the second
    # 1's flag ends on the first one's stem: the blob reads 4 (0.88), and no
    # straight cut frees the first 1 without a piece of that flag (read +).
    latex = _read_valid(crohme_dir, "HAMEX/formulaire031-equation015", "canvas")
    assert "\\div 118 = 81.17" in latex, latex


def test_a_loop_is_told_from_an_open_arc():
    from mathocr.segmentation import _has_loop

    zero = _ink([(20 + 15 * math.cos(t / 10), 50 + 25 * math.sin(t / 10)) for t in range(64)])
    arc = _ink([(20 + 15 * math.cos(t / 10), 50 + 25 * math.sin(t / 10)) for t in range(-15, 16)])
    assert _has_loop(zero.astype(bool), PEN)
    assert not _has_loop(arc.astype(bool), PEN)


@pytest.mark.crohme
def test_a_cut_leaving_a_short_sliver_read_as_a_bracket_is_refused(crohme_dir):
    # The photo of "= 1819080" ends in an 8 and a 0 that overlap. Of the cuts
    # through that blob, the likeliest pair is a times sign and a ")" a third
    # of a digit tall (x 0.89, ")" 0.84); the next is 8 and 0. With the blob's
    # own reading made worthless, whatever cut is allowed is taken.
    from mathocr.classifier import default_classifier
    from mathocr.imaging import binarize, deskew, load_image
    from mathocr.inkml import read_inkml
    from mathocr.scenes import photo_image
    from mathocr.segmentation import SHORT_BRACKET, _split, group_components, replace_probs

    ink = read_inkml(crohme_dir / "valid" / "HAMEX/formulaire035-equation025.inkml")
    found = binarize(load_image(photo_image(ink).data).gray)
    straight = deskew(found.binary, pen_width=found.pen_width)
    seg = group_components(straight.binary, pen_width=found.pen_width)
    blob = max(seg.candidates, key=lambda c: c.box[0])  # the last 80
    assert 1.0 * seg.height < blob.box[2] < 1.5 * seg.height
    worthless = np.full(len(CLASSES), 0.94 / (len(CLASSES) - 1), np.float32)
    worthless[CLASS_INDEX["\\sqrt"]] = 0.06  # no reading at all, and none a piece could share
    model = default_classifier()
    parts = _split(replace_probs(blob, worthless), model, seg.pen_width, seg.height, seg.reference)
    labels = [CLASSES[int(np.argmax(p.probabilities))] for p in parts]
    assert len(parts) == 2
    for part, label in zip(parts, labels, strict=True):
        if label in ("(", ")"):
            assert part.box[3] >= SHORT_BRACKET * seg.height, labels
    assert labels == ["8", "0"]


def test_a_root_has_a_radicand_only_when_something_stands_under_its_bar():
    from mathocr.segmentation import _has_radicand

    root = _scored((100, 50, 80, 60), "\\sqrt", 0.6)
    under = _scored((130, 70, 30, 40), "2", 0.9)
    beside = _scored((190, 55, 30, 50), "2", 0.9)
    assert _has_radicand(root, [root, under, beside])
    assert not _has_radicand(root, [root, beside])


def test_a_short_root_read_as_root_frees_a_four_hanging_from_its_bar():
    # The innermost root of sqrt{3 + sqrt 4}: the 4's top touches the bar and
    # its stem hangs below the root's foot, so the shape alone does not prove
    # a root; the model's reading does, and the 4 is cut free.
    hook = [(8, 80), (18, 74), (30, 112), (45, 25), (55, 18), (140, 18)]
    four = [(95, 22), (70, 95), (135, 95)], [(118, 22), (118, 135)]
    mask = _tight_mask(_ink(hook, *four, size=(160, 160)))
    h, w = mask.shape
    assert _roof(mask, PEN) is None
    assert _roof(mask, PEN, read_as_root=True) is not None
    cand = Candidate(box=(0, 0, w, h), mask=mask, components=(1,))
    parts = _under_roof(cand, PEN, 60.0, read_as_root=True)
    assert len(parts) == 2
    x, y, pw, ph = parts[0].box
    assert x >= 60 and ph >= 80  # the 4, whole
    assert parts[1].box[0] == 0 and parts[1].box[3] < h  # the root, without what hung below it


def test_an_equals_sign_with_one_stubby_stroke_is_one_symbol():
    # A long lower bar and a quick dash over it, too short to pass for a bar.
    stubby = segment(
        _ink(ONE, [(50, 78), (100, 78)], [(66, 60), (80, 66)], [(130, 40), (134, 100)]),
        pen_width=PEN,
    )
    equals = [c for c in stubby if c.allowed == frozenset({"="})]
    assert len(equals) == 1
    assert equals[0].box[3] >= 16 - PEN  # both strokes
    # The same dash with a digit under the bar is a fraction's numerator.
    fraction = segment(
        _ink([(50, 78), (100, 78)], [(66, 60), (80, 66)], [(75, 88), (75, 120)], size=(200, 200)),
        pen_width=PEN,
    )
    assert not any(c.allowed == frozenset({"="}) for c in fraction)


def test_a_short_dash_on_the_baseline_between_digits_is_a_point_and_on_the_middle_a_minus():
    # A thick pen on a big photo makes a point into a dash as flat as a minus;
    # where it sits tells them apart.
    left, right = ONE, [(60, 40), (64, 100)]
    low = segment(_ink(left, [(37, 97), (47, 97)], right), pen_width=PEN)
    mid = segment(_ink(left, [(37, 70), (47, 70)], right), pen_width=PEN)
    assert [c.allowed for c in low if c.allowed] == [frozenset({"."})]
    assert [c.allowed for c in mid if c.allowed] == [frozenset({"-"})]


@pytest.mark.crohme
def test_nested_roots_with_bars_drawn_apart_are_read_whole(crohme_dir):
    # A MathBrush writer draws each root's bar as its own stroke: four hooks
    # read alone as 1, ) or 2, and bars that paired into an '=' and minuses.
    latex = _read_valid(crohme_dir, "MathBrush/2009213-139-72", "canvas", split="train")
    assert latex == "\\sqrt{1 + \\sqrt{1 + \\sqrt{1 + \\sqrt{x}}}}", latex


@pytest.mark.crohme
@pytest.mark.parametrize("kind", ["canvas", "photo"])
def test_a_roots_serif_and_the_top_of_its_leaning_stem_stay_with_it(crohme_dir, kind):
    # An MfrDB writer ends every bar with a downward tick (cut off as a "1"
    # after each radicand) and, on the photo, the outer root's stem leans into
    # its bar right of the hook's cut (its top was cut off as a "(").
    latex = _read_valid(crohme_dir, "MfrDB/MfrDB0112", kind, split="train")
    assert latex == "\\sqrt{\\frac{\\sqrt{2} + \\sqrt{3}}{\\sqrt{5} - x}}", latex


def test_the_right_neighbour_of_a_denominator_symbol_skips_the_numerator():
    from mathocr.segmentation import _right_neighbour

    def cand(x: int, y: int, w: int, h: int) -> Candidate:
        return Candidate(box=(x, y, w, h), mask=np.ones((h, w), bool), components=(x,))

    # "1 over ↄc": in left-to-right order the numerator's 1 falls between the arcs.
    arc, one, c, after = (
        cand(588, 180, 72, 65),
        cand(620, 17, 82, 94),
        cand(675, 185, 79, 77),
        cand(800, 20, 40, 60),
    )
    row = [arc, one, c, after]
    assert _right_neighbour(row, 0) == 2
    assert _right_neighbour(row, 1) == 3
    assert _right_neighbour(row, 2) is None


@pytest.mark.crohme
def test_an_x_of_two_arcs_in_a_denominator_is_joined_across_the_numerator(crohme_dir):
    # "x^{-1} = \frac{1}{x}": the denominator's x is two arcs, read 0 and 2 when
    # only neighbours in left-to-right order were paired.
    latex = _read_valid(crohme_dir, "HAMEX/formulaire035-equation066", "canvas")
    assert latex.endswith("= \\frac{1}{x}"), latex


def test_a_fairly_sure_x_is_joined_only_when_it_beats_its_halves_readings():
    from mathocr.segmentation import ARC_SURE, _x_beats_halves

    def half(label: str, p: float) -> Candidate:
        probs = np.full(len(CLASSES), (1 - p) / (len(CLASSES) - 1), np.float32)
        probs[CLASS_INDEX[label]] = p
        return Candidate(
            box=(0, 0, 5, 5), mask=np.ones((5, 5), bool), components=(1,), probabilities=probs
        )

    # Arcs read 0 (0.31) and 2 (0.16) on a white-on-dark photo; joined, x at 0.94.
    assert _x_beats_halves(0.94, half("0", 0.31), half("2", 0.16))
    # Two fairly sure digits stay digits unless the x is sure.
    assert not _x_beats_halves(0.9, half("2", 0.6), half("5", 0.7))
    assert _x_beats_halves(ARC_SURE, half("2", 0.6), half("5", 0.7))
    assert not _x_beats_halves(0.7, half("0", 0.2), half("2", 0.2))  # not sure enough of the x
    # A doubtful 3 and 1 side by side on a valid photo: their union read x at 0.93.
    assert not _x_beats_halves(0.93, half("3", 0.52), half("1", 0.32))
    # Even a sure x must be likelier than the halves: a 3 (0.87) and a 6 whose
    # loop a thick pen filled, read "(" (0.91), joined read x at 0.96 (valid canvas).
    assert not _x_beats_halves(0.96, half("3", 0.87), half("(", 0.91))


@pytest.mark.crohme
def test_an_x_of_two_arcs_on_a_white_on_dark_photo_is_joined(crohme_dir):
    import cv2

    import bench.bench_robustness as robustness
    from mathocr.inkml import read_inkml
    from mathocr.pipeline import default_recognizer
    from mathocr.scenes import photo_image

    ink = read_inkml(crohme_dir / "valid" / "HAMEX/formulaire031-equation036.inkml")
    photo = photo_image(ink)
    page = cv2.imdecode(np.frombuffer(photo.data, np.uint8), cv2.IMREAD_COLOR)
    negative = robustness._encode(robustness._white_on_dark(page, np.random.default_rng(0), 0.0))
    assert default_recognizer().recognize(negative).latex == "x^{3} - 3x + 1"


@pytest.mark.crohme
def test_a_one_run_into_the_next_digit_is_cut_from_it(crohme_dir):
    # "(122": on the photo the 1 touches the 2's base, and the blob, half again
    # as wide as tall, reads as a sure 2; a cut into a sure 1 and a sure 2 wins.
    latex = _read_valid(crohme_dir, "HAMEX/formulaire014-equation030", "photo", "train")
    assert latex.startswith("23 \\times (122 \\times"), latex


@pytest.mark.crohme
def test_a_decimal_comma_under_a_zero_does_not_make_it_a_nine(crohme_dir):
    latex = _read_valid(crohme_dir, "HAMEX/formulaire027-equation045", "photo", "train")
    assert latex.endswith("= 0.01"), latex


@pytest.mark.crohme
def test_an_exponent_run_into_a_sure_x_is_freed(crohme_dir):
    # "\frac{5}{x^{2} + x}" on a canvas: the 2 touches the x's upper arm and the
    # blob, as wide as tall, reads as a sure x; the corner sticking out is the 2.
    latex = _read_valid(crohme_dir, "MfrDB/MfrDB1809", "canvas", "train")
    assert latex.endswith("\\frac{5}{x^{2} + x}"), latex
