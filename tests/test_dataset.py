"""The symbol dataset builder: InkML → drawn → normalize_symbol → .npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mathocr.cli import main
from mathocr.data.inkml import read_inkml
from mathocr.data.render import draw_strokes, reference_size
from mathocr.geometry import missing_geometry
from mathocr.symbols import BOX, CLASSES, crohme_to_class, normalize_symbol
from mathocr.training.augment import Distortion, augment_strokes
from mathocr.training.build import (
    RenderOptions,
    build_dataset,
    collect_symbols,
    mnist_dataset,
    parse_range,
    render_symbol,
)
from mathocr.training.dataset import SymbolDataset, preview_grid

# --- drawing our own handwriting -------------------------------------------------


def shape_strokes(label: str, rng: np.random.Generator, size: float = 100.0) -> list[np.ndarray]:
    """Strokes (ink units, y down) of a rough hand-drawn symbol, jittered by *rng*."""
    j = lambda n: rng.normal(0, size * 0.02, (n, 2))  # noqa: E731
    t = np.linspace(0, 1, 20)[:, None]
    if label == "0":
        a = np.linspace(0, 2 * np.pi, 40)
        return [np.c_[size * 0.3 * np.cos(a), size * 0.5 * np.sin(a)] + j(40)]
    if label == "1":
        return [np.c_[np.zeros(20), size * t[:, 0]] + j(20)]
    if label == "-":
        return [np.c_[size * t[:, 0], np.zeros(20)] + j(20)]
    if label == "+":
        return [
            np.c_[size * t[:, 0], np.full(20, size / 2)] + j(20),
            np.c_[np.full(20, size / 2), size * t[:, 0]] + j(20),
        ]
    raise ValueError(label)


def inkml_text(symbols: list[tuple[str, list[np.ndarray]]], writer: str = "w1") -> str:
    """An InkML document holding *symbols* side by side."""
    traces, groups = [], []
    tid = 0
    for k, (label, strokes) in enumerate(symbols):
        refs = []
        for stroke in strokes:
            pts = ", ".join(f"{x + 150 * k:.2f} {y:.2f}" for x, y in stroke)
            traces.append(f'<trace id="{tid}">{pts}</trace>')
            refs.append(f'<traceView traceDataRef="{tid}"/>')
            tid += 1
        groups.append(
            f'<traceGroup xml:id="g{k}"><annotation type="truth">{label}</annotation>'
            + "".join(refs)
            + "</traceGroup>"
        )
    return (
        '<ink xmlns="http://www.w3.org/2003/InkML">'
        '<annotation type="truth">$expr$</annotation>'
        f'<annotation type="writer">{writer}</annotation>'
        + "".join(traces)
        + '<traceGroup xml:id="root"><annotation type="truth">Segmentation</annotation>'
        + "".join(groups)
        + "</traceGroup></ink>"
    )


def write_inkml_dir(root: Path, n_files: int = 6, seed: int = 0) -> Path:
    """Files with 0, 1, -, + (and an alpha and a capital X), plus one malformed file."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n_files):
        symbols = [(label, shape_strokes(label, rng)) for label in ("0", "1", "-", "+")]
        symbols.append(("\\alpha", shape_strokes("0", rng)))
        (root / f"expr{i:02d}.inkml").write_text(inkml_text(symbols))
    (root / "broken.inkml").write_text("<ink><trace id='0'>1 2, 3")
    return root


# --- tests ----------------------------------------------------------------------


def test_collect_symbols_maps_labels_and_reports_bad_files(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=3)
    reported: list[str] = []
    records, errors = collect_symbols(root, on_error=reported.append)
    assert len(errors) == 1 and "broken.inkml" in errors[0]
    assert reported == errors
    # \alpha is not one of ours and is dropped.
    assert sorted(r.label for r in records) == sorted(["0", "1", "-", "+"] * 3)
    assert all(r.label in CLASSES for r in records)


def test_capital_x_is_x(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "x.inkml"
    path.write_text(
        inkml_text([("X", shape_strokes("+", rng)), ("\\times", shape_strokes("+", rng))])
    )
    records, _ = collect_symbols(path)
    assert [r.label for r in records] == ["x", "\\times"]


def test_sample_is_normalize_symbol_of_the_drawn_strokes(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=2)
    fixed = RenderOptions(target_px=(60.0, 60.0), pen=(4, 4), antialias_prob=0.0)
    ds = build_dataset(root, options=fixed, seed=3)
    records, _ = collect_symbols(root)
    assert len(ds) == len(records)
    for image, label, group in zip(ds.images, ds.labels, ds.group, strict=True):
        record = records[group]
        assert ds.classes[label] == record.label
        drawn = draw_strokes(record.strokes, scale=60.0 / record.reference, pen=4)
        assert np.array_equal(image, normalize_symbol(drawn < 128))


def test_render_symbol_output_is_the_classifier_input():
    rng = np.random.default_rng(0)
    strokes = shape_strokes("0", rng)
    for seed in range(5):
        out = render_symbol(strokes, 100.0, np.random.default_rng(seed))
        assert out.shape == (BOX, BOX) and out.dtype == np.uint8
        assert set(np.unique(out)) == {0, 1}


def test_build_is_deterministic_and_independent_of_jobs(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=4)
    a = build_dataset(root, variants=3, distortion=Distortion(), seed=7)
    b = build_dataset(root, variants=3, distortion=Distortion(), seed=7, jobs=2)
    c = build_dataset(root, variants=3, distortion=Distortion(), seed=8)
    assert len(a) == 4 * 4 * 3
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)


def test_balancing_oversamples_scarce_classes_with_a_cap(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=3)
    ds = build_dataset(root, classes=("0", "1"), balance=12, max_variants=3, seed=0)
    # 3 symbols a class: balance asks 4 renderings each, the cap allows 3.
    assert ds.counts() == {"0": 9, "1": 9}
    capped = build_dataset(root, variants=3, max_per_class=5, seed=0)
    present = {c: n for c, n in capped.counts().items() if n}
    assert present == {"0": 5, "1": 5, "-": 5, "+": 5}


def test_class_subset_and_box_size(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=2)
    ds = build_dataset(root, classes=("+", "-"), options=RenderOptions(box=24))
    assert ds.classes == ("+", "-")
    assert ds.images.shape == (4, 24, 24)
    with pytest.raises(ValueError, match="unknown classes"):
        build_dataset(root, classes=("+", "y"))


def test_save_and_load_round_trip(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=2)
    ds = build_dataset(root, seed=0)
    path = ds.save(tmp_path / "d.npz")
    back = SymbolDataset.load(path)
    assert np.array_equal(back.images, ds.images)
    assert np.array_equal(back.labels, ds.labels)
    assert back.classes == ds.classes
    assert np.array_equal(back.geometry, ds.geometry)


def test_geometry_is_measured_on_the_strokes_in_their_expression(tmp_path):
    """Each sample carries its size against its own file's typical symbol."""
    root = write_inkml_dir(tmp_path / "ink", n_files=3)
    ds = build_dataset(root, seed=0)
    geo = ds.geo
    assert geo.shape == (len(ds), 3) and not geo[:, 2].any()  # all known
    minus = ds.labels == ds.classes.index("-")
    assert minus.any()
    # A minus is much flatter than its expression's typical symbol, and wide.
    assert (geo[minus, 0] < -1.0).all() and (geo[minus, 1] > geo[minus, 0] + 1.0).all()


def test_a_dataset_saved_without_geometry_loads_as_unknown(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=1)
    ds = build_dataset(root, seed=0)
    with np.load(ds.save(tmp_path / "new.npz")) as data:
        old = {key: data[key] for key in data.files if key != "geometry"}
    path = tmp_path / "old.npz"
    np.savez_compressed(path, **old)  # as session 1's builder wrote it
    back = SymbolDataset.load(path)
    assert np.array_equal(back.geometry, missing_geometry(len(ds)))


def test_augment_distorts_but_keeps_the_symbol_in_place():
    rng = np.random.default_rng(0)
    strokes = shape_strokes("+", rng)
    out = augment_strokes(strokes, np.random.default_rng(1), Distortion(break_prob=0.0))
    assert len(out) == len(strokes)
    moved = max(float(np.abs(a - b).max()) for a, b in zip(out, strokes, strict=True))
    assert 0 < moved < 40  # at most ~a third of the 100-unit symbol
    broken = augment_strokes(strokes, np.random.default_rng(1), Distortion(break_prob=1.0))
    assert len(broken) == len(strokes) + 1


def test_parse_range():
    assert parse_range("2-9") == (2, 9)
    assert parse_range("4") == (4, 4)
    assert parse_range("25-110", float) == (25.0, 110.0)
    with pytest.raises(ValueError):
        parse_range("9-2")
    with pytest.raises(ValueError):
        parse_range("a-b")


def test_preview_grid_has_a_row_per_class(tmp_path):
    ds = build_dataset(write_inkml_dir(tmp_path / "ink", n_files=2), seed=0)
    grid = preview_grid(ds, per_class=5)
    assert grid.dtype == np.uint8
    assert grid.shape[0] >= len(ds.classes) * BOX * 2
    assert (grid == 0).any()  # ink was drawn


@pytest.mark.crohme
def test_real_valid_files(crohme_dir):
    files = sorted((crohme_dir / "valid").rglob("*.inkml"))[:5]
    expected = 0
    for f in files:
        ink = read_inkml(f)
        expected += sum(crohme_to_class(s.label) is not None for s in ink.symbols)
        assert reference_size(ink) > 0
    root = files[0].parent
    records, errors = collect_symbols(root)
    assert not errors
    sub = [r for r in records if Path(r.file) in set(files)]
    assert len(sub) == expected > 0
    ds = build_dataset(files[0], seed=0)
    assert len(ds) == sum(Path(r.file) == files[0] for r in records)
    assert ds.images.shape[1:] == (BOX, BOX)


def test_mnist_digits_go_through_the_same_normalization(mnist_path):
    ds = mnist_dataset(mnist_path, per_digit=3, seed=0)
    assert len(ds) == 30
    assert ds.counts()["7"] == 3 and ds.counts()["+"] == 0
    with np.load(mnist_path) as data:
        first_zero = data["x_train"][np.flatnonzero(data["y_train"] == 0)]
    idx = np.flatnonzero(ds.labels == 0)
    assert any(
        np.array_equal(ds.images[i], normalize_symbol(m >= 128))
        for i in idx
        for m in first_zero[:2000]
    )


def test_cli_build_and_preview(tmp_path, capsys):
    root = write_inkml_dir(tmp_path / "ink", n_files=3)
    out = tmp_path / "d.npz"
    code = main(
        ["dataset", "build", "--inkml", str(root), "--out", str(out), "--pen", "3-5", "--seed", "1"]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "broken.inkml" in captured.err
    assert "12 samples" in captured.out
    ds = SymbolDataset.load(out)
    assert len(ds) == 12
    png = tmp_path / "grid.png"
    assert main(["dataset", "preview", "--data", str(out), "--out", str(png)]) == 0
    assert png.stat().st_size > 0


def test_cli_build_rejects_bad_options(tmp_path, capsys):
    root = write_inkml_dir(tmp_path / "ink", n_files=1)
    out = str(tmp_path / "d.npz")
    assert main(["dataset", "build", "--inkml", str(root), "--out", out, "--pen", "9-2"]) == 2
    assert "range" in capsys.readouterr().err
    assert (
        main(["dataset", "build", "--inkml", str(root), "--out", out, "--pen-share", "0.3-0.1"])
        == 2
    )
    assert "0.3-0.1" in capsys.readouterr().err
    assert main(["dataset", "build", "--inkml", str(tmp_path / "nope"), "--out", out]) == 2
    assert main(["dataset", "preview", "--data", str(tmp_path / "nope.npz"), "--out", out]) == 2


def test_pen_share_sets_the_pen_as_a_share_of_the_symbol_size(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=2)
    thick = RenderOptions(
        target_px=(60.0, 60.0), pen=(2, 16), pen_share=(0.25, 0.25), antialias_prob=0.0
    )
    ds = build_dataset(root, options=thick, seed=3)
    records, _ = collect_symbols(root)
    for image, group in zip(ds.images, ds.group, strict=True):
        record = records[group]
        drawn = draw_strokes(record.strokes, scale=60.0 / record.reference, pen=15)
        assert np.array_equal(image, normalize_symbol(drawn < 128))


def test_pen_share_must_be_an_ordered_range_of_shares():
    assert RenderOptions().pen_share == (0.0, 1 / 6)
    for bad in ((0.3, 0.2), (-0.1, 0.2), (0.1, 1.5)):
        with pytest.raises(ValueError, match="pen_share"):
            RenderOptions(pen_share=bad)
