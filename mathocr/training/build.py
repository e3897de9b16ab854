"""Building symbol datasets from CROHME InkML (and MNIST), through the live normalization.

Every sample is made the way the live pipeline makes its input: the symbol's
strokes are drawn as a binary image at a realistic size and pen width
(:func:`mathocr.data.render.draw_strokes`), and that ink mask goes through
:func:`mathocr.symbols.normalize_symbol`, the one normalization the recognizer
also runs on a symbol cut out of a user's image. Nothing here re-implements it.

>>> ds = build_dataset("../shared/data/crohme/valid", seed=0)  # doctest: +SKIP
>>> ds.images.shape, ds.classes[:3]  # doctest: +SKIP
((7530, 32, 32), ('0', '1', '2'))
"""

from __future__ import annotations

import math
import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.inkml import iter_inkml, read_inkml
from ..data.render import draw_strokes, reference_size, stroke_span
from ..errors import InkMLError, MathOCRError
from ..geometry import symbol_geometry, typical_size
from ..symbols import BOX, CLASSES, MARGIN, crohme_to_class, normalize_symbol
from .augment import Distortion, augment_strokes
from .dataset import SymbolDataset, cap_per_class

__all__ = [
    "RenderOptions",
    "InkSymbolRecord",
    "collect_symbols",
    "render_symbol",
    "build_dataset",
    "mnist_dataset",
    "parse_range",
]

#: Classes whose CROHME counts are low; :func:`build_dataset` oversamples them.
SCARCE = ("\\div", "/", "\\times", ".")


@dataclass(frozen=True)
class RenderOptions:
    """How a symbol is drawn before normalization.

    ``target_px`` is the size, in pixels, of a typical symbol of the
    expression (:func:`mathocr.data.render.reference_size`), so that a ``.`` or a
    ``-`` stays small relative to its neighbours, as in a real drawing.
    """

    box: int = BOX
    margin: int = MARGIN
    target_px: tuple[float, float] = (25.0, 110.0)
    pen: tuple[int, int] = (2, 9)
    pen_share: tuple[float, float] = (0.0, 1 / 6)
    """The pen, as a share of ``target_px``, is kept within this range (inside ``pen``).

    People shrink their writing, not their pen, but the default's upper bound
    keeps a fat pen off small symbols; a set of thick-pen renderings (whose
    loops fill in) is built with a higher range.
    """
    antialias_prob: float = 0.5
    """Share of drawings made anti-aliased then thresholded (a browser canvas)."""

    def __post_init__(self) -> None:
        lo, hi = self.target_px
        if not 4 <= lo <= hi:
            raise ValueError(f"target_px must be a range 4 ≤ lo ≤ hi, got {self.target_px}")
        if not 1 <= self.pen[0] <= self.pen[1]:
            raise ValueError(f"pen must be a range 1 ≤ lo ≤ hi, got {self.pen}")
        if not 0 <= self.pen_share[0] <= self.pen_share[1] <= 1:
            raise ValueError(f"pen_share must be a range 0 ≤ lo ≤ hi ≤ 1, got {self.pen_share}")


@dataclass(frozen=True)
class InkSymbolRecord:
    """One labelled symbol of an InkML file, ready to be drawn."""

    strokes: tuple[np.ndarray, ...]
    label: str
    """One of :data:`mathocr.symbols.CLASSES`."""
    reference: float
    """The expression's typical symbol size, in ink units (sets the drawing scale)."""
    file: str
    typical: float = 1.0
    """The expression's :func:`mathocr.geometry.typical_size`, in ink units."""


def parse_range(text: str, kind: type = int) -> tuple:
    """``"2-9"`` → ``(2, 9)``; ``"4"`` → ``(4, 4)``."""
    lo, sep, hi = text.partition("-")
    try:
        a = kind(lo)
        b = kind(hi) if sep else a
    except ValueError as e:
        raise ValueError(f"expected a number or a range like 2-9, got {text!r}") from e
    if b < a:
        raise ValueError(f"empty range {text!r}")
    return (a, b)


def collect_symbols(
    root: str | Path,
    *,
    classes: Sequence[str] = CLASSES,
    on_error: Callable[[str], None] | None = None,
) -> tuple[list[InkSymbolRecord], list[str]]:
    """Read every InkML file under *root*; keep the symbols of *classes*.

    Malformed files are reported through *on_error* (and returned) and
    skipped; one bad file never stops a build.
    """
    wanted = set(classes)
    records: list[InkSymbolRecord] = []
    errors: list[str] = []
    files = list(iter_inkml(root))
    if not files:
        raise MathOCRError(f"no .inkml files under {root}")
    for path in files:
        try:
            ink = read_inkml(path)
            reference = reference_size(ink) if ink.symbols else 1.0
            every = [tuple(ink.symbol_strokes(symbol)) for symbol in ink.symbols]
        except InkMLError as e:
            errors.append(str(e))
            if on_error is not None:
                on_error(str(e))
            continue
        typical = typical_size(np.array([stroke_span(s) for s in every]).reshape(-1, 2))
        for symbol, strokes in zip(ink.symbols, every, strict=True):
            label = crohme_to_class(symbol.label)
            if label is None or label not in wanted:
                continue
            records.append(InkSymbolRecord(strokes, label, reference, str(path), typical))
    return records, errors


def render_symbol(
    strokes: Sequence[np.ndarray],
    reference: float,
    rng: np.random.Generator,
    options: RenderOptions = RenderOptions(),
) -> np.ndarray:
    """Draw one symbol at a random realistic size and pen, then normalize it.

    Returns the (box, box) uint8 0/1 array that :func:`normalize_symbol` gives
    for the drawn ink mask: exactly the classifier's input.
    """
    target = rng.uniform(*options.target_px)
    scale = target / max(reference, 1e-9)
    # A fat pen on a small symbol closes every loop: the pen is bounded by the symbol size.
    share_lo, share_hi = options.pen_share
    pen_lo = max(options.pen[0], min(options.pen[1], math.ceil(target * share_lo - 1e-9)))
    pen_hi = max(pen_lo, min(options.pen[1], int(target * share_hi + 1e-9)))
    pen = int(rng.integers(pen_lo, pen_hi + 1))
    antialias = bool(rng.random() < options.antialias_prob)
    image = draw_strokes(strokes, scale=scale, pen=pen, antialias=antialias)
    threshold = int(rng.integers(96, 192)) if antialias else 128
    return normalize_symbol(image < threshold, box=options.box, margin=options.margin)


def _variants_per_class(
    counts: dict[str, int], *, variants: int, balance: int, max_variants: int
) -> dict[str, int]:
    """Renderings per symbol: *variants*, more for classes below *balance*."""
    out = {}
    for label, n in counts.items():
        need = math.ceil(balance / n) if n and balance else variants
        out[label] = int(min(max(variants, need), max(variants, max_variants)))
    return out


def _render_chunk(
    job: tuple[list[tuple[int, InkSymbolRecord, int]], int, RenderOptions, Distortion | None],
) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    items, seed, options, distortion = job
    out = []
    for index, record, count in items:
        rng = np.random.default_rng([seed, index])
        for v in range(count):
            strokes: Sequence[np.ndarray] = record.strokes
            if v > 0 and distortion is not None:
                strokes = augment_strokes(strokes, rng, distortion)
            try:
                image = render_symbol(strokes, record.reference, rng, options)
            except ValueError:  # a degenerate symbol (no ink after drawing)
                continue
            # Measured on the strokes drawn, so a stretched variant keeps its own proportions.
            geometry = symbol_geometry(np.array([stroke_span(strokes)]), record.typical)[0]
            out.append((index, v, image, geometry))
    return out


def build_dataset(
    root: str | Path,
    *,
    classes: Sequence[str] = CLASSES,
    options: RenderOptions = RenderOptions(),
    variants: int = 1,
    balance: int = 0,
    max_variants: int = 16,
    max_per_class: int | None = None,
    distortion: Distortion | None = None,
    seed: int = 0,
    jobs: int = 1,
    progress: bool = False,
    on_error: Callable[[str], None] | None = None,
) -> SymbolDataset:
    """Render and normalize every symbol of *classes* under *root*.

    Parameters
    ----------
    variants : int
        Renderings per symbol. The first is the symbol as written (random size
        and pen only); the others are distorted with *distortion* when given.
    balance : int
        Classes with fewer than this many samples get extra distorted
        renderings, at most *max_variants* per symbol (the upper bound keeps a
        94-sample class from being 100 copies of the same few writers).
    max_per_class : int, optional
        Keep at most this many samples of any class (a random subset).
    seed : int
        Everything random derives from it: the same seed gives the same
        dataset whatever *jobs* is.
    """
    if variants < 1:
        raise ValueError(f"variants must be ≥ 1, got {variants}")
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        raise ValueError(f"unknown classes {unknown}; choose from {' '.join(CLASSES)}")
    records, errors = collect_symbols(root, classes=classes, on_error=on_error)
    counts = {c: sum(r.label == c for r in records) for c in classes}
    if balance and distortion is None:
        distortion = Distortion()
    per_class = _variants_per_class(
        counts, variants=variants, balance=balance, max_variants=max_variants
    )
    items = [(i, r, per_class[r.label]) for i, r in enumerate(records)]
    chunks = [items[k : k + 200] for k in range(0, len(items), 200)]
    jobs_list = [(chunk, seed, options, distortion) for chunk in chunks]
    results = _run(jobs_list, jobs=jobs, progress=progress, total=len(chunks))
    index = {c: i for i, c in enumerate(classes)}
    images, labels, group, geometry = [], [], [], []
    for chunk_result in results:
        for i, _v, image, geo in chunk_result:
            images.append(image)
            labels.append(index[records[i].label])
            group.append(i)
            geometry.append(geo)
    ds = SymbolDataset(
        images=np.stack(images) if images else np.zeros((0, options.box, options.box), np.uint8),
        labels=np.asarray(labels, np.int64),
        classes=tuple(classes),
        group=np.asarray(group, np.int64),
        source=np.full(len(labels), "crohme"),
        info={"root": str(root), "errors": errors, "symbols": len(records), "seed": seed},
        geometry=np.stack(geometry) if geometry else None,
    )
    if max_per_class is not None:
        ds = cap_per_class(ds, max_per_class, seed=seed)
    return ds


def _run(jobs_list: list, *, jobs: int, progress: bool, total: int) -> list:
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="rendering", unit="chunk", file=sys.stderr)

    def tick(results: Iterable) -> Iterator:
        for r in results:
            if bar is not None:
                bar.update(1)
            yield r
        if bar is not None:
            bar.close()

    if jobs <= 1:
        return list(tick(map(_render_chunk, jobs_list)))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return list(tick(pool.imap(_render_chunk, jobs_list)))


def mnist_dataset(
    path: str | Path,
    *,
    per_digit: int = 1000,
    split: str = "train",
    classes: Sequence[str] = CLASSES,
    box: int = BOX,
    margin: int = MARGIN,
    seed: int = 0,
) -> SymbolDataset:
    """MNIST digits (white on black, anti-aliased) through :func:`normalize_symbol`."""
    try:
        with np.load(path) as data:
            x = data[f"x_{split}"]
            y = data[f"y_{split}"]
    except (OSError, KeyError, ValueError) as e:
        raise MathOCRError(f"{path}: cannot read MNIST ({e})") from e
    rng = np.random.default_rng([seed, 2])
    index = {c: i for i, c in enumerate(classes)}
    images, labels = [], []
    for digit in range(10):
        if str(digit) not in index:
            continue
        idx = np.flatnonzero(y == digit)
        if per_digit < len(idx):
            idx = np.sort(rng.choice(idx, per_digit, replace=False))
        for i in idx:
            mask = x[i] >= 128
            if not mask.any():
                continue
            images.append(normalize_symbol(mask, box=box, margin=margin))
            labels.append(index[str(digit)])
    n = len(labels)
    return SymbolDataset(
        images=np.stack(images) if images else np.zeros((0, box, box), np.uint8),
        labels=np.asarray(labels, np.int64),
        classes=tuple(classes),
        group=np.arange(n, dtype=np.int64),
        source=np.full(n, "mnist"),
    )
