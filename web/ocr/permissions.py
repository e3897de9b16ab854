"""Who may do what with a posted image."""

from __future__ import annotations

import hmac
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .models import PostedImage, hash_edit_token

__all__ = ["EDIT_TOKEN_HEADER", "IsUploaderOrStaff", "is_uploader"]


EDIT_TOKEN_HEADER = "X-Edit-Token"


def is_uploader(request: Request, image: PostedImage) -> bool:
    """The request shows *image*'s edit token, or comes from the signed-in user who posted it.

    The token travels in a header, never in a cookie: a page on another site
    can make the browser send our cookies, but it cannot read the token nor
    set a custom header on a cross-site request. (A session cookie alone used
    to be enough here, so any site could post corrections as the visitor.)
    Signed-in users are checked by DRF's session authentication, which
    enforces CSRF for them.
    """
    user = request.user
    if user.is_authenticated and image.user_id is not None and image.user_id == user.pk:
        return True
    token = request.headers.get(EDIT_TOKEN_HEADER, "")
    return bool(token and image.edit_token_hash) and hmac.compare_digest(
        hash_edit_token(token), image.edit_token_hash
    )


class IsUploaderOrStaff(BasePermission):
    message = (
        f"only the poster of this image (its {EDIT_TOKEN_HEADER} header), or staff, may do this"
    )

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return bool(request.user and request.user.is_staff) or is_uploader(request, obj)
