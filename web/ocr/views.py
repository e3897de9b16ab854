"""The drawing page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

__all__ = ["index"]


@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    """Draw or photograph an expression; the page's script talks to the API."""
    return render(
        request,
        "ocr/index.html",
        {
            "low_confidence": settings.MATHOCR_LOW_CONFIDENCE,
            "max_image_bytes": settings.MATHOCR_MAX_IMAGE_BYTES,
        },
    )
