#!/bin/sh
# Container entrypoint of the app image.
#   serve (default)  apply the migrations (MIGRATE_ON_START=1, under a PostgreSQL advisory lock), then run the
#                    Reflex backend (API, /_event websocket, /ping, /_health, /metrics) with GRANIAN_WORKERS
#                    workers on APP_PORT. The frontend is static and served by nginx.
#   export-static DIR  copy the exported frontend into DIR (the volume nginx serves) and exit.
#   migrate | cli ARGS  operator commands (python -m jo_app.cli ...); `cli worker` runs the durable jobs (mails).
set -eu

case "${1:-serve}" in
  serve)
    if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
      # Metric files of a previous run would be summed with the new ones.
      mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
      find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
    fi
    if [ "${MIGRATE_ON_START:-1}" = "1" ]; then
      python -m scripts.migrate_locked
    fi
    exec reflex run --env prod --backend-only --backend-host 0.0.0.0 --backend-port "${APP_PORT:-8000}" \
      --loglevel "${REFLEX_LOGLEVEL:-info}"
    ;;
  export-static)
    target="${2:?usage: export-static DIR}"
    mkdir -p "$target"
    find "$target" -mindepth 1 -delete
    cp -a /srv/jo-etickets/static/. "$target/"
    echo "Frontend copied to $target"
    ;;
  migrate)
    exec python -m scripts.migrate_locked
    ;;
  cli)
    shift
    exec python -m jo_app.cli "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
