"""Layout + meaning on real handwriting, without images.

CROHME InkML gives each symbol's label and strokes, so the bounding box of a
symbol's strokes is a perfect segmentation: feeding those boxes and labels to
:func:`mathocr.expression.interpret` measures the layout stage alone (the
exact-match rate of the canonical LaTeX against the file's truth), and the
value stage (whether equations with numbers hold, whether values are right).

Reports ``valid/`` (the split named by the issue) and, for a larger sample,
``train/`` -- the layout has no learned parameters, but its few thresholds
were tuned by looking at train/ failures, so valid/ is the held-out figure.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from mathocr.canonical import canonical_latex, category, in_scope
from mathocr.expression import interpret
from mathocr.inkml import iter_inkml, read_inkml
from mathocr.layout import PlacedSymbol
from mathocr.symbols import crohme_to_class

ROOT = Path(__file__).resolve().parent.parent
CROHME = ROOT.parent / "shared" / "data" / "crohme"
#: Median symbol height the strokes are scaled to, and ink half-width added.
SYMBOL_PX = 40.0
PEN_PAD = 2


def load_split(
    split: str, *, limit: int | None = None
) -> list[tuple[str, str, list[PlacedSymbol]]]:
    """(path, truth, symbols) for every in-scope expression of a split."""
    out = []
    for path in iter_inkml(CROHME / split):
        expr = read_inkml(path)
        labels = [crohme_to_class(s.label) for s in expr.symbols]
        if not expr.symbols or None in labels or not in_scope(expr.truth):
            continue
        raw = []
        for sym in expr.symbols:
            pts = [p for stroke in expr.symbol_strokes(sym) for p in stroke]
            xs = [float(p[0]) for p in pts]
            ys = [float(p[1]) for p in pts]
            raw.append((min(xs), min(ys), max(xs), max(ys)))
        heights = [b[3] - b[1] for b, lab in zip(raw, labels, strict=True) if lab not in "-.="]
        ref = statistics.median(heights) if heights else 1.0
        scale = SYMBOL_PX / max(ref, 1e-9)
        x_min = min(b[0] for b in raw)
        y_min = min(b[1] for b in raw)
        symbols = []
        for (x0, y0, x1, y1), lab in zip(raw, labels, strict=True):
            x = round((x0 - x_min) * scale) + 10 - PEN_PAD
            y = round((y0 - y_min) * scale) + 10 - PEN_PAD
            w = round((x1 - x0) * scale) + 2 * PEN_PAD
            h = round((y1 - y0) * scale) + 2 * PEN_PAD
            symbols.append(PlacedSymbol(str(lab), (x, y, w, h)))
        out.append((str(path), expr.truth, symbols))
        if limit and len(out) >= limit:
            break
    return out


def score(items: list[tuple[str, str, list[PlacedSymbol]]]) -> dict[str, Any]:
    by_cat: dict[str, Counter] = defaultdict(Counter)
    failures = []
    values = Counter()
    times = []
    for path, truth, symbols in items:
        start = time.perf_counter()
        result = interpret(symbols)
        times.append((time.perf_counter() - start) * 1e6)
        cat = category(truth)
        ok = canonical_latex(result.latex) == canonical_latex(truth)
        by_cat[cat]["n"] += 1
        by_cat[cat]["ok"] += ok
        if not ok:
            failures.append({"file": Path(path).name, "truth": truth, "got": result.latex})
        if ok and cat == "plain" and "=" in truth.rstrip().rstrip("="):
            values["equations"] += 1
            values["hold"] += bool(result.holds)
            if not result.holds:
                failures.append({"file": Path(path).name, "truth": truth, "value": result.value})
        if ok and result.error:
            values["errors"] += 1
    cats = {
        c: {"n": v["n"], "exact": v["ok"], "rate": round(v["ok"] / v["n"], 4)}
        for c, v in sorted(by_cat.items())
    }
    total = sum(v["n"] for v in by_cat.values())
    right = sum(v["ok"] for v in by_cat.values())
    return {
        "expressions": total,
        "exact": right,
        "rate": round(right / total, 4) if total else None,
        "by_category": cats,
        "plain_equations_hold": f"{values['hold']}/{values['equations']}",
        "errors_on_correct_latex": values["errors"],
        "interpret_us_median": round(statistics.median(times), 1) if times else None,
        "failures": failures[:40],
    }


def run(*, quick: bool) -> dict[str, Any]:
    if not (CROHME / "valid").is_dir():
        raise FileNotFoundError(f"CROHME not found at {CROHME}")
    out = {"valid": score(load_split("valid"))}
    out["train"] = score(load_split("train", limit=300 if quick else None))
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "## Layout and meaning (stages 5-6, on CROHME stroke boxes)\n",
        "Symbols with their true labels and the bounding boxes of their strokes go",
        "through `interpret()`; a hit is an exact match of the canonical LaTeX.\n",
        "| split | category | expressions | exact | rate |",
        "|---|---|---|---|---|",
    ]
    for split in ("valid", "train"):
        r = result.get(split)
        if not r:
            continue
        for cat, v in r["by_category"].items():
            lines.append(f"| {split} | {cat} | {v['n']} | {v['exact']} | {v['rate']:.1%} |")
        lines.append(f"| {split} | **all** | {r['expressions']} | {r['exact']} | {r['rate']:.1%} |")
    lines.append("")
    for split in ("valid", "train"):
        r = result.get(split)
        if r:
            lines.append(
                f"- {split}: plain equations with correct LaTeX that hold: "
                f"{r['plain_equations_hold']}; evaluation errors on correct LaTeX: "
                f"{r['errors_on_correct_latex']}; `interpret()` median "
                f"{r['interpret_us_median']} µs per expression."
            )
    return "\n".join(lines) + "\n"
