#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the store's PostgreSQL test.
#   .ci/postgres.sh start   prints the SQLAlchemy URL (installs postgresql first if missing)
#   .ci/postgres.sh stop    stops it and removes its data
# Any failure exits non-zero; .ci/run then runs the suite without it (the test skips).
set -euo pipefail
PORT=${ITS_TEST_PG_PORT:-55433}
STATE=/tmp/its-ci-postgres

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

case "${1:-start}" in
start)
    if [ -z "$(pg_bin)" ]; then
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    BIN=$(pg_bin)
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    rm -rf "$STATE" && mkdir -p "$STATE" && chown postgres: "$STATE"
    runuser -u postgres -- "$BIN/initdb" -D "$STATE/data" -A trust -U its >/dev/null
    runuser -u postgres -- "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c fsync=off" start >/dev/null
    runuser -u postgres -- "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U its its
    echo "postgresql+psycopg://its@127.0.0.1:$PORT/its"
    ;;
stop)
    BIN=$(pg_bin)
    if [ -n "$BIN" ] && [ -d "$STATE/data" ]; then
        runuser -u postgres -- "$BIN/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$STATE"
    ;;
esac
