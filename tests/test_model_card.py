"""The shipped model and its card agree, and a tampered card is refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from mathocr.classifier import CARD_NAME, DEFAULT_MODEL, SymbolClassifier, load_card
from mathocr.errors import ModelError
from mathocr.symbols import BOX, CLASSES, MARGIN

MODELS = DEFAULT_MODEL.parent


@pytest.fixture(scope="module")
def card() -> dict:
    return json.loads((MODELS / CARD_NAME).read_text())


def test_card_describes_the_shipped_model(card):
    assert card["classes"] == list(CLASSES)
    assert card["file"] == DEFAULT_MODEL.name
    assert card["sha256"] == hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()
    assert card["size_bytes"] == DEFAULT_MODEL.stat().st_size <= 5_000_000
    assert card["input"]["box"] == BOX and card["input"]["margin"] == MARGIN
    assert card["input"]["normalization"] == "mathocr.symbols.normalize_symbol"
    assert SymbolClassifier().version == card["version"]


def test_card_holds_what_the_issue_asks(card):
    valid = card["metrics"]["valid"]
    assert set(valid["per_class"]) <= set(CLASSES)
    assert 0 < valid["accuracy"] <= valid["accuracy_merged"] <= 1
    assert valid["n"] == sum(row["n"] for row in valid["per_class"].values())
    assert {"pixel_mlp", "hog_linear"} <= set(card["baselines"])
    assert card["training"]["command"].startswith("mathocr train")
    assert any("Mouchère" in c for c in card["citations"])
    assert "research" in card["terms"]
    assert card["date"] and card["version"]
    md = (MODELS / "MODEL_CARD.md").read_text()
    assert card["version"] in md and "confusion.png" in md
    assert (MODELS / "confusion.png").stat().st_size > 0


def test_cnn_beats_both_baselines(card):
    cnn = card["metrics"]["valid"]["accuracy"]
    for name, row in card["baselines"].items():
        assert cnn > row["accuracy"], name


def _copy(tmp_path: Path) -> tuple[Path, dict]:
    shutil.copy(DEFAULT_MODEL, tmp_path / DEFAULT_MODEL.name)
    card = json.loads((MODELS / CARD_NAME).read_text())
    return tmp_path / DEFAULT_MODEL.name, card


def test_untouched_copy_loads(tmp_path):
    model, card = _copy(tmp_path)
    (tmp_path / CARD_NAME).write_text(json.dumps(card))
    assert SymbolClassifier(model).version == card["version"]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.update(card_format=99), "card_format"),
        (lambda c: c.update(classes=c["classes"][::-1]), "classes"),
        (lambda c: c["input"].update(box=28), "box"),
        (lambda c: c["input"].update(margin=0), "margin"),
        (lambda c: c["input"].update(normalization="my.resize"), "normalization"),
        (lambda c: c.pop("version"), "version"),
        (lambda c: c.update(sha256="0" * 64), "sha256"),
        (lambda c: c.update(file="other.onnx"), "other.onnx"),
    ],
)
def test_tampered_card_is_refused(tmp_path, change, message):
    model, card = _copy(tmp_path)
    change(card)
    (tmp_path / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match=message):
        SymbolClassifier(model)


def test_broken_card_or_model_is_refused(tmp_path):
    model, card = _copy(tmp_path)
    (tmp_path / CARD_NAME).write_text("{not json")
    with pytest.raises(ModelError, match="JSON"):
        load_card(model)
    # A corrupt model whose card was updated to match still fails to load.
    model.write_bytes(b"garbage" * 100)
    card["sha256"] = hashlib.sha256(model.read_bytes()).hexdigest()
    (tmp_path / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="cannot load"):
        SymbolClassifier(model)
