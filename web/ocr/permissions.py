"""Who may do what with a posted image."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .models import PostedImage

__all__ = ["IsUploaderOrStaff", "is_uploader"]


def is_uploader(request: Request, image: PostedImage) -> bool:
    """The request comes from the session (or the signed-in user) that posted *image*."""
    user = request.user
    if user.is_authenticated and image.user_id is not None and image.user_id == user.pk:
        return True
    key = request.session.session_key
    return bool(key) and key == image.session_key


class IsUploaderOrStaff(BasePermission):
    message = "only the session that posted this image, or staff, may do this"

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return bool(request.user and request.user.is_staff) or is_uploader(request, obj)
