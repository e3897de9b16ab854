"""Stages 1–2: loading, binarizing and deskewing images the tests draw themselves."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mathocr.data.render import draw_strokes
from mathocr.errors import ImageError, ImageTooLargeError
from mathocr.imaging import (
    WORK_MAX_PIXELS,
    WORK_MAX_SIDE,
    binarize,
    deskew,
    estimate_pen_width,
    estimate_skew,
    load_image,
)
from mathocr.imaging.binarize import _drawing_background, _light_on_dark
from mathocr.imaging.paper import ruling
from tests.pngs import png_claiming


def _strokes() -> list[np.ndarray]:
    """A hand-made "1 + 2 = 3"-like line of strokes, in arbitrary units."""
    return [
        np.array([[10, 10], [14, 60]], float),  # 1
        np.array([[30, 35], [60, 36]], float),  # + bar
        np.array([[45, 20], [46, 52]], float),  # + stem
        np.array([[75, 20], [90, 12], [104, 22], [78, 60], [108, 58]], float),  # 2
        np.array([[122, 30], [150, 31]], float),  # = top
        np.array([[122, 44], [150, 45]], float),  # = bottom
        np.array([[165, 15], [190, 18], [172, 35], [192, 45], [166, 60]], float),  # 3
    ]


def _drawing(pen: int = 5, scale: float = 2.0) -> np.ndarray:
    return draw_strokes(_strokes(), scale=scale, pen=pen, padding=30, antialias=True)


def _encode(array: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt, **kw)
    return buf.getvalue()


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    return float((a & b).sum() / max((a | b).sum(), 1))


# --------------------------------------------------------------------------- loading


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF"])
def test_every_supported_format_loads_to_the_same_gray(fmt):
    image = _drawing()
    loaded = load_image(_encode(image, fmt))
    assert loaded.gray.shape == image.shape
    assert loaded.size == (image.shape[1], image.shape[0])
    assert loaded.scale == 1.0
    # Lossy formats move values a little, never the drawing.
    assert np.abs(loaded.gray.astype(int) - image.astype(int)).mean() < 4


def test_path_bytes_pil_and_array_agree(tmp_path):
    image = _drawing()
    path = tmp_path / "drawing.png"
    path.write_bytes(_encode(image, "PNG"))
    grays = [
        load_image(path).gray,
        load_image(str(path)).gray,
        load_image(path.read_bytes()).gray,
        load_image(Image.open(path)).gray,
        load_image(image).gray,
        load_image(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)).gray,
    ]
    for gray in grays[1:]:
        assert np.array_equal(gray, grays[0])


def test_transparent_canvas_export_becomes_ink_on_white():
    image = _drawing()
    rgba = np.zeros((*image.shape, 4), np.uint8)
    rgba[:, :, 3] = 255 - image  # black strokes on transparency, as a canvas exports
    gray = load_image(_encode(rgba, "PNG")).gray
    assert gray[0, 0] == 255
    assert np.abs(gray.astype(int) - image.astype(int)).max() <= 1


def _with_orientation(image: np.ndarray, orientation: int) -> bytes:
    pil = Image.fromarray(image)
    exif = pil.getexif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", exif=exif.tobytes(), quality=95)
    return buf.getvalue()


def test_exif_orientation_is_honoured():
    # A bar along the top of a wide image, stored sideways with orientation 6
    # ("rotate 90° clockwise to display").
    upright = np.full((100, 300), 255, np.uint8)
    upright[5:15, 20:280] = 0
    stored = np.ascontiguousarray(np.rot90(upright, k=1))  # 300 high, 100 wide
    loaded = load_image(_with_orientation(stored, 6))
    assert loaded.size == (300, 100)
    assert loaded.gray.shape == (100, 300)
    assert loaded.gray[10, 150] < 80
    assert loaded.gray[90, 150] > 200


def test_large_images_shrink_to_the_working_resolution():
    big = np.full((3000, 4000), 255, np.uint8)
    cv2.putText(big, "2+3", (500, 2000), cv2.FONT_HERSHEY_SIMPLEX, 40, 0, 60)
    loaded = load_image(_encode(big, "JPEG", quality=80))
    h, w = loaded.gray.shape
    assert max(h, w) <= WORK_MAX_SIDE
    assert h * w <= WORK_MAX_PIXELS * 1.01
    assert loaded.size == (4000, 3000)
    assert loaded.scale == pytest.approx(w / 4000)
    assert loaded.gray.min() < 50  # the writing survived


def test_a_large_photo_is_decoded_at_reduced_size_and_stays_upright(monkeypatch):
    # A 4000x3000 photo stored sideways (orientation 6), a bar along its top:
    # libjpeg decodes it at half size, and the turn is applied after.
    from PIL import JpegImagePlugin

    upright = np.full((3000, 4000), 255, np.uint8)
    upright[100:300, 400:3600] = 0
    stored = np.ascontiguousarray(np.rot90(upright, k=1))
    decoded = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        found = draft(self, mode, size)
        decoded.append(self.size)
        return found

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    loaded = load_image(_with_orientation(stored, 6))
    assert decoded == [(1500, 2000)]  # stored sideways, at half size
    assert loaded.size == (4000, 3000)
    h, w = loaded.gray.shape
    assert w > h and h * w <= WORK_MAX_PIXELS * 1.01
    assert loaded.scale == pytest.approx(w / 4000)
    bar_y, mid_x = round(200 * loaded.scale), w // 2
    assert loaded.gray[bar_y, mid_x] < 80
    assert loaded.gray[h - bar_y, mid_x] > 200


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageTooLargeError, match="bomb|limit"):
        load_image(png_claiming(100_000, 100_000))


def test_an_image_over_the_pixel_limit_is_refused():
    with pytest.raises(ImageTooLargeError, match="limit"):
        load_image(png_claiming(9000, 9000))
    with pytest.raises(ImageTooLargeError):
        load_image(np.zeros((100, 100), np.uint8), max_pixels=5000)


def test_a_file_over_the_byte_limit_is_refused(tmp_path):
    data = _encode(_drawing(), "PNG")
    with pytest.raises(ImageTooLargeError, match="bytes"):
        load_image(data, max_bytes=100)
    path = tmp_path / "big.png"
    path.write_bytes(data)
    with pytest.raises(ImageTooLargeError, match="bytes"):
        load_image(path, max_bytes=100)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"hello, this is not an image at all", "supported format"),
        (png_claiming(10, 10)[:30], "decode"),
    ],
)
def test_bad_bytes_raise_image_error(data, message):
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_truncated_jpeg_raises_image_error():
    data = _encode(_drawing(), "JPEG")
    with pytest.raises(ImageError):
        load_image(data[: len(data) // 3])


def test_unsupported_format_is_named():
    buf = io.BytesIO()
    Image.fromarray(_drawing()).save(buf, format="GIF")
    with pytest.raises(ImageError, match="PNG, JPEG"):
        load_image(buf.getvalue())


def test_bad_sources_raise_image_error(tmp_path):
    with pytest.raises(ImageError, match="directory"):
        load_image(tmp_path)
    with pytest.raises(ImageError, match="cannot read"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="int"):
        load_image(42)
    with pytest.raises(ImageError, match="shape|must be"):
        load_image(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ImageError, match="no pixels"):
        load_image(np.zeros((0, 10), np.uint8))
    with pytest.raises(ImageError, match="NaN"):
        load_image(np.full((4, 4), np.nan))


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(
        [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP", b"BM", b"II*\x00"]
    ),
    body=st.binary(max_size=600),
)
def test_random_bytes_only_ever_raise_image_error(prefix, body):
    try:
        loaded = load_image(prefix + body)
    except ImageError:
        return
    assert loaded.gray.dtype == np.uint8  # a valid tiny image is fine too


# --------------------------------------------------------------------------- binarizing


def test_clean_drawing_binarizes_to_its_ink():
    image = _drawing(pen=5)
    ink = binarize(image)
    assert not ink.inverted
    assert _iou(ink.binary, image < 128) > 0.85
    assert 3.5 <= ink.pen_width <= 7.0


def test_white_on_dark_is_detected_and_gives_the_same_ink():
    image = _drawing()
    normal = binarize(image)
    flipped = binarize(255 - image)
    assert flipped.inverted and not normal.inverted
    assert _iou(flipped.binary, normal.binary) > 0.95


def _faint_in_shadow(image: np.ndarray) -> np.ndarray:
    """A thin, faint pen (a third of the paper's brightness) on a page mostly in deep shadow."""
    ink = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_AREA) < 128
    ink = cv2.erode(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # a thinner pen
    h, w = ink.shape
    yy, xx = np.mgrid[0:h, 0:w]
    paper = np.where(yy > 0.15 * h, 90.0, 200.0)  # lit along the top, the rest in shadow
    paper = cv2.GaussianBlur(paper, (0, 0), 20)
    page = np.where(ink, 0.7 * paper, paper)
    return np.clip(cv2.GaussianBlur(page, (0, 0), 1.0), 0, 255).astype(np.uint8)


def test_faint_ink_in_a_shadow_is_dark_ink_and_its_negative_light_ink():
    # The page is mostly dark (the shadow), and the ink too faint to stand
    # out from its local median by a fixed margin: the polarity must come
    # from the strokes, not from the page's brightness.
    page = _faint_in_shadow(_drawing())
    normal, flipped = binarize(page), binarize(255 - page)
    assert not normal.inverted and flipped.inverted
    assert normal.binary.any() and _iou(flipped.binary, normal.binary) > 0.8


def test_faint_rules_under_dark_writing_are_not_ink():
    # A notebook's printed rules, lighter than the pen but darker than the
    # threshold between ink and paper: pieces nowhere near the ink's darkness.
    image = _drawing()
    ink = image < 128
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    rules = np.zeros_like(ink)
    for y in range(10, ink.shape[0], 23):
        for x in range(0, ink.shape[1], 25):
            rules[y : y + 3, x : x + 15] = True  # binarized in dashes
    page = np.where(ink, 20, np.where(rules & ~near_ink, 120, 235)).astype(np.uint8)
    found = binarize(page).binary > 0
    assert (found & ~near_ink).sum() <= 0.01 * found.sum()
    assert _iou(found, ink) > 0.8


def _pencil(image: np.ndarray, contrast: float, seed: int = 0) -> np.ndarray:
    """The drawing as pencil on clean paper: ink only *contrast* darker, and a fine grain."""
    rng = np.random.default_rng(seed)
    darkness = (255.0 - image.astype(np.float32)) / 255.0
    page = 235.0 * (1.0 - contrast * darkness) + rng.normal(0, 1.5, image.shape)
    return np.clip(page, 0, 255).astype(np.uint8)


def test_pencil_fainter_than_min_contrast_is_found_on_clean_paper():
    # 12% darker than the paper: under the fixed 22% contrast, but some twenty
    # times the paper's grain.
    image = _drawing(pen=5)
    found = binarize(_pencil(image, 0.12))
    assert _iou(found.binary, image < 128) > 0.75
    n_clean, _ = cv2.connectedComponents((image < 128).astype(np.uint8))
    n_found, _ = cv2.connectedComponents(found.binary)
    assert n_found == n_clean


def test_a_blank_page_with_fine_grain_has_no_ink():
    page = _pencil(np.full((300, 400), 255, np.uint8), 0.12, seed=3)
    assert binarize(page).binary.sum() == 0


def test_printed_rules_as_faint_as_pencil_are_not_taken_for_ink():
    # Faint ink is let in only while nothing as faint runs out of the region in
    # a straight line: a notebook's rules would come in with it.
    image = _drawing(pen=5)
    ink = image < 128
    page = _pencil(image, 0.12).astype(np.float32)
    h, w = ink.shape
    rules = np.zeros((h, w), np.uint8)
    for y in range(12, h, 40):
        cv2.line(rules, (0, y), (w - 1, y + 6), 1, 2)
    page = np.where(rules > 0, 0.88 * page, page).astype(np.uint8)
    found = binarize(page).binary > 0
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    on_rules = (rules > 0) & ~near_ink
    assert (found & on_rules).sum() <= 0.01 * on_rules.sum()


@pytest.mark.parametrize("drop, first", [(10, 8), (53, 8 - 2 * 45)])
def test_dark_printed_rules_are_erased_and_the_writing_kept(drop, first):
    # Rules nearly as dark as ink, under the writing and through it, and a margin
    # line. Dropping 53 px over the page (5 degrees), some rules leave it through
    # its corners, too short there for the Hough transform: they are found at the
    # ruling's spacing. There the bars of the = lie along a rule for most of
    # their length, and are told from it by their darker ink.
    image = _drawing(pen=5, scale=3.0)
    ink = image < 128
    h, w = ink.shape
    rules = np.zeros((h, w), np.uint8)
    for y in range(first, h, 45):
        cv2.line(rules, (0, y), (w - 1, y + drop), 1, 3)
    cv2.line(rules, (8, 0), (10, h - 1), 1, 3)
    page = np.where(ink, 20, np.where(rules > 0, 110, 235)).astype(np.float32)
    page = cv2.GaussianBlur(page, (0, 0), 1.0)
    found = binarize(np.clip(page, 0, 255).astype(np.uint8)).binary > 0
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    on_rules = (rules > 0) & ~near_ink
    assert (found & on_rules).sum() <= 0.01 * on_rules.sum()
    assert _iou(found, ink) > 0.7


def test_a_decimal_point_on_a_dark_rule_is_kept():
    # A dot written on a rule lies on it whole, as the rule's leftovers do; it is
    # darker than the print and round, where those are dashes along the rule.
    image = _drawing(pen=5, scale=3.0)
    ink = image < 128
    h, w = ink.shape
    rules = np.zeros((h, w), np.uint8)
    for y in range(8, h, 45):
        cv2.line(rules, (0, y), (w - 1, y + 10), 1, 3)
    dot = np.zeros((h, w), np.uint8)
    x = w - 14
    cv2.circle(dot, (x, 98 + round(10 * x / (w - 1))), 4, 1, -1)
    ink = ink | (dot > 0)
    page = np.where(ink, 20, np.where(rules > 0, 110, 235)).astype(np.float32)
    page = cv2.GaussianBlur(page, (0, 0), 1.0)
    found = binarize(np.clip(page, 0, 255).astype(np.uint8)).binary > 0
    assert found[dot > 0].mean() > 0.8


def test_a_ruling_takes_its_margin_line_even_where_writing_broke_it():
    h, w = 1000, 1400
    rules = [[0, y, w - 1, y + 12] for y in (100, 160, 220, 280)]
    margin_broken = [120, 0, 124, 600]  # from the top edge, 60% of the height
    across_rules = [0, 300, w - 1, 420]  # across the page, 4 degrees off the rules
    slanting = [100, 0, 939, h - 1]  # top to bottom at 50 degrees
    lines = np.array([*rules, margin_broken, across_rules, slanting], np.int32)
    kept = {tuple(line) for line in ruling(lines, (h, w)).tolist()}
    assert kept == {*map(tuple, rules), tuple(margin_broken)}
    # Without three long parallel lines there is no ruling at all.
    assert len(ruling(lines[[0, 1, 4, 5, 6]], (h, w))) == 0


def test_long_bars_of_a_drawing_are_not_taken_for_rules():
    # Three parallel bars reaching the frame's edge, but not across most of it.
    image = _drawing(pen=5, scale=3.0)
    h, w = image.shape
    for y in (8, 20, h - 10):
        cv2.line(image, (0, y), (int(0.55 * w), y), 0, 5)
    found = binarize(image).binary > 0
    assert _iou(found, image < 128) > 0.85


def test_grey_and_coloured_paper():
    image = _drawing()
    ink = image < 128
    grey = np.where(ink, 60, 150).astype(np.uint8)
    assert _iou(binarize(grey).binary, ink) > 0.8
    bgr = np.zeros((*image.shape, 3), np.uint8)
    bgr[:] = (120, 200, 230)  # yellow pad
    bgr[ink] = (120, 40, 20)  # blue pen
    assert _iou(binarize(load_image(bgr).gray).binary, ink) > 0.8


def _photo_like(image: np.ndarray, seed: int = 0) -> np.ndarray:
    """Uneven light, a hard-edged shadow over half the page, blur and noise."""
    rng = np.random.default_rng(seed)
    h, w = image.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gain = 0.95 - 0.3 * xx / w
    gain = np.where(xx + 0.5 * yy > 0.55 * w, gain * 0.5, gain)  # the shadow
    gain = cv2.GaussianBlur(gain, (0, 0), 3)
    page = 0.9 * image.astype(np.float32) + 20  # ink is not black, paper not white
    page = cv2.GaussianBlur(page * gain, (0, 0), 1.0)
    page += rng.normal(0, 5, page.shape)
    return np.clip(page, 0, 255).astype(np.uint8)


def test_a_shadowed_photo_binarizes_cleanly():
    image = _drawing(pen=5, scale=3.0)
    clean = image < 128
    ink = binarize(_photo_like(image))
    assert _iou(ink.binary, clean) > 0.75
    # No shadow edge and no noise made into ink: the same pieces as the drawing.
    n_clean, _ = cv2.connectedComponents(clean.astype(np.uint8))
    n_photo, _ = cv2.connectedComponents(ink.binary)
    assert n_photo == n_clean


def _page_on_desk(image: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The drawing on a lit page lying askew on a dark, grainy desk; also the ink's mask."""
    rng = np.random.default_rng(seed)
    h, w = image.shape
    frame_h, frame_w = int(1.6 * h), int(1.6 * w)
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 5.0, 1.0)
    turn[:, 2] += ((frame_w - w) / 2, (frame_h - h) / 2)
    page = cv2.warpAffine(0.8 * image.astype(np.float32) + 30, turn, (frame_w, frame_h))
    on_page = cv2.warpAffine(np.ones((h, w), np.float32), turn, (frame_w, frame_h))
    ink = cv2.warpAffine((image < 128).astype(np.uint8), turn, (frame_w, frame_h)) > 0
    desk = 60.0 + rng.normal(0, 6, (frame_h, frame_w))
    photo = on_page * page + (1 - on_page) * desk
    photo = cv2.GaussianBlur(photo, (0, 0), 1.0) + rng.normal(0, 2, photo.shape)
    return np.clip(photo, 0, 255).astype(np.uint8), ink


@pytest.mark.parametrize("margin", [40, 8])
def test_a_page_on_a_dark_desk_gives_its_writing_and_not_its_edges(margin):
    # The desk is the darker part of the frame; neither it nor the page's edge is
    # ink. With writing close to the page's edge, the region searched for ink
    # cuts a thin strip off the desk.
    drawing = _drawing(pen=5, scale=3.0)
    ys, xs = np.nonzero(drawing < 128)
    page = np.full((np.ptp(ys) + 1 + 2 * margin, np.ptp(xs) + 1 + 2 * margin), 255, np.uint8)
    page[margin:-margin, margin:-margin] = drawing[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    photo, ink = _page_on_desk(page)
    found = binarize(photo)
    assert not found.inverted
    assert _iou(found.binary, ink) > 0.7
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    assert (found.binary.astype(bool) & ~near_ink).sum() <= 0.01 * ink.sum()


def test_a_page_half_in_shadow_on_a_smooth_desk_is_no_drawing():
    # The frame is an even desk, and only the page's lit band stands out
    # from it by much: the shadowed rest is a little lighter than the desk.
    # The ink on the page is dark, and a drawing's rule would take it for light.
    rng = np.random.default_rng(5)
    page = np.full((240, 320), 83.0)
    page[30:215, 40:290] = 115.0  # the page in shadow
    page[30:85, 40:290] = 180.0  # its lit band
    page[50:54, 60:260] = 60.0  # writing across the lit band
    page[55:110, 100:104] = 60.0
    page += rng.normal(0, 1.0, page.shape)
    gray = np.clip(page, 0, 255).astype(np.uint8)
    assert _drawing_background(gray) is None
    assert not _light_on_dark(gray)


def test_a_strip_of_desk_along_the_frame_is_not_ink():
    # The photo's edge cuts the desk to a strip narrower than a pen stroke is
    # allowed to be wide: it is still desk, not a stroke on the paper.
    image = _drawing(pen=5, scale=3.0).astype(np.float32) * 0.8 + 30
    image[:, :6] = 60.0
    rng = np.random.default_rng(2)
    photo = np.clip(image + rng.normal(0, 2, image.shape), 0, 255).astype(np.uint8)
    found = binarize(photo)
    assert not found.inverted
    assert found.binary[:, :12].sum() == 0
    assert _iou(found.binary, _drawing(pen=5, scale=3.0) < 128) > 0.7


@pytest.mark.parametrize(("scale", "pen"), [(0.6, 10), (0.8, 14), (1.2, 8)])
def test_a_fat_brush_on_a_dark_canvas_is_light_ink(scale, pen):
    # Small and fat: the gaps between strokes are as thin as the strokes, but the
    # canvas's flat frame says which is the background.
    image = draw_strokes(_strokes(), scale=scale, pen=pen, padding=12, antialias=True)
    assert not binarize(image).inverted
    assert binarize(255 - image).inverted


def _blurred_loops(centre: int) -> np.ndarray:
    """A narrow 8 of a thick pen as a photo shows it: two small loops, their eyes
    filled in by the blur to *centre* (ink 50, paper 240), beside a plain thick stroke."""
    page = np.full((120, 140), 240.0, np.float32)
    for cy in (35, 75):
        cv2.circle(page, (40, cy), 16, 50.0, thickness=-1)  # a loop whose eye filled in
        cv2.circle(page, (40, cy), 3, float(centre), thickness=-1)  # the eye's lighter trace
    cv2.line(page, (100, 20), (100, 100), 50.0, thickness=14)
    return np.clip(cv2.GaussianBlur(page, (0, 0), 1.0), 0, 255).astype(np.uint8)


def _holes(binary: np.ndarray) -> int:
    """Pieces of paper enclosed by ink."""
    count, _ = cv2.connectedComponents((binary == 0).astype(np.uint8), connectivity=4)
    return count - 2  # minus the ink's label and the paper around


def test_loops_that_blur_filled_in_are_opened_again():
    # The eyes are lighter than the ink around them but still under the
    # threshold between ink and paper: the threshold alone fills them.
    page = _blurred_loops(centre=110)
    found = binarize(page).binary
    assert (page < 145).sum() > 0 and found[75, 40] == 0 and found[35, 40] == 0
    assert _holes(found) == 2
    # The plain stroke's lighter edges touch the paper and keep their ink.
    assert found[20:100, 95:106].all()


def test_a_filled_loop_with_a_pinhole_of_paper_is_opened_whole():
    # A canvas drawing: the thick pen left a pinhole of paper (2x2) in each
    # loop's eye; the blur rings it with lighter ink, which opens with it.
    page = _blurred_loops(centre=50)
    page[34:36, 39:41] = page[74:76, 39:41] = 255
    found = binarize(page).binary
    assert _holes(found) == 2
    assert (found[31:39, 36:44] == 0).sum() >= 12  # the pinhole alone is 4 pixels


def test_ink_of_one_darkness_keeps_no_false_holes():
    found = binarize(_blurred_loops(centre=50)).binary
    assert _holes(found) == 0
    assert found[35, 40] == 1 and found[75, 40] == 1


def test_a_blank_noisy_page_has_no_ink():
    rng = np.random.default_rng(1)
    page = np.clip(rng.normal(200, 6, (300, 400)), 0, 255).astype(np.uint8)
    ink = binarize(page)
    assert ink.binary.sum() == 0
    assert ink.pen_width == 0.0


def test_binarize_rejects_non_gray_input():
    with pytest.raises(ValueError, match="2-D uint8"):
        binarize(np.zeros((4, 4, 3), np.uint8))


def test_pen_width_estimate_follows_the_pen():
    for pen in (3, 6, 10):
        binary = (draw_strokes(_strokes(), scale=3.0, pen=pen, padding=20) < 128).astype(np.uint8)
        assert pen * 0.7 <= estimate_pen_width(binary) <= pen * 1.3 + 1


# --------------------------------------------------------------------------- deskewing


def _rotated(binary: np.ndarray, angle: float) -> np.ndarray:
    h, w = binary.shape
    pad = np.zeros((h + 200, w + 200), np.uint8)
    pad[100 : 100 + h, 100 : 100 + w] = binary
    matrix = cv2.getRotationMatrix2D(((w + 200) / 2, (h + 200) / 2), angle, 1.0)
    return cv2.warpAffine(pad, matrix, (w + 200, h + 200), flags=cv2.INTER_NEAREST)


@pytest.mark.parametrize("angle", [-5.0, 3.0, 6.0])
def test_skew_of_a_tilted_line_is_measured_and_undone(angle):
    strokes = _strokes() + [s + (200, 0) for s in _strokes()]
    binary = (draw_strokes(strokes, scale=2.0, pen=4, padding=20) < 128).astype(np.uint8)
    tilted = _rotated(binary, angle)
    assert estimate_skew(tilted) == pytest.approx(angle, abs=1.0)
    straight = deskew(tilted, pen_width=4)
    assert straight.angle == pytest.approx(-angle, abs=1.0)
    assert abs(estimate_skew(straight.binary)) <= 1.0


def test_deskew_crops_to_the_ink_and_maps_points_back():
    binary = np.zeros((400, 600), np.uint8)
    binary[200:240, 300:304] = 1
    binary[220:224, 320:360] = 1
    out = deskew(binary, pen_width=4)
    assert out.angle == 0.0
    assert out.binary.shape[0] < 100 and out.binary.shape[1] < 100
    ys, xs = np.nonzero(out.binary)
    back = out.to_input(np.stack([xs, ys], axis=1))
    assert binary[back[:, 1].astype(int), back[:, 0].astype(int)].all()


def test_deskew_of_an_empty_image_is_the_identity():
    binary = np.zeros((50, 80), np.uint8)
    out = deskew(binary)
    assert out.binary.shape == (50, 80)
    assert out.angle == 0.0
