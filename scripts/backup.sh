#!/usr/bin/env bash
# Compressed PostgreSQL backup with retention (run daily: cron, systemd timer or the compose "backup" service).
#
#   scripts/backup.sh                      # DATABASE_URL or the PG* variables name the database
#
# Environment:
#   DATABASE_URL           postgresql[+psycopg]://user:password@host:port/db (else libpq's PGHOST, PGUSER...)
#   BACKUP_DIR             where dumps go (default: ./backups)
#   BACKUP_RETENTION_DAYS  dumps older than this many days are deleted after a successful dump (default: 14)
#   BACKUP_PREFIX          file name prefix (default: jo_etickets)
#
# Output: BACKUP_DIR/<prefix>_<db>_<YYYY-MM-DD>T<HHMMSS>Z.dump, pg_dump's custom format (compressed, restorable
# table by table with pg_restore; see scripts/restore.sh), plus a .sha256 checksum. The dump is written to a
# temporary name, checked with `pg_restore --list`, then renamed: a crash never leaves a truncated *.dump.
# pg_dump takes a consistent snapshot without blocking the shop (no exclusive lock).
set -euo pipefail

backup_dir="${BACKUP_DIR:-./backups}"
retention="${BACKUP_RETENTION_DAYS:-14}"
prefix="${BACKUP_PREFIX:-jo_etickets}"
[[ "$retention" =~ ^[0-9]+$ ]] || { echo "backup: BACKUP_RETENTION_DAYS must be a number of days" >&2; exit 2; }

args=()
if [[ -n "${DATABASE_URL:-}" ]]; then
  url="${DATABASE_URL/postgresql+psycopg2:/postgresql:}"   # libpq does not know SQLAlchemy's driver suffix
  url="${url/postgresql+psycopg:/postgresql:}"
  url="${url/postgres:\/\//postgresql://}"
  [[ "$url" == postgresql://* ]] || { echo "backup: DATABASE_URL is not a PostgreSQL URL" >&2; exit 2; }
  args=(--dbname="$url")
  db_name="${url##*/}"; db_name="${db_name%%\?*}"
else
  db_name="${PGDATABASE:-${PGUSER:-postgres}}"
fi

mkdir -p "$backup_dir"
exec 9>"$backup_dir/.backup.lock"
flock -n 9 || { echo "backup: another backup is running" >&2; exit 1; }

stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
file="$backup_dir/${prefix}_${db_name}_${stamp}.dump"
tmp="$file.partial"
trap 'rm -f "$tmp"' EXIT

umask 077
pg_dump "${args[@]}" --format=custom --compress=6 --no-owner --no-privileges --file="$tmp"
pg_restore --list "$tmp" >/dev/null    # the archive is readable
mv "$tmp" "$file"
(cd "$backup_dir" && sha256sum "$(basename "$file")" > "$(basename "$file").sha256")
echo "backup: wrote $file ($(du -h "$file" | cut -f1))"

# Retention: only after a successful dump, only our own files.
find "$backup_dir" -maxdepth 1 -type f \( -name "${prefix}_*.dump" -o -name "${prefix}_*.dump.sha256" \) \
  -mmin +$((retention * 24 * 60)) -print -delete | sed 's/^/backup: deleted old /'
