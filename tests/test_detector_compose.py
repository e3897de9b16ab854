"""Composed expressions (version 3): the shapes the detector misread are drawn often enough.

The bank is a twentieth of the CROHME train writers (tests skip without it), so
that brackets and decimal points are real handwriting and not a stand-in glyph.
"""

from __future__ import annotations

import numpy as np
import pytest

from mathocr.data.splits import split_files
from mathocr.training.detector.compose import COMPOSE_VERSION, SymbolBank, Writer, compose_scene
from mathocr.training.detector.scenes import Scene, make_sample

OPS = {"+", "-", "\\times", "\\div", "/"}
N_SCENES = 400


@pytest.fixture(scope="module")
def bank(crohme_dir):
    train, _ = split_files(crohme_dir)
    return SymbolBank.from_inkml(train[::20])


@pytest.fixture(scope="module")
def scenes(bank):
    rng = np.random.default_rng(0)
    return [compose_scene(bank, rng) for _ in range(N_SCENES)]


def _reading(scene: Scene) -> list[tuple[str, float, float, float, float]]:
    """Each symbol's label and box, left to right by the box's centre."""
    out = []
    for label, ids in scene.symbols:
        pts = np.concatenate([scene.strokes[i] for i in ids])
        out.append((label, *pts.min(axis=0), *pts.max(axis=0)))
    return sorted(out, key=lambda b: (b[1] + b[3]) / 2)


def _unit(boxes) -> float:
    return float(np.median([max(b[3] - b[1], b[4] - b[2]) for b in boxes]))


def _double_brackets(boxes):
    return [(a, b) for a, b in zip(boxes, boxes[1:], strict=False) if a[0] == b[0] and a[0] in "()"]


def _decimals(boxes):
    return [
        (a, m, c)
        for a, m, c in zip(boxes, boxes[1:], boxes[2:], strict=False)
        if m[0] == "." and a[0].isdigit() and c[0].isdigit()
    ]


def _plain(boxes) -> tuple[bool, bool]:
    """Whether the scene reads ``<numbers, operators, brackets> = <number>``, and whether
    that number is a decimal."""
    labels = [b[0] for b in boxes]
    if "=" not in labels:
        return False, False
    i = len(labels) - 1 - labels[::-1].index("=")
    lhs, rhs = labels[:i], labels[i + 1 :]
    if rhs[:1] == ["-"]:
        rhs = rhs[1:]

    def numeric(label: str) -> bool:
        return label.isdigit() or label == "."

    plain = (
        bool(rhs)
        and all(numeric(label) for label in rhs)
        and any(label in OPS for label in lhs)
        and all(numeric(label) or label in OPS or label in "()" for label in lhs)
    )
    return plain, plain and "." in rhs


def test_the_version_names_the_shards():
    assert COMPOSE_VERSION == 3


def test_one_expression_in_five_has_a_double_bracket_written_close(scenes):
    pairs, with_pair = [], 0
    for scene in scenes:
        boxes = _reading(scene)
        found = _double_brackets(boxes)
        with_pair += bool(found)
        unit = _unit(boxes)
        pairs += [((b[1] - a[3]) / unit, (b[4] - b[2]) / (a[4] - a[2])) for a, b in found]
    assert 0.14 <= with_pair / len(scenes) <= 0.26
    gaps, ratios = np.array(pairs).T
    # Close, often touching, as CROHME writers write them (gaps -0.12 to 0.43).
    assert np.median(gaps) < 0.25 and np.mean(gaps <= 0) > 0.15 and gaps.max() < 0.6
    # Each bracket at a height of its own.
    assert np.std(np.log(ratios)) > 0.08 and np.mean(np.abs(np.log(ratios)) > 0.1) > 0.3


def test_decimal_numbers_are_common_and_some_lead_with_zero(scenes):
    with_point = led_by_zero = points = 0
    for scene in scenes:
        boxes = _reading(scene)
        found = _decimals(boxes)
        with_point += bool(found)
        points += len(found)
        for a, _, _ in found:
            k = boxes.index(a)
            led_by_zero += a[0] == "0" and (k == 0 or not boxes[k - 1][0].isdigit())
    assert 0.5 <= with_point / len(scenes) <= 0.8
    assert led_by_zero / points > 0.15


def test_three_statements_in_ten_are_plain_arithmetic_often_ending_in_a_decimal(scenes):
    shapes = [_plain(_reading(scene)) for scene in scenes]
    plain = np.mean([p for p, _ in shapes])
    decimal_result = np.mean([d for _, d in shapes])
    assert 0.24 <= plain <= 0.38
    assert 0.1 <= decimal_result <= plain * 0.75


def test_a_decimal_point_is_small_on_the_line_and_apart_from_its_digits(bank):
    writer = Writer(bank, np.random.default_rng(2))
    writer.gap = -0.1  # cramped: digits touch, the point still stands apart
    rows, zero_led = [], 0
    for _ in range(200):
        items = writer.number(decimal=True).items
        labels = [label for label, _ in items]
        k = labels.index(".")
        assert labels.count(".") == 1 and 0 < k < len(labels) - 1
        assert all(label.isdigit() for i, label in enumerate(labels) if i != k)
        zero_led += labels[:k] == ["0"]
        boxes = [
            (*np.concatenate(st).min(axis=0), *np.concatenate(st).max(axis=0)) for _, st in items
        ]
        left, dot, right = boxes[k - 1], boxes[k], boxes[k + 1]
        digit_h = np.median([b[3] - b[1] for i, b in enumerate(boxes) if i != k])
        rows.append(
            (
                max(dot[2] - dot[0], dot[3] - dot[1]),  # size
                max(dot[2] - dot[0], dot[3] - dot[1]) / digit_h,
                left[3] - dot[3],  # lift above the left digit's foot
                dot[0] - left[2],  # gaps
                right[0] - dot[2],
            )
        )
    assert zero_led > 40  # "0.71"
    # In size units (about a digit's height).
    size, to_digits, lift, gap_left, gap_right = np.array(rows).T
    assert size.max() < 0.25 and np.percentile(size, 90) / np.percentile(size, 10) > 3
    assert np.median(to_digits) < 0.15
    assert lift.min() > -0.06 and lift.max() < 0.4 and np.median(lift) < 0.15
    assert gap_left.min() >= 0 and gap_right.min() >= 0
    # Close to either digit at times.
    assert np.mean(gap_left < 0.08) > 0.12 and np.mean(gap_right < 0.08) > 0.12


def test_layout_boxes_are_the_ink_of_their_symbols(bank):
    """Each laid-out box is exactly its ink's extent, the box a fraction or root is
    centred on; and every stroke is in one symbol of the scene."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        laid = Writer(bank, rng).statement()
        pts = np.concatenate([s for _, st in laid.items for s in st])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        assert np.allclose([laid.x0, laid.y0, laid.x1, laid.y1], [*lo, *hi], atol=0.01)


def test_brackets_around_a_number_are_a_pair_of_one_height(bank):
    """Not a bank bracket that held a fraction, nor a small "(" with a giant ")"."""
    writer = Writer(bank, np.random.default_rng(5))
    ratios = []
    for _ in range(200):
        items = writer.group(writer.number()).items
        (lo, lo_st), (hi, hi_st) = items[0], items[-1]
        assert (lo, hi) == ("(", ")")
        h_lo, h_hi = (np.ptp(np.concatenate(st)[:, 1]) for st in (lo_st, hi_st))
        assert max(h_lo, h_hi) < 2.0 * writer.size * 1.35
        ratios.append(h_hi / h_lo)
    assert np.all(np.abs(np.log(ratios)) < 0.4)


def test_composed_scenes_draw_with_a_box_on_the_ink_of_each_symbol(scenes):
    rng = np.random.default_rng(4)
    for scene in scenes[:40]:
        used = sorted(i for _, ids in scene.symbols for i in ids)
        assert used == list(range(len(scene.strokes)))
        sample = make_sample(scene, rng, "canvas")
        assert sample is not None and len(sample.labels) == len(scene.symbols)
        h, w = sample.image.shape
        assert (sample.boxes[:, :2] >= -2).all()
        assert (sample.boxes[:, 2] <= w + 2).all() and (sample.boxes[:, 3] <= h + 2).all()
        for x0, y0, x1, y1 in np.round(sample.boxes).astype(int):
            assert sample.image[max(0, y0) : y1 + 1, max(0, x0) : x1 + 1].max() > 50


def _roots_inside_roots(scene: Scene) -> int:
    """How many roots lie under another root and end near where it ends."""
    roots = [b for b in _reading(scene) if b[0] == "\\sqrt"]
    unit = _unit(_reading(scene))
    return sum(
        any(
            o is not r and o[1] < r[1] and o[2] < r[2] and abs(o[3] - r[3]) < 0.6 * unit
            for o in roots
        )
        for r in roots
    )


def test_continued_roots_nest_two_to_four_deep(bank):
    rng = np.random.default_rng(3)
    writer = Writer(bank, rng)
    for levels in (2, 3, 4):
        laid = writer.continued_root(levels)
        labels = [label for label, _ in laid.items]
        assert labels.count("\\sqrt") == levels
        scene = Scene(
            tuple(s for _, st in laid.items for s in st),
            tuple(
                (label, tuple(range(k, k + len(st))))
                for (label, st), k in zip(
                    laid.items, np.cumsum([0] + [len(st) for _, st in laid.items]), strict=False
                )
            ),
        )
        # Every root but the outermost lies under the one before it, ending close to its end.
        assert _roots_inside_roots(scene) == levels - 1


def test_some_composed_expressions_hold_a_continued_root(scenes):
    share = np.mean([_roots_inside_roots(s) > 0 for s in scenes])
    assert 0.02 <= share <= 0.2


def test_a_root_over_a_long_radicand_keeps_a_short_tick(bank):
    """Only the bar is drawn out: a long radicand does not stretch the tick before it."""
    writer = Writer(bank, np.random.default_rng(11))
    for _ in range(40):
        laid = writer.radical(writer.number(7, decimal=False, length=7))
        sign = np.concatenate(laid.items[0][1])
        radicand = np.concatenate([s for _, st in laid.items[1:] for s in st])
        # The tick (the sign's ink well below its bar) keeps about a symbol's width,
        # whatever the radicand's length ...
        top, h = float(sign[:, 1].min()), float(np.ptp(sign[:, 1]))
        tick = sign[sign[:, 1] > top + 0.4 * h]
        assert float(np.ptp(tick[:, 0])) < 1.2
        # ... and the bar reaches over the whole radicand.
        assert float(sign[:, 0].max()) >= float(radicand[:, 0].max())
