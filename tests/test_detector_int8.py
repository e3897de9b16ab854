"""``mathocr quantize-detector``: an int8 copy that serves, and finds what the float model finds.

:func:`mathocr.training.detector.int8.write_int8` quantizes the shipped
(float) detector, calibrated on a few real dev drawings; the copy must load
through the serving code with its card and read real rendered CROHME images
as the float model does. Tests that need ``../shared`` skip with a reason
where it is absent.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime.quantization")

import onnx  # noqa: E402

from mathocr.cli import main  # noqa: E402
from mathocr.detect.decode import box_iou  # noqa: E402
from mathocr.detect.model import CARD_NAME, DEFAULT_DETECTOR, SymbolDetector  # noqa: E402
from mathocr.detect.prepare import prepare  # noqa: E402
from mathocr.errors import MathOCRError  # noqa: E402
from mathocr.imaging import load_image  # noqa: E402
from mathocr.training.detector.int8 import float_model, write_int8  # noqa: E402

FLOAT = DEFAULT_DETECTOR  # the served detector is the float model


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def dev_drawn(crohme_dir):
    """A few dev writers' expressions: prepared samples (for calibration) and canvas images."""
    from mathocr.data.inkml import read_inkml
    from mathocr.data.scenes import canvas_image
    from mathocr.data.splits import split_files
    from mathocr.training.detector.data import build_real_shard

    files = split_files(crohme_dir)[1][::40][:8]
    samples = build_real_shard(files, seed=0, kinds=("canvas", "photo"))
    images = [canvas_image(read_inkml(f), i).data for i, f in enumerate(files[:4])]
    return samples, images


@pytest.fixture(scope="module")
def shipped(dev_drawn, tmp_path_factory):
    samples, _ = dev_drawn
    out = tmp_path_factory.mktemp("int8")
    write_int8(FLOAT, out, dev=samples, valid=samples[:4], frames=8)
    return out / "detector.onnx"


def test_ship_writes_a_qdq_model_and_a_card_that_says_so(shipped):
    ops = {n.op_type for n in onnx.load(str(shipped)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    card = json.loads(shipped.with_name(CARD_NAME).read_text())
    assert card["sha256"] == _sha(shipped) and card["onnx_bytes"] == shipped.stat().st_size
    q = card["quantization"]
    assert q["weights"].startswith("int8") and q["float_nodes"]  # per channel, float heads
    assert "8 prepared dev frames" in q["calibration"]
    assert card["float"]["sha256"] == _sha(FLOAT)
    assert card["speed"]["int8_ms"] > 0 and card["speed"]["float_ms"] > 0
    assert card["valid"]["images"] == 4 and card["float"]["valid"]["images"] == 4
    assert "## Int8" in shipped.with_name("DETECTOR_CARD.md").read_text()
    SymbolDetector(shipped)  # the serving code checks the card against the file


def test_int8_finds_the_symbols_the_float_model_finds_on_real_drawings(shipped, dev_drawn):
    _, images = dev_drawn
    exact, quantized = SymbolDetector(FLOAT), SymbolDetector(shipped)
    found = agreed = extra = 0
    for data in images:
        prepared = prepare(load_image(data).gray)
        a, b = exact.detect(prepared), quantized.detect(prepared)
        if a and b:
            iou = box_iou(np.array([f.box for f in a]), np.array([f.box for f in b]))
            same = np.array([[x.label == y.label for y in b] for x in a])
            agreed += int(((iou >= 0.5) & same).any(axis=1).sum())
        found += len(a)
        extra += abs(len(a) - len(b))
    assert found >= 20
    # 8 bits and 8 calibration frames: nearly every symbol the same, box and label.
    assert agreed >= 0.9 * found
    assert extra <= 0.1 * found


def test_ship_is_deterministic(shipped, dev_drawn, tmp_path):
    samples, _ = dev_drawn
    again = write_int8(FLOAT, tmp_path, dev=samples, valid=samples[:4], frames=8)
    assert _sha(again) == _sha(shipped)


def test_quantize_detector_refuses_an_int8_model_and_its_own_folder(tmp_path, capsys):
    source = tmp_path / "float"
    source.mkdir()
    shutil.copyfile(FLOAT, source / "detector.onnx")
    card = json.loads((FLOAT.parent / CARD_NAME).read_text())
    (source / CARD_NAME).write_text(json.dumps(card))
    assert float_model(source) == source / "detector.onnx" == float_model(source / "detector.onnx")
    with pytest.raises(MathOCRError, match="no float detector"):
        float_model(tmp_path)
    assert main(["quantize-detector", str(source), "--out", str(source)]) == 2
    assert "holds the float model" in capsys.readouterr().err
    with pytest.raises(ValueError, match="another folder"):
        write_int8(source / "detector.onnx", source, dev=[])
    (source / CARD_NAME).write_text(json.dumps({**card, "quantization": {}}))
    with pytest.raises(MathOCRError, match="already int8"):
        float_model(source)
    assert main(["quantize-detector", str(source), "--out", str(tmp_path / "x")]) == 2
    assert "already int8" in capsys.readouterr().err


def test_an_int8_copy_of_a_float16_stored_model_is_carded_int8(dev_drawn, tmp_path):
    """Export stores float weights as float16; the int8 copy of such a model says int8
    (its card was the float card's, which would have described it as float16)."""
    from mathocr.training.detector.export import store_weights_half

    samples, _ = dev_drawn
    source = tmp_path / "float" / "detector.onnx"
    source.parent.mkdir()
    shutil.copyfile(FLOAT, source)
    store_weights_half(source)
    card = json.loads((FLOAT.parent / CARD_NAME).read_text())
    card.update(weights="float16", sha256=_sha(source), onnx_bytes=source.stat().st_size)
    source.with_name(CARD_NAME).write_text(json.dumps(card))
    out = write_int8(source, tmp_path / "int8", dev=samples, frames=8)
    copy = json.loads(out.with_name(CARD_NAME).read_text())
    assert copy["weights"] == "int8" and copy["float"]["weights"] == "float16"
    assert "float16" not in out.with_name("DETECTOR_CARD.md").read_text()
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert "QuantizeLinear" in ops and "Cast" not in ops  # the casts folded, then quantized
    SymbolDetector(out)
