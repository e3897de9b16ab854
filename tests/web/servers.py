"""Real servers for the tests: PostgreSQL, Redis, an S3 stand-in, and ``mathocr serve``.

The first three listen on private ports for the fleet tests; :class:`Served`
runs the service itself as an operator would (the fleet, the schema fuzzing).

``scripts/test.sh`` starts one of each for the whole run and exports where
they listen (``MATHOCR_TEST_POSTGRES``, ``MATHOCR_TEST_REDIS``,
``MATHOCR_TEST_S3``). Run alone (``pytest tests/web/test_fleet.py``), the
fixtures start their own from the same binaries and stop them afterwards. A
test skips, saying which, only when a server cannot be had at all: its
binary is not installed, or PostgreSQL's is and we are root without its
``postgres`` user to run it as.

No S3 server ships in Debian's or PyPI's packages; moto's standalone server
(``moto[server]``, the ``dev`` extra) speaks the S3 API in memory and is the
stand-in here. Production points ``STORAGE_URL`` at a real S3-compatible store.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

# The S3 stand-in accepts any key; boto3 needs some to sign with.
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "mathocr-test",
    "AWS_SECRET_ACCESS_KEY": "mathocr-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    ready: Callable[[], bool],
    what: str,
    proc: subprocess.Popen | None = None,
    *,
    timeout: float = 60,
) -> None:
    """Poll *ready* for up to *timeout* s; fail naming *what* (with its exit code if it died)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready")
        with contextlib.suppress(Exception):
            if ready():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready in {timeout:.0f} s")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- Redis


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """``redis://`` URL of a Redis: MATHOCR_TEST_REDIS, or one started here (no persistence)."""
    url = os.environ.get("MATHOCR_TEST_REDIS", "").strip()
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    import redis

    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        wait_for(lambda: bool(redis.Redis.from_url(url).ping()), "redis-server", proc)
        yield url
    finally:
        stop(proc)


# --------------------------------------------------------------------------- S3 (moto)


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """Endpoint URL of an S3 API: MATHOCR_TEST_S3, or moto's server started here."""
    url = os.environ.get("MATHOCR_TEST_S3", "").strip()
    if url:
        yield url
        return
    try:
        import moto.server  # noqa: F401
    except ImportError:
        pytest.skip("moto's server is not installed (pip install 'moto[server]', the dev extra)")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(port), "moto_server", proc)
        yield url
    finally:
        stop(proc)


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status < 500
    finally:
        conn.close()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def new_bucket(endpoint: str) -> str:
    """A fresh, empty bucket, so that each test counts only its own objects."""
    name = f"mathocr-{secrets.token_hex(6)}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
    return found[-1].parent if found else None


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """``postgres://`` URL of a server: MATHOCR_TEST_POSTGRES, or a throwaway one started here.

    PostgreSQL refuses to run as root: as root it runs as the ``postgres``
    user Debian's package creates, as anyone else as that user.
    """
    url = os.environ.get("MATHOCR_TEST_POSTGRES", "").strip()
    if url:
        yield url
        return
    pgbin = _postgres_bin()
    if pgbin is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        import pwd

        if shutil.which("runuser") is None:
            pytest.skip("root without runuser: cannot run PostgreSQL as its own user")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("root without a postgres user: cannot run PostgreSQL as its own user")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="mathocr-pg-"))
    if as_postgres:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    port = free_port()
    subprocess.run(
        [*as_postgres, str(pgbin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    pg_ctl = [*as_postgres, str(pgbin / "pg_ctl"), "-D", str(data)]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*pg_ctl, "-w", "-l", str(folder / "log"), "-o", options, "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def new_database(server_url: str) -> Iterator[str]:
    """A fresh database on *server_url* for one test, dropped afterwards."""
    import psycopg

    name = f"mathocr_fleet_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- mathocr serve

ROOT = Path(__file__).resolve().parents[2]
STAFF_PASSWORD = "pw-staff"


def production_environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This process's environment, less Django's, with production settings on plain http."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="web.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        MATHOCR_CACHE_DIR=str(tmp_path / "cache"),
        STATIC_ROOT=str(tmp_path / "static"),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
    )
    env.update(settings)
    return env


def manage(env: dict[str, str], *command: str) -> None:
    """``manage.py COMMAND`` with *env*, as an operator deploying would run it."""
    done = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"manage.py {' '.join(command)}: {done.stderr}"


def create_staff(env: dict[str, str]) -> None:
    """A superuser ``staff`` with :data:`STAFF_PASSWORD`."""
    manage(
        {**env, "DJANGO_SUPERUSER_PASSWORD": STAFF_PASSWORD},
        "createsuperuser",
        "--noinput",
        "--username",
        "staff",
        "--email",
        "staff@example.com",
    )


def dies_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel SIGTERM the child when this process dies.

    A ``finally`` or a fixture's teardown stops a server when pytest ends a
    test, but not when pytest itself is killed (a CI job's timeout, a closed
    terminal) or interrupted again while it waits for the server to stop; and
    a server started in a session of its own gets no signal from the terminal
    either. Linux's ``PR_SET_PDEATHSIG`` covers those cases; elsewhere there
    is no such request and this returns None (only the teardown then). The
    kernel watches the thread that starts the child, so start it from one
    that lives as long as the run (pytest's main thread does).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1  # <linux/prctl.h>

    def request() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # this process died before the request was made
            os._exit(1)

    return request


class Served:
    """``mathocr serve`` on a free port, configured by its environment only.

    It runs in a session of its own, so that :meth:`stop` can signal its
    workers with it, and it is sent SIGTERM when this process dies (see
    :func:`dies_with_this_process`), so it never outlives the test run.
    """

    def __init__(self, name: str, env: dict[str, str], tmp_path: Path, *options: str) -> None:
        self.name = name
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{name}.log"
        self.log: IO[bytes] = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mathocr", "serve", "--port", str(self.port), *options],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=dies_with_this_process(),
        )

    def wait_until_up(self) -> None:
        try:
            wait_for(
                lambda: self.request("GET", "/api/schema/")[0] == 200,
                f"mathocr serve {self.name}",
                self.proc,
                timeout=300,  # migrations, static files and the model, on a busy machine
            )
        except RuntimeError as e:
            raise AssertionError(f"{e}\n{self.log_path.read_text()}") from None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response, response.read()
        finally:
            conn.close()

    def post_json(self, path: str, data: object, **headers: str) -> tuple[int, dict]:
        status, _, body = self.request(
            "POST", path, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
        )
        return status, json.loads(body)

    def stop(self) -> None:
        """Stop the server and its workers: SIGTERM, then SIGKILL after 30 s.

        Interrupted while it waits (a second Ctrl-C), it kills them at once
        before giving way, rather than leave them running.
        """
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass  # killed below
            finally:
                if self.proc.poll() is None:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        self.log.close()
