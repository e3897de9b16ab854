"""Training the neighbour model on a tiny set: the loss falls, the export loads and agrees."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mathocr.classifier import SymbolClassifier
from mathocr.cli import main
from mathocr.neighbours import NeighbourModel
from mathocr.training.augment import Distortion
from mathocr.training.sequences import expression_sequences

from .test_dataset import write_inkml_dir

torch = pytest.importorskip("torch", reason="training needs the [train] extra (PyTorch)")

from mathocr.training.neighbour_model import (  # noqa: E402
    NeighbourConfig,
    as_examples,
    export_neighbours,
    neighbour_card,
    train_neighbours,
)

TINY = NeighbourConfig(hidden=16, epochs=3, batch_size=8, lr=1e-2, threads=1)


@pytest.fixture(scope="module")
def tiny_lines(tmp_path_factory):
    root = tmp_path_factory.mktemp("ink")
    clf = SymbolClassifier()
    train = list(
        expression_sequences(
            write_inkml_dir(root / "train", n_files=16, seed=1),
            clf,
            renderings=3,
            distortion=Distortion(),
            seed=1,
        )
    )
    valid = list(expression_sequences(write_inkml_dir(root / "valid", n_files=4, seed=2), clf))
    return train, valid


def test_loss_falls_and_training_is_deterministic(tiny_lines):
    train, valid = tiny_lines
    assert len(train) == 48
    net, info = train_neighbours(train, valid, TINY, log=lambda _: None)
    losses = [row["loss"] for row in info["history"]]
    assert losses[-1] < losses[0]
    again, _ = train_neighbours(train, valid, TINY, log=lambda _: None)
    for a, b in zip(net.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)


def test_export_agrees_with_torch_and_loads_with_its_card(tiny_lines, tmp_path):
    train, valid = tiny_lines
    net, info = train_neighbours(train, valid, TINY, log=lambda _: None)
    path = tmp_path / "neighbours.onnx"
    worst = export_neighbours(net, path, as_examples(valid))
    assert worst < 1e-4
    card = neighbour_card(
        path, symbol_model="test", training=info, metrics={}, data={"train": "tiny"}
    )
    (tmp_path / "neighbours.card.json").write_text(json.dumps(card))
    model = NeighbourModel(path)
    line = valid[0]
    out = model.rescore(line.probs, line.boxes, line.geometry)
    assert out.shape == line.probs.shape
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_train_neighbours_command(tmp_path, capsys):
    train = write_inkml_dir(tmp_path / "train", n_files=6, seed=3)
    valid = write_inkml_dir(tmp_path / "valid", n_files=2, seed=4)
    out = tmp_path / "out"
    args = ["train-neighbours", "--inkml", str(train), "--valid", str(valid), "--out", str(out)]
    args += ["--renderings", "2", "--epochs", "1", "--hidden", "8", "--jobs", "1"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "with neighbours" in printed
    card = json.loads((out / "neighbours.card.json").read_text())
    assert card["symbol_model"] == SymbolClassifier().version
    assert card["training"]["command"].startswith("mathocr train-neighbours")
    NeighbourModel(out / "neighbours.onnx")
    assert main(["train-neighbours", "--inkml", str(tmp_path / "none"), "--out", str(out)]) == 2


def test_the_command_defaults_are_the_shipped_settings():
    from mathocr.cli import build_parser

    args = build_parser().parse_args(["train-neighbours"])
    shipped = NeighbourConfig()
    assert (args.hidden, args.epochs, args.seed) == (shipped.hidden, shipped.epochs, shipped.seed)
    config = NeighbourModel().card["training"]["config"]
    assert (config["hidden"], config["epochs"], config["seed"]) == (
        shipped.hidden,
        shipped.epochs,
        shipped.seed,
    )
