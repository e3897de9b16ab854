"""Shared fixtures: the real handwriting data when present, and drawn images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore new random cases on every local run; CI replays a fixed
# set, so that a submission is judged on the same cases every time it runs.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MATHOCR_SHARED", ROOT.parent / "shared")) / "data"
CROHME = SHARED / "crohme"
MNIST = SHARED / "mnist" / "mnist.npz"


@pytest.fixture(scope="session")
def crohme_dir() -> Path:
    """``../shared/data/crohme``; the test is skipped where it is absent."""
    if not (CROHME / "valid").is_dir():
        pytest.skip(f"real handwriting not found at {CROHME} (set MATHOCR_SHARED)")
    return CROHME


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    if not MNIST.is_file():
        pytest.skip(f"MNIST not found at {MNIST} (set MATHOCR_SHARED)")
    return MNIST
