"""Settings, deployment checks, schema and docs, the admin, and the page's HTML."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", re.I)


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    drop = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="web.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="web.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_https_hardening_can_be_turned_off_for_local_http():
    """The benchmark serves plain http on loopback with production settings."""
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.MATHOCR_ANON_RATE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "web.settings.production",
            "SECRET_KEY": "x" * 60,
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "off",
            "MATHOCR_ANON_RATE": "off",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "None"]


def test_bad_boolean_in_the_environment_is_an_error():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="web.settings.dev", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_database_url_selects_the_database(tmp_path):
    from web.settings.base import database_from_env

    os.environ["DATABASE_URL"], saved = (
        "postgres://u:p@db.example:5433/ocr",
        os.environ.get("DATABASE_URL"),
    )
    try:
        pg = database_from_env()
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
        lite = database_from_env()
    finally:
        if saved is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = saved
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"]) == ("db.example", 5433, "ocr")
    assert lite["ENGINE"] == "django.db.backends.sqlite3"
    assert lite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


# --------------------------------------------------------------------------- served pages


@pytest.mark.django_db
def test_schema_lists_the_routes(visitor):
    response = visitor.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for route in (
        "/api/images/",
        "/api/images/create/",
        "/api/images/{id}/",
        "/api/images/{id}/correction/",
    ):
        assert route in schema["paths"], route
    assert "post" in schema["paths"]["/api/images/"]


@pytest.mark.django_db
def test_schema_documents_the_errors_and_what_is_required(visitor):
    """Clients generated from the schema must know the error shape and the empty image."""
    schema = visitor.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    error = components["ErrorOutput"]
    assert set(error["required"]) == {"error", "code"}
    assert {"error", "code", "fields"} <= error["properties"].keys()

    def errors_of(path: str, method: str) -> set[str]:
        responses = schema["paths"][path][method]["responses"]
        documented = set()
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOutput", (path, status)
                documented.add(status)
        return documented

    posting = {"400", "401", "403", "413", "415", "429", "503"}
    assert errors_of("/api/images/", "post") == posting
    assert errors_of("/api/images/create/", "post") == posting
    # 400: a ?page_size= that is not a whole number from 1; 404: no such page
    assert errors_of("/api/images/", "get") == {"400", "401", "403", "404"}
    assert errors_of("/api/images/{id}/", "get") == {"401", "403", "404"}
    assert errors_of("/api/images/{id}/correction/", "post") >= {"400", "403", "404"}
    assert errors_of("/api/images/{id}/file/", "get") == {"401", "403", "404", "503"}
    described = schema["paths"]["/api/images/"]["post"]["responses"]["400"]["description"]
    for code in ("invalid_base64", "empty", "corrupt", "bad_shape", "multiple_frames"):
        assert code in described
    # the list keeps its paginated 200
    ok = schema["paths"]["/api/images/"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("PaginatedImageOutputList")

    # what the API refuses as empty, the schema refuses too
    assert components["ImageCreateInput"]["properties"]["image"]["minLength"] == 1
    # in JSON the image is text: as "binary", schemathesis took {"image": ""} for valid
    posting = schema["paths"]["/api/images/"]["post"]["requestBody"]["content"]
    json_image = posting["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert components[json_image]["properties"]["image"] == {
        "type": "string",
        "minLength": 1,
        "description": "Base64, or a data:image/...;base64, URL.",
    }
    latex = components["CorrectionInput"]["properties"]["latex"]
    assert latex["minLength"] == 1 and latex["maxLength"] == 1000
    # blank (spaces only) is refused, by the schema's pattern too
    assert re.search(latex["pattern"], "  x ") and not re.search(latex["pattern"], " \t\n")
    assert "edit_token" in components["ImageCreateOutput"]["required"]
    headers = {
        p["name"]
        for p in schema["paths"]["/api/images/{id}/correction/"]["post"]["parameters"]
        if p["in"] == "header"
    }
    assert headers == {"X-Edit-Token"}


@pytest.mark.django_db
def test_schema_documents_the_lines_of_a_page(visitor):
    """Clients generated from the schema see each line of working and its verdict."""
    schema = visitor.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    result = components["ResultOutput"]["properties"]
    assert result["lines"]["type"] == "array"
    assert result["lines"]["items"]["$ref"] == "#/components/schemas/LineOutput"
    assert result["first_wrong"]["type"] == "integer" and result["first_wrong"]["nullable"]
    assert result["solution_latex"]["type"] == "string"
    # older stored readings have none of them, so none is promised
    assert not {"lines", "first_wrong", "solution_latex"} & set(
        components["ResultOutput"]["required"]
    )
    line = components["LineOutput"]
    fields = {
        "latex", "text", "value", "decimal", "holds", "solutions", "solution_latex", "kind",
        "error", "symbols", "step", "continues", "expected",
    }  # fmt: skip
    assert line["properties"].keys() == fields
    assert set(line["required"]) == fields - {"expected"}
    step = line["properties"]["step"]
    if "$ref" in step:  # an enum is its own component
        step = components[step["$ref"].rsplit("/", 1)[-1]]
    elif "allOf" in step:
        step = components[step["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
    assert set(step["enum"]) == {"start", "ok", "wrong", "unreadable"}
    assert line["properties"]["symbols"]["items"]["type"] == "integer"


@pytest.mark.django_db
def test_docs_use_local_static_files(visitor):
    response = visitor.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)


@pytest.mark.django_db
def test_browsable_api(staff):
    response = staff.get("/api/images/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Post an image to recognize" in response.content


@pytest.mark.django_db
def test_page_has_everything_local(visitor):
    response = visitor.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<canvas id="pad"' in html
    assert 'capture="environment"' in html
    assert "/static/vendor/katex/katex.min.js" in html
    assert "/static/ocr/app.js" in html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "csrftoken" in response.cookies


@pytest.mark.django_db
def test_static_files_are_served(live_server):
    """Whitenoise serves our files (KaTeX and its fonts included) from the app itself."""
    import urllib.request

    for path in (
        "/static/ocr/app.js",
        "/static/vendor/katex/katex.min.css",
        "/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
    ):
        with urllib.request.urlopen(live_server.url + path, timeout=10) as response:
            assert response.status == 200
            assert len(response.read()) > 1000


def test_katex_license_is_vendored():
    license_text = (ROOT / "web/static/vendor/katex/LICENSE").read_text()
    assert "MIT License" in license_text


@pytest.mark.django_db
def test_admin_shows_thumbnails(admin_client, visitor, sum_b64):
    pk = visitor.post("/api/images/", {"image": sum_b64}, format="json").json()["id"]
    changelist = admin_client.get("/admin/ocr/postedimage/")
    assert changelist.status_code == 200
    assert f'src="/api/images/{pk}/file/"'.encode() in changelist.content
    change = admin_client.get(f"/admin/ocr/postedimage/{pk}/change/")
    assert change.status_code == 200
    assert b"&quot;latex&quot;" in change.content  # the stored result, pretty-printed


def test_schema_is_valid_openapi_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert "/api/images/{id}/correction/" in (tmp_path / "s.yml").read_text()
