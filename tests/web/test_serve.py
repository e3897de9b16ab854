"""``mathocr serve``: gunicorn with production settings, migrations first, real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mathocr.cli import main

from .strokes import render_png

ROOT = Path(__file__).resolve().parents[2]


def test_serve_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--workers", "--threads", "--no-migrate"):
        assert option in out


@pytest.mark.parametrize(
    "args", [["--port", "0"], ["--port", "70000"], ["--workers", "0"], ["--threads", "0"]]
)
def test_serve_refuses_bad_options(args, capsys):
    assert main(["serve", *args]) == 2
    assert "error" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.slow
def test_serve_migrates_and_answers_over_http(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="web.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mathocr", "serve", "--port", str(port)]
        + ["--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                status, _, _ = _request(port, "GET", "/")
                break
            except OSError:
                assert time.monotonic() < deadline, "mathocr serve did not start in 120 s"
                time.sleep(0.3)
        assert status == 200

        # static files come from whitenoise, with hashed names and compression
        status, _, page = _request(port, "GET", "/")
        assert b"/static/ocr/app." in page and b".js" in page
        status, headers, _ = _request(port, "GET", "/api/docs/")
        assert status == 200

        body = json.dumps({"image": "data:image/png;base64," + _b64(render_png("2+3"))})
        status, headers, answer = _request(
            port, "POST", "/api/images/", body.encode(), {"Content-Type": "application/json"}
        )
        assert status == 201, answer
        created = json.loads(answer)
        assert created["status"] == "done"
        assert created["image"].startswith(f"http://127.0.0.1:{port}/api/images/")
        # the production HTTPS headers are there; the SSL redirect was turned off
        assert headers.get("X-Content-Type-Options") == "nosniff"

        status, _, _ = _request(port, "GET", "/api/images/")
        assert status in (401, 403)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()

    # migrations ran: the row is in the new database
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute("SELECT status FROM ocr_postedimage").fetchall()
    assert rows == [("done",)]


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
