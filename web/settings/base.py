"""Settings shared by every environment; values come from the environment.

Every knob an operator may turn is read here, once, from an environment
variable (see the README's configuration table); the per-environment modules
only change defaults (dev: DEBUG on; test: temp media; production: the
HTTPS hardening).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
WEB_DIR = BASE_DIR / "web"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "web.ocr",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "web.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "web.wsgi.application"


def database_from_env() -> dict:
    """``DATABASE_URL`` (default: a SQLite file under var/), tuned for concurrent writers.

    gunicorn runs several processes against one SQLite file: WAL lets readers
    go on during a write, ``IMMEDIATE`` transactions take the write lock up
    front (no lock-upgrade deadlocks), and the busy timeout makes a writer wait
    for its turn instead of failing with "database is locked".
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        (BASE_DIR / "var").mkdir(exist_ok=True)
        url = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    db = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["CONN_MAX_AGE"] = 0 if db["NAME"] == ":memory:" else db["CONN_MAX_AGE"]
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    return db


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [WEB_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

S3_STORAGE = "storages.backends.s3.S3Storage"
# What STORAGE_URL's query string may set on the S3 backend (django-storages' names).
S3_OPTIONS = {
    "endpoint_url": str,
    "region_name": str,
    "addressing_style": str,
    "signature_version": str,
    "use_ssl": bool,
    "verify": bool,
}


def require_modules(setting: str, *modules: str) -> None:
    """Fail at start-up, naming the fix, when *setting* needs packages not installed."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise ImproperlyConfigured(
            f"{setting} needs {', '.join(missing)}: pip install 'mathocr[web]'"
        )


def storage_from_env() -> dict:
    """Where posted images go: ``STORAGE_URL``, by default the local folder MEDIA_ROOT.

    One machine keeps them on its disk. Several machines behind one address
    share an S3-compatible object store through django-storages:
    ``s3://BUCKET[/PREFIX][?endpoint_url=URL&region_name=REGION]`` (the keys
    come from the usual ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, as
    boto3 reads them). ``file:///folder`` names a local folder like MEDIA_ROOT.
    Images are served only through the API (which checks who asks), never
    straight from the bucket, so the objects stay private.
    """
    url = os.environ.get("STORAGE_URL", "").strip()
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc or not parts.path:
            raise ImproperlyConfigured(f"STORAGE_URL={url!r}: write file:///absolute/folder")
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": parts.path},
        }
    if parts.scheme != "s3":
        raise ImproperlyConfigured(f"STORAGE_URL={url!r}: use s3://bucket or file:///folder")
    if not parts.netloc:
        raise ImproperlyConfigured(f"STORAGE_URL={url!r} names no bucket (s3://bucket)")
    require_modules("STORAGE_URL=s3://...", "storages", "boto3")
    options: dict[str, object] = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        # Private objects, names that are never reused (random UUIDs), and no
        # public URLs handed out: the API streams each image to whoever may see it.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": True,
    }
    for key, values in parse_qs(parts.query, keep_blank_values=True).items():
        if key not in S3_OPTIONS:
            raise ImproperlyConfigured(
                f"STORAGE_URL: unknown option {key!r} (known: {', '.join(S3_OPTIONS)})"
            )
        value = values[-1]
        if S3_OPTIONS[key] is bool:
            if value.lower() not in {"1", "true", "0", "false"}:
                raise ImproperlyConfigured(f"STORAGE_URL: {key}={value!r} is not a boolean")
            options[key] = value.lower() in {"1", "true"}
        else:
            options[key] = value
    return {"BACKEND": S3_STORAGE, "OPTIONS": options}


STORAGES = {
    "default": storage_from_env(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"

# --- the recognition service ------------------------------------------------
# Bytes of one posted image (after base64 decoding); larger posts get 413.
MATHOCR_MAX_IMAGE_BYTES = env_int("MATHOCR_MAX_IMAGE_BYTES", 10 * 1024 * 1024)
# Pixels (width x height) of one image; more is refused as a decompression bomb.
MATHOCR_MAX_IMAGE_PIXELS = env_int("MATHOCR_MAX_IMAGE_PIXELS", 40_000_000)
# The shape, too: recognition's memory follows the longer side, so a 1 x 40,000,000
# strip (78 KB as a PNG) grew a worker by ~800 MB where a 6000 x 6000 photo takes
# ~130 MB. A written line photographed end to end is rarely 20 times as long as high.
MATHOCR_MAX_IMAGE_SIDE = env_int("MATHOCR_MAX_IMAGE_SIDE", 16_384)
MATHOCR_MAX_ASPECT_RATIO = env_float("MATHOCR_MAX_ASPECT_RATIO", 30.0)
# Anonymous POSTs to /api/images/ per client IP, DRF rate syntax ("30/minute");
# "off" or empty disables the throttle.
MATHOCR_ANON_RATE: str | None = os.environ.get("MATHOCR_ANON_RATE", "30/minute").strip() or None
if MATHOCR_ANON_RATE and MATHOCR_ANON_RATE.lower() in {"off", "none", "0"}:
    MATHOCR_ANON_RATE = None
# The throttle's counters live in this cache. A file cache is shared by every
# worker process on the machine (an in-memory cache would count per process,
# letting N workers accept N times the rate). Several machines share Redis
# (REDIS_URL, e.g. redis://host:6379/0): the counters, and the sessions too,
# are then the same whichever machine a request reaches.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r}: use redis://host:port/db")
    require_modules("REDIS_URL", "redis")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mathocr",
        }
    }
    # Sessions (staff sign-ins; the poster's session is only recorded) in Redis:
    # a user signed in through one machine is signed in on all of them.
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(Path(os.environ.get("MATHOCR_CACHE_DIR", BASE_DIR / "var" / "cache"))),
        }
    }
# Failed logins (HTTP Basic, the admin's form) per client IP, DRF rate syntax; past it
# every login from that address is refused until the window slides ("off" disables).
MATHOCR_FAILED_LOGIN_RATE: str | None = (
    os.environ.get("MATHOCR_FAILED_LOGIN_RATE", "20/hour").strip() or None
)
if MATHOCR_FAILED_LOGIN_RATE and MATHOCR_FAILED_LOGIN_RATE.lower() in {"off", "none", "0"}:
    MATHOCR_FAILED_LOGIN_RATE = None
AUTHENTICATION_BACKENDS = [
    "web.ocr.backends.FailedLoginLimit",  # first: refuses blocked clients before any password check
    "django.contrib.auth.backends.ModelBackend",
]
# Symbols below this confidence are highlighted on the page with their alternatives.
MATHOCR_LOW_CONFIDENCE = float(os.environ.get("MATHOCR_LOW_CONFIDENCE", "0.6"))
# Recognitions one process runs at once; more requests wait their turn. Recognition
# is CPU-bound with one thread each, and a gthread worker's threads are there for
# slow clients: with `mathocr serve`'s one worker per core, one recognition per
# worker keeps each core on one working set (measured with `python -m bench serve`).
MATHOCR_RECOGNITIONS_AT_ONCE = env_int("MATHOCR_RECOGNITIONS_AT_ONCE", 1)

# A base64 body is 4/3 of the image, plus JSON and multipart framing; anything
# longer is refused before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = MATHOCR_MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MATHOCR_MAX_IMAGE_BYTES + 64 * 1024

NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"NUM_PROXIES={NUM_PROXIES} is negative (0 without a proxy)")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Ours answers wrong credentials with 401 and a challenge (DRF's gave 403).
        "web.ocr.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # DRF's JSON parser lets a deeply nested body crash into a 500; ours refuses it.
    "DEFAULT_PARSER_CLASSES": [
        "web.ocr.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "web.ocr.errors.exception_handler",
    # Behind N reverse proxies the client address is taken from X-Forwarded-For.
    # 0 must stay 0: DRF reads None as "trust the header", which would let every
    # client name its own address and walk past the throttles.
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mathocr API",
    "DESCRIPTION": (
        "Post an image of a handwritten arithmetic expression; get its LaTeX, text and value. "
        "Every image is stored with its recognition; staff can list them."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
