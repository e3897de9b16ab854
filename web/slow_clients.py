"""Read a request's body in full, at a minimum pace, before the application sees it.

Under gunicorn a request is served by one worker thread from its first byte,
and that thread reads the body as the client sends it. A client that sends
one byte a second would hold the thread (a sync worker: the whole process)
for as long as it likes, and a handful of them stop the service. This
WSGI wrapper reads the body up front at a required pace: by ``grace`` seconds
plus one second per ``min_rate`` bytes, that many bytes must have arrived. A
phone on a slow link uploading a photo gets through; a trickle is cut off
with ``408`` after about ``grace`` seconds and its thread is free again.

A socket timeout alone cannot do this: gunicorn's body reader loops over
``recv`` until it has what was asked for, and a trickle makes every single
``recv`` quick. So each chunk gets a deadline kept by :class:`Watchdog`, one
thread per worker process, which shuts the socket's reading side when the
deadline passes; the blocked read then ends at once.

It reads only bodies with a ``Content-Length`` up to ``max_bytes``; a longer
one is left to the application (the API refuses it from the header, 413, and
gunicorn's own drain of an unread body is bounded). It needs the connection's
socket, which gunicorn puts in the environ (``gunicorn.socket``); elsewhere
(Django's runserver, the test client) requests pass through untouched. No
Django import: it wraps the application from outside.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["ReadBodyFirst", "Watchdog"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

CHUNK = 64 * 1024


class BodyTooSlow(Exception):
    """The client did not send its body at the minimum pace."""


class Watchdog:
    """Shuts a socket's reading side when its deadline passes, unless disarmed first.

    One daemon thread serves every request thread of the process; it is
    started on first use in the process that uses it (gunicorn forks its
    workers after loading the application, and threads do not survive a fork).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, socket.socket] = {}
        self._fired: set[int] = set()
        self._ids = itertools.count()
        self._pid = 0

    def arm(self, sock: socket.socket, deadline: float) -> int:
        """Watch *sock* until *deadline* (``time.monotonic()``); returns a token for disarm."""
        with self._cond:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._heap, self._armed, self._fired = [], {}, set()
                threading.Thread(target=self._run, name="body-watchdog", daemon=True).start()
            token = next(self._ids)
            self._armed[token] = sock
            heapq.heappush(self._heap, (deadline, token))
            self._cond.notify()
            return token

    def disarm(self, token: int) -> bool:
        """Stop watching; True when the deadline had already passed and the socket was shut."""
        with self._cond:
            self._armed.pop(token, None)
            if token in self._fired:
                self._fired.discard(token)
                return True
            return False

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (
                    self._heap[0][0] <= now or self._heap[0][1] not in self._armed
                ):
                    _, token = heapq.heappop(self._heap)
                    sock = self._armed.pop(token, None)
                    if sock is None:
                        continue  # disarmed in time
                    self._fired.add(token)
                    with contextlib.suppress(OSError):  # OSError: already closed
                        sock.shutdown(socket.SHUT_RD)  # wakes the blocked recv with EOF
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


class ReadBodyFirst:
    """WSGI middleware: the whole body in memory, read at ``min_rate`` bytes/s at least."""

    watchdog = Watchdog()

    def __init__(self, app: WSGIApp, *, grace: float, min_rate: float, max_bytes: int) -> None:
        if grace <= 0 or min_rate <= 0:
            raise ValueError("grace and min_rate must be positive")
        self.app = app
        self.grace = grace
        self.min_rate = min_rate
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        length = _content_length(environ)
        if isinstance(sock, socket.socket) and length is not None and 0 < length <= self.max_bytes:
            try:
                body = self._read(environ["wsgi.input"], sock, length)
            except BodyTooSlow as e:
                return _too_slow(start_response, str(e))
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _read(self, stream: Any, sock: socket.socket, length: int) -> bytes:
        """*length* bytes of *stream*, each chunk by the time the pace says it is due."""
        start = time.monotonic()
        parts: list[bytes] = []
        received = 0
        while received < length:
            step = min(CHUNK, length - received)
            due = start + self.grace + (received + step) / self.min_rate
            token = self.watchdog.arm(sock, due)
            try:
                data = stream.read(step)
            except OSError:
                data = b""  # the shut socket, seen by a reader that raises instead
            finally:
                fired = self.watchdog.disarm(token)
            if fired:
                raise BodyTooSlow(_message(received + len(data), length, time.monotonic() - start))
            if not data:  # the client went away; the application sees a short body
                break
            parts.append(data)
            received += len(data)
        return b"".join(parts)


def _content_length(environ: dict[str, Any]) -> int | None:
    try:
        value = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return value if value >= 0 else None


def _message(received: int, length: int, seconds: float) -> str:
    return (
        f"the request body came too slowly ({received} of {length} bytes in {seconds:.0f} s); "
        "send it again"
    )


def _too_slow(start_response: StartResponse, message: str) -> list[bytes]:
    """408 in the API's error shape; the connection is closed (its rest is never read)."""
    body = json.dumps({"error": message, "code": "request_timeout"}).encode()
    start_response(
        "408 Request Timeout",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]
