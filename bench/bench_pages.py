"""Whole-image pages of working: several expressions drawn one under another, read end to end.

``python -m bench layout`` splits pages of true symbol boxes into lines; here
the same kind of page goes through everything a user's image does. Each page
stacks 2 to 5 in-scope CROHME ``valid/`` expressions from their real pen
strokes, as a student writes working: every line brought to one writing size
and then scaled 0.85-1.15, turned by up to ±3°, indented up to 1.5 symbol
heights, 0.3-1 symbol height below the line above, and 30% of the equations
broken before an ``=`` that then starts the next line (indented further).
The page is then drawn by :mod:`mathocr.data.scenes` as a canvas (the web page's
1000×400 drawing area: a page of five lines is written small there) and as a
phone photo, and read by a recognizer, which splits it into lines itself.

A line is right when its canonical LaTeX equals the truth's, in order (lines
matched as in the layout benchmark, so a missing or extra line costs only
itself); a page is right when every line is right and there are no others.
Valid's writers are only reported here: no threshold was set on these pages.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bench.layout_pages import lines_matched
from mathocr.data.canonical import canonical_latex, in_scope, tokens
from mathocr.data.inkml import InkExpression, InkSymbol, iter_inkml, read_inkml
from mathocr.data.render import reference_size
from mathocr.data.scenes import all_ours, canvas_image, photo_image

ROOT = Path(__file__).resolve().parent.parent
CROHME = ROOT.parent / "shared" / "data" / "crohme"
#: Ink units of one symbol on a composed page (any value: the scenes rescale the drawing).
UNIT = 100.0

#: One line of a page: its truth and its symbols, each a label with its strokes.
Line = tuple[str, list[tuple[str, list[np.ndarray]]]]


def _line(ink: InkExpression) -> Line:
    return ink.truth, [(s.label, ink.symbol_strokes(s)) for s in ink.symbols]


def split_at_equals(line: Line) -> list[Line]:
    """``a = b`` as two lines, ``a`` and ``= b``, cut before the first top-level ``=``."""
    truth, symbols = line
    toks = tokens(truth)
    depth = 0
    for k, t in enumerate(toks):
        depth += (t == "{") - (t == "}")
        if t != "=" or depth != 0 or k == 0:
            continue
        equals = [strokes for label, strokes in symbols if label == "="]
        if len(equals) != toks.count("="):
            return [line]
        cut = min(float(np.concatenate(s)[:, 0].min()) for s in equals)

        def centre(strokes: list[np.ndarray]) -> float:
            pts = np.concatenate(strokes)
            return float(pts[:, 0].min() + pts[:, 0].max()) / 2

        left = [s for s in symbols if centre(s[1]) < cut]
        right = [s for s in symbols if centre(s[1]) >= cut]
        if not left or len(right) < 2:
            return [line]
        return [(" ".join(toks[:k]), left), (" ".join(toks[k:]), right)]
    return [line]


def compose(lines: list[Line], rng: random.Random, name: str) -> InkExpression:
    """The lines as one page of ink, top line first (the truth joins them with ``\\\\``)."""
    traces: dict[str, np.ndarray] = {}
    symbols: list[InkSymbol] = []
    bottom = 0.0
    for k, (truth, syms) in enumerate(lines):
        strokes = [s for _, group in syms for s in group]
        pts = np.concatenate(strokes)
        size = reference_size(_ink(truth, syms)) or float(np.ptp(pts[:, 1])) or 1.0
        scale = UNIT / size * rng.uniform(0.85, 1.15)
        angle = math.radians(rng.uniform(-3.0, 3.0))
        centre = pts.mean(axis=0)
        turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        moved = [((s - centre) * scale) @ turn.T for s in strokes]
        every = np.concatenate(moved)
        dx = rng.uniform(0, 1.5) * UNIT - every[:, 0].min()
        if truth.startswith("="):
            dx += rng.uniform(0.5, 3.0) * UNIT
        dy = bottom + rng.uniform(0.3, 1.0) * UNIT - every[:, 1].min()
        bottom = float(every[:, 1].max()) + dy
        index = 0
        for label, group in syms:
            ids = []
            for _ in group:
                tid = f"{k}:{index}"
                traces[tid] = moved[index] + (dx, dy)
                ids.append(tid)
                index += 1
            symbols.append(InkSymbol(label, tuple(ids)))
    truth = " \\\\ ".join(t for t, _ in lines)
    return InkExpression(name, truth, None, traces, tuple(symbols))


def _ink(truth: str, syms: list[tuple[str, list[np.ndarray]]]) -> InkExpression:
    """One line's symbols as an expression of their own."""
    traces: dict[str, np.ndarray] = {}
    symbols = []
    for i, (label, group) in enumerate(syms):
        ids = tuple(f"{i}:{j}" for j in range(len(group)))
        traces.update(zip(ids, group, strict=True))
        symbols.append(InkSymbol(label, ids))
    return InkExpression("", truth, None, traces, tuple(symbols))


def make_pages(expressions: list[InkExpression], count: int, seed: int) -> list[InkExpression]:
    """*count* pages of 2-5 of *expressions* each, seeded: the same pages on every run."""
    rng = random.Random(seed)
    pages = []
    for n in range(count):
        lines: list[Line] = []
        for ink in rng.sample(expressions, rng.randint(2, 5)):
            line = _line(ink)
            lines.extend(
                split_at_equals(line) if "=" in ink.truth and rng.random() < 0.3 else [line]
            )
        pages.append(compose(lines, rng, f"pages-{seed}/{n:03d}.inkml"))
    return pages


def valid_expressions() -> list[InkExpression]:
    """The in-scope ``valid/`` expressions the pipeline benchmark draws, in a stable order."""
    out = []
    for path in iter_inkml(CROHME / "valid"):
        ink = read_inkml(path)
        if all_ours(ink) and in_scope(ink.truth):
            out.append(ink)
    return out


def score(pages: list[InkExpression], kind: str, recognizer: Any) -> dict[str, Any]:
    """Lines and pages right when *recognizer* reads each page drawn as *kind*."""
    lines = lines_right = pages_right = count_right = 0
    times: list[float] = []
    failures = []
    for i, page in enumerate(pages):
        image = canvas_image(page, i) if kind == "canvas" else photo_image(page)
        start = time.perf_counter()
        result = recognizer.recognize(image.data)
        times.append((time.perf_counter() - start) * 1000.0)
        want = [canonical_latex(t) for t in page.truth.split(" \\\\ ")]
        got = [canonical_latex(line.latex) for line in result.lines]
        right = lines_matched(want, got)
        lines += len(want)
        lines_right += right
        count_right += len(got) == len(want)
        whole = right == len(want) == len(got)
        pages_right += whole
        if not whole:
            failures.append({"page": page.path, "truth": want, "got": got})
    return {
        "pages": len(pages),
        "lines": lines,
        "lines_right": lines_right,
        "line_rate": round(lines_right / lines, 4) if lines else None,
        "line_count_right": count_right,
        "pages_right": pages_right,
        "page_rate": round(pages_right / len(pages), 4) if pages else None,
        "median_ms": round(float(np.median(times)), 1) if times else None,
        "failures": failures[:15],
    }


def run(*, quick: bool) -> dict[str, Any]:
    """The pages read by the recognizer (kept per engine: results from before the rules
    were retired, commit c5d1ca0 and earlier, hold them beside the detector)."""
    import cv2

    from mathocr.commands.evaluate_images import make_recognizer

    cv2.setNumThreads(1)
    pages = make_pages(valid_expressions(), 12 if quick else 60, seed=1)
    out: dict[str, Any] = {
        "pages": len(pages),
        "lines_per_page": dict(
            sorted(Counter(len(p.truth.split(" \\\\ ")) for p in pages).items())
        ),
        "engines": {},
    }
    for engine in ("detector",):
        recognizer = make_recognizer()
        out["engines"][engine] = {
            "model_version": recognizer.model_version,
            **{kind: score(pages, kind, recognizer) for kind in ("canvas", "photo")},
        }
    return out


def _tables(result: dict[str, Any]) -> str:
    spread = ", ".join(f"{n} lines: {k}" for n, k in result["lines_per_page"].items())
    lines = [
        "## Pages of working: whole images\n",
        f"{result['pages']} pages ({spread}), each 2-5 in-scope CROHME `valid/` expressions",
        "stacked as working from their own strokes (every line brought to one writing size,",
        "then scaled 0.85-1.15, turned ±3°, indented up to 1.5 symbol heights, 0.3-1 symbol",
        "height below the line above; 30% of the equations broken before an `=` that starts",
        "the next line), drawn by `mathocr.data.scenes` as the web page's 1000×400 canvas and as a",
        "phone photo, and read end to end by the recognizer, which splits the lines itself",
        "(`bench/bench_pages.py`; results from before the rules were retired hold both",
        "engines on the same pages in one run). A line is right",
        "when its LaTeX matches in order; a page when every line is right and none is missing",
        "or extra. Only reported: nothing was tuned on these pages.\n",
    ]
    engines = result["engines"]
    names = list(engines)
    lines.append(
        "| | " + " | ".join(f"{kind}, {e}" for kind in ("canvas", "photo") for e in names) + " |"
    )
    lines.append("|---" * (1 + 2 * len(names)) + "|")

    def cell(r: dict[str, Any], part: str, whole: str) -> str:
        return f"{r[part]}/{r[whole]} = {r[part] / r[whole]:.1%}"

    def row(title: str, value: Any) -> str:
        cells = [value(engines[e][kind]) for kind in ("canvas", "photo") for e in names]
        return f"| {title} | " + " | ".join(str(c) for c in cells) + " |"

    lines.append(row("lines right", lambda r: cell(r, "lines_right", "lines")))
    lines.append(row("pages right", lambda r: cell(r, "pages_right", "pages")))
    lines.append(
        row("pages with the right number of lines", lambda r: cell(r, "line_count_right", "pages"))
    )
    lines.append(row("median ms per page", lambda r: r["median_ms"]))
    lines.append("")
    lines.append(
        "Models: " + "; ".join(f"{e} `{engines[e]['model_version']}`" for e in names) + "."
    )
    return "\n".join(lines) + "\n"


def markdown(result: dict[str, Any]) -> str:
    """The current figures, then the last run that measured the retired rules beside them."""
    from bench.frozen import frozen_section

    return _tables(result) + frozen_section("pages", _tables)
