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
from .strokes import expression_strokes, render_png

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
    box = page.locator("#pad").bounding_box()
    scale_x = box["width"] / 1000  # the canvas is 1000 x 400 pixels inside
    scale_y = box["height"] / 400
    for stroke in expression_strokes(text, height=height, origin=(90.0, 100.0)):
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
