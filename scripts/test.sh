#!/usr/bin/env bash
# Set up everything and run the whole test suite: lint, types, unit, real-data,
# API (SQLite, and PostgreSQL when it can be started) and browser tests.
# Extra arguments go to pytest (e.g. scripts/test.sh -k inkml).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- system packages: Chromium for the page tests, PostgreSQL for the API tests
need=()
command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
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

# --- a throwaway PostgreSQL on a private socket and port
pgdir=""
cleanup() {
    if [ -n "$pgdir" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
    fi
}
trap cleanup EXIT
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

echo "== ruff"
$PY -m ruff check .
$PY -m ruff format --check .
echo "== mypy (core library)"
$PY -m mypy

echo "== pytest (SQLite)"
$PY -m pytest "$@"

if [ -n "${MATHOCR_TEST_POSTGRES:-}" ]; then
    echo "== pytest: API tests on PostgreSQL"
    DATABASE_URL="$MATHOCR_TEST_POSTGRES" $PY -m pytest tests/web -m "not browser" "$@"
else
    echo "== PostgreSQL not available: API tests ran on SQLite only" >&2
fi
