#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at a throwaway PostgreSQL server (own data directory in /tmp,
# own port, stopped and removed afterwards), as .ci/run does. Used by `make bench`: the engine's cache and
# the booking throughput are measured on PostgreSQL, as in production.
# DATABASE_URL already set: the command runs against it. No PostgreSQL 15 binaries or not root: the
# command runs on SQLite, and the scripts that need PostgreSQL say they were skipped — unless
# PG_REQUIRED=1 (CI), which stops there. PG_OPTIONS adds server settings (CI: durability off, for speed;
# the benchmarks keep production's durable commits).
set -Eeuo pipefail
PGBIN=/usr/lib/postgresql/15/bin
if [[ -n "${DATABASE_URL:-}" ]]; then
  exec "$@"
fi
if [[ ! -x "$PGBIN/initdb" || "$(id -u)" != 0 ]]; then
  if [[ "${PG_REQUIRED:-0}" == 1 ]]; then
    echo "PostgreSQL 15 is required here (as root: apt-get install -y postgresql)." >&2
    exit 1
  fi
  echo "PostgreSQL 15 not available here (as root: apt-get install -y postgresql): running on SQLite." >&2
  exec "$@"
fi
PGDIR=$(mktemp -d -t maille-pg.XXXXXX)
chown postgres:postgres "$PGDIR"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
stop_pg() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap stop_pg EXIT INT TERM
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/pg.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PGPORT -k $PGDIR -c max_connections=200 ${PG_OPTIONS:-}" start >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/maille"
"$@"
