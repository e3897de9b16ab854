"""``mathocr dataset cut``: training symbols cut from whole images where the detector finds them."""

from __future__ import annotations

import numpy as np
import pytest

from mathocr.cli import main
from mathocr.symbols import CLASSES
from mathocr.training.cut import cut_dataset
from mathocr.training.dataset import SymbolDataset

from .test_dataset import write_inkml_dir


def test_cut_symbols_carry_the_true_labels(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=3)
    ds = cut_dataset(root, kinds=["canvas"])
    # Each file holds 0, 1, -, + and an alpha: alpha is not ours, so at most
    # the other four are cut (the classifier reads the bar too, as it does live).
    found = {CLASSES[i] for i in ds.labels}
    assert found <= {"0", "1", "-", "+"} and {"0", "+"} <= found
    assert ds.images.shape[1:] == (32, 32) and set(np.unique(ds.images)) <= {0, 1}
    assert not ds.geo[:, 2].any()  # measured in their expression
    assert set(ds.source) == {"cut-canvas"}
    assert ds.info["files"] == 4  # the malformed file among them is skipped


def test_cut_is_deterministic_whatever_the_jobs(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=4)
    a = cut_dataset(root, kinds=["canvas", "photo"], every=2, offset=1)
    b = cut_dataset(root, kinds=["canvas", "photo"], every=2, offset=1, jobs=2)
    assert a.info["files"] == 2 and len(a) > 0
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert {"cut-canvas", "cut-photo"} == set(a.source)


def test_cut_rejects_bad_options(tmp_path):
    root = write_inkml_dir(tmp_path / "ink", n_files=1)
    with pytest.raises(ValueError, match="kinds"):
        cut_dataset(root, kinds=["sketch"])
    with pytest.raises(ValueError, match="every"):
        cut_dataset(root, every=2, offset=2)


def test_cli_cut(tmp_path, capsys):
    root = write_inkml_dir(tmp_path / "ink", n_files=2)
    out = tmp_path / "cut.npz"
    assert (
        main(["dataset", "cut", "--inkml", str(root), "--out", str(out), "--kinds", "canvas"]) == 0
    )
    ds = SymbolDataset.load(out)
    assert len(ds) > 0 and ds.info["command"].startswith("mathocr dataset cut --inkml")
    assert "samples from 3 files" in capsys.readouterr().out
    assert main(["dataset", "cut", "--inkml", str(root), "--out", str(out), "--kinds", "x"]) != 0


@pytest.mark.crohme
def test_cut_real_expressions_agree_with_the_shipped_model(crohme_dir):
    from mathocr.classifier import default_classifier

    ds = cut_dataset(crohme_dir / "valid", kinds=["canvas"], every=40)
    assert len(ds) > 50
    pred = default_classifier().probabilities(ds.images, ds.geometry).argmax(1)
    # The labels come from the truth boxes: the shipped model mostly agrees.
    assert (pred == ds.labels).mean() > 0.85
