"""``mathocr serve``: gunicorn with production settings, migrations first, real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from mathocr.cli import main

from .servers import production_environment
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


def _start(tmp_path: Path, port: int, *options: str) -> tuple[subprocess.Popen, IO[bytes]]:
    """``mathocr serve`` on *port*, as an operator would start it."""
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mathocr", "serve", "--port", str(port), *options],
        cwd=ROOT,
        env=production_environment(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, log


def _wait_until_up(proc: subprocess.Popen, port: int, tmp_path: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            _request(port, "GET", "/api/schema/")
            return
        except OSError:
            assert time.monotonic() < deadline, "mathocr serve did not start in 120 s"
            time.sleep(0.3)


def _stop(proc: subprocess.Popen, log: IO[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    log.close()


@pytest.mark.slow
def test_serve_migrates_and_answers_over_http(tmp_path):
    port = _free_port()
    proc, log = _start(tmp_path, port, "--workers", "1", "--threads", "2")
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
        _stop(proc, log)

    # migrations ran: the row is in the new database
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute("SELECT status FROM ocr_postedimage").fetchall()
    assert rows == [("done",)]


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


class Trickler(threading.Thread):
    """A slow client: its headers at once, then its body one byte every half second.

    It listens between bytes, so it notes when (and what) the server answers.
    """

    def __init__(self, port: int, length: int) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(
            b"POST /api/images/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(length).encode() + b"\r\n\r\n{"
        )
        self.length = length
        self.answer = b""
        self.answered_at: float | None = None

    def run(self) -> None:
        sent = 1
        self.sock.settimeout(0.5)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                if sent < self.length:
                    try:
                        self.sock.send(b" ")
                        sent += 1
                    except OSError:
                        pass  # the server closed its side; its answer may still be readable
                continue
            except OSError:
                break
            if not data:
                break
            if self.answered_at is None:
                self.answered_at = time.monotonic()
            self.answer += data
        self.sock.close()


@pytest.mark.slow
def test_slow_clients_do_not_stall_the_others(tmp_path):
    """Two clients trickling a body leave the default server free for everyone else.

    A sync worker (``--threads 1``) reads the first trickle for the whole body
    timeout and the second after it, so the normal request waits behind both.
    """
    port = _free_port()
    body_timeout = 6.0
    proc, log = _start(
        tmp_path, port, "--workers", "1", "--body-timeout", str(body_timeout),
        "--body-min-rate", "65536",
    )  # fmt: skip
    try:
        _wait_until_up(proc, port, tmp_path)
        started = time.monotonic()
        slow = [Trickler(port, 1000) for _ in range(2)]
        for client in slow:
            client.start()
        time.sleep(1.0)  # both are inside the server, reading their bodies

        body = json.dumps({"image": "data:image/png;base64," + _b64(render_png("2+3"))})
        status, _, answer = _request(
            port, "POST", "/api/images/", body.encode(), {"Content-Type": "application/json"}
        )
        answered = time.monotonic()
        assert status == 201, answer
        assert json.loads(answer)["status"] == "done"
        assert answered - started < body_timeout - 1.5, (
            f"a normal request took {answered - started:.1f} s beside two slow clients"
        )
        assert all(client.answered_at is None for client in slow), "the slow ones came first"

        # The trickles are cut off at the body timeout: 408 in the API's shape,
        # and their threads are free again.
        for client in slow:
            client.join(timeout=30)
            assert client.answered_at is not None, "a trickling client was never cut off"
            head, _, payload = client.answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), head
            assert json.loads(payload)["code"] == "request_timeout"
            assert body_timeout - 0.5 < client.answered_at - started < body_timeout + 5
        status, _, _ = _request(
            port, "POST", "/api/images/", body.encode(), {"Content-Type": "application/json"}
        )
        assert status == 201
    finally:
        _stop(proc, log)

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute("SELECT status FROM ocr_postedimage").fetchall()
    assert rows == [("done",), ("done",)]  # nothing of the cut-off posts was stored
