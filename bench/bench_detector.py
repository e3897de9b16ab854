"""The recognizer (the learned detector) on whole drawn expressions, and the record of its
last side-by-side run against the retired rule-based segmentation.

The recognizer reads every CROHME ``valid/`` expression made of detector classes
(our 21 symbols and the comparisons), drawn as a canvas and as a photo
(:mod:`mathocr.data.scenes`, seeded by file name), and are scored by
:mod:`mathocr.data.evaluation`, the code behind ``mathocr evaluate``. The same is
done on the dev writers held out of ``train/`` (:mod:`mathocr.data.splits`), the
split every choice was made on; valid is only reported. One thread, as a web
worker runs; the stage times are given apart.

The rules were measured beside the detector on the same images in one run for
the last time at commit ``c5d1ca0``, before they were deleted. That run is
kept, frozen, in ``bench/results/detector_vs_rules.json`` and always shown after the current figures
(issue 21 asks for the record); a new run only rewrites ``detector.json``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CROHME = ROOT.parent / "shared" / "data" / "crohme"
ENGINES = ("detector",)


class _Timed:
    """A recognizer that also keeps each reading's stage timings."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_version = inner.model_version
        self.timings: list[dict[str, float]] = []

    def recognize(self, data: bytes) -> Any:
        result = self.inner.recognize(data)
        self.timings.append(dict(result.timings))
        return result


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "?"
    except OSError:
        return "?"


def run(*, quick: bool) -> dict[str, Any]:
    from mathocr.commands.evaluate_images import make_recognizer, select_expressions
    from mathocr.data.evaluation import evaluate_images
    from mathocr.data.scenes import canvas_image, photo_image

    limit = 20 if quick else None
    splits = {
        "valid": select_expressions(CROHME / "valid", limit),
        "dev": select_expressions(CROHME, limit, dev=True),
    }
    out: dict[str, Any] = {"commit": _commit(), "splits": {}}
    for split, expressions in splits.items():
        out["splits"][split] = {}
        for engine in ENGINES:
            recognizer = _Timed(make_recognizer())
            figures = {}
            for kind in ("canvas", "photo"):
                images = (
                    canvas_image(ink, i) if kind == "canvas" else photo_image(ink)
                    for i, ink in enumerate(expressions)
                )
                recognizer.timings = []
                figures[kind] = evaluate_images(images, recognizer)
                stages = sorted({k for t in recognizer.timings for k in t})
                figures[kind]["stages_ms"] = {
                    k: round(statistics.median(t.get(k, 0.0) for t in recognizer.timings), 2)
                    for k in stages
                }
            figures["model_version"] = recognizer.model_version
            out["splits"][split][engine] = figures
    return out


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}%"


def _split_tables(result: dict[str, Any]) -> list[str]:
    """One table per split, a row per engine and kind, then the detector's stage times."""
    lines: list[str] = []
    for split, engines in result["splits"].items():
        lines += [
            f"### {split}",
            "",
            "| engine | kind | n | all | plain | x | structure | comparison | subscript "
            "| symbol F1 | count right | median ms |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for engine, figures in engines.items():
            for kind in ("canvas", "photo"):
                f = figures[kind]
                e = f["exprate"]
                lines.append(
                    f"| {engine} | {kind} | {f['n']} | {_pct(e['all'])} | {_pct(e['plain'])} "
                    f"| {_pct(e['x'])} | {_pct(e['structure'])} | {_pct(e['comparison'])} "
                    f"| {_pct(e['subscript'])} | {_pct(f['symbols']['f1'])} "
                    f"| {_pct(f['count_right'])} | {f['median_ms']} |"
                )
        lines.append("")
        det = engines.get("detector", {})
        for kind in ("canvas", "photo"):
            stages = det.get(kind, {}).get("stages_ms")
            if stages:
                lines.append(
                    f"Detector stages, {kind} (median ms): "
                    + ", ".join(f"{k} {v}" for k, v in stages.items())
                    + "."
                )
        lines.append("")
    return lines


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "## Detector: whole expressions (`python -m bench detector`)",
        "",
        f"The recognizer on drawn images (commit `{result.get('commit', '?')}`): the CROHME "
        "expressions made of detector classes, canvas and photo. Dev is the writer-disjoint "
        "split of train/ that choices were made on; valid is reported only. Expression rates "
        "by kind; symbols matched by class and IoU ≥ 0.5.",
        "",
        *_split_tables(result),
    ]
    from bench.frozen import frozen_section

    # (the tables above end with a blank line, the section starts with one)
    lines.append(frozen_section("detector", lambda r: "\n".join(_split_tables(r))).lstrip("\n"))
    speed = ROOT / "bench" / "results" / "detector_speed.json"
    if speed.exists():
        # The stage times before and after a speed change, measured apart by
        # ``python -m bench detector_speed``, belong with the detector's figures.
        from bench import bench_detector_speed

        lines.append(bench_detector_speed.markdown(json.loads(speed.read_text())))
    return "\n".join(lines)
