"""Fixtures for the web tests: API clients with and without staff rights, drawn images."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from .strokes import render_png


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    """Throttle counters live in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def sum_png() -> bytes:
    """``2+3`` written clearly, as a canvas would export it."""
    return render_png("2+3")


@pytest.fixture(scope="session")
def sum_b64(sum_png: bytes) -> str:
    return base64.b64encode(sum_png).decode("ascii")


@pytest.fixture
def visitor() -> APIClient:
    """An anonymous visitor (keeps its session cookie between requests)."""
    return APIClient()


@pytest.fixture
def stranger() -> APIClient:
    """Another anonymous visitor, with a session of its own."""
    return APIClient()


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        "staff", "staff@example.com", "pw-staff", is_staff=True
    )


@pytest.fixture
def staff(staff_user) -> APIClient:
    api = APIClient()
    api.force_login(staff_user)
    return api


@pytest.fixture
def member(django_user_model) -> APIClient:
    """A signed-in user without staff rights."""
    api = APIClient()
    api.force_login(django_user_model.objects.create_user("member", password="pw-member"))
    return api
