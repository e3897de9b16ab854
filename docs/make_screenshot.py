"""Make docs/screenshot.png: real handwriting replayed on the page in headless Chromium.

The pen strokes of one CROHME ``valid/`` expression are drawn on the canvas
with mouse events, the page recognizes them after the pause, and the whole
page (answer, boxes, steps) is captured. Needs ../shared/data, Debian's
chromium and Playwright:

    .venv/bin/python docs/make_screenshot.py [INKML] [--out docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_serve import _free_port, _start, _stop  # noqa: E402
from mathocr.data.inkml import read_inkml  # noqa: E402
from tests.web.chromium import CHROMIUM, LAUNCH_ARGS  # noqa: E402

DEFAULT = ROOT.parent / "shared/data/crohme/valid/HAMEX/formulaire031-equation066.inkml"


def canvas_strokes(path: Path, *, width: float = 1000, height: float = 400, margin: float = 60):
    """The expression's strokes scaled into the canvas (1000 x 400), centred."""
    ink = read_inkml(path)
    strokes = list(ink.traces.values())
    xs = [x for s in strokes for x in s[:, 0]]
    ys = [y for s in strokes for y in s[:, 1]]
    scale = min(
        (width - 2 * margin) / (max(xs) - min(xs)), (height - 2 * margin) / (max(ys) - min(ys))
    )
    dx = (width - (max(xs) - min(xs)) * scale) / 2 - min(xs) * scale
    dy = (height - (max(ys) - min(ys)) * scale) / 2 - min(ys) * scale
    return [[(x * scale + dx, y * scale + dy) for x, y in s[:, :2]] for s in strokes]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inkml", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    strokes = canvas_strokes(args.inkml)
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        server = _start(Path(tmp), port, 1, 2)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_function("() => window.katex !== undefined")
                page.locator("#steps-toggle").check()
                box = page.locator("#pad").bounding_box()
                for stroke in strokes:
                    points = [
                        (box["x"] + x * box["width"] / 1000, box["y"] + y * box["height"] / 400)
                        for x, y in stroke
                    ]
                    page.mouse.move(*points[0])
                    page.mouse.down()
                    for point in points[1:]:
                        page.mouse.move(*point)
                    page.mouse.up()
                page.locator("#math .katex").wait_for(timeout=20_000)
                page.locator("#steps img").first.wait_for()
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                print(f"{args.out}: {page.locator('#math').get_attribute('aria-label')}")
                browser.close()
        finally:
            _stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
