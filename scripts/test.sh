#!/usr/bin/env bash
# Set up (first time) and run the whole test suite: unit, AppTest, PostgreSQL and real-browser tests.
# In CI (CI=true) PostgreSQL and Chromium must be available (they are installed here); outside CI a missing
# one is announced loudly and its tests are skipped while the rest run.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv requirements-dev.txt
cd "$ROOT"

# Real-browser tests drive Debian's Chromium (Playwright's own browser download does not work offline),
# with DejaVu fonts so Vietnamese renders in screenshots.
if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/dejavu ]; then
  echo ">> installing Debian's chromium and fonts-dejavu-core for the browser tests" >&2
  if ! apt_install chromium fonts-dejavu-core >/tmp/ntm-apt.log 2>&1; then
    tail -n 5 /tmp/ntm-apt.log >&2
    if [ "${CI:-}" = "true" ]; then
      echo "!! ERROR: could not install Chromium; in CI the browser tests will FAIL" >&2
    else
      echo "!! WARNING: could not install Chromium; browser tests will be SKIPPED" >&2
    fi
  fi
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
