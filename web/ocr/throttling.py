"""Throttle anonymous uploads; the rate is read per request so it can change at run time."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle

__all__ = ["AnonymousUploadThrottle"]


class AnonymousUploadThrottle(AnonRateThrottle):
    """``MATHOCR_ANON_RATE`` uploads per client IP; signed-in users are not throttled.

    DRF binds ``THROTTLE_RATES`` when the class is defined; reading our own
    setting here instead lets an operator (or a test) change it without a
    re-import, and ``None`` turns the throttle off.
    """

    scope = "anon_upload"

    def get_rate(self) -> str | None:
        return settings.MATHOCR_ANON_RATE
