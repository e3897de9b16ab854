"""``mathocr serve``: run the web service under gunicorn, migrating the database first.

Settings come from the environment (``DJANGO_SETTINGS_MODULE`` defaults to
``web.settings.production``; see the README's configuration table). Django and
gunicorn are imported inside :func:`run`, so the core library and the rest of
the CLI never load them. They come with the ``web`` extra
(``pip install 'mathocr[web]'``); without it :func:`require_web_extra` says so
instead of a traceback.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import sys
from typing import Any

DEFAULT_SETTINGS = "web.settings.production"
# Threads per worker. A sync worker (1) is held whole by one slow client; with a
# few threads a trickling client holds one thread while the others serve, and
# recognition (NumPy, OpenCV, ONNX Runtime) releases the GIL for most of its work.
DEFAULT_THREADS = 4

# What the web service imports that the core library does not install.
WEB_MODULES = (
    "django",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dj_database_url",
    "whitenoise",
    "gunicorn",
    "psycopg",
)


def require_web_extra(command: str) -> None:
    """Raise a clear :class:`MathOCRError` when the ``web`` extra is not installed.

    ``pip install mathocr`` is the library and CLI alone; the service's
    packages are an extra. Without this check the first missing import would
    end the command in a traceback naming a module, not the fix.
    """
    import importlib

    from ..errors import MathOCRError

    missing = []
    for name in WEB_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MathOCRError(
            f"{command} needs the web service's packages ({', '.join(missing)} missing): "
            "install them with  pip install 'mathocr[web]'  (or scripts/setup.sh web)"
        )


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="Run the web service under gunicorn (migrates the database first)",
        description=(
            "Run the web service under gunicorn: apply database migrations and collect "
            "static files, then serve with N worker processes of T threads each. Each "
            "worker loads the model once. Settings come from the environment "
            f"(DJANGO_SETTINGS_MODULE, default {DEFAULT_SETTINGS}; SECRET_KEY, "
            "DATABASE_URL, ALLOWED_HOSTS, ...)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: one per CPU core)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=(
            f"threads per worker process (default {DEFAULT_THREADS}: gthread workers, so a slow "
            "client holds one thread, not the process; 1 gives sync workers)"
        ),
    )
    parser.add_argument(
        "--timeout", type=int, default=60, help="seconds before a stuck worker is restarted"
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        help=(
            "seconds a client has to start sending its request body at --body-min-rate; a "
            "slower body is cut off with 408 (default 10)"
        ),
    )
    parser.add_argument(
        "--body-min-rate",
        type=float,
        default=16384.0,
        help="bytes per second a request body must keep up after --body-timeout (default 16384)",
    )
    parser.add_argument(
        "--no-migrate", action="store_true", help="do not apply database migrations first"
    )
    parser.add_argument(
        "--no-collectstatic",
        action="store_true",
        help="do not collect static files first (they are already in STATIC_ROOT)",
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request to stderr (default off)"
    )
    parser.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    from ..errors import MathOCRError

    if not 0 < args.port < 65536:
        raise MathOCRError(f"--port must be 1-65535, got {args.port}")
    if args.workers < 1 or args.threads < 1:
        raise MathOCRError("--workers and --threads must be at least 1")
    if not args.body_timeout > 0 or not args.body_min_rate > 0:
        raise MathOCRError("--body-timeout and --body-min-rate must be positive")


def prepare(*, migrate: bool = True, collectstatic: bool = True) -> None:
    """Set Django up in this (master) process and get the database and static files ready."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    if migrate:
        call_command("migrate", interactive=False, verbosity=1)
    if collectstatic:
        call_command("collectstatic", interactive=False, verbosity=0)
    # Workers are forked from this process: they must not share its connections.
    connections.close_all()


# glibc's mallopt() parameter for the number of malloc arenas (malloc.h).
_M_ARENA_MAX = -8
ARENAS = 2
"""Malloc arenas per worker. glibc gives threads up to 8 per core, and each
arena keeps the memory its thread freed: 4 request threads spread recognition's
large temporary arrays over 4 arenas, each holding its own high-water mark."""
TRIM_EVERY = 10
"""Requests between two ``malloc_trim(0)`` calls in a worker. Trimming hands the
free pages inside the heaps back to the system (glibc only returns the top of a
heap by itself); it costs about 5 ms, so not after every request."""


def _glibc() -> Any:
    """The C library as a ctypes handle when it is glibc (mallopt, malloc_trim), else None."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        import ctypes

        return ctypes.CDLL("libc.so.6")
    except (ValueError, OSError, AttributeError):
        return None


def _limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas for the workers forked from here (see :data:`ARENAS`).

    Done with mallopt() before any thread exists, which is when glibc fixes
    the limit; an operator's own ``MALLOC_ARENA_MAX`` is left alone.
    """
    libc = _glibc()
    if libc is not None and "MALLOC_ARENA_MAX" not in os.environ:
        libc.mallopt(_M_ARENA_MAX, ARENAS)


def _trim_now_and_then(count: Any) -> Any:
    """A gunicorn ``post_request`` hook that calls malloc_trim(0) every TRIM_EVERY requests."""
    libc = _glibc()

    def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
        if next(count) % TRIM_EVERY == 0:
            # A request leaves reference cycles (DRF's serializer fields, the body's
            # buffers) that wait for a rare full collection; the start-up objects
            # are frozen (see _warm_up), so collecting the rest takes milliseconds.
            gc.collect()
            if libc is not None:
                libc.malloc_trim(0)

    return post_request


def _warm_up(worker: Any) -> None:
    """gunicorn ``post_worker_init``: one core per worker, model loaded before the first request.

    The workers already share the cores between them; OpenCV's own thread
    pool on top of that would only make them take turns.
    """
    import cv2

    cv2.setNumThreads(1)
    try:
        from mathocr.detect.recognizer import default_recognizer
    except ImportError:  # a library without the recognizer: the first request will tell
        return
    default_recognizer()
    # Loaded now rather than by the first polynomial to factor, so that it is
    # among the objects frozen below.
    import sympy  # noqa: F401

    # Everything loaded so far lives as long as the worker: out of the
    # collector's sight, a full collection only walks what requests made.
    gc.collect()
    gc.freeze()


def gunicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "threads": args.threads,
        # One thread: a sync worker takes a connection only when it is free, so
        # requests wait in the kernel's queue for the first free process; but one
        # slow client holds it whole. gthread reads each request in a thread of its
        # own and parks idle keep-alive connections in a poller, not a thread.
        "worker_class": "gthread" if args.threads > 1 else "sync",
        "timeout": args.timeout,
        "graceful_timeout": 10,
        "keepalive": 5,
        # Enough for a 10 MB image as base64 plus framing; Django checks the real limit.
        "limit_request_line": 8190,
        "accesslog": "-" if args.access_log else None,
        "errorlog": "-",
        "post_worker_init": _warm_up,
        "post_request": _trim_now_and_then(itertools.count(1)),
        "proc_name": "mathocr",
        # gunicorn ≥ 23's runtime control socket: one fixed path shared by every
        # instance on the machine; we do not use it.
        "control_socket_disable": True,
    }


def run(args: argparse.Namespace) -> int:
    _check(args)
    require_web_extra("mathocr serve")
    # One thread per worker for the numeric libraries too (read when they load).
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    _limit_malloc_arenas()
    prepare(migrate=not args.no_migrate, collectstatic=not args.no_collectstatic)

    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(args)

    class Service(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None and key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            from django.conf import settings

            from web.slow_clients import ReadBodyFirst
            from web.wsgi import application

            # Bodies the API may accept are read whole, at a minimum pace, before
            # Django runs: a trickling client is cut off instead of holding a thread.
            return ReadBodyFirst(
                application,
                grace=args.body_timeout,
                min_rate=args.body_min_rate,
                max_bytes=max(
                    settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.FILE_UPLOAD_MAX_MEMORY_SIZE
                ),
            )

    print(
        f"mathocr: serving on http://{args.host}:{args.port}/ "
        f"({args.workers} workers x {args.threads} threads)",
        file=sys.stderr,
    )
    Service().run()
    return 0
