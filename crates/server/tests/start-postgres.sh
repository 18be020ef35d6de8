#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the server tests and prints its URL.
#   usage: start-postgres.sh PORT DIR     (stop: pg_ctl -D DIR/data stop, as user postgres)
# Listens on 127.0.0.1:PORT only, trust authentication, Debian's PostgreSQL
# binaries of whichever version is installed (scripts/pg-bindir). PostgreSQL
# refuses to run as root, so the cluster belongs to `postgres`.
set -euo pipefail
PORT="${1:?usage: start-postgres.sh PORT DIR}"
DIR="${2:?usage: start-postgres.sh PORT DIR}"
BIN="$(bash "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/pg-bindir")"
AS=()
if [ "$(id -u)" -eq 0 ]; then AS=(runuser -u postgres --); fi

mkdir -p "$DIR"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
fi
# Many connections: tests run in parallel, each with its own database and pool.
# Tests skip durability for speed; PG_DURABLE=1 (the benchmarks) keeps
# PostgreSQL's defaults, so figures are those of a real deployment.
# A small WAL too: each test database is written to the WAL once when created,
# and the default 1 GB ceiling would keep that on disk for nothing.
DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=96MB -c min_wal_size=32MB"
[ "${PG_DURABLE:-0}" = 1 ] && DURABILITY=""
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c max_connections=400 $DURABILITY" \
  start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
