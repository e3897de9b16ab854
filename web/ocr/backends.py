"""An authentication backend that refuses every login from a client that guessed too often."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from .throttling import FailedLoginThrottle

__all__ = ["FailedLoginLimit", "count_failed_login"]


class FailedLoginLimit:
    """First in ``AUTHENTICATION_BACKENDS``: stops authentication for a blocked client.

    Raising ``PermissionDenied`` makes Django's ``authenticate()`` give up at
    once (no later backend checks the password), which covers every way in:
    HTTP Basic on the API, the admin and the browsable API's login forms. The
    forms then show their usual "wrong username or password"; the API answers
    429 before it gets here (``web.ocr.authentication``).
    """

    def authenticate(self, request: Any, **credentials: Any) -> None:
        if request is not None and FailedLoginThrottle().wait_if_blocked(request) is not None:
            raise PermissionDenied("too many failed logins from this address")
        return None

    # No get_user(): it signs nobody in, and Django (force_login, login() without
    # a backend) picks the first backend that has one to restore sessions with.


@receiver(user_login_failed, dispatch_uid="web.ocr.count_failed_login")
def count_failed_login(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    """Every failed ``authenticate()`` with a request counts against its client address."""
    if request is not None:
        FailedLoginThrottle().record(request)
