#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into an EMPTY database.
#
#   scripts/restore.sh BACKUP_FILE [DATABASE_URL]     # default target: $DATABASE_URL (else libpq's PG* variables)
#
# Create the empty target first (e.g. `createdb -O jo jo_etickets_restored`, or drop and recreate the database
# with the app stopped). The restore refuses a database that already has tables, checks the .sha256 next to the
# dump when there is one, and runs in ONE transaction: it either restores everything or nothing.
# Afterwards: point DATABASE_URL at it and start the app (migrations at start bring an older dump up to date).
# The app's SECRET_KEY must be the one of the dumped deployment (it decrypts the ticket signing keys).
set -euo pipefail

file="${1:?usage: scripts/restore.sh BACKUP_FILE [DATABASE_URL]}"
target="${2:-${DATABASE_URL:-}}"
[[ -f "$file" ]] || { echo "restore: no such file: $file" >&2; exit 2; }

args=()
if [[ -n "$target" ]]; then
  url="${target/postgresql+psycopg2:/postgresql:}"
  url="${url/postgresql+psycopg:/postgresql:}"
  url="${url/postgres:\/\//postgresql://}"
  [[ "$url" == postgresql://* ]] || { echo "restore: the target is not a PostgreSQL URL" >&2; exit 2; }
  args=(--dbname="$url")
fi

if [[ -f "$file.sha256" ]]; then
  (cd "$(dirname "$file")" && sha256sum --check --quiet "$(basename "$file").sha256") \
    || { echo "restore: checksum mismatch for $file" >&2; exit 2; }
fi

tables="$(psql "${args[@]}" -X -A -t -v ON_ERROR_STOP=1 \
  -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
if [[ "$tables" != "0" ]]; then
  echo "restore: the target database is not empty ($tables tables): restore into an empty database" >&2
  exit 3
fi

pg_restore "${args[@]}" --no-owner --no-privileges --exit-on-error --single-transaction "$file"

summary="$(psql "${args[@]}" -X -A -t -F ' ' -v ON_ERROR_STOP=1 -c \
  "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM tickets), (SELECT count(*) FROM users)")"
read -r orders tickets users <<<"$summary"
echo "restore: restored $file: $orders orders, $tickets tickets, $users users"
