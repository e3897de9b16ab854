"""Training the detector: data, targets, a tiny run that resumes, and an export that serves."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mathocr.detect.classes import DETECTOR_CLASSES, class_index
from mathocr.errors import MathOCRError

from .test_dataset import write_inkml_dir

torch = pytest.importorskip("torch", reason="training needs the [train] extra (PyTorch)")

from mathocr.data.splits import dev_writers, split_files  # noqa: E402
from mathocr.training.detector.compose import SymbolBank, Writer, compose_scene  # noqa: E402
from mathocr.training.detector.data import (  # noqa: E402
    build_real_shards,
    load_shards,
    save_shard,
)
from mathocr.training.detector.scenes import Sample, make_sample  # noqa: E402
from mathocr.training.detector.targets import CROP, centre_targets, crop_sample  # noqa: E402


@pytest.fixture(scope="module")
def ink_dir(tmp_path_factory):
    return write_inkml_dir(tmp_path_factory.mktemp("ink"), n_files=12, seed=3)


@pytest.fixture(scope="module")
def samples(ink_dir, tmp_path_factory):
    files = sorted(ink_dir.glob("expr*.inkml"))
    out = tmp_path_factory.mktemp("shards")
    paths = build_real_shards(files, out, seed=0, per_shard=5, jobs=1)
    return load_shards(paths)


def test_samples_carry_every_symbol_inside_the_image(samples):
    # 12 files, canvas and photo each; every file has 0 1 - + and an alpha.
    assert len(samples) == 24
    for s in samples:
        assert s.image.dtype == np.uint8 and s.image.shape[0] % 16 == 0
        assert sorted(DETECTOR_CLASSES[k] for k in s.labels) == sorted(
            ["0", "1", "-", "+", "other"]
        )
        h, w = s.image.shape
        assert (s.boxes[:, 0] >= -2).all() and (s.boxes[:, 2] <= w + 2).all()
        assert (s.boxes[:, 1] >= -2).all() and (s.boxes[:, 3] <= h + 2).all()
        # Each box holds ink.
        for x0, y0, x1, y1 in s.boxes.astype(int):
            assert s.image[max(0, y0) : y1, max(0, x0) : x1].max() > 100


def test_shards_round_trip(samples, tmp_path):
    path = save_shard(samples[:3], tmp_path / "a.npz")
    back = load_shards([path])
    assert len(back) == 3
    for a, b in zip(samples[:3], back, strict=True):
        assert np.array_equal(a.image, b.image) and np.array_equal(a.boxes, b.boxes)
        assert np.array_equal(a.labels, b.labels)


def test_same_seed_same_shards(ink_dir, tmp_path):
    files = sorted(ink_dir.glob("expr*.inkml"))[:3]
    a = load_shards(build_real_shards(files, tmp_path / "a", seed=5, jobs=1))
    b = load_shards(build_real_shards(files, tmp_path / "b", seed=5, jobs=1))
    c = load_shards(build_real_shards(files, tmp_path / "c", seed=6, jobs=1))
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert not all(
        x.image.shape == y.image.shape and np.array_equal(x.image, y.image)
        for x, y in zip(a, c, strict=True)
    )


def test_composed_expressions_use_the_bank(ink_dir):
    bank = SymbolBank.from_inkml(sorted(ink_dir.glob("expr*.inkml")))
    rng = np.random.default_rng(0)
    for _ in range(20):
        scene = compose_scene(bank, rng)
        used = sorted(i for _, ids in scene.symbols for i in ids)
        assert used == list(range(len(scene.strokes)))  # every stroke is in one symbol
        assert all(label in DETECTOR_CLASSES for label, _ in scene.symbols)
        sample = make_sample(scene, rng, "canvas")
        assert sample is not None and len(sample.labels) == len(scene.symbols)


def _operator_contacts(writer, n: int = 60) -> tuple[int, int]:
    """How many of *writer*'s operators between two digits overlap both neighbours' boxes."""
    touching = ops = 0
    for _ in range(n):
        laid = writer.expr(depth=2)  # depth 2: atoms are plain numbers
        # In the order they were laid out, left to right.
        boxes = [
            (label, *np.concatenate(st).min(axis=0), *np.concatenate(st).max(axis=0))
            for label, st in laid.items
        ]
        for left, mid, right in zip(boxes, boxes[1:], boxes[2:], strict=False):
            if mid[0] not in ("+", "-") or not (left[0].isdigit() and right[0].isdigit()):
                continue
            ops += 1
            touching += int(mid[1] <= left[3] and right[1] <= mid[3])
    return touching, ops


def test_a_writer_who_joins_operators_joins_both_neighbours(ink_dir):
    """The shapes the first detector merged ("3+2" as one piece of ink) are composed on purpose."""
    bank = SymbolBank.from_inkml(sorted(ink_dir.glob("expr*.inkml")))
    joiner = Writer(bank, np.random.default_rng(1))
    joiner.gap, joiner.touch = 0.3, 1.0
    touching, ops = _operator_contacts(joiner)
    assert ops > 20 and touching == ops
    spacious = Writer(bank, np.random.default_rng(1))
    spacious.gap, spacious.touch = 0.6, 0.0
    touching, ops = _operator_contacts(spacious)
    assert ops > 20 and touching == 0


def test_targets_peak_at_the_box_centre():
    boxes = np.array([[40, 20, 72, 52], [100, 60, 104, 64]], np.float32)
    labels = np.array([class_index("7"), class_index(".")])
    heat, size, offset, mask = centre_targets(boxes, labels, len(DETECTOR_CLASSES), CROP)
    assert heat.shape == (len(DETECTOR_CLASSES), CROP[0] // 4, CROP[1] // 4)
    seven, point = class_index("7"), class_index(".")
    assert heat[seven, 9, 14] == 1.0 and mask[seven, 9, 14] == 1.0
    assert size[2 * seven : 2 * seven + 2, 9, 14] == pytest.approx(np.log([8.0, 8.0]))
    assert offset[2 * seven : 2 * seven + 2, 9, 14] == pytest.approx([0.0, 0.0])
    # The point keeps its own peak (a dot survives stride 4), and its own size.
    assert heat[point, 15, 25] == 1.0
    assert size[2 * point : 2 * point + 2, 15, 25] == pytest.approx(np.log([1.0, 1.0]))
    assert mask.sum() == 2


def test_a_root_and_its_radicand_keep_their_own_sizes_on_one_cell():
    boxes = np.array([[0, 0, 64, 40], [24, 8, 40, 32]], np.float32)  # centres (32, 20), (32, 20)
    labels = np.array([class_index("\\sqrt"), class_index("2")])
    _, size, _, mask = centre_targets(boxes, labels, len(DETECTOR_CLASSES), CROP)
    root, two = labels
    assert mask[root, 5, 8] == mask[two, 5, 8] == 1.0
    assert size[2 * root : 2 * root + 2, 5, 8] == pytest.approx(np.log([16.0, 10.0]))
    assert size[2 * two : 2 * two + 2, 5, 8] == pytest.approx(np.log([4.0, 6.0]))


def test_crops_keep_the_symbols_whose_centre_is_inside(samples):
    rng = np.random.default_rng(0)
    for s in samples[:6]:
        image, boxes, labels = crop_sample(s, rng)
        assert image.shape == CROP
        cx = (boxes[:, 0] + boxes[:, 2]) / 2
        assert ((cx >= 0) & (cx < CROP[1])).all()
        assert len(labels) <= len(s.labels)


def test_dev_split_is_writer_disjoint(crohme_dir):
    train, dev = split_files(crohme_dir)
    assert len(dev) > 300 and len(train) > 5000
    writers = {}
    with open(crohme_dir / "manifest.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            writers[str(crohme_dir / row["path"])] = (row["collection"], row["writer"])
    held = {writers[str(p)] for p in dev}
    assert held == dev_writers(crohme_dir / "manifest.csv")
    assert not held & {writers[str(p)] for p in train}
    assert all(c != "MathBrush" for c, _ in held)
    assert not any("valid" in p.parts for p in train + dev)


def test_a_tiny_run_resumes_and_exports_a_model_that_serves(samples, tmp_path):
    from mathocr.detect.model import SymbolDetector
    from mathocr.detect.prepare import Prepared
    from mathocr.training.detector.export import export_detector
    from mathocr.training.detector.train import TrainConfig, train_detector

    cfg = TrainConfig(
        epochs=2, samples_per_epoch=16, batch=8, width=8, dev_images=4, warmup_steps=2
    )
    run = tmp_path / "run"
    logs: list[str] = []
    short = TrainConfig(**{**cfg.__dict__, "epochs": 1})
    train_detector(lambda: samples, samples[:4], run, short, log=logs.append)
    first = torch.load(run / "last.pt", weights_only=False)
    assert first["epoch"] == 0 and len(first["history"]) == 1
    wider = TrainConfig(**{**cfg.__dict__, "width": 16})
    with pytest.raises(MathOCRError, match="--width 8"):
        train_detector(lambda: samples, samples[:4], run, wider, resume=True, log=logs.append)
    best = train_detector(lambda: samples, samples[:4], run, cfg, resume=True, log=logs.append)
    assert any("resumed" in line for line in logs)
    state = torch.load(run / "last.pt", weights_only=False)
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    # The best epoch before the last (its checkpoint's history stops there): the card
    # still tells the whole run's epochs and time, from last.pt beside it.
    early = torch.load(best, weights_only=False)
    torch.save({**early, "epoch": 0, "history": state["history"][:1]}, best)
    out = export_detector(
        best,
        tmp_path / "model",
        command="test",
        dev=samples[:4],
        valid=samples[4:6],
        half_weights=False,
    )
    card = json.loads((tmp_path / "model" / "detector_card.json").read_text())
    assert card["classes"] == list(DETECTOR_CLASSES) and card["valid"]["images"] == 2
    assert "Per class" in (tmp_path / "model" / "DETECTOR_CARD.md").read_text()
    detector = SymbolDetector(out)
    image = samples[0].image.astype(np.float32) / 255.0
    heat, size, offset = detector.maps(image)
    from mathocr.training.detector.net import Detector

    net = Detector(len(DETECTOR_CLASSES), 8)
    net.load_state_dict(torch.load(best, weights_only=False)["model"])
    net.eval()
    with torch.no_grad():
        t_heat, _, _ = net(torch.from_numpy(image[None, None]))
    assert np.abs(t_heat[0].numpy() - heat).max() < 1e-4
    assert card["weights"] == "float32" and card["best_epoch"] == 1
    assert card["epochs_run"] == 2 and [h["epoch"] for h in card["history"]] == [1, 2]
    assert card["training_seconds"] == round(sum(h["seconds"] for h in state["history"]))
    prepared = Prepared(image, image > 0.3, np.eye(2, 3), 32.0, 3.0, 0.0)
    for found in detector.detect(prepared):
        assert found.label in DETECTOR_CLASSES and 0 <= found.confidence <= 1
    # A peak read best as "other" yields to our likeliest class when that is close enough.
    from mathocr.detect.decode import Detection
    from mathocr.detect.model import OTHER_YIELD

    other, one = class_index("other"), class_index("1")
    close, far = np.zeros(len(DETECTOR_CLASSES), np.float32), np.zeros(len(DETECTOR_CLASSES))
    close[other], close[one] = 0.8, 0.8 * OTHER_YIELD + 0.01
    far[other], far[one] = 0.8, 0.8 * OTHER_YIELD - 0.01
    box = (10.0, 10.0, 20.0, 40.0)
    detector.detections = lambda _: [  # type: ignore[method-assign]
        Detection(other, 0.8, box, close),
        Detection(other, 0.8, (40.0, 10.0, 50.0, 40.0), far.astype(np.float32)),
    ]
    read = detector.detect(prepared)
    assert [f.label for f in read] == ["1", "other"]
    assert read[0].alternatives[0][0] == "other"


def test_bf16_training_learns_and_keeps_float32_weights_and_heads(samples):
    """Mixed precision must still fit: a few steps on one batch lower its loss."""
    from mathocr.training.detector.net import Detector
    from mathocr.training.detector.train import TrainConfig, _Crops, _loss

    torch.manual_seed(0)
    cfg = TrainConfig(width=8, bf16=True)
    model = Detector(len(DETECTOR_CLASSES), cfg.width)
    batch = [
        torch.stack(t)
        for t in zip(*(_Crops(samples, np.arange(4), 0, 0)[i] for i in range(4)), strict=True)
    ]
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    losses = []
    for _ in range(12):
        loss, _parts = _loss(model, batch, cfg)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    assert all(p.dtype == torch.float32 for p in model.parameters())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        heads = model(batch[0])
    assert all(h.dtype == torch.float32 for h in heads)
    # A float32 model traces without casts: its ONNX graph is what it was before bf16.
    graph = torch.jit.trace(model.eval(), batch[0][:1]).graph
    assert not [n for n in graph.nodes() if n.kind() in ("aten::to", "aten::float")]


def test_the_card_lists_every_command_that_trained_a_resumed_run(tmp_path):
    import argparse

    from mathocr.commands.train_detector import command_history, command_line, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())

    def args(epochs: int, resume: bool, crop: str | None = None) -> argparse.Namespace:
        line = f"train-detector --crohme {tmp_path / 'crohme'} --synthetic 10 --epochs {epochs}"
        line += f" --samples-per-epoch 100 --run {tmp_path / 'run'} --out {tmp_path / 'out'}"
        line += f" --crop {crop}" if crop else ""
        line += " --resume" if resume else ""
        return parser.parse_args(line.split())

    first = command_history(args(16, False))
    assert len(first) == 1 and "--epochs 16" in first[0] and "--resume" not in first[0]
    assert "--crop" not in first[0]
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "command.json").write_text(json.dumps({"commands": first}))
    again = command_history(args(24, True, "160x384"))
    assert again[0] == first[0]
    assert "--epochs 24" in again[1] and again[1].endswith("--resume")
    assert "--crop 160x384" in again[1]
    # The options that decide the weights are in the printed command, and it parses back.
    wide = command_line(parser.parse_args([*first[0].split()[1:], "--width", "48", "--bf16"]))
    assert "--width 48" in wide and "--bf16" in wide
    assert vars(parser.parse_args(wide.split()[1:])) == vars(
        parser.parse_args([*first[0].split()[1:], "--width", "48", "--bf16"])
    )
    # So are a fine-tune's starting model and learning rate.
    tuned = [*first[0].split()[1:], "--init", "mathocr/models", "--lr", "0.0005"]
    line = command_line(parser.parse_args(tuned))
    assert "--init mathocr/models --lr 0.0005" in line
    assert vars(parser.parse_args(line.split()[1:])) == vars(parser.parse_args(tuned))
    # A fresh (not resumed) run in the same folder starts a new history.
    assert len(command_history(args(8, False))) == 1


def test_the_crop_option_takes_multiples_of_32():
    import argparse

    from mathocr.commands.train_detector import _crop

    assert _crop("160x384") == (160, 384)
    for bad in ("160", "100x384", "0x0", "axb"):
        with pytest.raises(argparse.ArgumentTypeError):
            _crop(bad)


def test_training_crops_take_the_configured_size():
    """A resumed run may train on taller crops than the first (the net is convolutional)."""
    from mathocr.training.detector.train import _Crops

    image = np.zeros((300, 900), np.uint8)
    image[100:140, 100:130] = 255
    sample = Sample(image, np.array([[100, 100, 130, 140]], np.float32), np.array([1], np.int16))
    item = _Crops([sample], np.array([0]), seed=0, epoch=0, crop=(160, 384))[0]
    assert item[0].shape == (1, 160, 384)
    assert item[1].shape[-2:] == (40, 96)


def test_weights_stored_as_float16_halve_the_file_and_keep_the_maps(samples, tmp_path):
    """The served file may store float16 weights: half the bytes, float32 arithmetic, same maps."""
    import onnx

    from mathocr.detect.model import SymbolDetector
    from mathocr.training.detector.export import export_detector
    from mathocr.training.detector.train import TrainConfig, train_detector

    cfg = TrainConfig(epochs=1, samples_per_epoch=16, batch=8, width=16, dev_images=4)
    best = train_detector(lambda: samples, samples[:4], tmp_path / "run", cfg, log=lambda _: None)
    maps = {}
    for half in (False, True):
        out = export_detector(
            best, tmp_path / str(half), command="test", dev=samples[:4], half_weights=half
        )
        maps[half] = SymbolDetector(out).maps(samples[0].image.astype(np.float32) / 255.0)
        stored = {init.data_type for init in onnx.load(str(out)).graph.initializer}
        assert (onnx.TensorProto.FLOAT16 in stored) == half
        card = json.loads((tmp_path / str(half) / "detector_card.json").read_text())
        assert card["weights"] == ("float16" if half else "float32")
    full, half_ = (tmp_path / str(h) / "detector.onnx" for h in (False, True))
    assert half_.stat().st_size < 0.6 * full.stat().st_size
    for a, b in zip(maps[False], maps[True], strict=True):
        assert np.abs(a - b).max() <= 2e-3 * max(1.0, float(np.abs(a).max()))


def test_the_shipped_detector_goes_back_into_torch_unchanged():
    """``--init`` starts from the file in git: the network computes what the file computes."""
    import onnxruntime as ort

    from mathocr.detect.model import default_detector
    from mathocr.training.detector.init import detector_from_onnx

    path = default_detector().path
    width = _width_of(path)
    net = detector_from_onnx(path, len(DETECTOR_CLASSES), width)
    image = np.zeros((1, 1, 96, 192), np.float32)
    image[0, 0, 30:70, 40:48] = 1.0  # a "1"
    image[0, 0, 48:52, 80:120] = 1.0  # a "-"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: image})
    with torch.no_grad():
        got = net(torch.from_numpy(image))
    for a, b in zip(expected, got, strict=True):
        assert np.abs(a - b.numpy()).max() < 1e-4
    with pytest.raises(MathOCRError, match="another --width"):
        detector_from_onnx(path, len(DETECTOR_CLASSES), width // 2)


def _width_of(path) -> int:
    """The first stage's channels: the stem's second convolution's output channels."""
    import onnx

    graph = onnx.load(str(path)).graph
    conv = next(n for n in graph.node if n.name == "/stem/stem.1/stem.1.0/Conv")
    shapes = {i.name: list(i.dims) for i in graph.initializer}
    weight = conv.input[1]
    cast = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Cast"}
    return shapes[cast.get(weight, weight)][0]


def test_a_run_started_from_a_model_keeps_its_batch_norms_frozen(samples, tmp_path):
    """Fine-tuning from an export: the fused biases stay where the export put them."""
    from mathocr.training.detector.export import export_detector
    from mathocr.training.detector.train import TrainConfig, train_detector

    cfg = TrainConfig(epochs=1, samples_per_epoch=16, batch=8, width=8, dev_images=4)
    first = train_detector(lambda: samples, samples[:4], tmp_path / "a", cfg, log=lambda _: None)
    model = export_detector(
        first, tmp_path / "model", command="test", dev=samples[:4], half_weights=False
    )
    tuned = TrainConfig(**{**cfg.__dict__, "init": str(model), "lr": 1e-4})
    logs: list[str] = []
    best = train_detector(lambda: samples, samples[:4], tmp_path / "b", tuned, log=logs.append)
    state = torch.load(best, weights_only=False)["model"]
    assert state["stem.0.1.running_var"].allclose(
        torch.full_like(state["stem.0.1.running_var"], 1 - 1e-5)
    )
    assert state["stem.0.1.running_mean"].abs().max() == 0
    # ... while the convolutions learned.
    from mathocr.training.detector.init import detector_from_onnx

    start = detector_from_onnx(model, len(DETECTOR_CLASSES), 8).state_dict()
    assert not state["stem.0.0.weight"].equal(start["stem.0.0.weight"])


def test_bf16_on_a_cpu_without_it_is_called_out(tmp_path):
    """Emulated bfloat16 cost a run an hour once: the trainer says so before it starts."""
    from mathocr.training.detector.train import native_bf16

    with_it, without = tmp_path / "a", tmp_path / "b"
    with_it.write_text("flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_tile\n")
    without.write_text("flags\t\t: fpu sse2 avx2\n")
    assert native_bf16(with_it) and not native_bf16(without)
    assert native_bf16(tmp_path / "missing")
