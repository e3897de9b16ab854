"""The neighbour model: its features, the shipped ONNX file and card, and its data."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mathocr.classifier import SymbolClassifier
from mathocr.errors import ModelError
from mathocr.neighbours import (
    DEFAULT_NEIGHBOURS,
    FEATURES,
    LAYOUT_FEATURES,
    NeighbourModel,
    sequence_features,
)
from mathocr.symbols import CLASS_INDEX, CLASSES
from mathocr.training.build import build_dataset
from mathocr.training.sequences import expression_sequences, pack, unpack

from .test_dataset import write_inkml_dir

N = len(CLASSES)


def one_hot(*labels: str) -> np.ndarray:
    out = np.full((len(labels), N), 1e-4, np.float32)
    for i, label in enumerate(labels):
        out[i, CLASS_INDEX[label]] = 1.0
    return out / out.sum(axis=1, keepdims=True)


def test_features_follow_reading_order_and_measure_neighbours():
    # "1 + 2" given out of order: the + first, then the 2, then the 1.
    boxes = np.array([[1.2, 0.3, 1.8, 0.9], [2.0, 0.0, 2.6, 1.0], [0.0, 0.0, 0.4, 1.0]])
    geometry = np.zeros((3, 3), np.float32)
    feats, order = sequence_features(one_hot("+", "2", "1"), boxes, geometry)
    assert feats.shape == (3, FEATURES) and feats.dtype == np.float32
    assert order.tolist() == [2, 0, 1]
    assert feats[0, :N].argmax() == CLASS_INDEX["1"]
    layout = feats[:, N + 3 :]
    assert layout.shape == (3, LAYOUT_FEATURES)
    # Gap before the + is 1.2 - 0.4; after it, 2.0 - 1.8.
    assert layout[1, 3] == pytest.approx(0.8) and layout[1, 4] == pytest.approx(0.2)
    assert layout[0, 3] == 0 and layout[2, 4] == 0
    assert layout[0, 7] == 1 and layout[2, 8] == 1 and layout[1, 7] == layout[1, 8] == 0
    # The line's median centre is 0.5: the + sits on it, its top 0.2 above.
    assert layout[1, 0] == pytest.approx(0.1) and layout[1, 1] == pytest.approx(-0.2)


def test_features_reject_mismatched_inputs_and_accept_an_empty_line():
    with pytest.raises(ValueError, match="same symbols"):
        sequence_features(one_hot("1", "2"), np.zeros((3, 4)), np.zeros((2, 3)))
    feats, order = sequence_features(np.zeros((0, N)), np.zeros((0, 4)), np.zeros((0, 3)))
    assert feats.shape == (0, FEATURES) and len(order) == 0


def test_shipped_model_matches_the_shipped_symbol_model():
    model = NeighbourModel()
    assert model.card["symbol_model"] == SymbolClassifier().version
    assert model.card["input"]["features"] == FEATURES


def test_rescore_gives_probabilities_in_the_order_given():
    model = NeighbourModel()
    boxes = np.array([[0.0, 0, 0.5, 1], [0.8, 0.3, 1.3, 0.7], [1.6, 0, 2.1, 1], [2.4, 0, 2.9, 1]])
    probs = one_hot("7", "+", "3", "2")
    geometry = np.zeros((4, 3), np.float32)
    out = model.rescore(probs, boxes, geometry)
    assert out.shape == (4, N)
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)
    # Sure readings of an ordinary sum stay as they were.
    assert [CLASSES[i] for i in out.argmax(axis=1)] == ["7", "+", "3", "2"]
    # Giving the symbols in another order changes nothing but the order.
    perm = np.array([2, 0, 3, 1])
    again = model.rescore(probs[perm], boxes[perm], geometry[perm])
    assert np.allclose(again, out[perm], atol=1e-6)
    assert model.rescore(np.zeros((0, N)), np.zeros((0, 4)), np.zeros((0, 3))).shape == (0, N)


def test_context_decides_a_doubtful_paren():
    """A stroke read 1 or ( alike: followed later by a ), it is the (."""
    model = NeighbourModel()
    doubtful = np.full(N, 1e-3, np.float32)
    doubtful[CLASS_INDEX["1"]] = doubtful[CLASS_INDEX["("]] = 0.5
    probs = np.vstack([doubtful, one_hot("2", "+", "3", ")")])
    # A tall stroke, then "2 + 3", then a tall ).
    boxes = np.array(
        [
            [0, -0.2, 0.2, 1.2],
            [0.4, 0, 0.9, 1],
            [1.1, 0.3, 1.6, 0.7],
            [1.8, 0, 2.3, 1],
            [2.5, -0.2, 2.7, 1.2],
        ]
    )
    geometry = np.zeros((5, 3), np.float32)
    geometry[[0, 4], 0] = np.log(1.4)
    out = model.rescore(probs, boxes, geometry)
    assert CLASSES[out[0].argmax()] == "("


def test_card_checks_refuse_a_changed_model(tmp_path):
    path = tmp_path / "neighbours.onnx"
    shutil.copy(DEFAULT_NEIGHBOURS, path)
    card_path = DEFAULT_NEIGHBOURS.with_name("neighbours.card.json")
    card = json.loads(card_path.read_text())
    (tmp_path / "neighbours.card.json").write_text(json.dumps(card))
    NeighbourModel(path)  # a faithful copy loads
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="sha256"):
        NeighbourModel(path)
    shutil.copy(DEFAULT_NEIGHBOURS, path)
    card["input"]["features"] = FEATURES + 1
    (tmp_path / "neighbours.card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="features"):
        NeighbourModel(path)
    with pytest.raises(ModelError, match="card"):
        NeighbourModel(tmp_path / "missing.onnx")


def test_sequences_draw_what_build_dataset_draws(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=4)
    reported: list[str] = []
    clf = SymbolClassifier()
    lines = list(expression_sequences(root, clf, seed=3, on_error=reported.append))
    assert len(lines) == 4 and len(reported) == 1 and "broken.inkml" in reported[0]
    # Every file: 0 1 - + and an \alpha, which is kept as a neighbour with label -1.
    assert all(line.labels.tolist()[-1] == -1 for line in lines)
    labels = np.concatenate([line.labels for line in lines])
    probs = np.concatenate([line.probs for line in lines])[labels >= 0]
    ds = build_dataset(root, seed=3)
    assert np.array_equal(labels[labels >= 0], ds.labels)
    # The same drawings: the symbol model reads them identically.
    assert np.allclose(probs, clf.probabilities(ds.images, ds.geometry), atol=1e-6)
    back = unpack(pack(lines))
    assert [b.file for b in back] == [line.file for line in lines]
    assert all(np.array_equal(b.boxes, line.boxes) for b, line in zip(back, lines, strict=True))


def test_later_renderings_differ(tmp_path):
    from mathocr.training.augment import Distortion

    root = write_inkml_dir(tmp_path / "ink", n_files=2)
    lines = list(
        expression_sequences(root, SymbolClassifier(), renderings=2, distortion=Distortion())
    )
    assert len(lines) == 4
    assert not np.allclose(lines[0].probs, lines[2].probs)


def test_the_pipeline_blends_the_two_readings_by_weight():
    from mathocr.neighbours import blend

    first = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    again = np.array([[0.1, 0.8, 0.1], [0.0, 0.5, 0.5]], np.float32)
    assert np.allclose(blend(first, again, 0.0), first, atol=1e-5)
    assert np.allclose(blend(first, again, 1.0), again, atol=1e-5)
    half = blend(first, again, 0.5)
    assert np.allclose(half.sum(axis=1), 1.0, atol=1e-5)
    # Equal say: 0.7 against 0.1 and 0.2 against 0.8 give sqrt(0.07) < sqrt(0.16).
    assert half[0].argmax() == 1
    assert half[1, 0] < 1e-3  # a class one side rules out stays out


def test_as_recognizer_blends_the_models_reading_with_the_first():
    from mathocr.neighbours import CONTEXT_SHARE, AsRecognizer, blend

    model = NeighbourModel()
    boxes = np.array([[0.0, 0, 0.5, 1], [0.8, 0.3, 1.3, 0.7], [1.6, 0, 2.1, 1]])
    probs = np.full((3, N), 0.2 / (N - 2), np.float32)
    probs[0, CLASSES.index("7")], probs[0, CLASSES.index("1")] = 0.5, 0.3
    probs[1, CLASSES.index("+")], probs[1, CLASSES.index("1")] = 0.5, 0.3
    probs[2, CLASSES.index("3")], probs[2, CLASSES.index("1")] = 0.5, 0.3
    geometry = np.zeros((3, 3), np.float32)
    alone = model.rescore(probs, boxes, geometry)
    reader = AsRecognizer(model)
    assert reader.version == model.version
    out = reader.rescore(probs, boxes, geometry)
    assert np.allclose(out, blend(probs, alone, CONTEXT_SHARE), atol=1e-6)
    assert np.allclose(
        AsRecognizer(model, share=1.0).rescore(probs, boxes, geometry), alone, atol=1e-5
    )
