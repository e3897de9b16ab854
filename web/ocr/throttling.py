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
