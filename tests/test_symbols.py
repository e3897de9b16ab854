import cv2
import numpy as np
import pytest
from skimage.morphology import thin

from mathocr.symbols import BOX, CLASSES, MARGIN, crohme_to_class, normalize_symbol


def test_there_are_22_distinct_classes():
    # The issue lists these 21 labels (its "22" counted CROHME's X, which maps to x).
    assert len(CLASSES) == 21
    assert len(set(CLASSES)) == len(CLASSES)


def test_crohme_labels_map_to_classes():
    assert crohme_to_class("X") == "x"
    assert crohme_to_class("x") == "x"
    assert crohme_to_class("\\times") == "\\times"
    assert crohme_to_class(" 7 ") == "7"
    assert crohme_to_class("\\alpha") is None
    assert crohme_to_class("y") is None


def _thick_ring(h: int, w: int, pen: int) -> np.ndarray:
    import cv2

    m = np.zeros((h + 20, w + 20), np.uint8)
    cv2.ellipse(m, ((w + 20) // 2, (h + 20) // 2), (w // 2, h // 2), 0, 0, 360, 1, pen)
    return m.astype(bool)


@pytest.mark.parametrize("h,w", [(200, 120), (30, 18), (12, 60)])
def test_output_is_box_sized_binary_and_centred(h, w):
    out = normalize_symbol(_thick_ring(h, w, 5))
    assert out.shape == (BOX, BOX)
    assert out.dtype == np.uint8
    assert set(np.unique(out)) <= {0, 1}
    ys, xs = np.nonzero(out)
    # Longer side fills the inner box; the ink is centred within a pixel.
    long_side = max(np.ptp(ys), np.ptp(xs)) + 1
    assert BOX - 2 * MARGIN - 3 <= long_side <= BOX - 2 * MARGIN
    assert abs((ys.min() + ys.max()) / 2 - (BOX - 1) / 2) <= 1
    assert abs((xs.min() + xs.max()) / 2 - (BOX - 1) / 2) <= 1


def test_aspect_ratio_is_kept():
    tall = normalize_symbol(_thick_ring(200, 100, 6))
    ys, xs = np.nonzero(tall)
    ratio = (np.ptp(ys) + 1) / (np.ptp(xs) + 1)
    assert 1.6 <= ratio <= 2.4


def test_strokes_are_one_pixel_wide():
    out = normalize_symbol(_thick_ring(150, 150, 12)).astype(bool)
    # Thinning an already thin result changes nothing.
    assert np.array_equal(thin(out), out)
    # No 2x2 block fully inked.
    blocks = out[:-1, :-1] & out[1:, :-1] & out[:-1, 1:] & out[1:, 1:]
    assert not blocks.any()


def test_thin_strokes_of_a_large_symbol_survive_shrinking():
    m = np.zeros((400, 400), bool)
    m[10:390, 198:201] = True  # a 3-px line, shrunk more than 10 times
    out = normalize_symbol(m)
    ys, xs = np.nonzero(out)
    assert np.ptp(ys) + 1 >= BOX - 2 * MARGIN - 1


def test_pen_width_does_not_change_the_result_much():
    a = normalize_symbol(_thick_ring(120, 80, 3)).astype(bool)
    b = normalize_symbol(_thick_ring(120, 80, 9)).astype(bool)
    # Same shape up to a pixel or so of jitter.
    from scipy.ndimage import binary_dilation

    assert (a & ~binary_dilation(b, iterations=2)).sum() <= 3


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="no ink"):
        normalize_symbol(np.zeros((10, 10), bool))
    with pytest.raises(ValueError, match="2-D"):
        normalize_symbol(np.zeros((2, 10, 10), bool))


def test_a_very_long_thin_symbol_keeps_its_length():
    # A root drawn across a whole line with a thin pen: shrunk about 20-fold.
    import cv2

    m = np.zeros((180, 540), np.uint8)
    pts = np.array([[0, 120], [25, 178], [60, 2], [539, 2]], np.int32)
    cv2.polylines(m, [pts], False, 1, 2)
    cv2.circle(m, (25, 172), 6, 1, -1)  # where the pen rested: the only dense spot
    out = normalize_symbol(m)
    ys, xs = np.nonzero(out)
    # A fixed coverage cut-off left a single dot here.
    assert np.ptp(xs) + 1 >= 20
    assert out.sum() >= 20


def test_fast_thinning_is_scikit_images_thin_pixel_for_pixel():
    import cv2
    from skimage.morphology import thin

    from mathocr.symbols import thin_strokes

    rng = np.random.default_rng(7)
    for k in range(400):
        h, w = (int(v) for v in rng.integers(1, 48, 2))
        image = rng.random((h, w)) < rng.uniform(0.2, 0.9)
        if k % 2:
            image = cv2.dilate(image.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        assert np.array_equal(thin_strokes(image), thin(image)), (h, w)


def test_the_thinning_tables_are_scikit_images():
    """The tables computed from Guo and Hall's conditions are the ones ``thin`` uses."""
    from skimage.morphology._skeletonize import G123_LUT, G123P_LUT

    from mathocr.symbols import _deletable_tables

    first, second = _deletable_tables()
    assert np.array_equal(first, np.asarray(G123_LUT, bool))
    assert np.array_equal(second, np.asarray(G123P_LUT, bool))


def test_reading_an_image_needs_neither_scikit_image_nor_scipy(tmp_path):
    """Each serving process would carry about 40 MB of them (issue 23's memory target)."""
    import subprocess
    import sys

    image = np.full((120, 300), 255, np.uint8)
    cv2.putText(image, "12+3", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 5)
    cv2.imwrite(str(tmp_path / "sum.png"), image)
    code = (
        "import sys\n"
        "from mathocr.detect.recognizer import default_recognizer\n"
        f"default_recognizer().recognize({str(tmp_path / 'sum.png')!r}, debug=True)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('skimage', 'scipy')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _random_inks(seed: int, n: int, most: int) -> list[np.ndarray]:
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        h, w = (int(v) for v in rng.integers(1, most, 2))
        image = rng.random((h, w)) < rng.uniform(0.05, 0.9)
        if k % 2:
            image = cv2.dilate(image.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        if image.any():
            out.append(image)
    return out


def test_thinning_images_side_by_side_thins_each_as_alone():
    from mathocr.symbols import _thin_many, thin_strokes

    images = _random_inks(11, 120, 40)
    together = _thin_many(images)
    assert len(together) == len(images)
    for image, thinned in zip(images, together, strict=True):
        assert np.array_equal(thinned, thin_strokes(image))
        assert np.array_equal(thinned, thin(image))


def test_a_batch_is_normalized_exactly_as_each_symbol_alone():
    from mathocr.symbols import _holes, _scaled, normalize_symbols, thin_strokes

    # Symbol-like masks of all sizes, from specks to a long thin bar.
    masks = _random_inks(12, 60, 300)
    bar = np.zeros((8, 600), bool)
    bar[3:5, :] = True
    masks += [np.ones((1, 1), bool), bar]
    batch = normalize_symbols(masks)
    assert batch.shape == (len(masks), BOX, BOX) and batch.dtype == np.uint8
    for mask, image in zip(masks, batch, strict=True):
        assert np.array_equal(image, normalize_symbol(mask))
        # ... and as the recipe on one symbol: scale (keeping its holes), thin, refit to the box.
        ys, xs = np.nonzero(mask)
        crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
        inner = BOX - 2 * MARGIN
        skeleton = thin_strokes(
            _scaled(crop, inner / max(crop.shape), _holes([crop], [inner / max(crop.shape)])[0])
        )
        extent = max(np.ptp(np.nonzero(skeleton)[0]), np.ptp(np.nonzero(skeleton)[1])) + 1
        if extent >= inner - 1:
            assert image.sum() == skeleton.sum()
    with pytest.raises(ValueError, match="no ink"):
        normalize_symbols([masks[0], np.zeros((4, 4), bool)])
    assert normalize_symbols([]).shape == (0, BOX, BOX)


def _enclosed_holes(image: np.ndarray) -> int:
    """Background pieces that do not reach the image's border (4-connected)."""
    background = (np.asarray(image) == 0).astype(np.uint8)
    count, labels = cv2.connectedComponents(
        np.pad(background, 1, constant_values=1), connectivity=4
    )
    return count - 2  # label 0 is the ink, label 1 the outside


def test_shrinking_keeps_the_small_eye_a_thick_pen_left_open():
    # An 8 whose upper eye is a pinhole in a blot of ink, as a photo of a thick pen
    # leaves it, twice the box's size: the shrink must not fill the pinhole.
    mask = np.zeros((64, 40), np.uint8)
    cv2.circle(mask, (20, 44), 12, 1, thickness=7)
    cv2.circle(mask, (20, 18), 11, 1, thickness=-1)
    mask[17:19, 20] = 0
    assert _enclosed_holes(mask) == 2
    assert _enclosed_holes(normalize_symbol(mask)) == 2
    # A hole of one pixel is noise, not an eye: shrinking may close it.
    mask[17, 20] = 1
    assert _enclosed_holes(normalize_symbol(mask)) == 1
