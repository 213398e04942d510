#!/usr/bin/env bash
# Sets up what gapmap needs on a Debian machine, idempotently:
# PostgreSQL + PostGIS (Debian packages), PROJ headers (geodesic), GDAL tools,
# Node + npm (the web app's build) and Chromium (its browser tests),
# starts PostgreSQL when it is not running, creates the database with PostGIS.
# DATABASE_URL overrides the database (default: postgres://postgres:gapmap@127.0.0.1:5432/gapmap).
set -euo pipefail

DATABASE_URL=${DATABASE_URL:-postgres://postgres:gapmap@127.0.0.1:5432/gapmap?sslmode=disable}
log() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v go >/dev/null || { log "Go is missing: install Go 1.26 (https://go.dev/dl) and put it on PATH"; exit 1; }
command -v pg_ctlcluster >/dev/null || need+=(postgresql postgresql-contrib)
[ -f /usr/include/geodesic.h ] || need+=(libproj-dev)
command -v ogrinfo >/dev/null || need+=(gdal-bin)
command -v gcc >/dev/null || need+=(gcc)
# The web app: Node and npm build it, Debian's Chromium runs its browser tests.
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi
pgver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
[ -n "$pgver" ] || { log "no PostgreSQL cluster under /etc/postgresql"; exit 1; }
if [ ! -d "/usr/share/postgresql/$pgver/extension" ] || ! ls /usr/share/postgresql/$pgver/extension/postgis.control >/dev/null 2>&1; then
  log "installing postgresql-$pgver-postgis-3"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "postgresql-$pgver-postgis-3" >/dev/null
fi

# Only manage the local server when the URL points at this machine.
host=$(sed -E 's#^[a-z]+://([^@/]*@)?([^:/?]*).*#\2#' <<<"$DATABASE_URL")
case "$host" in
  127.0.0.1|localhost|"")
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
      log "starting PostgreSQL $pgver"
      as_root pg_ctlcluster --skip-systemctl-redirect "$pgver" main start || as_root pg_ctlcluster "$pgver" main start
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    admin_url=$(sed -E 's#/[^/?]*(\?|$)#/postgres\1#' <<<"$DATABASE_URL")
    if ! psql "$admin_url" -qAtc 'select 1' >/dev/null 2>&1; then
      # A fresh Debian cluster uses password auth on TCP: give postgres the
      # password of the default URL through the local socket.
      pw=$(sed -E 's#^[a-z]+://[^:/@]*:([^@]*)@.*#\1#;t;d' <<<"$DATABASE_URL")
      if [ -n "$pw" ]; then
        log "setting the postgres role's password for TCP access"
        as_root su postgres -c "psql -qc \"ALTER ROLE postgres PASSWORD '$pw'\"" >/dev/null
      fi
    fi
    ;;
esac

db=$(sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#' <<<"$DATABASE_URL")
admin_url=$(sed -E 's#/[^/?]*(\?|$)#/postgres\1#' <<<"$DATABASE_URL")
if [ "$(psql "$admin_url" -qAtc "select 1 from pg_database where datname='$db'")" != 1 ]; then
  log "creating database $db"
  psql "$admin_url" -qc "CREATE DATABASE \"$db\"" >/dev/null
fi
PGOPTIONS='-c client_min_messages=warning' psql "$DATABASE_URL" -qc 'CREATE EXTENSION IF NOT EXISTS postgis' >/dev/null
log "PostgreSQL $pgver with PostGIS $(psql "$DATABASE_URL" -qAtc 'select postgis_lib_version()') ready at $db"
