"""Development (``scripts/run.sh``): DEBUG on, a throwaway secret key."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, STORAGES, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-not-secret"
# runserver serves static files from the app folders; no collectstatic needed.
STORAGES = {
    **STORAGES,  # images where STORAGE_URL says (the local folder by default)
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
