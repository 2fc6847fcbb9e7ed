#!/usr/bin/env bash
# Set up (first time) and run the whole test suite: unit, AppTest, PostgreSQL and real-browser tests.
# In CI (CI=true) PostgreSQL and Chromium must be available (they are installed here); outside CI a missing
# one is announced loudly and its tests are skipped while the rest run.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv requirements-dev.txt
cd "$ROOT"

# Real-browser tests drive Debian's Chromium (Playwright's own browser download does not work offline).
if ! command -v chromium >/dev/null 2>&1; then
  echo ">> Chromium is missing: installing Debian's chromium and fonts" >&2
  apt_install chromium fonts-dejavu-core >/dev/null 2>&1 ||
    echo "!! WARNING: could not install Chromium; browser tests will be SKIPPED" >&2
fi

# PostgreSQL tests run against a throwaway server on loopback, started here when possible.
if [ -z "${NTM_TEST_PG_URL:-}" ] && [ -f scripts/start_postgres.sh ]; then
  if pg_env="$(bash scripts/start_postgres.sh)"; then
    eval "$pg_env"
    trap 'bash scripts/start_postgres.sh --stop >/dev/null 2>&1 || true' EXIT
  else
    echo "!! WARNING: could not start PostgreSQL; PostgreSQL tests will be SKIPPED" >&2
  fi
fi

"$VENV/bin/python" -m pytest "$@"
