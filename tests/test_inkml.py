from pathlib import Path

import numpy as np
import pytest

from mathocr.data.inkml import iter_inkml, read_inkml
from mathocr.data.render import draw_strokes, reference_size, render_expression
from mathocr.errors import InkMLError

GOOD = """<ink xmlns="http://www.w3.org/2003/InkML">
<annotation type="truth">$2+x$</annotation>
<annotation type="writer">w1</annotation>
<trace id="0">0 0, 0 10</trace>
<trace id="1">5 5 17, 15 5 18</trace>
<trace id="2">10 0, 10 10</trace>
<trace id="3">20 0, 30 10</trace>
<trace id="4">30 0, 20 10</trace>
<traceGroup xml:id="9"><annotation type="truth">Segmentation</annotation>
 <traceGroup xml:id="10"><annotation type="truth">2</annotation><traceView traceDataRef="0"/></traceGroup>
 <traceGroup xml:id="11"><annotation type="truth">+</annotation>
   <traceView traceDataRef="1"/><traceView traceDataRef="2"/></traceGroup>
 <traceGroup xml:id="12"><annotation type="truth">X</annotation>
   <traceView traceDataRef="3"/><traceView traceDataRef="4"/></traceGroup>
</traceGroup>
</ink>"""


def write(tmp_path: Path, text: str, name: str = "a.inkml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_truth_writer_traces_and_symbols(tmp_path):
    ink = read_inkml(write(tmp_path, GOOD))
    assert ink.truth == "2+x"
    assert ink.writer == "w1"
    assert set(ink.traces) == {"0", "1", "2", "3", "4"}
    assert ink.traces["1"].shape == (2, 2)  # the time channel is dropped
    assert [s.label for s in ink.symbols] == ["2", "+", "X"]
    assert ink.symbols[1].trace_ids == ("1", "2")
    assert len(ink.symbol_strokes(ink.symbols[2])) == 2


@pytest.mark.parametrize(
    "text,match",
    [
        ("", "cannot read"),
        ("<ink xmlns='http://www.w3.org/2003/InkML'><trace id='0'>1 2,", "cannot read"),
        ("<html/>", "not <ink>"),
        ("<ink xmlns='http://www.w3.org/2003/InkML'></ink>", "no traces"),
        ("<ink xmlns='http://www.w3.org/2003/InkML'><trace id='0'>a b</trace></ink>", "bad trace"),
        (GOOD.replace('traceDataRef="4"', 'traceDataRef="44"'), "missing traces"),
    ],
)
def test_malformed_files_raise_inkml_error(tmp_path, text, match):
    with pytest.raises(InkMLError, match=match):
        read_inkml(write(tmp_path, text))


def test_iter_inkml_walks_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    write(tmp_path / "b", GOOD, "z.inkml")
    write(tmp_path, GOOD, "a.inkml")
    write(tmp_path, "x", "notes.txt")
    assert [p.name for p in iter_inkml(tmp_path)] == ["a.inkml", "z.inkml"]


def test_render_scales_by_typical_symbol_size(tmp_path):
    ink = read_inkml(write(tmp_path, GOOD))
    assert reference_size(ink) == 10.0
    img = render_expression(ink, symbol_px=50, pen=3, padding=5, antialias=False)
    ys, xs = np.nonzero(img < 128)
    assert 48 <= np.ptp(ys) <= 56  # 10 units tall → about 50 px plus the pen
    assert 148 <= np.ptp(xs) <= 156  # 30 units wide


def test_draw_single_point_stroke_as_dot():
    img = draw_strokes([np.array([[3.0, 3.0]])], scale=1, pen=6, padding=4)
    assert (img < 128).sum() >= 12


@pytest.mark.crohme
def test_every_valid_file_reads(crohme_dir):
    files = list(iter_inkml(crohme_dir / "valid"))
    assert len(files) > 700
    for f in files[::25]:
        ink = read_inkml(f)
        assert ink.traces and ink.truth
