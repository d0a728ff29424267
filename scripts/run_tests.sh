#!/usr/bin/env bash
# Lint, then the test suite on SQLite and, when a server answers (always with CI=true), on PostgreSQL.
# The suite runs on PYTEST_WORKERS processes (pytest-xdist; default: one a CPU, 0 = a single process). Each
# worker has its own test database (test_..._gw0, _gw1...). Arguments go to pytest, after -n: `-n 0` wins.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
WORKERS=${PYTEST_WORKERS:-auto}

echo "== ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

echo "== pytest on SQLite"
env -u DATABASE_URL "$VENV/bin/pytest" -n "$WORKERS" "$@"

pg_answers() {
  "$VENV/bin/python" - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL does not answer: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

if pg_answers; then
  echo "== pytest on PostgreSQL"
  DATABASE_URL="$PG_URL" "$VENV/bin/pytest" -n "$WORKERS" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true requires PostgreSQL at $PG_URL" >&2
  exit 1
else
  echo "== PostgreSQL skipped (no server at $PG_URL)"
fi
