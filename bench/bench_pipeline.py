"""Whole-image recognition: accuracy by category, speed, and the original design as yardstick.

The images are the CROHME ``valid/`` writers' in-scope expressions, each drawn
as a canvas and as a phone-like photo (:mod:`bench.images`). A recognition is
right when its LaTeX equals the truth after :func:`mathocr.data.canonical.canonical_latex`.
For plain arithmetic read right, the value is checked against a separate
evaluator of the truth (:func:`mathocr.data.canonical.plain_values`).

Speed is in-process on one core (OpenCV and ONNX Runtime limited to one
thread): ``recognize(bytes)`` from the encoded file to the value, best of
three runs per image, median over images. The baseline
(:mod:`bench.baseline`) gets the decoded full-resolution grayscale image, so
its figure excludes decoding; our preprocessing + extraction (``prepare``:
flat paper, straightened, rescaled; ``detect``: the detector finds and labels
every symbol) is compared with it from the same decoded image, and once more
with our decoding counted. Results measured before the rules were retired
(commit c5d1ca0 and earlier) timed the rules' stages instead (binarize,
deskew, segment, normalize, split). The baseline is slow on
photos (whole-image thinning of shadows), so it runs on a fixed subset of
them and both sides are compared on that subset.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.baseline import extract_symbols
from bench.images import EvalImage, evaluation_images
from mathocr.data.canonical import canonical_latex, category, plain_values
from mathocr.imaging import load_image

ROOT = Path(__file__).resolve().parent.parent
CROHME = ROOT.parent / "shared" / "data" / "crohme"
#: Our preprocessing + extraction: from the decoded image to found, labelled symbols.
FRONT = ("prepare", "detect")


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _time_ours(recognizer: Any, image: EvalImage, repeats: int) -> tuple[Any, float, dict]:
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = recognizer.recognize(image.data)
        ms = (time.perf_counter() - start) * 1000.0
        if best is None or ms < best[1]:
            best = (result, ms, dict(result.timings))
    assert best is not None
    return best


def _time_baseline(image: EvalImage, repeats: int) -> tuple[int, float, bool]:
    gray = load_image(image.data, work_max_pixels=10**9, work_max_side=10**6).gray
    best = float("inf")
    count, fallback = 0, False
    for _ in range(repeats):
        start = time.perf_counter()
        out = extract_symbols(gray)
        best = min(best, (time.perf_counter() - start) * 1000.0)
        count, fallback = len(out.boxes), out.threshold_fallback
    return count, best, fallback


def run(*, quick: bool) -> dict[str, Any]:
    from mathocr.commands.evaluate_images import make_recognizer

    recognizer = make_recognizer()  # one thread, OpenCV's included
    images = list(evaluation_images(CROHME, limit=24 if quick else None))
    repeats = 1 if quick else 3
    photo_baseline_every = 4
    for image in images[:2]:  # warm up caches and the ONNX session
        recognizer.recognize(image.data)

    by: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    counts: dict[str, Counter] = defaultdict(Counter)
    values = Counter()
    ms: dict[str, list[float]] = defaultdict(list)
    stages: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    paired: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    fallbacks = Counter()
    failures: list[dict[str, Any]] = []
    photo_index = 0
    for image in images:
        result, total, timings = _time_ours(recognizer, image, repeats)
        kind, truth = image.kind, image.truth
        cat = category(truth)
        ok = canonical_latex(result.latex) == canonical_latex(truth)
        by[kind][cat]["n"] += 1
        by[kind][cat]["ok"] += ok
        ms[kind].append(total)
        for name, value in timings.items():
            stages[kind][name].append(value)
        counts[kind]["n"] += 1
        counts[kind]["ours"] += len(result.symbols) == len(image.boxes)
        if not ok:
            failures.append(
                {
                    "image": f"{kind}:{image.name}",
                    "truth": truth,
                    "got": result.latex,
                    "symbols": f"{len(result.symbols)}/{len(image.boxes)}",
                }
            )
        expected = plain_values(truth) if ok else None
        if expected is not None:
            values["plain"] += 1
            want = " = ".join(str(v) for v in expected)
            values["right"] += result.value == want
            if result.value != want:
                failures.append(
                    {"image": f"{kind}:{image.name}", "value": result.value, "want": want}
                )
        run_baseline = kind == "canvas"
        if kind == "photo":
            run_baseline = photo_index % photo_baseline_every == 0 and not (
                quick and photo_index >= 4 * photo_baseline_every
            )
            photo_index += 1
        if run_baseline:
            n, base_ms, fallback = _time_baseline(image, repeats if kind == "canvas" else 1)
            counts[kind]["baseline_n"] += 1
            counts[kind]["baseline"] += n == len(image.boxes)
            fallbacks[kind] += fallback
            front = sum(timings.get(s, 0.0) for s in FRONT)
            paired[kind].append((base_ms, total, front, front + timings.get("load", 0.0)))

    def rates(c: Counter) -> dict[str, Any]:
        return {
            "n": c["n"],
            "exact": c["ok"],
            "rate": round(c["ok"] / c["n"], 4) if c["n"] else None,
        }

    speed: dict[str, Any] = {}
    for kind in ms:
        pairs = paired.get(kind, [])
        base = [p[0] for p in pairs]
        ours_same = [p[1] for p in pairs]
        front_same = [p[2] for p in pairs]
        front_load_same = [p[3] for p in pairs]
        speed[kind] = {
            "images": len(ms[kind]),
            "ours_total_ms_median": _median(ms[kind]),
            "stage_ms_median": {k: _median(v) for k, v in stages[kind].items()},
            "baseline_images": len(pairs),
            "baseline_ms_median": _median(base),
            "ours_total_ms_median_same_images": _median(ours_same),
            "ours_front_ms_median_same_images": _median(front_same),
            "ours_front_with_decode_ms_median_same_images": _median(front_load_same),
            "ratio_baseline_over_ours_total": (
                round(statistics.median(base) / statistics.median(ours_same), 1) if pairs else None
            ),
            "ratio_baseline_over_ours_front": (
                round(statistics.median(base) / statistics.median(front_same), 1) if pairs else None
            ),
            "ratio_baseline_over_ours_front_with_decode": (
                round(statistics.median(base) / statistics.median(front_load_same), 1)
                if pairs
                else None
            ),
            "baseline_threshold_fallbacks": fallbacks[kind],
        }
    return {
        "images": len(images),
        "accuracy": {
            kind: {cat: rates(c) for cat, c in sorted(cats.items())} for kind, cats in by.items()
        },
        "plain_value_correct": f"{values['right']}/{values['plain']}",
        "symbol_count_right": {
            kind: {
                "ours": round(c["ours"] / c["n"], 4) if c["n"] else None,
                "baseline": round(c["baseline"] / c["baseline_n"], 4) if c["baseline_n"] else None,
                "baseline_images": c["baseline_n"],
            }
            for kind, c in counts.items()
        },
        "speed": speed,
        "failures": failures[:60],
    }


def markdown(result: dict[str, Any]) -> str:
    acc = result["accuracy"]
    lines = [
        "## Pipeline: whole images\n",
        f"{result['images']} images: every in-scope CROHME `valid/` expression drawn as a canvas "
        "and as a phone-like photo (`bench/images.py`). Exact match after canonical LaTeX.\n",
        "| category | canvas | photo |",
        "|---|---|---|",
    ]
    cats = sorted({c for kind in acc.values() for c in kind})
    for cat in cats:
        cells = []
        for kind in ("canvas", "photo"):
            r = acc.get(kind, {}).get(cat)
            cells.append(f"{r['rate']:.1%} ({r['exact']}/{r['n']})" if r else "–")
        lines.append(f"| {cat} | {cells[0]} | {cells[1]} |")
    lines.append("")
    lines.append(
        f"Plain arithmetic read right whose value is right (separate evaluator): "
        f"{result['plain_value_correct']}.\n"
    )
    lines += [
        "| | canvas | photo |",
        "|---|---|---|",
    ]
    sp = result["speed"]

    def cell(kind: str, key: str, fmt: str = "{}") -> str:
        v = sp.get(kind, {}).get(key)
        return fmt.format(v) if v is not None else "–"

    lines.append(
        f"| ours, median ms per image (decode → value) | {cell('canvas', 'ours_total_ms_median')} "
        f"| {cell('photo', 'ours_total_ms_median')} |"
    )
    lines.append(
        f"| baseline preprocessing + extraction, median ms (images) "
        f"| {cell('canvas', 'baseline_ms_median')} ({cell('canvas', 'baseline_images')}) "
        f"| {cell('photo', 'baseline_ms_median')} ({cell('photo', 'baseline_images')}) |"
    )
    lines.append(
        f"| baseline ÷ ours whole recognition, same images "
        f"| {cell('canvas', 'ratio_baseline_over_ours_total', '{}×')} "
        f"| {cell('photo', 'ratio_baseline_over_ours_total', '{}×')} |"
    )
    lines.append(
        f"| baseline ÷ ours preprocessing + extraction (both from the decoded image) "
        f"| {cell('canvas', 'ratio_baseline_over_ours_front', '{}×')} "
        f"| {cell('photo', 'ratio_baseline_over_ours_front', '{}×')} |"
    )
    lines.append(
        f"| the same, counting our decoding too "
        f"| {cell('canvas', 'ratio_baseline_over_ours_front_with_decode', '{}×')} "
        f"| {cell('photo', 'ratio_baseline_over_ours_front_with_decode', '{}×')} |"
    )
    sc = result["symbol_count_right"]
    for who in ("ours", "baseline"):
        vals = []
        for kind in ("canvas", "photo"):
            v = sc.get(kind, {}).get(who)
            vals.append(f"{v:.1%}" if v is not None else "–")
        lines.append(f"| symbol count right, {who} | {vals[0]} | {vals[1]} |")
    lines.append("")
    stage_rows = []
    for kind in ("canvas", "photo"):
        st = sp.get(kind, {}).get("stage_ms_median", {})
        if st:
            stage_rows.append(
                f"- {kind} stage medians (ms): "
                + ", ".join(f"{k} {v}" for k, v in st.items() if k != "total")
            )
    lines += stage_rows
    if any("segment" in sp.get(kind, {}).get("stage_ms_median", {}) for kind in sp):
        lines.append(
            "\nMeasured with the retired rule-based segmentation (its stages above), before "
            "the detector became the one path; `python -m bench pipeline` now measures the "
            "detector (prepare + detect as preprocessing and extraction)."
        )
    lines.append(
        "\nOne core (OpenCV and ONNX Runtime single-threaded), best of 3 runs per image. "
        "The baseline runs on the decoded full-resolution image (decoding not counted), on "
        "every canvas and on every 4th photo (it thins whole shadows, seconds per photo)."
    )
    return "\n".join(lines) + "\n"
