"""The REST API against the real recognizer and a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image

from tests.pngs import png_claiming
from web.ocr.models import PostedImage

from .strokes import render_page_png, render_png

pytestmark = pytest.mark.django_db

API = "/api/images/"
RESPONSE_KEYS = {"id", "image", "timestamp", "status", "reason", "result", "correction"}
RESULT_KEYS = {"latex", "text", "value", "error", "symbols", "model_version", "ms"}


def compact(latex: str) -> str:
    return "".join(latex.split())


def post_json(api, payload, url=API):
    return api.post(url, payload, format="json")


def assert_recognized(body: dict) -> None:
    """The 201 body has the documented shape and a complete reading."""
    assert body.keys() >= RESPONSE_KEYS
    assert body["status"] == "done", body["reason"]
    assert body["reason"] is None
    result = body["result"]
    assert result.keys() >= RESULT_KEYS
    assert isinstance(result["latex"], str) and result["latex"]
    assert isinstance(result["ms"], float) and result["ms"] > 0
    assert result["model_version"]
    for symbol in result["symbols"]:
        assert {"label", "confidence", "alternatives", "box"} <= symbol.keys()
        assert 0.0 <= symbol["confidence"] <= 1.0
        x, y, w, h = symbol["box"]
        assert w > 0 and h > 0 and x >= 0 and y >= 0


# --------------------------------------------------------------------------- posting


def test_post_base64_reads_the_drawing(visitor, sum_b64):
    response = post_json(visitor, {"image": sum_b64})
    assert response.status_code == 201, response.content
    body = response.json()
    assert_recognized(body)
    result = body["result"]
    assert compact(result["latex"]) == "2+3"
    assert result["value"] == "5"
    assert result["error"] is None
    assert [s["label"] for s in result["symbols"]] == ["2", "+", "3"]
    # boxes are in the posted image's pixels, left to right
    xs = [s["box"][0] for s in result["symbols"]]
    assert xs == sorted(xs)


def test_a_page_of_working_comes_back_as_lines_with_steps(visitor, staff):
    """Three lines, 3 + 4 / = 7 / = 4: each line read, checked, and the wrong one flagged."""
    png = base64.b64encode(render_page_png(["3+4", "=7", "=4"])).decode("ascii")
    response = post_json(visitor, {"image": png})
    assert response.status_code == 201, response.content
    body = response.json()
    assert_recognized(body)
    result = body["result"]
    lines = result["lines"]
    assert [line["latex"] for line in lines] == ["3 + 4", "= 7", "= 4"]
    assert [line["step"] for line in lines] == ["start", "ok", "wrong"]
    assert [line["holds"] for line in lines] == [None, True, False]
    assert [line["expected"] for line in lines] == [None, None, "7"]
    assert [line["continues"] for line in lines] == [False, True, True]
    assert lines[0]["value"] == "7" and lines[0]["error"] is None
    assert result["first_wrong"] == 2
    assert result["kind"] == "working" and result["holds"] is False
    assert result["solution_latex"] is None
    # each line points at its own symbols in the result's list
    symbols = result["symbols"]
    assert sorted(i for line in lines for i in line["symbols"]) == list(range(len(symbols)))
    assert [symbols[i]["label"] for i in lines[1]["symbols"]] == ["=", "7"]
    # stored as answered: the staff view of the row reads the same lines
    stored = staff.get(f"{API}{body['id']}/").json()["result"]
    assert stored["lines"] == lines and stored["first_wrong"] == 2


def test_one_expression_is_one_line_and_old_readings_still_serialize(visitor, staff, sum_b64):
    result = post_json(visitor, {"image": sum_b64}).json()["result"]
    (line,) = result["lines"]
    assert (compact(line["latex"]), line["value"], line["step"]) == ("2+3", "5", "start")
    assert line["symbols"] == [0, 1, 2] and result["first_wrong"] is None
    # a reading stored before pages were read has no lines: it is answered without
    # them (and with nothing wrong, no inequality's solutions)
    row = PostedImage.objects.get()
    for key in ("lines", "first_wrong", "solution_latex"):
        del row.result[key]
    row.save(update_fields=["result"])
    response = staff.get(f"{API}{row.pk}/")
    assert response.status_code == 200, response.content
    old = response.json()["result"]
    assert compact(old["latex"]) == "2+3" and old["value"] == "5"
    assert "lines" not in old
    assert old["first_wrong"] is None and old["solution_latex"] is None


def test_post_data_url(visitor, sum_b64):
    response = post_json(visitor, {"image": f"data:image/png;base64,{sum_b64}"})
    assert response.status_code == 201, response.content
    assert_recognized(response.json())


def test_post_base64_with_line_breaks_and_no_padding(visitor, sum_b64):
    wrapped = "\n".join(sum_b64[i : i + 76] for i in range(0, len(sum_b64), 76)).rstrip("=")
    response = post_json(visitor, {"image": wrapped})
    assert response.status_code == 201, response.content


def test_post_multipart(visitor, sum_png):
    upload = io.BytesIO(sum_png)
    upload.name = "drawing.png"
    response = visitor.post(API, {"image": upload}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert_recognized(body)
    assert compact(body["result"]["latex"]) == "2+3"


def test_post_jpeg_photo_upload(visitor):
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(render_png("7-4"))).convert("RGB").save(jpeg, "JPEG", quality=90)
    jpeg.seek(0)
    jpeg.name = "photo.jpg"
    response = visitor.post(API, {"image": jpeg}, format="multipart")
    assert response.status_code == 201, response.content
    assert_recognized(response.json())
    assert PostedImage.objects.get().format == "JPEG"


def test_alias_route_creates_too(visitor, sum_b64):
    response = post_json(visitor, {"image": sum_b64}, url="/api/images/create/")
    assert response.status_code == 201, response.content
    assert_recognized(response.json())
    # the alias only posts: it never lists
    assert visitor.get("/api/images/create/").status_code == 405


def test_the_served_model_version_fits_its_column():
    """SQLite stores any length; PostgreSQL refused the detector's 68-character version (a 500)."""
    from mathocr.detect.recognizer import default_recognizer

    column = PostedImage._meta.get_field("model_version")
    assert len(default_recognizer().model_version) <= column.max_length


def test_stored_file_and_row(visitor, sum_png):
    upload = io.BytesIO(sum_png)
    upload.name = "my-private-name.png"
    body = visitor.post(API, {"image": upload}, format="multipart").json()

    row = PostedImage.objects.get(pk=body["id"])
    assert row.status == "done"
    assert row.timestamp is not None
    assert row.result["latex"] == body["result"]["latex"]
    assert row.latex == body["result"]["latex"]
    assert row.model_version == body["result"]["model_version"]
    assert row.timings["total"] > 0 and row.ms == pytest.approx(row.timings["total"], abs=1e-3)
    assert (row.width, row.height, row.format) == (*Image.open(io.BytesIO(sum_png)).size, "PNG")
    assert row.size_bytes == len(sum_png)
    # the edit token is answered once and only its hash is kept
    token = body["edit_token"]
    assert len(token) >= 32 and token not in row.edit_token_hash
    assert row.edit_token_hash == hashlib.sha256(token.encode()).hexdigest()

    # saved under a random name, never the client's
    path = Path(row.image.path)
    assert path.is_file() and path.read_bytes() == sum_png
    assert "my-private-name" not in row.image.name
    assert path.is_relative_to(Path(django_settings.MEDIA_ROOT))
    assert len(path.stem) == 32 and path.suffix == ".png"


def test_two_posts_get_two_names(visitor, sum_b64):
    a = post_json(visitor, {"image": sum_b64}).json()["id"]
    b = post_json(visitor, {"image": sum_b64}).json()["id"]
    names = {PostedImage.objects.get(pk=pk).image.name for pk in (a, b)}
    assert len(names) == 2


def test_debug_returns_the_steps_as_png(visitor, sum_b64):
    response = post_json(visitor, {"image": sum_b64}, url=API + "?debug=1")
    assert response.status_code == 201, response.content
    steps = response.json()["steps"]
    for name in ("binary", "thinned", "boxes"):
        prefix = "data:image/png;base64,"
        assert steps[name].startswith(prefix)
        image = Image.open(io.BytesIO(base64.b64decode(steps[name][len(prefix) :])))
        assert image.format == "PNG" and image.width > 0 and image.height > 0
    # the same through the JSON field; and without either, no steps
    assert "steps" in post_json(visitor, {"image": sum_b64, "debug": True}).json()
    assert "steps" not in post_json(visitor, {"image": sum_b64}).json()


def test_image_url_serves_the_file_to_its_uploader_only(visitor, stranger, staff, sum_png):
    upload = io.BytesIO(sum_png)
    upload.name = "x.png"
    body = visitor.post(API, {"image": upload}, format="multipart").json()
    url = body["image"]
    assert url.startswith("http://testserver/api/images/")
    assert visitor.get(url).status_code == 403  # the poster shows its token
    response = visitor.get(url, HTTP_X_EDIT_TOKEN=body["edit_token"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == sum_png
    assert stranger.get(url).status_code == 403
    token = body["edit_token"]
    tampered = token[:-1] + ("x" if token[-1] != "x" else "y")  # one character off, never the same
    assert stranger.get(url, HTTP_X_EDIT_TOKEN=tampered).status_code == 403
    assert staff.get(url).status_code == 200


# --------------------------------------------------------------------------- recognition failure


def test_failure_inside_recognition_keeps_image_and_row(visitor, settings):
    """An image our checks accept but the recognizer refuses is kept, marked failed.

    The web limit is raised above the library's pixel limit, so the real
    recognizer (not a mock) raises ImageTooLargeError after the row is saved.
    """
    from mathocr import imaging

    settings.MATHOCR_MAX_IMAGE_PIXELS = imaging.MAX_PIXELS * 2
    side = int(imaging.MAX_PIXELS**0.5) + 100
    big = io.BytesIO()
    Image.new("1", (side, side), 1).save(big, "PNG")
    big.seek(0)
    big.name = "big.png"

    response = visitor.post(API, {"image": big}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "failed"
    assert body["result"] is None
    assert "pixels" in body["reason"]
    row = PostedImage.objects.get(pk=body["id"])
    assert row.status == "failed" and row.reason == body["reason"]
    assert Path(row.image.path).read_bytes() == big.getvalue()


# --------------------------------------------------------------------------- bad input


def _gif() -> str:
    out = io.BytesIO()
    Image.new("L", (40, 20), 255).save(out, "GIF")
    return base64.b64encode(out.getvalue()).decode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _truncated_jpeg() -> str:
    out = io.BytesIO()
    Image.open(io.BytesIO(render_png("2+3"))).convert("RGB").save(out, "JPEG", quality=95)
    return _b64(out.getvalue()[: len(out.getvalue()) // 2])


BAD_JSON = {
    "not base64": ({"image": "this is not base64!"}, 400, "invalid_base64"),
    "data URL without base64": ({"image": "data:image/png,abcd"}, 400, "invalid_base64"),
    "malformed data URL": ({"image": "data:image/png;base64"}, 400, "invalid_base64"),
    "empty string": ({"image": ""}, 400, "empty"),
    "only whitespace": ({"image": "  \n "}, 400, "empty"),
    "empty data URL": ({"image": "data:image/png;base64,"}, 400, "empty"),
    "missing field": ({}, 400, "required"),
    "null": ({"image": None}, 400, "null"),
    "a number": ({"image": 12}, 400, "type"),
    "a list": ({"image": ["abc"]}, 400, "type"),
    "not an image": ({"image": _b64(b"hello, this is text")}, 400, "not_an_image"),
    "unsupported format (GIF)": ({"image": _gif()}, 400, "unsupported_format"),
    "pixel bomb (beyond Pillow's limit)": (
        {"image": _b64(png_claiming(100_000, 100_000))},
        400,
        "too_many_pixels",
    ),
    "pixel bomb (beyond ours)": ({"image": _b64(png_claiming(8000, 8000))}, 400, "too_many_pixels"),
    "zero-size PNG": ({"image": _b64(png_claiming(0, 0))}, 400, None),
    "truncated JPEG": ({"image": _truncated_jpeg()}, 400, "corrupt"),
}


@pytest.mark.parametrize("payload, status, code", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_bad_json_input_is_a_clear_error(visitor, payload, status, code):
    response = post_json(visitor, payload)
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    if code is not None:
        assert body["code"] == code, body
    assert PostedImage.objects.count() == 0


def test_truncated_png_is_refused(visitor, sum_png):
    response = post_json(visitor, {"image": _b64(sum_png[: len(sum_png) // 2])})
    assert response.status_code == 400
    assert response.json()["code"] == "corrupt"
    assert "truncated" in response.json()["error"]
    assert PostedImage.objects.count() == 0


def test_malformed_json_body(visitor):
    response = visitor.post(API, data=b'{"image": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unsupported_content_type(visitor, sum_png):
    response = visitor.post(API, data=sum_png, content_type="image/png")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "content, code",
    [(b"", "empty"), (b"GIF89a not really", "not_an_image"), (b"%PDF-1.4\n", "not_an_image")],
    ids=["empty file", "fake gif", "pdf"],
)
def test_bad_multipart_upload(visitor, content, code):
    upload = io.BytesIO(content)
    upload.name = "upload.png"
    response = visitor.post(API, {"image": upload}, format="multipart")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert PostedImage.objects.count() == 0


def test_over_the_size_limit_is_413(visitor, settings, sum_png, sum_b64):
    settings.MATHOCR_MAX_IMAGE_BYTES = len(sum_png) - 1
    for payload in ({"image": sum_b64}, {"image": f"data:image/png;base64,{sum_b64}"}):
        response = post_json(visitor, payload)
        assert response.status_code == 413, response.content
        assert response.json()["code"] == "too_large"
    upload = io.BytesIO(sum_png)
    upload.name = "a.png"
    response = visitor.post(API, {"image": upload}, format="multipart")
    assert response.status_code == 413
    assert "limit" in response.json()["error"]
    assert PostedImage.objects.count() == 0


def test_default_limit_is_10_mb(visitor):
    assert django_settings.MATHOCR_MAX_IMAGE_BYTES == 10 * 1024 * 1024
    just_over = _b64(bytes(10 * 1024 * 1024 + 3))
    response = post_json(visitor, {"image": just_over})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_huge_body_is_refused_before_reading(visitor):
    body = b'{"image": "' + b"A" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    response = visitor.post(API, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


# --------------------------------------------------------------------------- who may read


def test_listing_is_staff_only(visitor, member, staff, sum_b64):
    ids = [post_json(visitor, {"image": sum_b64}).json()["id"] for _ in range(3)]
    for outsider in (visitor, member):
        response = outsider.get(API)
        assert response.status_code in (401, 403)
        assert "error" in response.json()
        assert outsider.get(f"{API}{ids[0]}/").status_code in (401, 403)

    response = staff.get(API)
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3
    assert [item["id"] for item in page["results"]] == ids[::-1]  # newest first
    assert page["results"][0].keys() >= RESPONSE_KEYS

    detail = staff.get(f"{API}{ids[1]}/")
    assert detail.status_code == 200
    assert detail.json()["id"] == ids[1]
    assert_recognized(detail.json())
    assert staff.get(f"{API}999999/").status_code == 404


def test_listing_is_paginated(staff, visitor, sum_b64):
    for _ in range(3):
        post_json(visitor, {"image": sum_b64})
    assert len(staff.get(API).json()["results"]) == 3  # 20 a page by default
    first = staff.get(API + "?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = staff.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_basic_auth_for_scripts(staff_user, sum_b64, visitor):
    from rest_framework.test import APIClient

    post_json(visitor, {"image": sum_b64})
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION="Basic " + _b64(b"staff:pw-staff"))
    assert script.get(API).status_code == 200
    script.credentials(HTTP_AUTHORIZATION="Basic " + _b64(b"staff:wrong"))
    assert script.get(API).status_code == 401


# --------------------------------------------------------------------------- corrections


def _correct(api, pk, latex, token=None):
    headers = {} if token is None else {"HTTP_X_EDIT_TOKEN": token}
    return api.post(f"{API}{pk}/correction/", {"latex": latex}, format="json", **headers)


def _post_for_token(api, sum_b64) -> tuple[int, str]:
    body = post_json(api, {"image": sum_b64}).json()
    return body["id"], body.get("edit_token", "")


def test_uploader_can_correct(visitor, sum_b64):
    pk, token = _post_for_token(visitor, sum_b64)
    response = _correct(visitor, pk, "  2 + 8  ", token)
    assert response.status_code == 200, response.content
    assert response.json()["correction"]["latex"] == "2 + 8"
    row = PostedImage.objects.get(pk=pk)
    assert row.corrected_latex == "2 + 8"
    assert row.corrected_at is not None
    # the prediction stays beside the correction
    assert row.latex == response.json()["result"]["latex"] and row.result is not None


def test_stranger_cannot_correct(visitor, stranger, member, sum_b64):
    pk, token = _post_for_token(visitor, sum_b64)
    other, _ = _post_for_token(visitor, sum_b64)
    for outsider in (stranger, member):
        body = assert_json_error(_correct(outsider, pk, "1+1"), 403, "permission_denied")
        assert "X-Edit-Token" in body["error"]  # says what is missing
    # a token is good for its own image only, and an empty one for none
    assert _correct(visitor, other, "1+1", token).status_code == 403
    assert _correct(visitor, pk, "1+1", "").status_code == 403
    assert PostedImage.objects.get(pk=pk).corrected_latex == ""
    assert PostedImage.objects.get(pk=other).corrected_latex == ""


def test_cross_site_correction_with_only_cookies_is_refused(sum_b64, django_user_model):
    """A page on another site makes the browser post with our cookies, and nothing else.

    Enforcing CSRF as a browser would, the anonymous poster's session cookie
    used to be enough to correct its image; now the edit token is needed (a
    header no other site can set), and a signed-in poster needs the CSRF token.
    """
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.get("/")  # the page: sets the csrftoken cookie
    pk, token = _post_for_token(browser, sum_b64)
    response = _correct(browser, pk, "6 6 6")
    assert response.status_code == 403, response.content
    assert PostedImage.objects.get(pk=pk).corrected_latex == ""
    # the page itself sends the token
    assert _correct(browser, pk, "2+3", token).status_code == 200

    member = django_user_model.objects.create_user("poster", password="pw-poster")
    signed_in = APIClient(enforce_csrf_checks=True)
    signed_in.force_login(member)
    signed_in.get("/")
    csrf = signed_in.cookies["csrftoken"].value
    response = signed_in.post(API, {"image": sum_b64}, format="json", HTTP_X_CSRFTOKEN=csrf)
    pk = response.json()["id"]
    assert _correct(signed_in, pk, "6 6 6").status_code == 403  # no CSRF header
    response = signed_in.post(
        f"{API}{pk}/correction/", {"latex": "2+3"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200, response.content


def test_anonymous_posts_create_no_sessions(sum_b64, sum_png):
    """A script that never sends cookies back used to leave a session row per post."""
    from django.contrib.sessions.models import Session
    from rest_framework.test import APIClient

    for _ in range(3):
        assert post_json(APIClient(), {"image": sum_b64}).status_code == 201
        assert post_json(APIClient(), {"image": "bad!"}).status_code == 400
    upload = io.BytesIO(sum_png)
    upload.name = "a.png"
    response = APIClient().post(API, {"image": upload}, format="multipart")
    assert response.status_code == 201
    assert "sessionid" not in response.cookies
    assert Session.objects.count() == 0
    assert PostedImage.objects.filter(session_key="").count() == 4


def test_staff_can_correct(visitor, staff, staff_user, sum_b64):
    pk = post_json(visitor, {"image": sum_b64}).json()["id"]
    response = _correct(staff, pk, "2+3")
    assert response.status_code == 200
    row = PostedImage.objects.get(pk=pk)
    assert row.corrected_latex == "2+3" and row.corrected_by == staff_user


def test_signed_in_uploader_can_correct_from_another_session(member, sum_b64, django_user_model):
    from rest_framework.test import APIClient

    pk = post_json(member, {"image": sum_b64}).json()["id"]
    again = APIClient()
    again.force_login(django_user_model.objects.get(username="member"))
    assert _correct(again, pk, "2+3").status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"latex": ""},
        {"latex": "   "},
        {"latex": " \t\n"},
        {"latex": "1" * 1001},
        {"latex": " " * 1000 + "1"},  # 1,001 as sent: the schema's maxLength counts it so
        {"latex": None},
        {"latex": 0},  # the schema says string; DRF's CharField took it as "0"
        {"latex": 2.5},
    ],
)
def test_bad_correction(visitor, sum_b64, payload):
    pk, token = _post_for_token(visitor, sum_b64)
    response = visitor.post(
        f"{API}{pk}/correction/", payload, format="json", HTTP_X_EDIT_TOKEN=token
    )
    assert response.status_code == 400
    assert response.json()["fields"]["latex"]


def test_correction_is_stored_trimmed(visitor, sum_b64):
    pk, token = _post_for_token(visitor, sum_b64)
    response = visitor.post(
        f"{API}{pk}/correction/", {"latex": "  2+3 \n"}, format="json", HTTP_X_EDIT_TOKEN=token
    )
    assert response.status_code == 200, response.content
    assert response.json()["correction"]["latex"] == "2+3"


def test_correction_of_unknown_image(staff):
    assert _correct(staff, 424242, "1").status_code == 404


# --------------------------------------------------------------------------- throttling


def test_anonymous_posts_are_throttled(visitor, stranger, staff, settings, sum_b64):
    settings.MATHOCR_ANON_RATE = "2/minute"
    assert post_json(visitor, {"image": sum_b64}).status_code == 201
    assert post_json(visitor, {"image": "bad!"}).status_code == 400  # counts too
    response = post_json(visitor, {"image": sum_b64})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # per client address: the test client's other sessions share it
    assert post_json(stranger, {"image": sum_b64}).status_code == 429
    # signed-in users are not throttled, nor are reads
    assert post_json(staff, {"image": sum_b64}).status_code == 201
    assert staff.get(API).status_code == 200
    assert PostedImage.objects.count() == 2


def test_throttle_counts_are_shared_by_worker_processes(
    visitor, settings, tmp_path, sum_b64, monkeypatch
):
    """Gunicorn's workers each have their own memory: the counts must live outside it."""
    from django.core.cache.backends.filebased import FileBasedCache

    from web.ocr.throttling import AnonymousUploadThrottle
    from web.settings import base

    assert base.CACHES["default"]["BACKEND"].endswith("FileBasedCache")
    location = str(tmp_path / "cache")
    settings.CACHES = {"default": {**base.CACHES["default"], "LOCATION": location}}
    settings.MATHOCR_ANON_RATE = "1/minute"
    assert post_json(visitor, {"image": sum_b64}).status_code == 201
    # The next request lands on another worker: a cache object of its own
    # over the same directory.
    monkeypatch.setattr(AnonymousUploadThrottle, "cache", FileBasedCache(location, {}))
    assert post_json(visitor, {"image": sum_b64}).status_code == 429


def test_throttle_off(visitor, settings):
    settings.MATHOCR_ANON_RATE = None
    for _ in range(5):
        assert post_json(visitor, {"image": "bad!"}).status_code == 400


# A damaged header can also claim another size or shape.
DAMAGE_CODES = {"corrupt", "not_an_image", "bad_shape", "too_many_pixels"}


def test_damaged_images_never_cause_a_server_error(visitor):
    """Seeded random damage to real PNG and JPEG files: a clear answer every time, never a 500."""
    import random

    rng = random.Random(5)
    png = render_png("7-4")
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(jpeg, "JPEG")
    codes = set()
    for original in (png, jpeg.getvalue()):
        for _ in range(15):
            data = bytearray(original)
            if rng.random() < 0.5:
                data = data[: rng.randrange(1, len(data))]
            for _ in range(rng.randrange(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            response = post_json(visitor, {"image": _b64(bytes(data))})
            assert response.status_code in (201, 400), response.content
            body = response.json()
            if response.status_code == 400:
                assert body["error"] and body["code"] in DAMAGE_CODES, body
            else:
                assert body["status"] in {"done", "failed"}
            codes.add(response.status_code)
    assert 400 in codes  # the damage was noticed at least sometimes


def test_forwarded_for_is_ignored_without_proxies(visitor, settings):
    """With NUM_PROXIES at its default 0, a client cannot pick its own address.

    Each post claims another X-Forwarded-For; the throttle must still count them
    all against the one real peer address.
    """
    from rest_framework.settings import api_settings

    assert api_settings.NUM_PROXIES == 0
    settings.MATHOCR_ANON_RATE = "2/minute"
    answers = [
        visitor.post(API, {"image": "bad!"}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
        for i in range(3)
    ]
    assert [a.status_code for a in answers] == [400, 400, 429]


def test_forwarded_for_behind_one_proxy(visitor, settings):
    """Behind one proxy the client is the last address the proxy appended, not the first."""
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.MATHOCR_ANON_RATE = "1/minute"

    def post(xff: str) -> int:
        return visitor.post(
            API, {"image": "bad!"}, format="json", HTTP_X_FORWARDED_FOR=xff
        ).status_code

    assert post("1.1.1.1, 203.0.113.5") == 400
    assert post("2.2.2.2, 203.0.113.5") == 429  # a forged first entry changes nothing
    assert post("203.0.113.6") == 400  # another client behind the proxy


@pytest.mark.parametrize("route", ["images", "create", "correction"])
def test_deeply_nested_json_is_a_parse_error(visitor, staff, sum_b64, route):
    """``[[[...]]]`` 1000 deep exhausts Python's recursion limit in the JSON decoder."""
    url = {"images": API, "create": API + "create/"}.get(route)
    client = visitor
    if url is None:
        pk = post_json(visitor, {"image": sum_b64}).json()["id"]
        url, client = f"{API}{pk}/correction/", staff
    body = "[" * 1000 + "]" * 1000
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert "nested" in response.json()["error"]


# --------------------------------------------------------------------------- one error shape


def assert_json_error(response, status: int, code: str) -> dict:
    """A client error under /api/ is JSON ``{"error", "code"}``, whatever raised it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["error"], str) and body["error"], body
    assert body["code"] == code, body
    assert "detail" not in body
    return body


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + _b64(b"staff:wrong"),
        "Basic " + _b64(b"nobody:pw"),
        "Basic !!!not-base64",
        "Basic",
    ],
    ids=["wrong password", "unknown user", "not base64", "no credentials"],
)
def test_bad_basic_credentials_are_a_401_challenge(staff_user, header):
    from rest_framework.test import APIClient

    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=header)
    for response in (script.get(API), script.get(f"{API}1/"), script.post(API, {}, format="json")):
        assert_json_error(response, 401, "authentication_failed")
        assert response["WWW-Authenticate"] == 'Basic realm="api"'


def test_not_found_is_json(staff, visitor):
    assert_json_error(staff.get(f"{API}999999/"), 404, "not_found")
    assert_json_error(_correct(staff, 999999, "1"), 404, "not_found")
    assert_json_error(staff.get(f"{API}999999/file/"), 404, "not_found")
    # no route at all, under /api/
    for url in ("/api/nothing/", f"{API}abc/", f"{API}1/nothing/"):
        assert_json_error(visitor.get(url), 404, "not_found")
    # the rest of the site keeps Django's HTML pages
    response = visitor.get("/nothing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_unknown_host_is_json_under_the_api(visitor):
    assert_json_error(visitor.get(API, HTTP_HOST="evil.example"), 400, "bad_request")
    assert_json_error(
        visitor.post(API, {"image": "x"}, format="json", HTTP_HOST="evil.example"),
        400,
        "bad_request",
    )


def test_too_many_form_fields_is_json(visitor, settings):
    """Django's own limit on form fields raises a SuspiciousOperation inside DRF's parser."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"f{i}": "1" for i in range(20)}
    for fmt in ("multipart", None):
        if fmt is None:
            from urllib.parse import urlencode

            response = visitor.post(
                API, urlencode(fields), content_type="application/x-www-form-urlencoded"
            )
        else:
            response = visitor.post(API, fields, format=fmt)
        assert_json_error(response, 400, "bad_request")


def test_method_not_allowed_is_json(staff):
    assert_json_error(staff.put(API, {}, format="json"), 405, "method_not_allowed")
    assert_json_error(staff.delete(f"{API}1/"), 405, "method_not_allowed")


def test_forbidden_is_json(visitor, member):
    assert_json_error(visitor.get(API), 403, "not_authenticated")
    assert_json_error(member.get(API), 403, "permission_denied")


def test_server_error_handler_answers_json_under_the_api(rf):
    """A bug reaches Django's handler500: JSON under /api/, the HTML page elsewhere."""
    from web.ocr import errors

    response = errors.server_error(rf.get("/api/images/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "error": "internal server error",
        "code": "server_error",
    }
    page = errors.server_error(rf.get("/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


# --------------------------------------------------------------------------- what a PNG holds


def _png(width: int, height: int, raw_rows: bytes, *, interlace: int = 0, colour: int = 0) -> bytes:
    """A PNG whose IDAT is exactly *raw_rows* (filter byte + pixels per row), well formed."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw_rows))
        + chunk(b"IEND", b"")
    )


def test_png_whose_pixel_data_ends_early_is_corrupt(visitor):
    """A complete zlib stream with half the rows: Pillow fills the rest with black."""
    width, height = 120, 60
    half = b"".join(b"\0" + b"\xff" * width for _ in range(height // 2))
    response = post_json(visitor, {"image": _b64(_png(width, height, half))})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "corrupt"
    assert "truncated" in response.json()["error"]
    assert PostedImage.objects.count() == 0


def test_png_with_all_its_rows_is_read(visitor):
    """The row count is checked exactly: whole gray, RGB and interlaced PNGs pass."""
    width, height = 120, 60
    for colour, channels in ((0, 1), (2, 3)):
        rows = b"".join(b"\0" + b"\xff" * (width * channels) for _ in range(height))
        response = post_json(visitor, {"image": _b64(_png(width, height, rows, colour=colour))})
        assert response.status_code == 201, response.content
    # interlaced: the seven Adam7 passes, each a small image of its own rows
    import numpy as np

    pixels = np.asarray(Image.open(io.BytesIO(render_png("2+3"))).convert("L"))
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4))
    passes += ((1, 0, 2, 2), (0, 1, 1, 2))
    raw = b"".join(
        b"".join(b"\0" + row.tobytes() for row in pixels[y0::dy, x0::dx])
        for x0, y0, dx, dy in passes
    )
    height, width = pixels.shape
    interlaced = _png(width, height, raw, interlace=1)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(interlaced))), pixels)
    response = post_json(visitor, {"image": _b64(interlaced)})
    assert response.status_code == 201, response.content
    assert compact(response.json()["result"]["latex"]) == "2+3"
    # the last pass cut short is refused
    short = _png(width, height, raw[: -width // 2], interlace=1)
    assert post_json(visitor, {"image": _b64(short)}).json()["code"] == "corrupt"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_multi_frame_images_are_refused(visitor, fmt):
    """An animation or a multi-page file: which frame to read is not ours to guess."""
    frames = [Image.new("L", (80, 40), shade) for shade in (255, 0, 128)]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(out.getvalue())).n_frames == 3
    response = post_json(visitor, {"image": _b64(out.getvalue())})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "multiple_frames"
    assert "3 frames" in response.json()["error"]
    assert PostedImage.objects.count() == 0


@pytest.mark.parametrize(
    "size",
    [(1, 40_000_000), (40_000_000, 1), (20_000, 100), (100, 3100)],
    ids=["1x40M", "40Mx1", "a side over 16384", "31 times as tall as wide"],
)
def test_strips_are_refused_by_shape(visitor, size):
    """Within the pixel limit, but a shape that costs recognition hundreds of MB."""
    width, height = size
    assert width * height <= django_settings.MATHOCR_MAX_IMAGE_PIXELS
    response = post_json(visitor, {"image": _b64(png_claiming(width, height))})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "bad_shape"
    assert f"{width}x{height}" in response.json()["error"]
    assert PostedImage.objects.count() == 0


def test_shape_limits_follow_the_settings(visitor, settings):
    """A long written line is fine; the limits are the operator's to move."""
    wide = io.BytesIO()
    Image.new("L", (3000, 120), 255).save(wide, "PNG")  # 25 : 1
    assert post_json(visitor, {"image": _b64(wide.getvalue())}).status_code == 201
    settings.MATHOCR_MAX_ASPECT_RATIO = 20
    response = post_json(visitor, {"image": _b64(wide.getvalue())})
    assert response.json()["code"] == "bad_shape"
    settings.MATHOCR_MAX_ASPECT_RATIO = 30
    settings.MATHOCR_MAX_IMAGE_SIDE = 2000
    assert post_json(visitor, {"image": _b64(wide.getvalue())}).json()["code"] == "bad_shape"


def test_throttle_count_is_exact_under_concurrency(settings, tmp_path):
    """16 threads, each its own file cache over one folder (as gunicorn's workers and
    threads share it), post 64 times at once: exactly the rate is let through."""
    import threading

    from django.contrib.auth.models import AnonymousUser
    from django.core.cache.backends.filebased import FileBasedCache
    from rest_framework.test import APIRequestFactory

    from web.ocr.throttling import AnonymousUploadThrottle

    settings.MATHOCR_ANON_RATE = "30/minute"
    location = str(tmp_path / "cache")
    factory = APIRequestFactory()
    start = threading.Barrier(16)
    allowed: list[bool] = []

    def worker() -> None:
        cache = FileBasedCache(location, {})
        start.wait()
        for _ in range(4):
            throttle = AnonymousUploadThrottle()
            throttle.cache = cache
            request = factory.post(API, REMOTE_ADDR="198.51.100.7")
            request.user = AnonymousUser()
            allowed.append(throttle.allow_request(request, None))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 64
    assert sum(allowed) == 30


# --------------------------------------------------------------------------- failed logins


def test_failed_basic_logins_are_throttled(staff_user, settings):
    """Guessing passwords over Basic auth: after the rate, even the right one is refused."""
    from rest_framework.test import APIClient

    settings.MATHOCR_FAILED_LOGIN_RATE = "5/hour"
    guesser = APIClient(REMOTE_ADDR="203.0.113.9")
    guesser.credentials(HTTP_AUTHORIZATION="Basic " + _b64(b"staff:guess"))
    assert [guesser.get(API).status_code for _ in range(5)] == [401] * 5
    response = guesser.get(API)
    assert_json_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600
    guesser.credentials(HTTP_AUTHORIZATION="Basic " + _b64(b"staff:pw-staff"))
    assert_json_error(guesser.get(API), 429, "throttled")
    # another address is not affected, and right logins are never counted
    script = APIClient(REMOTE_ADDR="203.0.113.10")
    script.credentials(HTTP_AUTHORIZATION="Basic " + _b64(b"staff:pw-staff"))
    assert [script.get(API).status_code for _ in range(8)] == [200] * 8


def test_failed_admin_logins_are_throttled(staff_user, settings, client):
    """The admin's login form: after the rate, the right password does not sign in."""
    settings.MATHOCR_FAILED_LOGIN_RATE = "5/hour"
    url = "/admin/login/?next=/admin/"

    def login(password: str, address: str) -> int:
        form = {"username": "staff", "password": password, "next": "/admin/"}
        return client.post(url, form, REMOTE_ADDR=address).status_code

    assert [login("guess", "203.0.113.9") for _ in range(5)] == [200] * 5  # the form again
    assert login("pw-staff", "203.0.113.9") == 200  # refused: still the form
    assert "_auth_user_id" not in client.session
    assert login("pw-staff", "203.0.113.10") == 302  # signed in from elsewhere
    assert "_auth_user_id" in client.session


def test_failed_login_limit_off(staff_user, settings):
    from rest_framework.test import APIClient

    settings.MATHOCR_FAILED_LOGIN_RATE = None
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Basic " + _b64(b"staff:guess"))
    assert {guesser.get(API).status_code for _ in range(30)} == {401}


# --------------------------------------------------------------------------- storage faults


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def assert_nothing_kept(response, media: Path) -> None:
    """A storage fault: 503 in the API's shape, and neither a row nor a file left over."""
    assert_json_error(response, 503, "storage_unavailable")
    assert PostedImage.objects.count() == 0
    assert _files_under(media) == []


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """Mount a real tmpfs (a full or read-only disk) on demand; needs root with CAP_SYS_ADMIN.

    Root ignores file modes, so a chmod'ed folder would not refuse it: a
    filesystem of its own is the real thing.
    """
    import subprocess

    mounted = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        try:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
            )
        except FileNotFoundError:
            pytest.skip("no mount command here")
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=True)


def test_media_root_that_is_not_a_folder_is_a_503(visitor, settings, tmp_path, sum_b64):
    """MEDIA_ROOT is a file: every write fails with OSError, as root too."""
    media = tmp_path / "media"
    media.write_bytes(b"not a folder")
    settings.MEDIA_ROOT = str(media)
    response = post_json(visitor, {"image": sum_b64})
    assert_json_error(response, 503, "storage_unavailable")
    assert PostedImage.objects.count() == 0
    assert media.read_bytes() == b"not a folder"


def test_read_only_media_is_a_503(visitor, settings, tiny_tmpfs, sum_b64):
    media = tiny_tmpfs("size=1m,ro")
    settings.MEDIA_ROOT = str(media)
    assert_nothing_kept(post_json(visitor, {"image": sum_b64}), media)


def test_full_disk_leaves_no_partial_file(visitor, settings, tiny_tmpfs, sum_png, sum_b64):
    """One 4 KB page of room for a 4.4 KB PNG: the write fails half-way with ENOSPC."""
    media = tiny_tmpfs("size=4k")
    settings.MEDIA_ROOT = str(media)
    assert len(sum_png) > 4096
    assert_nothing_kept(post_json(visitor, {"image": sum_b64}), media)
    # the space was given back: a small image fits
    small = io.BytesIO()
    Image.open(io.BytesIO(sum_png)).resize((120, 64)).save(small, "PNG")
    assert len(small.getvalue()) < 4096
    response = post_json(visitor, {"image": _b64(small.getvalue())})
    assert response.status_code == 201, response.content
    assert len(_files_under(media)) == 1


@contextmanager
def _database_refuses_writes():
    """Make the test database refuse writes as a full or read-only one does.

    SQLite: ``PRAGMA query_only`` (SQLITE_READONLY, an OperationalError);
    PostgreSQL: a read-only transaction (an InternalError). Both are the
    databases' own refusals, not mocks.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET TRANSACTION READ ONLY")
    try:
        yield
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = OFF")


def test_database_refusing_the_row_leaves_no_file(visitor, settings, tmp_path, sum_b64):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    with _database_refuses_writes():
        response = post_json(visitor, {"image": sum_b64})
        assert_nothing_kept(response, media)


def test_database_refusing_the_reading_leaves_neither(visitor, settings, tmp_path, sum_b64):
    """The row is in, the reading cannot be saved: row and file are both removed.

    No database refuses only UPDATEs on its own, so this one test intercepts
    the query with Django's execute_wrapper and raises the OperationalError
    SQLite gives for a full disk.
    """
    from django.db import OperationalError, connection

    def refuse_updates(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE") and "ocr_postedimage" in sql:
            raise OperationalError("database or disk is full")
        return execute(sql, params, many, context)

    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    with connection.execute_wrapper(refuse_updates):
        response = post_json(visitor, {"image": sum_b64})
    assert_nothing_kept(response, media)
