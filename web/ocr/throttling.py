"""Throttles whose counts stay exact with many workers: anonymous uploads, failed logins.

DRF's rate throttles keep a list of request times in the cache and update it
as read, modify, write. Two workers (or two threads) that read the same list
both add to it and the later write wins, so the count drifts low: 16 threads
let 31 posts through a 30/minute limit, or all of them. Every count here is
updated under a lock that spans the whole read-modify-write: an ``flock`` on a
file beside the file cache (shared by every process on the machine), or a
process-wide lock for an in-memory cache (which only one process sees anyway).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

__all__ = ["AnonymousUploadThrottle", "counter_lock"]

LOCK_FILE = "throttle.lock"
"""Beside the cache's ``*.djcache`` files, which the file cache's culling ignores."""

_process_lock = threading.Lock()


@contextmanager
def counter_lock(cache: Any) -> Iterator[None]:
    """Hold the lock that makes a read-modify-write of *cache* atomic.

    A file cache (``FileBasedCache``, it has a ``_dir``) is shared by the
    workers through the disk, so they lock a file there. Each call opens the
    file anew: ``flock`` locks belong to the open file, so threads of one
    process exclude each other too.
    """
    folder = getattr(cache, "_dir", None)
    if folder is None:
        with _process_lock:
            yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    fd = os.open(os.path.join(folder, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class AtomicRateThrottle(SimpleRateThrottle):
    """A DRF rate throttle whose check-and-count happens under :func:`counter_lock`."""

    def allow_request(self, request: Any, view: Any) -> bool:
        with counter_lock(self.cache):
            return super().allow_request(request, view)


class AnonymousUploadThrottle(AtomicRateThrottle, AnonRateThrottle):
    """``MATHOCR_ANON_RATE`` uploads per client IP; signed-in users are not throttled.

    DRF binds ``THROTTLE_RATES`` when the class is defined; reading our own
    setting here instead lets an operator (or a test) change it without a
    re-import, and ``None`` turns the throttle off.
    """

    scope = "anon_upload"

    def get_rate(self) -> str | None:
        return settings.MATHOCR_ANON_RATE


class FailedLoginThrottle(AtomicRateThrottle):
    """``MATHOCR_FAILED_LOGIN_RATE`` wrong passwords per client address, then no login at all.

    Only failures count (Django's ``user_login_failed`` signal calls
    :meth:`record`, for Basic auth and the admin's login form alike), so a
    script that signs in right is never slowed. While a client is over the
    rate, :class:`~web.ocr.backends.FailedLoginLimit` refuses every login from
    it, the right password included: otherwise guessing would just go on.
    The window slides, so a client that keeps guessing stays blocked.
    """

    scope = "failed_login"

    def get_rate(self) -> str | None:
        return settings.MATHOCR_FAILED_LOGIN_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _history(self, request: Any) -> list[float]:
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        self.history = history
        return history

    def wait_if_blocked(self, request: Any) -> float | None:
        """Seconds until *request*'s client may try again, or None when it may now."""
        if self.rate is None:
            return None
        with counter_lock(self.cache):
            history = self._history(request)
            if len(history) < self.num_requests:
                return None
            # Newest first: the client may try again once the num_requests-th
            # newest failure leaves the window.
            return max(0.0, history[self.num_requests - 1] + self.duration - self.now)

    def record(self, request: Any) -> None:
        """Count one failed login from *request*'s client."""
        if self.rate is None:
            return
        with counter_lock(self.cache):
            history = self._history(request)
            history.insert(0, self.now)
            # The newest num_requests failures decide; a guesser's list stays that short.
            self.cache.set(self.key, history[: self.num_requests], self.duration)
