"""``mathocr dataset export-corrections``: corrected images back into training data."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from mathocr.cli import main
from web.ocr.export import correction_labels
from web.ocr.models import PostedImage

from .strokes import render_png


@pytest.mark.parametrize(
    "latex, labels",
    [
        ("2+3", ["2", "+", "3"]),
        ("12 \\times (4-1)", ["1", "2", "\\times", "(", "4", "-", "1", ")"]),
        ("x^{2} = 9", ["x", "2", "=", "9"]),
        ("X*3", ["x", "\\times", "3"]),
        ("\\sqrt{16}", ["\\sqrt", "1", "6"]),
        ("\\frac{1}{2}", None),  # read top to bottom, not left to right
        ("2 < 3", None),  # not one of our symbols
        ("\\alpha", None),
    ],
)
def test_correction_labels(latex, labels):
    assert correction_labels(latex) == labels


@pytest.mark.django_db
def test_export_writes_images_labels_and_symbols(visitor, tmp_path, capsys):
    from mathocr.classifier import default_classifier
    from mathocr.training.dataset import SymbolDataset

    posted = {}
    for text in ("2+3", "7-4", "1+1"):
        png = render_png(text)
        body = visitor.post("/api/images/", {"image": io.BytesIO(png)}, format="multipart")
        assert body.status_code == 201, body.content
        posted[text] = (body.json()["id"], png, body.json()["edit_token"])
    # the user fixes the first two; the third stays uncorrected
    for text, correction in (("2+3", "2+3"), ("7-4", "\\frac{7}{4}")):
        pk, _, token = posted[text]
        response = visitor.post(
            f"/api/images/{pk}/correction/",
            {"latex": correction},
            format="json",
            HTTP_X_EDIT_TOKEN=token,
        )
        assert response.status_code == 200

    out = tmp_path / "corrections"
    assert main(["dataset", "export-corrections", str(out)]) == 0
    printed = capsys.readouterr()
    assert "2 corrected images" in printed.out
    assert "3 symbols from 1 of them" in printed.out
    assert "not a left-to-right row" in printed.err

    with (out / "labels.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["latex"] for r in rows] == ["2+3", "\\frac{7}{4}"]
    for row, text in zip(rows, ("2+3", "7-4"), strict=True):
        pk, png, _ = posted[text]
        assert row["file"] == f"images/{pk}.png"
        assert (out / row["file"]).read_bytes() == png
        assert row["predicted"] == PostedImage.objects.get(pk=pk).latex

    ds = SymbolDataset.load(out / "symbols.npz")
    assert [ds.classes[i] for i in ds.labels] == ["2", "+", "3"]
    assert ds.images.shape == (3, 32, 32) and set(np.unique(ds.images)) <= {0, 1}
    # the crops are what the classifier expects: it reads them as labelled
    predicted = default_classifier().probabilities(ds.images).argmax(axis=1)
    assert [ds.classes[i] for i in predicted] == ["2", "+", "3"]

    # The detector's shard: the one aligned image, prepared, its boxes labelled in order.
    from mathocr.detect.classes import DETECTOR_CLASSES
    from mathocr.detect.prepare import PREPARATION_VERSION, TARGET_HEIGHT
    from mathocr.training.detector.data import load_shards

    shards = sorted((out / "detector").glob("*.npz"))
    assert [p.name for p in shards] == [f"corrections-p{PREPARATION_VERSION}.npz"]
    (sample,) = load_shards(shards)
    assert [DETECTOR_CLASSES[i] for i in sample.labels] == ["2", "+", "3"]
    h, w = sample.image.shape
    assert sample.image.dtype == np.uint8 and sample.image.max() > 128
    x0, y0, x1, y1 = sample.boxes.T
    assert (x0 >= 0).all() and (y0 >= 0).all() and (x1 <= w).all() and (y1 <= h).all()
    assert list(np.argsort(x0)) == [0, 1, 2]  # left to right, as written
    # Each box holds ink in the prepared frame, and the digits are about the typical height.
    for box in sample.boxes:
        a, b, c, d = (int(round(v)) for v in box)
        assert sample.image[b:d, a:c].max() > 128
    assert 0.5 * TARGET_HEIGHT < float(np.median(y1 - y0)) < 2 * TARGET_HEIGHT


@pytest.mark.django_db
def test_export_with_no_corrections(tmp_path, capsys):
    assert main(["dataset", "export-corrections", str(tmp_path / "empty")]) == 0
    assert "0 corrected images" in capsys.readouterr().out
    assert (tmp_path / "empty" / "labels.csv").read_text().startswith("file,latex")
    assert not (tmp_path / "empty" / "symbols.npz").exists()
