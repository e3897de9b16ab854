"""Several machines: two ``mathocr serve`` on one PostgreSQL, one Redis and one S3 store.

Every server is real (see ``servers.py``; moto's server stands in for S3).
The two instances share nothing but those servers, as two machines behind a
load balancer would: each its own process tree, port and static folder, and
a local media folder that must stay empty.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .servers import (
    S3_CREDENTIALS,
    STAFF_PASSWORD,
    Served,
    bucket_keys,
    create_staff,
    free_port,
    manage,
    new_bucket,
    new_database,
    postgres_server,
    production_environment,
    redis_server,
    s3_server,
)
from .strokes import render_png

RATE = 5
STAFF_BASIC = {
    "Authorization": "Basic " + base64.b64encode(f"staff:{STAFF_PASSWORD}".encode()).decode()
}


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


@dataclass
class Shared:
    database_url: str
    redis_url: str
    s3_endpoint: str
    bucket: str

    @property
    def storage_url(self) -> str:
        return f"s3://{self.bucket}?endpoint_url={self.s3_endpoint}&region_name=us-east-1"


@pytest.fixture
def shared(postgres: str, redis_url: str, s3_endpoint: str) -> Iterator[Shared]:
    """A fresh database, an empty Redis database and a fresh bucket for one test."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with new_database(postgres) as database_url:
        yield Shared(database_url, redis_url, s3_endpoint, new_bucket(s3_endpoint))
    redis.Redis.from_url(redis_url).flushdb()


def fleet_environment(name: str, shared: Shared, tmp_path: Path) -> dict[str, str]:
    """What an operator sets on each machine: the shared servers, nothing else."""
    return production_environment(
        tmp_path,
        **S3_CREDENTIALS,
        SECRET_KEY="fleet-" + "k" * 50,  # one key for the fleet: sessions cross machines
        DATABASE_URL=shared.database_url,
        REDIS_URL=shared.redis_url,
        STORAGE_URL=shared.storage_url,
        MEDIA_ROOT=str(tmp_path / f"{name}-media"),  # must stay unused
        MATHOCR_CACHE_DIR=str(tmp_path / f"{name}-cache"),  # must stay unused
        STATIC_ROOT=str(tmp_path / "static"),  # as if shipped in the machines' image
        MATHOCR_ANON_RATE=f"{RATE}/hour",  # a slow machine may take minutes
    )


def instance(name: str, shared: Shared, tmp_path: Path) -> Served:
    """One machine of the fleet: ``mathocr serve``, 1 worker of 2 threads."""
    return Served(
        name,
        fleet_environment(name, shared, tmp_path),
        tmp_path,
        "--workers",
        "1",
        "--threads",
        "2",
        "--no-migrate",
        "--no-collectstatic",
    )


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def _sign_in(instance: Served, user: str, password: str) -> str:
    """Sign in through the browsable API's login form; the session cookie it sets."""
    status, response, page = instance.request("GET", "/api-auth/login/")
    assert status == 200
    csrf = _cookies(response)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = f"username={user}&password={password}&csrfmiddlewaretoken={token.group(1).decode()}"
    status, response, _ = instance.request(
        "POST",
        "/api-auth/login/?next=/api/images/",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"},
    )
    assert status == 302, status
    return _cookies(response)["sessionid"]


@pytest.mark.slow
@pytest.mark.fleet
def test_two_instances_share_rows_images_sessions_and_the_throttle(shared, tmp_path):
    import psycopg
    import redis

    png = render_png("2+3")
    # Deploying: the shared database migrated and the static files collected once,
    # then both machines started without doing it again.
    env = fleet_environment("deploy", shared, tmp_path)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    create_staff(env)
    a = instance("a", shared, tmp_path)
    b = instance("b", shared, tmp_path)
    try:
        a.wait_until_up()
        b.wait_until_up()

        # Posted to a (the throttle's first count) ...
        status, created = a.post_json("/api/images/", {"image": base64.b64encode(png).decode()})
        assert status == 201, created
        assert created["status"] == "done" and created["result"]["latex"] == "2 + 3"
        pk, token = created["id"], created["edit_token"]

        # ... its file read through b, from the object store,
        status, response, body = b.request(
            "GET", f"/api/images/{pk}/file/", headers={"X-Edit-Token": token}
        )
        assert status == 200 and body == png
        assert response.getheader("Content-Type") == "image/png"
        # its reading seen by staff through b,
        status, _, body = b.request("GET", f"/api/images/{pk}/", headers=STAFF_BASIC)
        assert status == 200 and json.loads(body)["result"]["latex"] == "2 + 3"
        # corrected through b, and the correction seen through a.
        status, corrected = b.post_json(
            f"/api/images/{pk}/correction/", {"latex": "2+8"}, **{"X-Edit-Token": token}
        )
        assert status == 200, corrected
        status, _, body = a.request("GET", f"/api/images/{pk}/", headers=STAFF_BASIC)
        assert json.loads(body)["correction"]["latex"] == "2+8"

        # A session signed in on a is signed in on b: sessions live in Redis.
        session = _sign_in(a, "staff", STAFF_PASSWORD)
        status, _, body = b.request(
            "GET", "/api/images/", headers={"Cookie": f"sessionid={session}"}
        )
        assert status == 200, body
        assert [item["id"] for item in json.loads(body)["results"]] == [pk]

        # The anonymous throttle counts across both: 1 post above, 4 more alternating
        # (refused images count too), then both machines refuse.
        answers = []
        for machine in (b, a, b, a, b, a):
            status, body = machine.post_json("/api/images/", {"image": "bad!"})
            answers.append((machine.name, status, body["code"]))
        assert answers == [
            ("b", 400, "invalid_base64"),
            ("a", 400, "invalid_base64"),
            ("b", 400, "invalid_base64"),
            ("a", 400, "invalid_base64"),
            ("b", 429, "throttled"),
            ("a", 429, "throttled"),
        ]
    finally:
        a.stop()
        b.stop()

    # One row in PostgreSQL, its one object in the bucket, nothing on the local disks,
    # and no session row: they are in Redis.
    with psycopg.connect(shared.database_url) as db:
        rows = db.execute("SELECT image, status, corrected_latex FROM ocr_postedimage").fetchall()
        sessions = db.execute("SELECT count(*) FROM django_session").fetchone()
    assert len(rows) == 1 and rows[0][1:] == ("done", "2+8")
    assert bucket_keys(shared.s3_endpoint, shared.bucket) == [rows[0][0]]
    assert sessions == (0,)
    assert any(
        b"django.contrib.sessions" in key
        for key in redis.Redis.from_url(shared.redis_url).keys("*")
    )
    for name in ("deploy", "a", "b"):
        assert not (tmp_path / f"{name}-media").exists()
        assert not (tmp_path / f"{name}-cache").exists()


# --------------------------------------------------------------------------- in-process, real servers


@pytest.fixture
def redis_cache(settings, redis_url: str) -> Iterator[str]:
    """The service's cache (throttle counts, sessions) in the Redis server, emptied around the test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "mathocr",
        }
    }
    yield redis_url
    client.flushdb()


def _post_at_once(redis_url: str, barrier, results) -> None:
    """One worker process: 4 threads, each with its own Redis cache client, 4 posts each."""
    import threading

    from django.contrib.auth.models import AnonymousUser
    from django.core.cache.backends.redis import RedisCache
    from rest_framework.test import APIRequestFactory

    from web.ocr.throttling import AnonymousUploadThrottle

    factory = APIRequestFactory()

    def thread() -> None:
        cache = RedisCache(redis_url, {"KEY_PREFIX": "mathocr"})
        barrier.wait()
        for _ in range(4):
            throttle = AnonymousUploadThrottle()
            throttle.cache = cache
            request = factory.post("/api/images/", REMOTE_ADDR="198.51.100.7")
            request.user = AnonymousUser()
            ok = throttle.allow_request(request, None)
            results.put((ok, None if ok else throttle.wait()))

    threads = [threading.Thread(target=thread) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.fleet
def test_redis_throttle_count_is_exact_under_concurrency(settings, redis_cache):
    """4 processes (the workers of several machines) of 4 threads post 64 times at once
    through Redis: exactly the rate is let through, and every refusal says how long to
    wait. A lock inside one process cannot do this; only Redis sees every count."""
    import multiprocessing

    settings.MATHOCR_ANON_RATE = "30/minute"
    fork = multiprocessing.get_context("fork")
    barrier = fork.Barrier(16)
    results = fork.Queue()
    workers = [
        fork.Process(target=_post_at_once, args=(redis_cache, barrier, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=120) for _ in range(64)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sum(ok for ok, _ in answers) == 30
    waits = [wait for ok, wait in answers if not ok]
    assert len(waits) == 34 and all(w is not None and 0 < w <= 60 for w in waits)


@pytest.mark.fleet
@pytest.mark.django_db
def test_throttle_and_failed_logins_count_in_redis(redis_cache, settings, staff_user, sum_b64):
    """The API's own throttles on the Redis cache: anonymous posts and failed Basic logins."""
    import redis
    from rest_framework.test import APIClient

    settings.MATHOCR_ANON_RATE = "2/hour"
    settings.MATHOCR_FAILED_LOGIN_RATE = "3/hour"
    visitor = APIClient()
    assert visitor.post("/api/images/", {"image": sum_b64}, format="json").status_code == 201
    assert visitor.post("/api/images/", {"image": "bad!"}, format="json").status_code == 400
    refused = visitor.post("/api/images/", {"image": sum_b64}, format="json")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600

    guesser = APIClient(REMOTE_ADDR="203.0.113.9")
    guesser.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"staff:guess").decode())
    assert [guesser.get("/api/images/").status_code for _ in range(3)] == [401] * 3
    guesser.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"staff:pw-staff").decode())
    blocked = guesser.get("/api/images/")
    assert blocked.status_code == 429 and 0 < int(blocked["Retry-After"]) <= 3600
    # The counts are Redis sorted sets: only the newest 3 failures are kept.
    client = redis.Redis.from_url(redis_cache)
    windows = {key: client.zcard(key) for key in client.keys("mathocr:*throttle*")}
    assert sorted(windows.values()) == [2, 3], windows


@pytest.fixture
def bucket_storage(settings, s3_endpoint: str) -> Iterator[tuple[str, str]]:
    """Images stored in a fresh bucket of the S3 server, as STORAGE_URL sets it up."""
    bucket = new_bucket(s3_endpoint)
    use_bucket(settings, s3_endpoint, bucket)
    yield s3_endpoint, bucket


def use_bucket(settings, endpoint: str, bucket: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "secret_key": S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                "default_acl": None,
            },
        },
    }


def _assert_storage_unavailable(response) -> None:
    from web.ocr.models import PostedImage

    assert response.status_code == 503, response.content
    assert response.json()["code"] == "storage_unavailable"
    assert PostedImage.objects.count() == 0


@pytest.mark.fleet
@pytest.mark.django_db
def test_an_image_on_s3_is_one_object_read_back_by_the_api(visitor, bucket_storage, sum_png):
    import datetime

    from web.ocr.models import PostedImage
    from web.ocr.services import pending_recover

    endpoint, bucket = bucket_storage
    response = visitor.post(
        "/api/images/", {"image": base64.b64encode(sum_png).decode()}, format="json"
    )
    assert response.status_code == 201, response.content
    row = PostedImage.objects.get()
    assert bucket_keys(endpoint, bucket) == [row.image.name]
    file = visitor.get(
        f"/api/images/{row.pk}/file/", HTTP_X_EDIT_TOKEN=response.json()["edit_token"]
    )
    assert file.status_code == 200 and b"".join(file.streaming_content) == sum_png
    # recognize_pending reads a pending row's image back from the bucket
    PostedImage.objects.filter(pk=row.pk).update(status="pending", latex="")
    assert [r.pk for r in pending_recover(older_than=datetime.timedelta(0))] == [row.pk]
    row.refresh_from_db()
    assert row.status == "done" and row.latex == "2 + 3"


@pytest.mark.fleet
@pytest.mark.django_db
def test_a_missing_bucket_is_a_503_and_keeps_nothing(visitor, settings, s3_endpoint, sum_b64):
    use_bucket(settings, s3_endpoint, "mathocr-no-such-bucket")
    _assert_storage_unavailable(visitor.post("/api/images/", {"image": sum_b64}, format="json"))


@pytest.mark.fleet
@pytest.mark.django_db
def test_an_unreachable_store_is_a_503_and_keeps_nothing(visitor, settings, sum_b64):
    """Nothing listens at the endpoint (a store that is down): boto3 gives up, we say 503."""
    use_bucket(settings, f"http://127.0.0.1:{free_port()}", "mathocr-images")
    _assert_storage_unavailable(visitor.post("/api/images/", {"image": sum_b64}, format="json"))


@pytest.mark.fleet
@pytest.mark.django_db
def test_database_refusing_the_row_leaves_no_object(visitor, bucket_storage, sum_b64):
    """File first, then the row: when the row fails, the object written a moment ago goes."""
    from .test_api import _database_refuses_writes

    endpoint, bucket = bucket_storage
    with _database_refuses_writes():
        response = visitor.post("/api/images/", {"image": sum_b64}, format="json")
        _assert_storage_unavailable(response)
    assert bucket_keys(endpoint, bucket) == []


@pytest.mark.fleet
@pytest.mark.django_db
def test_a_store_that_went_down_answers_503_for_the_file(
    visitor, settings, bucket_storage, sum_b64
):
    """The row is there but the store cannot be read now: 503, not a 500 or a 404."""
    response = visitor.post("/api/images/", {"image": sum_b64}, format="json")
    assert response.status_code == 201
    use_bucket(settings, f"http://127.0.0.1:{free_port()}", bucket_storage[1])
    file = visitor.get(
        f"/api/images/{response.json()['id']}/file/",
        HTTP_X_EDIT_TOKEN=response.json()["edit_token"],
    )
    assert file.status_code == 503, file.content
    assert file.json()["code"] == "storage_unavailable"


# --------------------------------------------------------------------------- settings


def test_storage_url_selects_the_image_storage(monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from web.settings.base import storage_from_env

    monkeypatch.delenv("STORAGE_URL", raising=False)
    assert storage_from_env() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    monkeypatch.setenv(
        "STORAGE_URL",
        "s3://images/ocr/?endpoint_url=http://127.0.0.1:9000&region_name=eu-west-1&use_ssl=0",
    )
    s3 = storage_from_env()
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert {k: s3["OPTIONS"][k] for k in ("bucket_name", "location", "endpoint_url")} == {
        "bucket_name": "images",
        "location": "ocr",
        "endpoint_url": "http://127.0.0.1:9000",
    }
    assert s3["OPTIONS"]["region_name"] == "eu-west-1" and s3["OPTIONS"]["use_ssl"] is False
    monkeypatch.setenv("STORAGE_URL", f"file://{tmp_path}")
    assert storage_from_env()["OPTIONS"] == {"location": str(tmp_path)}
    for wrong, says in [
        ("s3://images?acl=public-read", "unknown option 'acl'"),
        ("s3://?endpoint_url=http://x", "names no bucket"),
        ("s3://images?verify=maybe", "verify='maybe' is not a boolean"),
        ("ftp://images", "use s3://bucket or file:///folder"),
    ]:
        monkeypatch.setenv("STORAGE_URL", wrong)
        with pytest.raises(ImproperlyConfigured, match=re.escape(says)):
            storage_from_env()


def test_redis_url_moves_the_cache_and_sessions_to_redis():
    """Production settings read with REDIS_URL: the Redis cache, sessions in the cache."""
    import subprocess
    import sys

    code = (
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'], s.SESSION_ENGINE)"
    )
    env = production_environment(Path("/nonexistent"), REDIS_URL="redis://127.0.0.1:6380/2")
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6380/2",
        "django.contrib.sessions.backends.cache",
    ]


def test_a_worker_storing_to_a_local_folder_never_imports_boto3():
    """boto3's error classes are only looked up when a fault is matched (about 23 MB a worker)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "from web.ocr import services\n"
        "assert services.storage_faults() == (OSError,)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'storages'}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "STORAGE_URL"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    env.setdefault("SECRET_KEY", "test")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_storage_faults_include_boto3s_errors_once_a_store_has_loaded_them():
    """An S3 store imports boto3; its refusals and network errors are then storage faults."""
    botocore_exceptions = pytest.importorskip("botocore.exceptions")
    boto3_exceptions = pytest.importorskip("boto3.exceptions")
    from web.ocr.services import storage_faults

    faults = storage_faults()
    assert OSError in faults
    assert botocore_exceptions.ClientError in faults
    assert botocore_exceptions.BotoCoreError in faults
    assert boto3_exceptions.Boto3Error in faults
