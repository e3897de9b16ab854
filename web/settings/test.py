"""Tests: SQLite unless DATABASE_URL says otherwise; media in a temp folder."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-not-secret"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="mathocr-media-"))
