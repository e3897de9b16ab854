"""The detector engine end to end with the shipped model, on real handwriting of held-out writers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mathocr.data.inkml import read_inkml
from mathocr.data.scenes import canvas_image, photo_image
from mathocr.detect.model import SymbolDetector, default_detector
from mathocr.detect.recognizer import DetectorRecognizer
from mathocr.errors import ImageError


@pytest.fixture(scope="module")
def reader() -> DetectorRecognizer:
    return DetectorRecognizer(default_detector())


def _dev_inks(crohme_dir, n):
    from mathocr.commands.evaluate_images import select_expressions

    return select_expressions(crohme_dir, n, dev=True)


def test_the_shipped_detector_matches_its_card():
    detector = SymbolDetector()
    assert detector.version == detector.card["version"]
    assert 0 < detector.threshold < 1
    assert detector.card["parameters"] <= 4_000_000 and detector.card["onnx_bytes"] <= 8_000_000


@pytest.mark.crohme
def test_real_handwriting_is_found_symbol_by_symbol(crohme_dir, reader):
    """Dev writers' canvases and photos: most symbols found where they are, in the original pixels."""
    from mathocr.data.evaluation import match_symbols

    inks = _dev_inks(crohme_dir, 6)
    matched = total = 0
    for i, ink in enumerate(inks):
        for image in (canvas_image(ink, i), photo_image(ink)):
            result = reader.recognize(image.data)
            assert result.model_version.startswith("detector-")
            assert result.image_size in ((1000, 400), (1600, 1200))
            width, height = result.image_size
            for s in result.symbols:
                x, y, w, h = s.box
                assert x >= 0 and y >= 0 and x + w <= width and y + h <= height
                assert 0.0 <= s.confidence <= 1.0
            found = [(s.label, s.box) for s in result.symbols]
            matched += len(match_symbols(found, list(image.boxes)))
            total += len(image.boxes)
    assert matched >= 0.7 * total


@pytest.mark.crohme
def test_white_on_dark_reads_like_dark_on_white(crohme_dir, reader):
    ink = read_inkml(next(p for p in sorted((crohme_dir / "valid").rglob("*.inkml"))))
    data = canvas_image(ink, 0).data
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    ok, inverted = cv2.imencode(".png", 255 - gray)
    assert ok
    a, b = reader.recognize(data), reader.recognize(inverted.tobytes())
    assert [s.label for s in a.symbols] == [s.label for s in b.symbols]


def test_a_blank_page_says_so(reader):
    ok, png = cv2.imencode(".png", np.full((300, 500), 250, np.uint8))
    result = reader.recognize(png.tobytes())
    assert result.symbols == () and result.error == "no handwriting found in the image"


def test_bad_input_raises_image_error(reader):
    with pytest.raises(ImageError):
        reader.recognize(b"not an image")


def test_debug_images_and_timings(reader):
    from .web.strokes import render_png

    result = reader.recognize(render_png("3+4"), debug=True)
    assert set(result.timings) >= {"load", "prepare", "detect", "interpret", "total"}
    assert result.debug is not None and result.debug.boxes.ndim == 3
