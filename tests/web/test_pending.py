"""``manage.py recognize_pending``: readings a dead worker left unfinished are finished."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from web.ocr.models import PostedImage

pytestmark = pytest.mark.django_db


def _pending(content: bytes, minutes_ago: float) -> PostedImage:
    """A row as a worker leaves it when killed after saving, before recognizing."""
    row = PostedImage(format="png", timestamp=timezone.now() - timedelta(minutes=minutes_ago))
    row.image.save("upload.png", ContentFile(content), save=False)
    row.save()
    return row


def test_stale_pending_rows_are_recognized_again(sum_png):
    stale = _pending(sum_png, minutes_ago=30)
    fresh = _pending(sum_png, minutes_ago=1)  # maybe still being read by a live worker
    out = io.StringIO()
    call_command("recognize_pending", "--older-than", "5", stdout=out)
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == PostedImage.Status.DONE
    assert stale.latex == "2 + 3" and stale.model_version
    assert stale.result["value"] == "5"
    assert fresh.status == PostedImage.Status.PENDING
    assert "1 pending image(s)" in out.getvalue()


def test_an_unreadable_pending_image_is_marked_failed(sum_png):
    lost = _pending(sum_png, minutes_ago=30)
    lost.image.storage.delete(lost.image.name)
    junk = _pending(b"not an image at all", minutes_ago=30)
    call_command("recognize_pending", stdout=io.StringIO())
    lost.refresh_from_db()
    junk.refresh_from_db()
    assert lost.status == PostedImage.Status.FAILED and "cannot be read" in lost.reason
    assert junk.status == PostedImage.Status.FAILED and junk.reason
    assert PostedImage.objects.filter(status=PostedImage.Status.PENDING).count() == 0


def test_a_negative_age_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="older-than"):
        call_command("recognize_pending", "--older-than", "-1", stdout=io.StringIO())
