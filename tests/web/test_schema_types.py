"""Parameters of the wrong type are refused, not coerced, and the schema says what is taken.

schemathesis (``tests/web/test_schema_fuzz.py``) found inputs that the schema
calls invalid and the service quietly took: ``?page_size=null`` served the
default page, and a ``debug`` form field that is no boolean was read as one
(or as false). A client with a typo then got an answer to a question it did
not ask. These tests pin each case down without a fuzzer, in milliseconds:
what is refused is refused with the API's usual 400 body, what the schema
allows is served, and the schema documents both.
"""

from __future__ import annotations

import io
import json
from io import StringIO

import pytest
from django.core.management import call_command

from web.ocr.models import PostedImage

pytestmark = pytest.mark.django_db

API = "/api/images/"


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    """The OpenAPI schema as ``/api/schema/`` serves it (generated, not read from a file)."""
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


def _parameter(schema: dict, path: str, method: str, name: str) -> dict:
    (found,) = (p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)
    return found


def _assert_refused(response, field: str, code: str = "invalid") -> None:
    """A 400 in the API's error shape, with DRF's *code*, that names *field*."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code, body
    assert field in body["fields"], body
    assert body["error"].startswith(f"{field}: "), body


# --------------------------------------------------------------------------- ?page_size=


@pytest.mark.parametrize("sent", ["null", "abc", "", "0", "000", "-1", "2.5", "+2", " 2", "١٢"])
def test_page_size_that_is_not_a_positive_whole_number_is_refused(staff, sent):
    _assert_refused(staff.get(API, {"page_size": sent}), "page_size")


@pytest.mark.parametrize("sent, served", [("1", 1), ("02", 2), ("100", 100), ("101", 100)])
def test_page_size_is_served_up_to_the_cap(staff, sent, served):
    # Rows only: listing reads no files.
    PostedImage.objects.bulk_create(
        PostedImage(image=f"img{i}.png", status="failed", reason="unreadable") for i in range(101)
    )
    response = staff.get(API, {"page_size": sent})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == served


def test_a_page_size_too_long_for_int_is_the_cap(staff):
    response = staff.get(API, {"page_size": "9" * 5000})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("sent", ["last", "abc", "", "0", "-1", "2.5", "١"])
def test_a_page_that_is_not_a_positive_whole_number_is_refused(staff, sent):
    _assert_refused(staff.get(API, {"page": sent}), "page")


def test_a_page_past_the_last_is_not_found(staff):
    assert staff.get(API, {"page": "1"}).status_code == 200
    response = staff.get(API, {"page": "999"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_schema_documents_page_size_and_its_400(schema):
    listing = schema["paths"][API]["get"]
    page_size = _parameter(schema, API, "get", "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1}
    assert "100" in page_size["description"]
    assert _parameter(schema, API, "get", "page")["schema"] == {"type": "integer", "minimum": 1}
    assert "400" in listing["responses"]


# --------------------------------------------------------------------------- debug

ROUTES = [API, "/api/images/create/"]


def _multipart(png: bytes, **fields: object) -> dict:
    upload = io.BytesIO(png)
    upload.name = "drawing.png"
    return {"image": upload, **fields}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("sent", ["", "null", "yes", "on", "True", "2", "ture"])
def test_multipart_debug_that_is_no_spelling_of_a_boolean_is_refused(visitor, sum_png, route, sent):
    response = visitor.post(route, _multipart(sum_png, debug=sent), format="multipart")
    _assert_refused(response, "debug")
    assert not PostedImage.objects.exists()


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "sent, steps", [("true", True), ("1", True), ("false", False), ("0", False)]
)
def test_multipart_debug_spellings(visitor, sum_png, route, sent, steps):
    response = visitor.post(route, _multipart(sum_png, debug=sent), format="multipart")
    assert response.status_code == 201, response.content
    assert ("steps" in response.json()) is steps


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("sent", ["", "null", "yes", "TRUE", "2"])
def test_query_debug_that_is_no_spelling_of_a_boolean_is_refused(visitor, sum_b64, route, sent):
    response = visitor.post(f"{route}?debug={sent}", {"image": sum_b64}, format="json")
    _assert_refused(response, "debug")
    assert not PostedImage.objects.exists()


@pytest.mark.parametrize(
    "sent, steps", [("1", True), ("true", True), ("0", False), ("false", False)]
)
def test_query_debug_spellings(visitor, sum_b64, sent, steps):
    response = visitor.post(f"{API}?debug={sent}", {"image": sum_b64}, format="json")
    assert response.status_code == 201, response.content
    assert ("steps" in response.json()) is steps


@pytest.mark.parametrize(
    "sent, code",
    [(1, "invalid"), (0, "invalid"), ("true", "invalid"), ("yes", "invalid"), (None, "null")],
)
def test_json_debug_must_be_a_json_boolean(visitor, sum_b64, sent, code):
    response = visitor.post(API, {"image": sum_b64, "debug": sent}, format="json")
    _assert_refused(response, "debug", code)


def test_schema_lists_the_debug_spellings(schema):
    spellings = {"true", "false", "1", "0"}
    for route in ROUTES:
        post = schema["paths"][route]["post"]
        query = _parameter(schema, route, "post", "debug")["schema"]
        assert set(query["enum"]) == spellings and query["type"] == "string"
        form = _resolve(schema, post["requestBody"]["content"]["multipart/form-data"]["schema"])
        debug = _resolve(schema, form["properties"]["debug"])
        assert set(debug["enum"]) == spellings and debug["type"] == "string"
        body = _resolve(schema, post["requestBody"]["content"]["application/json"]["schema"])
        assert body["properties"]["debug"]["type"] == "boolean"
        assert "400" in post["responses"]


def _resolve(schema: dict, node: dict) -> dict:
    """*node* with its ``$ref`` (or a lone ``allOf`` of one) followed, its own keys kept."""
    if "allOf" in node and len(node["allOf"]) == 1:
        node = {
            **_resolve(schema, node["allOf"][0]),
            **{k: v for k, v in node.items() if k != "allOf"},
        }
    if "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node
