"""The work behind the API: store a posted image, recognize it, store the reading.

The row and the file are saved *before* recognition runs, so an image is
never lost: if recognition fails the row stays, marked ``failed`` with the
reason, for someone to look at.

Storage can fail too (a full or read-only disk, an object store that is
down or refuses the write, a database that refuses writes). Then nothing
half-done is left behind: a file is never kept
without its row (a partly written one is removed), a row that cannot be
finished is removed with its file, and the caller gets a
:class:`StorageError` (the API answers 503). Only when even the removal
fails does the row stay ``pending`` with its file, for ``recognize_pending``.

The order is the same for every storage backend, a local folder or S3: the
file first, then the row that points at it. A row is never without its
file, so any machine of a fleet can read what another one stored; the
clean-up deletes by the exact name that was written.
"""

from __future__ import annotations

import logging
import secrets
import sys
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import InternalError, OperationalError, transaction
from django.http import Http404
from django.utils import timezone

import mathocr
from mathocr.errors import MathOCRError
from mathocr.result import DebugImages, Recognition

from .decoding import CheckedImage
from .models import PostedImage, hash_edit_token

__all__ = [
    "Posted",
    "storage_faults",
    "StorageError",
    "image_create",
    "image_correct",
    "image_file",
    "image_recognize",
    "recognize_in_turn",
    "pending_recover",
]

log = logging.getLogger(__name__)

# What a database raises when it cannot write (full, read-only, gone), as opposed
# to a bad query (ProgrammingError) or bad data (IntegrityError, DataError).
_DATABASE_FAULTS = (OperationalError, InternalError)


def storage_faults() -> tuple[type[Exception], ...]:
    """What a storage backend raises when it cannot write or read.

    A local folder raises ``OSError`` (full, read-only, gone). django-storages'
    S3 backend lets boto3's own errors through: ``ClientError`` for a refusal
    (no such bucket, access denied, a server error), ``BotoCoreError`` for the
    network (endpoint unreachable, timeouts) and ``S3UploadFailedError`` (a
    ``Boto3Error``) when an upload gives up.

    Called in the ``except`` clause, so only while an error is being matched:
    an error of boto3's can only come from a process that has imported boto3,
    and a worker storing to a local folder never pays for importing it (about
    23 MB each).
    """
    faults: list[type[Exception]] = [OSError]
    # Looked up, never imported: an import failing here would replace the storage error.
    if (botocore := sys.modules.get("botocore.exceptions")) is not None:
        faults += [botocore.BotoCoreError, botocore.ClientError]
    if (boto3 := sys.modules.get("boto3.exceptions")) is not None:
        faults.append(boto3.Boto3Error)
    return tuple(faults)


class StorageError(Exception):
    """The image or its row could not be written (nothing of the post was kept), or read."""


@dataclass(frozen=True)
class Posted:
    image: PostedImage
    debug: DebugImages | None
    """The intermediate images, when asked for (never stored)."""
    edit_token: str
    """Proves the poster later (corrections, the file); only its hash is stored."""


def image_create(
    *,
    checked: CheckedImage,
    session_key: str,
    user: AbstractBaseUser | AnonymousUser | None,
    debug: bool = False,
) -> Posted:
    """Save *checked* under a random name, recognize it, and store the result on its row.

    *session_key* is recorded when the post came with a session; none is
    created for it (a script that never sends cookies back would leave one
    session row per post). The poster proves itself with the returned edit
    token instead.
    """
    edit_token = secrets.token_urlsafe(24)
    row = PostedImage(
        edit_token_hash=hash_edit_token(edit_token),
        format=checked.format,
        width=checked.width,
        height=checked.height,
        size_bytes=len(checked.content),
        session_key=session_key or "",
        user=user if user is not None and user.is_authenticated else None,
    )
    _store_file(row, checked)
    try:
        with transaction.atomic():
            row.save()
    except _DATABASE_FAULTS as e:
        log.error("the row for a posted image could not be saved: %s", e)
        _discard_file(row.image.storage, row.image.name)
        raise StorageError("the image could not be stored (the database refused it)") from e
    source = checked.decoded if checked.decoded is not None else checked.content
    try:
        steps = image_recognize(row, source, debug=debug)
    except StorageError:
        _discard_row(row)
        raise
    return Posted(image=row, debug=steps, edit_token=edit_token)


def _store_file(row: PostedImage, checked: CheckedImage) -> None:
    """Write the image under a fresh random name, or leave no file at all and raise."""
    field = row.image
    # The name given here only carries the extension; upload_to makes it random.
    name = field.field.generate_filename(row, f"upload.{checked.extension}")
    try:
        field.name = field.storage.save(
            name, ContentFile(checked.content), max_length=field.field.max_length
        )
    except storage_faults() as e:
        # A full disk fails mid-write and Django leaves the part written. The
        # random name (a UUID) was free a moment ago, so it is ours to remove.
        # (An S3 upload is all or nothing, and a multipart one is aborted by
        # boto3; the delete is then a harmless no-op, or fails like the write.)
        log.error("a posted image could not be written to %s: %s", name, e)
        _discard_file(field.storage, name)
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise StorageError(f"the image could not be stored ({reason})") from e


def _discard_file(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except storage_faults() as e:  # a read-only disk, a store that is down: nothing was written
        log.warning("could not remove %s after a failed post: %s", name, e)


def _discard_row(row: PostedImage) -> None:
    """Remove a row whose reading could not be saved, then its file.

    If the database refuses the removal too, both stay (the row ``pending``,
    pointing at its file): ``recognize_pending`` finishes it later, and no
    file is left without a row.
    """
    try:
        with transaction.atomic():
            row.delete()
    except _DATABASE_FAULTS as e:
        log.error("image %s left pending: its reading could not be saved (%s)", row.pk, e)
        return
    _discard_file(row.image.storage, row.image.name)


_turns: threading.BoundedSemaphore | None = None
_turns_lock = threading.Lock()


def _recognition_turns() -> threading.BoundedSemaphore:
    """The semaphore that lets ``MATHOCR_RECOGNITIONS_AT_ONCE`` recognitions run at once.

    Made on first use, so that the setting a process runs with (tests override
    it) is the one it counts by.
    """
    global _turns
    with _turns_lock:
        if _turns is None:
            _turns = threading.BoundedSemaphore(max(1, settings.MATHOCR_RECOGNITIONS_AT_ONCE))
        return _turns


def recognize_in_turn(source: object, *, debug: bool = False) -> Recognition:
    """:func:`mathocr.recognize`, taking turns with the process's other threads.

    Four threads of a worker recognizing at once on one core take longer in
    all than one after another, each evicting the others' model and images
    from the cache (see :func:`_recognition_turns`).
    """
    with _recognition_turns():
        return mathocr.recognize(source, debug=debug)


def image_recognize(row: PostedImage, source: object, *, debug: bool = False) -> DebugImages | None:
    """Recognize *source* (the row's image) and store the reading or the failure on *row*."""
    steps = None
    try:
        recognition = recognize_in_turn(source, debug=debug)
    except MathOCRError as e:
        row.status = PostedImage.Status.FAILED
        row.reason = str(e) or type(e).__name__
    except Exception as e:  # a bug in recognition must not lose the image or become a 500
        log.exception("recognition of image %s failed", row.pk)
        row.status = PostedImage.Status.FAILED
        row.reason = f"internal error during recognition ({type(e).__name__})"
    else:
        row.status = PostedImage.Status.DONE
        row.result = recognition.to_dict()
        row.latex = recognition.latex
        row.model_version = recognition.model_version
        row.timings = row.result["timings"]
        row.ms = recognition.ms
        steps = recognition.debug
    try:
        with transaction.atomic():
            row.save(
                update_fields=[
                    "status",
                    "reason",
                    "result",
                    "latex",
                    "model_version",
                    "timings",
                    "ms",
                ]
            )
    except _DATABASE_FAULTS as e:
        raise StorageError("the reading could not be stored (the database refused it)") from e
    return steps


def pending_recover(*, older_than: timedelta) -> list[PostedImage]:
    """Recognize again the rows left ``pending`` for longer than *older_than*.

    A row stays pending only when its worker died mid-recognition (killed
    for a timeout, a restart); its image was saved first, so it can be read
    again from the stored file. An unreadable file marks the row failed.
    """
    cutoff = timezone.now() - older_than
    done = []
    for row in PostedImage.objects.filter(
        status=PostedImage.Status.PENDING, timestamp__lt=cutoff
    ).iterator():
        try:
            with row.image.open("rb") as handle:
                content = handle.read()
        except storage_faults() as e:
            row.status = PostedImage.Status.FAILED
            row.reason = f"the stored image cannot be read ({e})"
            row.save(update_fields=["status", "reason"])
        else:
            image_recognize(row, content)
        done.append(row)
    return done


def image_file(image: PostedImage) -> File:
    """*image*'s stored file, open for reading, from whichever storage holds it.

    A file that is not there raises ``Http404``; a storage that cannot be
    read now (a disk error, an object store that is down) raises
    :class:`StorageError`, which the API answers with a 503.
    """
    try:
        return image.image.open("rb")
    except FileNotFoundError:
        raise Http404("the image file is missing") from None
    except storage_faults() as e:
        log.error("the file of image %s could not be read: %s", image.pk, e)
        raise StorageError("the image could not be read from storage; try again later") from e


def image_correct(
    *, image: PostedImage, latex: str, user: AbstractBaseUser | AnonymousUser | None
) -> PostedImage:
    """Store the user's own reading of *image* beside ours (a later correction replaces it)."""
    image.corrected_latex = latex
    image.corrected_at = timezone.now()
    image.corrected_by = user if user is not None and user.is_authenticated else None
    image.save(update_fields=["corrected_latex", "corrected_at", "corrected_by"])
    return image
