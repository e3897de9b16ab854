"""One JSON error shape for the whole API: ``{"error": message, "code": code}``.

DRF's own errors (validation, auth, throttling, parse errors), Django's
(``Http404``, ``PermissionDenied``, suspicious requests) and ours
(:class:`~web.ocr.decoding.ImageInputError`, an oversize body) all go out in
that shape, so clients read one field whatever went wrong. Validation errors
also carry ``fields`` with DRF's per-field messages.

Some errors never reach a DRF view: a URL under ``/api/`` that matches no
route, a request for a host we do not serve, a bug. Django answers those with
its ``handler400/403/404/500`` views, which ``web/urls.py`` points at the
functions below: JSON under ``/api/``, Django's HTML pages elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .decoding import ImageInputError
from .services import StorageError

__all__ = [
    "API_PREFIX",
    "PayloadTooLarge",
    "StorageUnavailable",
    "exception_handler",
    "bad_request",
    "permission_denied",
    "page_not_found",
    "server_error",
]

API_PREFIX = "/api/"
"""Where ``web/urls.py`` mounts the API: errors under it are answered in JSON."""


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "too_large"


class StorageUnavailable(exceptions.APIException):
    """The image or its row could not be written (disk full, read-only, database down).

    503, not 500: the request was fine and may succeed later; nothing of it
    was kept.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "the image could not be stored; try again later"
    default_code = "storage_unavailable"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "bad request"
    default_code = "bad_request"


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


def _as_api_exception(exc: Exception) -> Exception:
    """Django's exceptions as DRF's, so that they get a code like every other error."""
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, StorageError):
        return StorageUnavailable(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, SuspiciousOperation):
        # Too many form fields or files, a malformed multipart body...
        return BadRequest(str(exc) or None)
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ImageInputError):
        return Response({"error": exc.message, "code": exc.code}, status=exc.status)
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs it and server_error() answers the 500
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


# --------------------------------------------------------------------------- Django's handlers


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _json(message: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status_code)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a suspicious request (unknown host, broken multipart...)."""
    if _is_api(request):
        return _json("bad request", "bad_request", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler403``: refused outside a DRF view (a failed CSRF check, for one)."""
    if _is_api(request):
        return _json(str(exception) or "permission denied", "permission_denied", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: no route matched (``/api/nothing/``, ``/api/images/abc/``)."""
    if _is_api(request):
        return _json(f"no such resource: {request.path}", "not_found", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a bug. Django has already logged it with its traceback."""
    if _is_api(request):
        return _json("internal server error", "server_error", 500)
    return defaults.server_error(request)
