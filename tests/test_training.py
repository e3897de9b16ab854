"""A tiny end-to-end training run: the loss falls and the export loads."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from mathocr.classifier import CARD_NAME, GEOMETRY_FUNCTION, SymbolClassifier
from mathocr.cli import main
from mathocr.geometry import missing_geometry
from mathocr.symbols import CLASSES
from mathocr.training.augment import Distortion
from mathocr.training.build import build_dataset
from mathocr.training.dataset import SymbolDataset
from mathocr.training.metrics import merged_accuracy, merged_per_class, score

from .test_dataset import write_inkml_dir

torch = pytest.importorskip("torch", reason="training needs the [train] extra (PyTorch)")

from mathocr.training.export import check_onnx, export_onnx  # noqa: E402
from mathocr.training.model import ModelConfig, SymbolNet  # noqa: E402
from mathocr.training.run import to_classes, train_and_ship  # noqa: E402
from mathocr.training.trainer import TrainConfig, predict_torch, train  # noqa: E402

TINY = ModelConfig(widths=(8, 16, 16), hidden=32, dropout=0.1)


@pytest.fixture(scope="module")
def tiny_sets(tmp_path_factory) -> tuple[SymbolDataset, SymbolDataset]:
    root = tmp_path_factory.mktemp("ink")
    train_set = build_dataset(
        write_inkml_dir(root / "train", n_files=20, seed=1),
        variants=4,
        distortion=Distortion(),
        seed=1,
    )
    valid_set = build_dataset(write_inkml_dir(root / "valid", n_files=5, seed=2), seed=2)
    return train_set, valid_set


def test_loss_falls_and_the_model_learns(tiny_sets):
    train_set, valid_set = tiny_sets
    assert len(train_set) == 320
    config = TrainConfig(epochs=4, batch_size=32, lr=1e-2, threads=1, model=TINY)
    result = train(to_classes(train_set), to_classes(valid_set), config, progress=False)
    losses = [row["loss"] for row in result.history]
    assert losses[-1] < 0.7 * losses[0]
    assert result.history[result.best_epoch - 1]["valid_accuracy"] >= 0.9


def test_training_is_deterministic(tiny_sets):
    train_set, _ = tiny_sets
    config = TrainConfig(epochs=1, batch_size=64, threads=1, model=TINY, seed=5)
    a = train(to_classes(train_set), None, config, progress=False)
    b = train(to_classes(train_set), None, config, progress=False)
    for pa, pb in zip(a.net.parameters(), b.net.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_onnx_export_matches_torch(tmp_path, tiny_sets):
    _, valid_set = tiny_sets
    torch.manual_seed(0)
    net = SymbolNet(len(CLASSES), TINY).eval()
    path = export_onnx(net, tmp_path / "m.onnx")
    assert check_onnx(net, path, valid_set.images, valid_set.geometry) < 1e-4
    # Dynamic batch axis: any N works.
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (1, 7):
        (out,) = session.run(
            None,
            {"image": np.zeros((n, 1, 32, 32), np.float32), "geometry": missing_geometry(n)},
        )
        assert out.shape == (n, len(CLASSES))


def test_the_model_reads_the_geometry(tiny_sets):
    """The side input reaches the output: the same image reads differently at other sizes."""
    train_set, valid_set = tiny_sets
    config = TrainConfig(epochs=4, batch_size=32, lr=1e-2, threads=1, model=TINY)
    net = train(to_classes(train_set), None, config, progress=False).net
    images = valid_set.images[:8]
    tall = np.tile(np.array([[1.0, -1.0, 0.0]], np.float32), (8, 1))
    flat = np.tile(np.array([[-2.5, 0.5, 0.0]], np.float32), (8, 1))
    a = predict_torch(net, images, tall)
    b = predict_torch(net, images, flat)
    assert np.abs(a - b).max() > 0.05


def test_train_and_ship_writes_a_loadable_model_and_card(tmp_path, tiny_sets):
    train_set, valid_set = tiny_sets
    config = TrainConfig(epochs=2, batch_size=32, lr=1e-2, threads=1, model=TINY)
    card = train_and_ship(
        train_set,
        valid_set,
        tmp_path,
        config=config,
        baselines=False,
        progress=False,
        log=lambda m: None,
    )
    clf = SymbolClassifier(tmp_path / "symbols.onnx")
    assert clf.version == card["version"]
    stored = json.loads((tmp_path / CARD_NAME).read_text())
    assert stored["metrics"]["valid"]["n"] == len(valid_set)
    assert (tmp_path / "MODEL_CARD.md").exists() and (tmp_path / "confusion.png").exists()
    # The card's accuracy is the served model's accuracy on the same set.
    assert clf.uses_geometry and stored["geometry"]["function"] == GEOMETRY_FUNCTION
    pred = clf.probabilities(valid_set.images, valid_set.geometry).argmax(1)
    labels = to_classes(valid_set).labels
    assert stored["metrics"]["valid"]["accuracy"] == pytest.approx(float((pred == labels).mean()))


def test_baselines_run(tiny_sets):
    from mathocr.training.baselines import run_baselines

    train_set, valid_set = tiny_sets
    out = run_baselines(to_classes(train_set), to_classes(valid_set), log=lambda m: None)
    assert set(out) == {"pixel_mlp", "hog_linear"}
    for row in out.values():
        assert 0.5 < row["accuracy"] <= 1.0


def test_metrics():
    classes = ("x", "\\times", "1")
    true = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 0, 1, 2, 2])
    s = score(true, pred, classes)
    assert s["n"] == 6 and s["accuracy"] == pytest.approx(4 / 6)
    assert s["per_class"]["x"] == {"n": 2, "accuracy": 0.5}
    assert sorted(s["confusions"]) == [["\\times", "x", 1], ["x", "\\times", 1]]
    assert merged_accuracy(true, pred, classes) == 1.0
    wrong_one = np.array([0, 1, 0, 1, 2, 0])
    assert merged_per_class(true, wrong_one, classes) == {
        "x": {"n": 2, "accuracy": 1.0},
        "\\times": {"n": 2, "accuracy": 1.0},
        "1": {"n": 2, "accuracy": 0.5},
    }


def test_cli_train_tiny(tmp_path, tiny_sets, capsys):
    train_set, valid_set = tiny_sets
    tr, va = train_set.save(tmp_path / "t.npz"), valid_set.save(tmp_path / "v.npz")
    out = tmp_path / "model"
    argv = ["train", "--data", str(tr), "--valid", str(va), "--out", str(out)]
    argv += ["--epochs", "1", "--threads", "1", "--no-baselines", "--quiet", "--limit", "100"]
    assert main(argv) == 0
    assert "valid accuracy" in capsys.readouterr().out
    card = json.loads((out / CARD_NAME).read_text())
    assert card["training"]["command"].startswith("mathocr train --data")
    assert SymbolClassifier(out / "symbols.onnx").version == card["version"]


def test_cli_train_with_an_extra_dataset(tmp_path, tiny_sets, capsys):
    train_set, valid_set = tiny_sets
    tr, va = train_set.save(tmp_path / "t.npz"), valid_set.save(tmp_path / "v.npz")
    extra = train_set.subset(np.arange(40)).save(tmp_path / "extra.npz")
    out = tmp_path / "model"
    argv = ["train", "--data", str(tr), "--extra", str(extra), "--valid", str(va)]
    argv += ["--out", str(out), "--epochs", "1", "--threads", "1", "--no-baselines", "--quiet"]
    argv += ["--widths", "8,16,16"]
    assert main(argv) == 0
    card = json.loads((out / CARD_NAME).read_text())
    assert card["data"]["train"].startswith(f"{len(train_set) + 40} samples")
    assert card["data"]["extra_sources"][0].startswith(f"{extra} (40 samples")
    assert "--extra" in card["training"]["command"]
    assert card["training"]["config"]["model"]["widths"] == [8, 16, 16]


def test_cli_train_without_torch_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch → ImportError
    assert main(["train", "--out", str(tmp_path)]) == 2
    assert "mathocr[train]" in capsys.readouterr().err


def test_class_power_draws_rare_classes_more_often():
    from mathocr.training.trainer import _epoch_order

    labels = np.array([0] * 900 + [1] * 100)
    rng = np.random.default_rng(0)
    uniform = _epoch_order(labels, 200, 0.0, rng)
    even = _epoch_order(labels, 200, 0.5, rng)
    for order in (uniform, even):
        assert len(order) == 200 and len(set(order.tolist())) == 200  # distinct samples
    rare_uniform = (labels[uniform] == 1).mean()
    rare_even = (labels[even] == 1).mean()
    # A class 9 times rarer: a tenth of the draws uniformly, about a quarter at power 0.5.
    assert rare_uniform < 0.16 and 0.18 < rare_even < 0.33
    with pytest.raises(ValueError, match="class_power"):
        TrainConfig(class_power=-1.0)
