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

from mathocr.canonical import canonical_latex, category, in_scope, plain_values
from mathocr.expression import interpret
from mathocr.ink_layout import placed_symbols
from mathocr.inkml import iter_inkml, read_inkml
from mathocr.layout import PlacedSymbol

ROOT = Path(__file__).resolve().parent.parent
CROHME = ROOT.parent / "shared" / "data" / "crohme"


def load_split(
    split: str, *, limit: int | None = None
) -> list[tuple[str, str, list[PlacedSymbol]]]:
    """(path, truth, symbols) for every in-scope expression of a split."""
    out = []
    for path in iter_inkml(CROHME / split):
        expr = read_inkml(path)
        if not in_scope(expr.truth):
            continue
        symbols = placed_symbols(expr)
        if symbols is None:
            continue
        out.append((str(path), expr.truth, symbols))
        if limit and len(out) >= limit:
            break
    return out


def score(items: list[tuple[str, str, list[PlacedSymbol]]]) -> dict[str, Any]:
    by_cat: dict[str, Counter] = defaultdict(Counter)
    failures: list[dict[str, str]] = []
    false_equations: list[dict[str, str]] = []
    values: Counter = Counter()
    times = []
    for path, truth, symbols in items:
        start = time.perf_counter()
        result = interpret(symbols)
        times.append((time.perf_counter() - start) * 1e6)
        cat = category(truth)
        ok = canonical_latex(result.latex) == canonical_latex(truth)
        by_cat[cat]["n"] += 1
        by_cat[cat]["ok"] += ok
        name = Path(path).name
        if not ok:
            failures.append({"file": name, "truth": truth, "got": result.latex})
            continue
        if result.error:
            values["errors"] += 1
        expected = plain_values(truth)
        if expected is None:
            continue
        # The value, checked against a separate evaluator of the truth's LaTeX.
        values["plain"] += 1
        want = " = ".join(str(v) for v in expected)
        if result.value == want:
            values["value_ok"] += 1
        else:
            failures.append(
                {"file": name, "truth": truth, "value": str(result.value), "want": want}
            )
        if len(expected) > 1:
            values["equations"] += 1
            if result.holds:
                values["hold"] += 1
            else:
                false_equations.append({"file": name, "truth": truth, "values": want})
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
        "plain_value_correct": f"{values['value_ok']}/{values['plain']}",
        "plain_equations_hold": f"{values['hold']}/{values['equations']}",
        "false_equations": false_equations,
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
                f"- {split}: plain arithmetic with correct LaTeX whose value is right "
                f"(checked by a separate evaluator): {r['plain_value_correct']}; "
                f"equations among them that hold: {r['plain_equations_hold']} "
                f"(the others are the writers' own slips, e.g. "
                f"{', '.join('`' + f['truth'] + '`' for f in r['false_equations'][:2]) or 'none'}); "
                f"evaluation errors on correct LaTeX: {r['errors_on_correct_latex']}; "
                f"`interpret()` median {r['interpret_us_median']} µs per expression."
            )
    return "\n".join(lines) + "\n"
