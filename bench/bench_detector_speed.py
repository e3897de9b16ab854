"""The detector path's stages, before and after a change, on the same images in one run.

``python -m bench detector_speed`` times the detector's stages (load,
prepare, model, decoding, ink fitting with labelling, layout and meaning) on
the dev writers' drawn expressions, canvas and photo, with the preparation
and decoding of this tree and of a reference commit (:data:`BEFORE`, or
``$MATHOCR_SPEED_BEFORE``) side by side: each image goes through both, in
alternating order, and both must give the same symbols. One thread, as a web
worker runs. Times are CPU time of the process (``time.process_time``), not
wall clock: on this shared 2-core machine a benchmark run at low priority is
preempted for whole milliseconds at a time, which would swamp the stages.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CROHME = ROOT.parent / "shared" / "data" / "crohme"
#: The commit before the detector's speed work.
BEFORE = "a367eb0"
#: The modules compared (the rest of the path is the same code for both).
COMPARED = ("decode", "prepare")
STAGES = ("load", "prepare", "model", "decode", "fit_label", "interpret", "total")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def _module_at(commit: str, name: str) -> types.ModuleType:
    """``mathocr.detect.<name>`` as it was at *commit*, its relative imports made absolute."""
    source = _git("show", f"{commit}:mathocr/detect/{name}.py")
    source = source.replace("from ..", "from mathocr.").replace("from .", "from mathocr.detect.")
    module = types.ModuleType(f"_before_{name}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{commit}:mathocr/detect/{name}.py", "exec"), module.__dict__)
    return module


def _read(engine: dict[str, Any], detector: Any, data: bytes, times: dict[str, list[float]]) -> Any:
    """One image through the detector path with *engine*'s prepare and decode, each stage timed."""
    from mathocr.detect.recognizer import _placed
    from mathocr.imaging import load_image
    from mathocr.meaning.page import read_page

    clock = time.process_time
    laps = [clock()]
    loaded = load_image(data)
    laps.append(clock())
    prepared = engine["prepare"](loaded.gray)
    laps.append(clock())
    maps = detector.maps(prepared.image) if not prepared.empty else None
    laps.append(clock())
    detections = engine["decode"](*maps, threshold=detector.threshold) if maps else []
    laps.append(clock())
    # The fitting and labelling of SymbolDetector.detect, given these detections.
    original = detector.detections
    detector.detections = lambda _prepared: detections
    try:
        found = detector.detect(prepared)
    finally:
        detector.detections = original
    laps.append(clock())
    page = read_page([_placed(f) for f in found])
    laps.append(clock())
    for name, start, stop in zip(STAGES, laps, laps[1:], strict=False):
        times[name].append((stop - start) * 1000.0)
    times["total"].append((laps[-1] - laps[0]) * 1000.0)
    return [(f.label, f.box, f.score, f.confidence) for f in found], page.latex


def run(*, quick: bool) -> dict[str, Any]:
    import cv2

    from mathocr.commands.evaluate_images import select_expressions
    from mathocr.data.scenes import canvas_image, photo_image
    from mathocr.detect import decode, prepare
    from mathocr.detect.model import SymbolDetector

    cv2.setNumThreads(1)
    before = os.environ.get("MATHOCR_SPEED_BEFORE", BEFORE)
    old = {name: _module_at(before, name) for name in COMPARED}
    engines = {
        "before": {"prepare": old["prepare"].prepare, "decode": old["decode"].decode},
        "after": {"prepare": prepare.prepare, "decode": decode.decode},
    }
    detector = SymbolDetector(threads=1)
    expressions = select_expressions(CROHME / "train", 20 if quick else None, dev=True)
    out: dict[str, Any] = {
        "before": _git("rev-parse", "--short", before),
        "after": _git("rev-parse", "--short", "HEAD"),
        "model_version": detector.version,
        "kinds": {},
    }
    for kind in ("canvas", "photo"):
        times: dict[str, dict[str, list[float]]] = {e: {s: [] for s in STAGES} for e in engines}
        differ = 0
        for i, ink in enumerate(expressions):
            data = (canvas_image(ink, i) if kind == "canvas" else photo_image(ink)).data
            order = list(engines) if i % 2 == 0 else list(reversed(engines))
            read = {e: _read(engines[e], detector, data, times[e]) for e in order}
            differ += not _same(read["before"], read["after"])
        medians = {
            e: {s: round(statistics.median(v), 3) for s, v in t.items()} for e, t in times.items()
        }
        out["kinds"][kind] = {"n": len(expressions), "differ": differ, "ms": medians}
    return out


def _same(a: Any, b: Any, tol: float = 1e-5) -> bool:
    """The same symbols (labels; boxes, scores and confidences to *tol*) and the same LaTeX."""
    (fa, la), (fb, lb) = a, b
    if la != lb or len(fa) != len(fb):
        return False
    for (label_a, box_a, score_a, conf_a), (label_b, box_b, score_b, conf_b) in zip(
        fa, fb, strict=True
    ):
        if label_a != label_b or abs(score_a - score_b) > tol or abs(conf_a - conf_b) > tol:
            return False
        if max(abs(p - q) for p, q in zip(box_a, box_b, strict=True)) > tol:
            return False
    return True


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "### Detector speed (`python -m bench detector_speed`)",
        "",
        f"The detector path's stages with the preparation and decoding of commit "
        f"`{result['before']}` (before) and `{result['after']}` (after), each dev image "
        "through both in alternating order in one run; model "
        f"{result['model_version']}, one thread. Median CPU milliseconds per image "
        "(process time: the machine is shared, wall clock is not a measure here); "
        "after/before is the ratio of medians. Images whose readings differ: "
        + ", ".join(f"{k} {v['differ']} of {v['n']}" for k, v in result["kinds"].items())
        + ".",
        "",
        "| kind | stage | before ms | after ms | after/before |",
        "|---|---|---|---|---|",
    ]
    for kind, figures in result["kinds"].items():
        b, a = figures["ms"]["before"], figures["ms"]["after"]
        for stage in STAGES:
            ratio = a[stage] / b[stage] if b[stage] else float("nan")
            lines.append(f"| {kind} | {stage} | {b[stage]} | {a[stage]} | {ratio:.2f} |")
    meta = result.get("_meta", {})
    if meta:
        lines += [
            "",
            f"_Measured {meta.get('date', '?')} with `{meta.get('command', '?')}`"
            f"{' (quick: every k-th of the dev expressions)' if meta.get('quick') else ''}._",
        ]
    return "\n".join(lines) + "\n"
