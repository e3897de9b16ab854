"""The detector's serving stages: preparation, decoding, ink fitting, calibration, the card."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from mathocr.detect.classes import DETECTOR_CLASSES, OTHER, class_index, detector_class
from mathocr.detect.decode import STRIDE, box_iou, decode
from mathocr.detect.model import InkFitter, calibrated
from mathocr.detect.prepare import MAX_SCALE, MULTIPLE, TARGET_HEIGHT, prepare


def _written(symbol_px: int = 60, pen: int = 5, light_on_dark: bool = False) -> np.ndarray:
    """ "1 + 7" drawn as three tall strokes groups on white (or inverted)."""
    img = np.full((300, 700), 255, np.uint8)
    x = 100
    for _ in range(3):
        cv2.line(img, (x, 100), (x, 100 + symbol_px), 0, pen)  # a "1"
        x += symbol_px
        cv2.line(img, (x, 100 + symbol_px // 2), (x + symbol_px // 2, 100 + symbol_px // 2), 0, pen)
        x += symbol_px
    return 255 - img if light_on_dark else img


def test_classes_map_crohme_spellings():
    assert detector_class("\\leq") == "\\le"
    assert detector_class("\\lt") == "<"
    assert detector_class("X") == "x"
    assert detector_class("\\alpha") == OTHER
    assert DETECTOR_CLASSES[class_index("\\sqrt")] == "\\sqrt"
    assert len(set(DETECTOR_CLASSES)) == len(DETECTOR_CLASSES) == 27


@pytest.mark.parametrize("symbol_px", [30, 60, 150])
def test_prepare_scales_the_typical_symbol_to_the_target(symbol_px):
    prepared = prepare(_written(symbol_px, pen=max(2, symbol_px // 12)))
    assert not prepared.empty
    h, w = prepared.image.shape
    assert h % MULTIPLE == 0 and w % MULTIPLE == 0
    rows = np.flatnonzero(prepared.ink.any(axis=1))
    # The "1"s are the tallest marks: their height is the typical height.
    assert abs((rows[-1] - rows[0] + 1) - TARGET_HEIGHT) <= 0.2 * TARGET_HEIGHT
    assert prepared.image.max() > 0.8 and prepared.image.min() == 0.0


def test_prepare_reports_the_scale_it_applied_even_when_clipped():
    """Tiny writing is enlarged at most MAX_SCALE times: its symbols are then under the target."""
    small = cv2.resize(_written(60, pen=5), (40, 17), interpolation=cv2.INTER_AREA)
    prepared = prepare(small)
    assert not prepared.empty
    assert prepared.scale == pytest.approx(MAX_SCALE, rel=0.05)
    assert prepared.symbol_height < 0.8 * TARGET_HEIGHT
    normal = prepare(_written(60, pen=5))
    assert normal.symbol_height == pytest.approx(TARGET_HEIGHT, rel=0.05)
    assert normal.scale == pytest.approx(TARGET_HEIGHT / normal.typical, rel=0.05)


def test_prepare_reads_light_on_dark_like_dark_on_light():
    a = prepare(_written())
    b = prepare(_written(light_on_dark=True))
    assert a.image.shape == b.image.shape
    assert np.mean(np.abs(a.image - b.image)) < 0.05


def test_prepare_of_blank_paper_is_empty():
    assert prepare(np.full((200, 300), 240, np.uint8)).empty


def test_prepare_rejects_colour_input():
    with pytest.raises(ValueError, match="2-D uint8"):
        prepare(np.zeros((10, 10, 3), np.uint8))


def test_to_working_inverts_the_preparation():
    gray = _written()
    prepared = prepare(gray)
    ys, xs = np.nonzero(prepared.ink)
    box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], float)
    x0, y0, x1, y1 = prepared.to_working(box)[0]
    ink_ys, ink_xs = np.nonzero(gray < 128)
    assert abs(x0 - ink_xs.min()) < 6 and abs(x1 - ink_xs.max()) < 6
    assert abs(y0 - ink_ys.min()) < 6 and abs(y1 - ink_ys.max()) < 6


_C = len(DETECTOR_CLASSES)


def _maps(peaks, classes=_C, h=20, w=40):
    heat = np.zeros((classes, h, w), np.float32)
    size = np.zeros((2 * classes, h, w), np.float32)
    offset = np.full((2 * classes, h, w), 0.5, np.float32)
    for k, y, x, score, bw, bh in peaks:
        heat[k, y, x] = score
        if x + 1 < w:
            heat[k, y, x + 1] = score * 0.6  # a shoulder, not a second peak
        size[2 * k : 2 * k + 2, y, x] = (np.log(bw), np.log(bh))
    return heat, size, offset


def test_decode_finds_peaks_with_their_boxes():
    heat, size, offset = _maps([(3, 5, 10, 0.9, 8, 8), (10, 5, 20, 0.7, 6, 6)])
    found = decode(heat, size, offset, threshold=0.3)
    assert [d.label for d in found] == [3, 10]
    x0, y0, x1, y1 = found[0].box
    assert (x0 + x1) / 2 == pytest.approx((10 + 0.5) * STRIDE)
    assert x1 - x0 == pytest.approx(8 * STRIDE, rel=1e-4)
    assert found[0].scores.shape == (len(DETECTOR_CLASSES),)


def test_decode_keeps_a_root_and_its_radicand_on_one_centre():
    root, two = class_index("\\sqrt"), class_index("2")
    heat, size, offset = _maps([(two, 5, 10, 0.8, 6, 8), (root, 5, 10, 0.9, 14, 10)])
    labels = sorted(d.label for d in decode(heat, size, offset))
    assert labels == sorted([root, two])


def test_decode_merges_one_symbol_read_as_two_classes():
    x, times = class_index("x"), class_index("\\times")
    heat, size, offset = _maps([(x, 5, 10, 0.8, 8, 8), (times, 5, 10, 0.5, 8, 8)])
    found = decode(heat, size, offset)
    assert [d.label for d in found] == [x]
    assert found[0].scores[times] == pytest.approx(0.5)


def test_decode_reads_each_class_its_own_size():
    root, two = class_index("\\sqrt"), class_index("2")
    heat, size, offset = _maps([(root, 5, 10, 0.9, 14, 10), (two, 5, 10, 0.8, 4, 6)])
    found = {d.label: d.box for d in decode(heat, size, offset)}
    assert found[root][2] - found[root][0] == pytest.approx(14 * STRIDE, rel=1e-4)
    assert found[two][2] - found[two][0] == pytest.approx(4 * STRIDE, rel=1e-4)


def test_decode_threshold():
    heat, size, offset = _maps([(1, 5, 10, 0.25, 8, 8)])
    assert decode(heat, size, offset, threshold=0.3) == []
    assert len(decode(heat, size, offset, threshold=0.2)) == 1


def test_box_iou():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    assert box_iou(a, b)[0] == pytest.approx([1.0, 1 / 3, 0.0])


def test_ink_fitting_tightens_and_leaves_boxes_over_no_ink():
    ink = np.zeros((50, 50), bool)
    ink[10:20, 12:18] = True
    assert InkFitter(ink).fit([(8, 8, 25, 25), (30, 30, 40, 40)]) == [
        (12, 10, 18, 20),
        (30, 30, 40, 40),
    ]


def test_a_box_too_wide_leaves_its_neighbours_ink_to_the_neighbour():
    # A "+" then a root over a digit; the root's box was predicted reaching over the "+".
    ink = np.zeros((60, 120), bool)
    ink[25:35, 10:30] = True  # the "+" (a blob will do)
    ink[10:50, 40:43] = True  # the root's stroke: down...
    ink[10:13, 40:110] = True  # ...and its bar
    ink[20:45, 60:70] = True  # the radicand
    plus, root, digit = InkFitter(ink).fit([(8, 24, 31, 36), (5, 8, 112, 52), (59, 19, 71, 46)])
    assert plus == (10, 25, 30, 35)
    assert root == (40, 10, 110, 50)  # its own stroke only: not the "+", and the digit is inside
    assert digit == (60, 20, 70, 45)


def test_a_box_too_short_grows_to_the_whole_stroke_it_mostly_holds():
    ink = np.zeros((40, 200), bool)
    ink[20:23, 10:190] = True  # a long fraction bar
    (bar,) = InkFitter(ink).fit([(40, 18, 180, 25)])  # holds 140 of its 180 columns
    assert bar == (10, 20, 190, 23)


def test_a_stroke_joining_two_symbols_is_cut_at_each_box():
    ink = np.zeros((40, 100), bool)
    ink[10:30, 10:60] = True  # two symbols written in one stroke
    left, right = InkFitter(ink).fit([(10, 10, 30, 30), (30, 10, 60, 30)])
    assert left[0] == 10 and left[2] <= 33
    assert right[0] >= 28 and right[2] == 60


def test_calibration_is_monotone_and_identity_by_default():
    s = np.array([0.1, 0.5, 0.9])
    assert calibrated(s, 1.0, 0.0) == pytest.approx(s)
    out = calibrated(s, 2.0, -0.5)
    assert np.all(np.diff(out) > 0)


def test_detector_refuses_a_card_for_another_file(tmp_path):
    from mathocr.detect.model import CARD_NAME, SymbolDetector
    from mathocr.errors import ModelError

    (tmp_path / "detector.onnx").write_bytes(b"not a model")
    card = {"card_format": 1, "file": "other.onnx", "version": "v", "classes": []}
    (tmp_path / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="other.onnx"):
        SymbolDetector(tmp_path / "detector.onnx")


def test_ink_no_box_explains_is_reported_when_it_is_symbol_sized():
    ink = np.zeros((60, 200), bool)
    ink[10:50, 10:14] = True  # a stroke the detector found
    ink[10:50, 100:104] = True  # one it missed, 40 px tall
    ink[30:33, 150:153] = True  # a speck
    ink[10:50, 170:174] = True  # a stroke a box holds a third of
    fitter = InkFitter(ink)
    fitter.fit([(8, 8, 16, 52), (168, 8, 176, 24)])
    (missed,) = fitter.unexplained(min_side=20)
    assert missed.box == (100, 10, 104, 50)
    assert missed.ink.shape == (40, 4) and missed.ink.all()
