"""schemathesis against the live schema of a running ``mathocr serve``: every check, 0 failures.

The schema is fetched from the server (``/api/schema/``), as a client would,
and schemathesis sends what it generates from it, valid and invalid, to
every operation, signed in as staff over HTTP Basic (so the staff-only
routes are reached too). ``--checks all`` asks, among others: no 5xx,
every status and body documented, schema-valid input accepted and invalid
input refused, auth not ignored. The seed is fixed, so a failure is the same
on every run and machine.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import (
    STAFF_PASSWORD,
    Served,
    create_staff,
    dies_with_this_process,
    manage,
    production_environment,
)

SEED = 20261207
MAX_EXAMPLES = 15
"""Per operation and phase: enough to reach every documented status, short enough for CI."""
PHASES = "examples,coverage,fuzzing"
"""The stateful phase (chains of calls) is left out: it ran past 40 minutes here, and these
three took 12 minutes (coverage 11 of them) on 2 cores shared with a training job."""
MAX_RESPONSE_TIME = 60
"""Seconds. ``--checks all`` includes a response time limit (10 s by default); a 2-core
machine that runs a training job beside the suite took up to 18 s for a 404. Latency is
measured by ``python -m bench serve``, not here."""
TIMEOUT = 2700
"""Seconds for the schemathesis run before it is killed and the test fails: twice and more
what it took on a loaded 2-core machine, well inside CI's 90 minutes."""
CONFIG = Path(__file__).with_name("schemathesis.toml")
BINARY = Path(sys.executable).parent / "schemathesis"


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[Served]:
    """A production ``mathocr serve`` with a staff user, up and answering; stopped afterwards.

    The teardown stops it whatever the test did (failed, timed out, was
    interrupted), and :class:`Served` has the kernel stop it should pytest
    itself be killed, so no run leaves a server behind.
    """
    if not BINARY.exists():
        pytest.skip("schemathesis is not installed (the dev extra)")
    env = production_environment(tmp_path, MATHOCR_ANON_RATE="off")
    manage(env, "migrate", "--noinput")
    create_staff(env)
    server = Served("fuzzed", env, tmp_path, "--workers", "1", "--threads", "4", "--no-migrate")
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.fuzz
def test_schemathesis_finds_nothing_against_the_live_server(fuzzed: Served, tmp_path: Path) -> None:
    # Fetched here, not by schemathesis: it gives the schema 10 s, and a busy
    # machine takes longer to generate it.
    status, _, schema = fuzzed.request(
        "GET", "/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    assert status == 200
    (tmp_path / "schema.json").write_bytes(schema)
    done = subprocess.run(
        [
            str(BINARY),
            "--config-file",
            str(CONFIG),
            "run",
            str(tmp_path / "schema.json"),
            "--url",
            fuzzed.url,
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--phases",
            PHASES,
            "--max-response-time",
            str(MAX_RESPONSE_TIME),
            "--generation-database",
            "none",
            "--auth",
            f"staff:{STAFF_PASSWORD}",
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--no-color",
        ],
        cwd=tmp_path,  # its cache folder (.schemathesis) goes there
        preexec_fn=dies_with_this_process(),  # not left fuzzing a stopped server
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    assert "passed" in done.stdout, done.stdout[-5000:]
    assert "Internal Server Error" not in fuzzed.log_path.read_text()
