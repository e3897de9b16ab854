"""One JSON error shape for the whole API: ``{"error": message, "code": code}``.

DRF's own errors (validation, auth, throttling, parse errors) and ours
(:class:`~web.ocr.decoding.ImageInputError`, an oversize body) all go out in
that shape, so clients read one field whatever went wrong. Validation errors
also carry ``fields`` with DRF's per-field messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .decoding import ImageInputError

__all__ = ["PayloadTooLarge", "exception_handler"]


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "too_large"


def _first_message(detail: Any) -> str:
    """The first human message in DRF's nested error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            return message if key in ("non_field_errors", "detail") else f"{key}: {message}"
        return "invalid request"
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "invalid request"
    return str(detail)


def _codes(detail: Any) -> str:
    codes = detail.get_codes() if hasattr(detail, "get_codes") else "error"
    while isinstance(codes, dict | list):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ImageInputError):
        return Response({"error": exc.message, "code": exc.code}, status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "error": _first_message(exc.detail),
            "code": _codes(exc),
            "fields": fields,
        }
    elif isinstance(exc, exceptions.APIException):
        response.data = {"error": _first_message(exc.detail), "code": _codes(exc)}
    return response
