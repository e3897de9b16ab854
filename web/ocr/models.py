"""One table: every posted image, what we read in it, and what the user says it is."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["PostedImage", "random_image_name", "hash_edit_token"]


def hash_edit_token(token: str) -> str:
    """What is stored of an edit token: a leaked database does not leak the tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def random_image_name(instance: PostedImage, filename: str) -> str:
    """A fresh random name under images/YYYY/MM/; the client's file name is never used.

    Only the extension of *filename* survives, and the service derives that
    from the detected format, not from anything the client said.
    """
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.now()
    return f"images/{now:%Y/%m}/{uuid.uuid4().hex}.{ext}"


class PostedImage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    image = models.FileField(upload_to=random_image_name, max_length=255)
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why recognition failed (status failed).")

    # The image as we checked it.
    format = models.CharField(max_length=10, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)

    # The reading: Recognition.to_dict(), with a few fields copied out for the admin.
    result = models.JSONField(null=True, blank=True)
    latex = models.TextField(blank=True)
    model_version = models.CharField(max_length=200, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    ms = models.FloatField(null=True, blank=True)

    # Who posted it: the signed-in user, and the session the post came with, if any (a
    # record only: since the edit token, an anonymous session grants nothing).
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    # SHA-256 of the edit token handed to the poster (the token itself is never stored):
    # showing the token is what lets an anonymous poster correct or fetch the image.
    edit_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The user's own reading, when ours was wrong.
    corrected_latex = models.TextField(blank=True)
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["corrected_at"])]

    def __str__(self) -> str:
        return f"image {self.pk} ({self.status}) {self.latex!r}"
