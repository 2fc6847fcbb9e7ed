#!/usr/bin/env bash
# Start a throwaway PostgreSQL on a free loopback port for the test-suite (used by .ci/run).
#
#   eval "$(scripts/start_postgres.sh)"        # exports NTM_TEST_PG_URL and NTM_TEST_PG_DIR
#   scripts/start_postgres.sh --stop            # stops the cluster in $NTM_TEST_PG_DIR and removes it
#
# Installs Debian's `postgresql` package with apt-get when no server binaries are found. Only the export
# lines go to stdout; progress goes to stderr.
set -euo pipefail

log() { echo "start_postgres: $*" >&2; }

as_owner() {
    # initdb and postgres refuse to run as root: run them as the `postgres` user then.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_bin_dir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return
    fi
    local best
    best=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n1 || true)
    [ -n "$best" ] && [ -x "$best/initdb" ] && echo "$best"
}

if [ "${1:-}" = "--stop" ]; then
    dir=${NTM_TEST_PG_DIR:?NTM_TEST_PG_DIR is not set}
    bin=$(find_bin_dir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
    rm -rf "$dir"
    exit 0
fi

bin=$(find_bin_dir || true)
if [ -z "$bin" ]; then
    log "installing postgresql with apt-get"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql >&2
    bin=$(find_bin_dir)
fi
[ -n "$bin" ] || { log "no PostgreSQL server binaries after install"; exit 1; }

dir=$(mktemp -d /tmp/ntm-pg-XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

log "initdb in $dir/data ($bin)"
as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
log "starting on 127.0.0.1:$port"
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres ntm_test >&2

echo "export NTM_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$port/ntm_test"
echo "export NTM_TEST_PG_DIR=$dir"
