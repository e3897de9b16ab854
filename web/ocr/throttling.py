"""Throttles whose counts stay exact with many workers: anonymous uploads, failed logins.

DRF's rate throttles keep a list of request times in the cache and update it
as read, modify, write. Two workers (or two threads) that read the same list
both add to it and the later write wins, so the count drifts low: 16 threads
let 31 posts through a 30/minute limit, or all of them. Every count here is
updated under a lock that spans the whole read-modify-write: an ``flock`` on a
file beside the file cache (shared by every process on the machine), or a
process-wide lock for an in-memory cache (which only one process sees anyway).

Several machines share Redis (``REDIS_URL``). A lock over the network could
outlive a stalled holder, so there the window is a sorted set that one Lua
script trims, counts and adds to (:class:`RedisWindow`): Redis runs a script
alone, which makes it atomic, and it reads the time from Redis itself, so the
machines' clocks need not agree.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

__all__ = ["AnonymousUploadThrottle", "FailedLoginThrottle", "RedisWindow", "counter_lock"]

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


# KEYS[1]: the window's sorted set (member: a random id, score: the time).
# ARGV: the window in seconds, the limit, a fresh member, and the mode:
#   take - add the hit only while fewer than the limit are in the window;
#   add  - always add it, keeping only the newest `limit` hits;
#   peek - add nothing.
# Returns {1 if added else 0, Redis's time now, the hits' times newest first}.
SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local duration = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local added = 0
if ARGV[4] == 'add' or (ARGV[4] == 'take' and redis.call('ZCARD', KEYS[1]) < limit) then
    redis.call('ZADD', KEYS[1], string.format('%.6f', now), ARGV[3])
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 1))
    redis.call('PEXPIRE', KEYS[1], math.ceil(duration * 1000))
    added = 1
end
local times = {}
local hits = redis.call('ZREVRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 2, #hits, 2 do
    times[#times + 1] = hits[i]
end
return {added, string.format('%.6f', now), times}
"""

Mode = Literal["take", "add", "peek"]


class RedisWindow:
    """A sliding window of hits in Redis, updated atomically by one script.

    The same history DRF keeps in the cache (the times of the hits in the
    last *duration* seconds, newest first), as a sorted set under the
    cache's own key (its prefix and version), so clearing the cache clears it.
    """

    def __init__(self, cache: Any, client: Any) -> None:
        self.cache = cache
        self.client = client

    def hit(
        self, key: str, duration: float, limit: int, mode: Mode
    ) -> tuple[bool, float, list[float]]:
        """Run the script: whether the hit was added, Redis's time, the window newest first."""
        script = self.client.register_script(SLIDING_WINDOW)
        added, now, times = script(
            keys=[self.cache.make_key(key)],
            args=[duration, limit, secrets.token_hex(8), mode],
            client=self.client,
        )
        return bool(added), float(now), [float(t) for t in times]


def redis_window(cache: Any) -> RedisWindow | None:
    """A :class:`RedisWindow` when *cache* is Django's Redis cache, else None.

    Django's ``RedisCache`` keeps its redis-py client factory as
    ``_cache.get_client``; the file and in-memory caches have no such thing
    (the in-memory one's ``_cache`` is a dict), and stay with the lock.
    """
    get_client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if get_client is None:
        return None
    return RedisWindow(cache, get_client(write=True))


class AtomicRateThrottle(SimpleRateThrottle):
    """A DRF rate throttle whose check-and-count is atomic: a Redis script, or under a lock."""

    def allow_request(self, request: Any, view: Any) -> bool:
        window = redis_window(self.cache)
        if window is None or self.rate is None:
            with counter_lock(self.cache):
                return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        # DRF's wait() reads self.now and self.history for Retry-After.
        added, self.now, self.history = window.hit(
            self.key, self.duration, self.num_requests, "take"
        )
        return added


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
        window = redis_window(self.cache)
        if window is not None:
            _, now, history = window.hit(
                self.get_cache_key(request, None), self.duration, self.num_requests, "peek"
            )
            return self._wait(history, now)
        with counter_lock(self.cache):
            history = self._history(request)
            return self._wait(history, self.now)

    def _wait(self, history: list[float], now: float) -> float | None:
        if len(history) < self.num_requests:
            return None
        # Newest first: the client may try again once the num_requests-th
        # newest failure leaves the window.
        return max(0.0, history[self.num_requests - 1] + self.duration - now)

    def record(self, request: Any) -> None:
        """Count one failed login from *request*'s client."""
        if self.rate is None:
            return
        window = redis_window(self.cache)
        if window is not None:
            # The script keeps only the newest num_requests failures, as below.
            window.hit(self.get_cache_key(request, None), self.duration, self.num_requests, "add")
            return
        with counter_lock(self.cache):
            history = self._history(request)
            history.insert(0, self.now)
            # The newest num_requests failures decide; a guesser's list stays that short.
            self.cache.set(self.key, history[: self.num_requests], self.duration)
