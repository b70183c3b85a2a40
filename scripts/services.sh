#!/usr/bin/env bash
# Start or stop the real Redis and PostgreSQL servers the tests use, on
# loopback ports of their own. Data lives under /tmp (not the checkout) so the
# postgres user can reach it wherever the repository is cloned.
#   scripts/services.sh start   -> prints the export lines for the test env
#   scripts/services.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_PORT=${COVAEX_TEST_REDIS_PORT:-6391}
PG_PORT=${COVAEX_TEST_PG_PORT:-5439}
BASE=${TMPDIR:-/tmp}/covaex-test-services-$PG_PORT
PGDATA=$BASE/pg
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  mkdir -p "$BASE"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --pidfile "$BASE/redis.pid" --logfile "$BASE/redis.log" >/dev/null
  fi
  if [ -z "$PGBIN" ]; then echo "services: PostgreSQL is not installed (run scripts/setup.sh)" >&2; exit 1; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    [ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$BASE"
    as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  [ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$BASE"
  if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$BASE/pg.log" -w \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $BASE -c fsync=off" start >/dev/null
  fi
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "export COVAEX_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "export COVAEX_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
}

stop() {
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  if [ -n "$PGBIN" ] && [ -f "$PGDATA/PG_VERSION" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
