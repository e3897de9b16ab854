"""Tests: SQLite unless DATABASE_URL says otherwise; media in a temp folder.

``DATABASE_URL`` is read by the base settings, so the same API tests run on
PostgreSQL when the test script exports one.
"""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-not-secret"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="mathocr-media-"))
# Static files straight from the source folders (no collectstatic before tests).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests that exercise the throttle set their own rate.
MATHOCR_ANON_RATE = None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions in the test database even when the environment names a REDIS_URL
# (the fleet tests start their own servers).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
