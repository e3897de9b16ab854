#!/usr/bin/env bash
# Set up everything and run the whole test suite: lint, types, unit, real-data,
# API (SQLite, and PostgreSQL when it can be started), browser tests, and the
# fleet tests (two `mathocr serve` on PostgreSQL, Redis and moto's S3 server).
# Extra arguments go to pytest (e.g. scripts/test.sh -k inkml).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- system packages: Chromium for the page tests, PostgreSQL for the API tests,
# Redis for the fleet tests (the S3 stand-in, moto, is a Python package)
need=()
command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "== not root: ${need[*]} missing, the tests that need them will be skipped" >&2
    fi
fi

# --- Python packages
scripts/setup.sh web,train,dev
PY=.venv/bin/python

# --- throwaway servers on private ports, stopped at exit: PostgreSQL, Redis, moto (S3)
pgdir=""
srvdir=$(mktemp -d /tmp/mathocr-servers.XXXXXX)
pids=()
cleanup() {
    if [ -n "$pgdir" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
    fi
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$srvdir"
}
trap cleanup EXIT
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$pgbin" ] && [ "$(id -u)" = 0 ] && [ -z "${MATHOCR_TEST_POSTGRES:-}" ]; then
    pgdir=$(mktemp -d /tmp/mathocr-pg.XXXXXX)
    chown postgres "$pgdir"
    port=$(( 20000 + RANDOM % 20000 ))
    runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust >/dev/null
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -w -l "$pgdir/log" \
        -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    export MATHOCR_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
    echo "== PostgreSQL started on 127.0.0.1:$port"
fi

if command -v redis-server >/dev/null && [ -z "${MATHOCR_TEST_REDIS:-}" ]; then
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$srvdir" \
        >"$srvdir/redis.log" 2>&1 &
    pids+=($!)
    export MATHOCR_TEST_REDIS="redis://127.0.0.1:$port/0"
    echo "== Redis started on 127.0.0.1:$port"
fi
if [ -z "${MATHOCR_TEST_S3:-}" ]; then
    port=$(free_port)
    # No S3 server is packaged: moto's standalone server speaks the S3 API in memory.
    $PY -m moto.server -H 127.0.0.1 -p "$port" >"$srvdir/moto.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 60); do
        $PY -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/', timeout=2)" \
            2>/dev/null && break
        sleep 0.5
    done
    export MATHOCR_TEST_S3="http://127.0.0.1:$port"
    echo "== moto's S3 server started on 127.0.0.1:$port"
fi

echo "== ruff"
$PY -m ruff check .
$PY -m ruff format --check .
echo "== mypy (core library)"
$PY -m mypy

echo "== pytest (SQLite)"
# Includes the schemathesis run against a live `mathocr serve` (-m fuzz,
# tests/web/test_schema_fuzz.py), which starts and stops its own server.
$PY -m pytest "$@"

if [ -n "${MATHOCR_TEST_POSTGRES:-}" ]; then
    echo "== pytest: API tests on PostgreSQL"
    # The fleet and fuzz tests ran above already, on servers and databases of their own.
    DATABASE_URL="$MATHOCR_TEST_POSTGRES" $PY -m pytest tests/web \
        -m "not browser and not fleet and not fuzz" "$@"
else
    echo "== PostgreSQL not available: API tests ran on SQLite only" >&2
fi
