"""Production: DEBUG off, a secret key required from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

if not DEBUG and not SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("set SECRET_KEY in the environment (DEBUG is off)")
