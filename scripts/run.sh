#!/usr/bin/env bash
# Set up everything and run the service on http://127.0.0.1:8000
# (development settings, SQLite file var/db.sqlite3, the bundled model).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh web
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-web.settings.dev}"
.venv/bin/python manage.py migrate --noinput
exec .venv/bin/python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
