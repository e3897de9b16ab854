"""How API callers prove who they are: a signed-in session, or HTTP Basic for scripts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import BasicScheme
from rest_framework import authentication, exceptions, status
from rest_framework.request import Request

from .throttling import FailedLoginThrottle

__all__ = ["BadCredentials", "BasicAuthentication"]

REALM = "api"


class BadCredentials(exceptions.APIException):
    """Basic credentials were sent and are wrong: 401 with a challenge, as RFC 9110 says.

    DRF answers a failed authentication with the *first* authenticator's
    challenge, and the first is the session (it has none), so wrong Basic
    credentials became a 403 a script cannot tell from "not allowed". This is
    not an ``AuthenticationFailed``, so DRF leaves its 401 alone, and the
    exception handler copies ``auth_header`` into ``WWW-Authenticate``.
    """

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "invalid username or password"
    default_code = "authentication_failed"
    auth_header = f'Basic realm="{REALM}"'


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's Basic authentication; a bad header or wrong credentials answer 401.

    A client over the failed-login rate gets 429 with ``Retry-After`` instead,
    before its password is looked at.
    """

    www_authenticate_realm = REALM

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        auth = authentication.get_authorization_header(request).split()
        if auth and auth[0].lower() == b"basic":
            wait = FailedLoginThrottle().wait_if_blocked(request)
            if wait is not None:
                raise exceptions.Throttled(wait, detail="too many failed logins from this address")
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as e:
            raise BadCredentials(e.detail) from None


class BasicAuthenticationScheme(BasicScheme):
    """The OpenAPI schema describes ours as plain HTTP Basic (drf-spectacular matches by class)."""

    target_class = "web.ocr.authentication.BasicAuthentication"
