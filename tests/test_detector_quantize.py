"""The int8 copy of the detector: it loads, keeps the outputs, and stays close to the float model.

A tiny detector-shaped graph with random weights (a strided convolution, then
the three heads, the heat through a sigmoid) stands in for the shipped model:
what is tested is the quantization's plumbing, not the shipped figures, which
``python -m bench detector_int8`` measures.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime.quantization")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from mathocr.detect.model import CARD_NAME  # noqa: E402
from mathocr.model_files import cpu_session  # noqa: E402
from mathocr.training.detector.quantize import head_convs, quantize_detector  # noqa: E402

CLASSES = 3


def _tiny_detector(path, seed: int = 0) -> None:
    """(1, 1, H, W) → heat (C), size (2C), offset (2C) at H/4 × W/4, random weights."""
    rng = np.random.default_rng(seed)

    def weight(name, cout, cin, k):
        scale = np.sqrt(2.0 / (cin * k * k))
        return numpy_helper.from_array(
            (rng.normal(0, scale, (cout, cin, k, k))).astype(np.float32), name
        )

    def bias(name, n):
        return numpy_helper.from_array(rng.normal(0, 0.1, n).astype(np.float32), name)

    inits = [
        weight("w1", 8, 1, 3), bias("b1", 8),
        weight("w2", 8, 8, 3), bias("b2", 8),
        weight("wh", CLASSES, 8, 1), bias("bh", CLASSES),
        weight("ws", 2 * CLASSES, 8, 1), bias("bs", 2 * CLASSES),
        weight("wo", 2 * CLASSES, 8, 1), bias("bo", 2 * CLASSES),
    ]  # fmt: skip
    strided = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [2, 2]}
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], name="stem1", **strided),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="stem2", **strided),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "wh", "bh"], ["logits"], name="heat_last"),
        helper.make_node("Sigmoid", ["logits"], ["heat"], name="sigmoid"),
        helper.make_node("Conv", ["r2", "ws", "bs"], ["size"], name="size_last"),
        helper.make_node("Conv", ["r2", "wo", "bo"], ["offset"], name="offset_last"),
    ]

    def out(name, c):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, c, "rows", "cols"])

    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, "height", "width"])],
        [out("heat", CLASSES), out("size", 2 * CLASSES), out("offset", 2 * CLASSES)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _frames(n: int, seed: int) -> list[np.ndarray]:
    """Ink-like inputs of several sizes: paper 0, strokes towards 1."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        h, w = (int(v) * 16 for v in rng.integers(2, 6, 2))
        frame = np.zeros((h, w), np.float32)
        for _ in range(4):
            y, x = rng.integers(0, h - 4), rng.integers(0, w - 8)
            frame[y : y + 3, x : x + 8] = rng.uniform(0.6, 1.0)
        out.append(frame[None, None])
    return out


def _run(path, frame):
    session = cpu_session(path, 1)
    return session.run(None, {session.get_inputs()[0].name: frame})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("float") / "detector.onnx"
    _tiny_detector(path)
    return path


def test_head_convs_are_the_convolutions_behind_the_outputs(tiny):
    assert sorted(head_convs(onnx.load(str(tiny)))) == ["heat_last", "offset_last", "size_last"]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"per_channel": True},
        {"float_heads": True},
        {"activations": "int8"},
        {"ranges": "mean"},
    ],
    ids=["plain", "per-channel", "float-heads", "int8-activations", "mean-ranges"],
)
def test_quantized_copy_loads_and_gives_close_outputs(tiny, tmp_path, options):
    target = tmp_path / "int8" / "detector.onnx"
    quantize_detector(tiny, target, _frames(24, seed=1), **options)
    graph = onnx.load(str(target)).graph
    ops = {n.op_type for n in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops  # QDQ format
    assert [o.name for o in graph.output] == ["heat", "size", "offset"]
    for frame in _frames(6, seed=2):  # frames the calibration never saw
        exact, approx = _run(tiny, frame), _run(target, frame)
        for a, b in zip(exact, approx, strict=True):
            assert a.shape == b.shape and b.dtype == np.float32
            spread = float(a.max() - a.min()) or 1.0
            error = np.abs(a - b)
            # 8 bits over each tensor's range, through two layers and a head; the
            # mean ranges clip a frame's rare values beyond them, hence the max's slack.
            assert float(np.median(error)) <= 0.02 * spread
            assert float(error.max()) <= 0.15 * spread


def test_float_heads_leave_the_last_convolutions_unquantized(tiny, tmp_path):
    target = tmp_path / "int8" / "detector.onnx"
    quantize_detector(tiny, target, _frames(12, seed=1), float_heads=True)
    graph = onnx.load(str(target)).graph
    produced = {o: n for n in graph.node for o in n.output}
    convs = {n.name: n for n in graph.node if n.op_type == "Conv"}
    for name in ("heat_last", "size_last", "offset_last"):
        weight = convs[name].input[1]
        # A float weight is an initializer itself, not a DequantizeLinear's output.
        assert weight not in produced
    stem_weight = convs["stem2"].input[1]
    assert produced[stem_weight].op_type == "DequantizeLinear"


def test_a_card_beside_the_source_is_written_for_the_copy(tiny, tmp_path):
    card = {"file": "detector.onnx", "version": "v1", "sha256": "abc", "classes": ["a"]}
    (tiny.parent / CARD_NAME).write_text(json.dumps(card))
    try:
        target = tmp_path / "int8" / "detector.onnx"
        quantize_detector(tiny, target, _frames(8, seed=1), per_channel=True)
        written = json.loads((target.parent / CARD_NAME).read_text())
    finally:
        (tiny.parent / CARD_NAME).unlink()
    assert written["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert written["onnx_bytes"] == target.stat().st_size
    assert written["version"].startswith("v1-int8-")
    assert written["classes"] == ["a"]
    assert written["quantization"]["from"] == "abc"
    assert written["quantization"]["per_channel"] is True


def test_unknown_options_are_refused(tiny, tmp_path):
    with pytest.raises(ValueError, match="activations"):
        quantize_detector(tiny, tmp_path / "x.onnx", [], activations="int4")
    with pytest.raises(ValueError, match="ranges"):
        quantize_detector(tiny, tmp_path / "x.onnx", [], ranges="median")
