"""The page in a real headless Chromium (Debian's), driven by Playwright.

Strokes are drawn with real pointer input on the canvas; the live server runs
the real API and recognizer. Screenshots go to artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from web.ocr.models import PostedImage

from .chromium import CHROMIUM, LAUNCH_ARGS
from .strokes import expression_strokes, page_strokes, render_page_png, render_png

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def chromium_browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own
    # ORM queries are plain synchronous code that Django would otherwise refuse.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            yield chromium
            chromium.close()
    finally:
        if saved is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def ui(chromium_browser, live_server):
    """A fresh browser context (own cookies) on the page, recording every request."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.requests_seen = []
    page.on("request", lambda request: page.requests_seen.append(request.url))
    page.goto(live_server.url + "/")
    page.wait_for_function("() => window.katex !== undefined")
    yield page
    local = (live_server.url, "data:", "blob:")
    external = [url for url in page.requests_seen if not url.startswith(local)]
    context.close()
    assert not external, f"the page made external requests: {external}"


def draw(page, text: str, *, height: float = 200.0) -> None:
    """Write *text* on the canvas with the mouse, stroke by stroke (real pointer events)."""
    draw_strokes(page, expression_strokes(text, height=height, origin=(90.0, 100.0)))


def draw_strokes(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw *strokes* (canvas pixels) with the mouse, as real pointer events."""
    box = page.locator("#pad").bounding_box()
    scale_x = box["width"] / 1000  # the canvas is 1000 x 400 pixels inside
    scale_y = box["height"] / 400
    for stroke in strokes:
        points = [(box["x"] + x * scale_x, box["y"] + y * scale_y) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def wait_for_answer(page) -> None:
    page.locator("#math .katex").wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('#boxes .box').length > 0"
        " && !document.getElementById('app').hasAttribute('aria-busy')"
    )


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_draw_recognizes_on_pause_and_shows_the_answer(ui):
    draw(ui, "2+3")
    # no click: the ui recognizes by itself once the pen rests
    wait_for_answer(ui)
    assert ui.locator("#math .katex-html").inner_text().replace("\n", "").replace(" ", "") in {
        "2+3"
    }
    assert ui.locator("#meaning").inner_text().strip() == "= 5"
    boxes = ui.locator("#boxes .box")
    assert boxes.count() == 3
    labels = [boxes.nth(i).locator("text").text_content().split()[0] for i in range(3)]
    assert labels == ["2", "+", "3"]
    assert all(t.endswith("%") for t in ui.locator("#boxes text").all_text_contents())
    assert ui.locator("#symbols tbody tr").count() == 3
    # the boxes sit on the drawing: the SVG is laid over the shown image
    img = ui.locator("#shot").bounding_box()
    svg = ui.locator("#boxes").bounding_box()
    assert abs(img["width"] - svg["width"]) < 2 and abs(img["height"] - svg["height"]) < 2
    row = PostedImage.objects.get()
    assert row.status == "done" and row.format == "PNG"
    shot(ui, "page-draw.png")


@pytest.mark.django_db(transaction=True)
def test_undo_clear_and_the_recognize_button(ui):
    ui.locator("#auto").uncheck()
    draw(ui, "7-4")
    ui.locator("#undo").click()  # drops the last stroke of the 4
    ui.locator("#clear").click()
    assert ui.locator("#answer").is_hidden()
    draw(ui, "7-4")
    ui.wait_for_timeout(1500)
    assert PostedImage.objects.count() == 0  # auto-recognize is off
    ui.locator("#recognize").click()
    wait_for_answer(ui)
    assert ui.locator("#meaning").inner_text().strip() == "= 3"
    assert PostedImage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_upload_a_photo(ui, tmp_path):
    import io

    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.open(io.BytesIO(render_png("12+4", height=150))).convert("RGB").save(photo, quality=88)
    ui.set_input_files("#photo", str(photo))
    wait_for_answer(ui)
    assert ui.locator("#meaning").inner_text().strip() == "= 16"
    assert ui.locator("#boxes .box").count() == 4
    row = PostedImage.objects.get()
    assert row.format == "JPEG" and row.image.name.endswith(".jpg")
    assert "photo" not in row.image.name


@pytest.mark.django_db(transaction=True)
def test_camera_input_is_offered(ui):
    camera = ui.locator("#camera")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"
    # every control has an accessible name
    for selector in ("#pad", "#undo", "#clear", "#recognize", "#photo", "#camera", "#auto"):
        name = ui.locator(selector).evaluate(
            "el => el.getAttribute('aria-label') || (el.labels && el.labels[0]"
            " && el.labels[0].textContent.trim()) || el.textContent.trim()"
        )
        assert name, selector


@pytest.mark.django_db(transaction=True)
def test_correction_is_stored(ui):
    draw(ui, "2+3")
    wait_for_answer(ui)
    ui.get_by_role("button", name="This is wrong").click()
    field = ui.get_by_label("What does it really say?")
    assert field.input_value().replace(" ", "") == "2+3"
    field.fill("2+8")
    ui.get_by_role("button", name="Send correction").click()
    ui.get_by_text("Thank you").wait_for()
    row = PostedImage.objects.get()
    assert row.corrected_latex == "2+8"
    assert row.corrected_at is not None


@pytest.mark.django_db(transaction=True)
def test_steps_view_shows_the_stages(ui):
    ui.locator("#steps-toggle").check()
    draw(ui, "4=4")
    wait_for_answer(ui)
    steps = ui.locator("#steps")
    assert steps.is_visible()
    for name in ("binary", "thinned", "boxes"):
        img = steps.locator(f"img[data-step={name}]")
        img.wait_for()
        assert img.evaluate("el => el.complete && el.naturalWidth > 0")
    shot(ui, "page-steps.png")


@pytest.mark.django_db(transaction=True)
def test_phone_screen_with_touch_pointers(chromium_browser, live_server):
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/")
    page.wait_for_function("() => window.katex !== undefined")
    # nothing wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # a finger draws: pointer events of type "touch" on the canvas
    box = page.locator("#pad").bounding_box()
    assert box["width"] <= 390
    strokes = expression_strokes("1+1", height=200, origin=(120.0, 100.0))
    page.evaluate(
        """([strokes, box]) => {
            const pad = document.getElementById('pad');
            const fire = (type, [x, y]) => pad.dispatchEvent(new PointerEvent(type, {
                pointerId: 7, pointerType: 'touch', isPrimary: true, bubbles: true,
                cancelable: true, button: 0, buttons: type === 'pointerup' ? 0 : 1,
                clientX: box.x + x * box.width / 1000, clientY: box.y + y * box.height / 400,
            }));
            for (const stroke of strokes) {
                fire('pointerdown', stroke[0]);
                for (const p of stroke.slice(1)) fire('pointermove', p);
                fire('pointerup', stroke[stroke.length - 1]);
            }
        }""",
        [strokes, box],
    )
    page.locator("#recognize").click()
    wait_for_answer(page)
    assert page.locator("#meaning").inner_text().strip() == "= 2"
    shot(page, "page-phone.png")
    context.close()


def wait_for_lines(page) -> None:
    page.wait_for_function(
        "() => document.querySelectorAll('#lines li .katex').length > 1"
        " && document.querySelectorAll('#boxes .box').length > 0"
        " && !document.getElementById('app').hasAttribute('aria-busy')"
    )


def read_lines(page) -> list[tuple[str, str, str]]:
    """Each shown line: its step, its rendered math (spaces dropped), its verdict."""
    shown = page.locator("#lines li").evaluate_all(
        """items => items.map(li => [
            li.dataset.step,
            li.querySelector('.katex-html').innerText.replace(/\\s+/g, ''),
            li.querySelector('.verdict').innerText.trim(),
        ])"""
    )
    return [tuple(line) for line in shown]


@pytest.mark.django_db(transaction=True)
def test_a_page_of_working_shows_each_line_with_its_verdict(ui):
    """Three lines drawn one under another: ✓ where a step follows, ✗ with what was expected."""
    ui.locator("#auto").uncheck()
    draw_strokes(ui, page_strokes(["3+4", "=7", "=4"], height=70, origin=(60.0, 30.0)))
    ui.locator("#recognize").click()
    wait_for_lines(ui)
    assert read_lines(ui) == [
        ("start", "3+4", "= 7"),
        ("ok", "=7", "✓"),
        ("wrong", "=4", "✗ expected 7"),
    ]
    assert ui.locator("#lines li.first-wrong").count() == 1
    assert ui.locator("#lines li").nth(2).get_attribute("class") == "line wrong first-wrong"
    assert ui.locator("#meaning").inner_text().strip() == "✗ Line 3 does not follow (expected 7)."
    assert "error" in (ui.locator("#meaning").get_attribute("class") or "")
    assert ui.locator("#math").is_hidden()  # the lines replace the stacked LaTeX
    # the symbols table goes line by line
    table = [t.strip() for t in ui.locator("#symbols tbody tr td:first-child").all_inner_texts()]
    assert table == ["3", "+", "4", "=", "7", "=", "4"]
    # the wrong line's symbols are marked on the image: its = and its 4
    wrong = ui.locator("#boxes .box.wrong text").all_text_contents()
    assert [t.split()[0] for t in wrong] == ["=", "4"]
    label = ui.locator("#lines li").nth(2).get_attribute("aria-label")
    assert label == "Line 3: =4. Wrong: expected 7."
    row = PostedImage.objects.get()
    assert [line["step"] for line in row.result["lines"]] == ["start", "ok", "wrong"]
    shot(ui, "page-working.png")

    # a single expression afterwards shows no lines
    ui.locator("#clear").click()
    draw(ui, "2+3")
    ui.locator("#recognize").click()
    ui.wait_for_function("() => document.getElementById('lines').hidden")
    wait_for_answer(ui)
    assert ui.locator("#meaning").inner_text().strip() == "= 5"
    assert ui.locator("#lines li").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_photo_of_working_on_a_phone(chromium_browser, live_server, tmp_path):
    """A phone's photo of three lines: the verdicts fit the narrow screen, under each line."""
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(live_server.url + "/")
    page.wait_for_function("() => window.katex !== undefined")
    photo = tmp_path / "working.png"
    photo.write_bytes(render_page_png(["14-3", "=11", "=10"]))
    page.set_input_files("#photo", str(photo))
    wait_for_lines(page)
    assert read_lines(page) == [
        ("start", "14−3", "= 11"),
        ("ok", "=11", "✓"),
        ("wrong", "=10", "✗ expected 11"),
    ]
    assert (
        page.locator("#meaning").inner_text().strip() == "✗ Line 3 does not follow (expected 11)."
    )
    # nothing wider than the phone, and each verdict sits under its line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for k in range(3):
        line = page.locator("#lines li").nth(k)
        tex, verdict = line.locator(".tex").bounding_box(), line.locator(".verdict").bounding_box()
        assert verdict["y"] >= tex["y"] + tex["height"] - 1, k
        assert verdict["x"] + verdict["width"] <= 390
    page.locator("#lines").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-working-phone.png"), full_page=True)
    context.close()
    external = [url for url in seen if not url.startswith((live_server.url, "data:", "blob:"))]
    assert not external, external


@pytest.mark.django_db(transaction=True)
def test_api_docs_render_from_local_files(chromium_browser, live_server):
    context = chromium_browser.new_context()
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(live_server.url + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for(timeout=20_000)
    assert "mathocr API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator("text=/api/images/").first.wait_for()
    context.close()
    external = [url for url in seen if not url.startswith((live_server.url, "data:", "blob:"))]
    assert not external, external
