"""The queries the views and the export read through."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import PostedImage

__all__ = ["image_list", "corrected_images"]


def image_list() -> QuerySet[PostedImage]:
    """Every posted image, newest first."""
    return PostedImage.objects.order_by("-timestamp", "-id")


def corrected_images() -> QuerySet[PostedImage]:
    """Images a user corrected, oldest correction first (a stable export order)."""
    return PostedImage.objects.exclude(corrected_latex="").order_by("corrected_at", "id")
